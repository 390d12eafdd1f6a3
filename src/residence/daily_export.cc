#include "residence/daily_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/csv.h"
#include "base/file.h"

namespace zhizhi::residence {

using nlohmann::json;

namespace {

std::string Str(const json& object, const char* a, const char* b) {
  if (!object.contains(a) || !object[a].is_object()) return {};
  const json& inner = object[a];
  return inner.contains(b) && inner[b].is_string() ? inner[b].get<std::string>() : std::string();
}

}  // namespace

Result<std::string> ExportCsv(const std::vector<ExportRow>& rows,
                              const security::FieldCipher& cipher) {
  // Chinese headers as the police upload template names them, codes in brackets.
  std::string out =
      "幂等键(idempotency_key),登记编号(registration_ref),类型(message_type),"
      "原回执号(previous_receipt_no),姓名(name),证件类型(id_type),证件号码(id_number),"
      "性别(sex),民族(nation),出生日期(birth_date),户籍地址(id_address),联系电话(phone),"
      "居住地址(residence_address),日期(date),事由(reason),单位统一社会信用代码(employer_uscc),"
      "单位名称(employer_name),项目编号(project_code),项目名称(project_name)\r\n";
  for (const ExportRow& row : rows) {
    const json m = json::parse(row.payload, nullptr, false);
    if (!m.is_object()) return Status::Internal("outbox row has a malformed payload");
    const std::string type = m.value("message_type", "");
    ZZ_ASSIGN_OR_RETURN(std::string id_number, cipher.Unseal(row.id_sealed));
    const char* date_key = type == "change"           ? "move_date"
                           : type == "deregistration" ? "leave_date"
                                                      : "arrival_date";
    const std::string fields[] = {row.idempotency_key,
                                  m.value("registration_ref", ""),
                                  type,
                                  m["previous_receipt_no"].is_string()
                                      ? m["previous_receipt_no"].get<std::string>()
                                      : std::string(),
                                  Str(m, "applicant", "name"),
                                  Str(m, "applicant", "id_type"),
                                  id_number,
                                  Str(m, "applicant", "sex"),
                                  Str(m, "applicant", "nation"),
                                  Str(m, "applicant", "birth_date"),
                                  Str(m, "applicant", "id_address"),
                                  Str(m, "applicant", "phone"),
                                  Str(m, "residence", "address"),
                                  Str(m, "residence", date_key),
                                  Str(m, "residence", "reason"),
                                  Str(m, "employer", "uscc"),
                                  Str(m, "employer", "name"),
                                  Str(m, "project", "code"),
                                  Str(m, "project", "name")};
    bool first = true;
    for (const std::string& f : fields) {
      if (!first) out += ',';
      first = false;
      // A leading apostrophe keeps spreadsheets from turning ID numbers into floats.
      out += CsvField(&f == &fields[6] ? "'" + f : f);
    }
    out += "\r\n";
  }
  return out;
}

Result<ExportReport> WriteDailyExport(store::Database& db, Residence& residence,
                                      const security::FieldCipher& cipher,
                                      const ExportOptions& options, std::int64_t now_ms) {
  if (options.encoding != "utf-8" && options.encoding != "gbk") {
    return Status::InvalidArgument("encoding", "export encoding is utf-8 or gbk");
  }
  std::vector<ExportRow> rows;
  ZZ_RETURN_IF_ERROR(db.Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT o.id, o.idempotency_key, o.payload, p.id_cipher FROM sync_outbox o JOIN persons p "
        "ON p.id = o.person_id WHERE o.target = 'police_export' AND o.state = 'pending' "
        "ORDER BY o.id");
    while (s.Step())
      rows.push_back(ExportRow{s.Int(0), s.Text(1), s.Text(2), s.Blob(3)});
    return s.status();
  }));
  ExportReport report;
  if (rows.empty()) return report;
  ZZ_ASSIGN_OR_RETURN(std::string text, ExportCsv(rows, cipher));
  std::string bytes;
  if (options.encoding == "gbk") {
    ZZ_ASSIGN_OR_RETURN(bytes, ConvertUtf8ToGb18030(text));
  } else {
    bytes = "\xEF\xBB\xBF" + text;
  }
  if (::mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("cannot create " + options.dir + ": " + std::strerror(errno));
  }
  // residence-20260316-100000-42.csv: the day and time (China) and the first row, so two
  // exports never share a name.
  const std::string stamp = FormatRfc3339(now_ms);  // 2026-03-16T10:00:00+08:00
  std::string compact;
  for (char c : stamp.substr(0, 19)) {
    if (std::isdigit(static_cast<unsigned char>(c))) compact += c;
  }
  const std::string file = options.dir + "/residence-" + compact.substr(0, 8) + "-" +
                           compact.substr(8) + "-" + std::to_string(rows.front().outbox_id) +
                           (options.encoding == "gbk" ? ".gbk.csv" : ".csv");
  ZZ_RETURN_IF_ERROR(WriteFileDurably(file, bytes));
  std::vector<std::int64_t> ids;
  for (const ExportRow& r : rows)
    ids.push_back(r.outbox_id);
  ZZ_RETURN_IF_ERROR(
      db.Write([&](store::Connection& conn) { return residence.MarkExported(conn, ids, file); }));
  report.file = file;
  report.rows = static_cast<int>(rows.size());
  return report;
}

}  // namespace zhizhi::residence

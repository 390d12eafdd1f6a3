#include "registry/registry_import.h"

#include <chrono>

#include "base/csv.h"
#include "base/field_reader.h"
#include "base/text.h"

namespace zhizhi::registry {

namespace {

const ImportKind* FindKind(std::string_view name) {
  for (const ImportKind& kind : ImportKinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

Status CheckHeader(const ImportKind& kind, std::vector<std::string>& header) {
  for (std::string& column : header)
    column = std::string(Trim(column));
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& column = header[i];
    const bool known =
        std::find(kind.required.begin(), kind.required.end(), column) != kind.required.end() ||
        std::find(kind.optional.begin(), kind.optional.end(), column) != kind.optional.end();
    if (!known) {
      return Status::InvalidArgument(
          column, "unknown column \"" + column + "\" for " + std::string(kind.name));
    }
    if (std::find(header.begin(), header.begin() + i, column) != header.begin() + i) {
      return Status::InvalidArgument(column, "column \"" + column + "\" appears twice");
    }
  }
  for (std::string_view column : kind.required) {
    if (std::find(header.begin(), header.end(), column) == header.end()) {
      return Status::InvalidArgument(std::string(column),
                                     "missing required column \"" + std::string(column) + "\"");
    }
  }
  return Status::Ok();
}

// Resolves the person of a row: `person_id`, or `id_number` (+ `id_type`, default 01).
Result<std::int64_t> RowPerson(store::Connection& conn, Registry& registry, FieldReader& in) {
  auto person_id = in.OptInteger("person_id");
  auto id_number = in.OptText("id_number", 32);
  auto id_type = in.OptText("id_type", 4);
  if (!in.ok()) return in.Finish();
  if (person_id) return *person_id;
  if (!id_number) return Status::InvalidArgument("id_number", "person_id or id_number is required");
  // The same normalisation as registration: parse a probe person.
  std::vector<std::string> header = {"id_type", "id_number", "name"};
  std::vector<std::string> row = {id_type.value_or("01"), *id_number, "-"};
  CsvFieldReader probe(header, row);
  ZZ_ASSIGN_OR_RETURN(PersonDraft draft, ParsePerson(probe));
  ZZ_ASSIGN_OR_RETURN(auto found, registry.FindPersonId(conn, draft.id_type, draft.id_number));
  if (!found) return Status::Rule("person_not_found", "id_number", "no person with this ID number");
  return *found;
}

// `persons` collects the person each row is about (for the audit row).
Status ImportRow(store::Connection& conn, Registry& registry, std::string_view kind,
                 FieldReader& in, std::vector<std::int64_t>& persons) {
  if (kind == "corps") {
    ZZ_ASSIGN_OR_RETURN(auto d, ParseCorp(in));
    return registry.CreateCorp(conn, d);
  }
  if (kind == "projects") {
    ZZ_ASSIGN_OR_RETURN(auto d, ParseProject(in));
    return registry.CreateProject(conn, d);
  }
  if (kind == "project_corps") {
    const std::string project = in.Text("project_code", 32);
    ZZ_ASSIGN_OR_RETURN(auto d, ParseProjectCorp(in));
    return registry.AddProjectCorp(conn, project, d);
  }
  if (kind == "teams") {
    const std::string project = in.Text("project_code", 32);
    ZZ_ASSIGN_OR_RETURN(auto d, ParseTeam(in));
    return registry.CreateTeam(conn, project, d).status();
  }
  if (kind == "persons") {
    ZZ_ASSIGN_OR_RETURN(auto d, ParsePerson(in));
    ZZ_ASSIGN_OR_RETURN(std::int64_t id, registry.CreatePerson(conn, d));
    persons.push_back(id);
    return Status::Ok();
  }
  if (kind == "certificates") {
    ZZ_ASSIGN_OR_RETURN(std::int64_t person, RowPerson(conn, registry, in));
    ZZ_ASSIGN_OR_RETURN(auto d, ParseCertificate(in));
    ZZ_RETURN_IF_ERROR(registry.AddCertificate(conn, person, d).status());
    persons.push_back(person);
    return Status::Ok();
  }
  if (kind == "enrolments") {
    const std::string project = in.Text("project_code", 32);
    ZZ_ASSIGN_OR_RETURN(std::int64_t person, RowPerson(conn, registry, in));
    auto team_name = in.OptText("team_name", 64);
    ZZ_ASSIGN_OR_RETURN(auto d, ParseEnrolment(in, /*read_person_id=*/false));
    d.person_id = person;
    if (team_name && !d.team_id) {
      ZZ_ASSIGN_OR_RETURN(auto team, registry.FindTeamId(conn, project, *team_name));
      if (!team) {
        return Status::Rule("team_not_found", "team_name",
                            "project " + project + " has no team \"" + *team_name + "\"");
      }
      d.team_id = *team;
    }
    ZZ_RETURN_IF_ERROR(registry.Enrol(conn, project, d).status());
    persons.push_back(person);
    return Status::Ok();
  }
  return Status::InvalidArgument("kind", "unknown kind");
}

}  // namespace

const std::vector<ImportKind>& ImportKinds() {
  static const std::vector<ImportKind> kinds = {
      {"corps", {"uscc", "name"}, {"legal_person", "address"}},
      {"projects",
       {"code", "name", "region_code"},
       {"address", "lat", "lng", "permit_no", "status", "start_date", "end_date"}},
      {"project_corps", {"project_code", "uscc", "corp_type"}, {}},
      {"teams", {"project_code", "name", "uscc"}, {"leader_person_id"}},
      {"persons",
       {"id_type", "id_number", "name"},
       {"phone", "nation", "id_address", "sex", "birth_date"}},
      {"certificates",
       {"kind", "type_code", "number", "valid_from", "valid_to"},
       {"person_id", "id_type", "id_number", "issuer"}},
      {"enrolments",
       {"project_code", "uscc", "work_role", "entry_date"},
       {"person_id", "id_type", "id_number", "team_id", "team_name", "work_type", "post",
        "dorm_address", "card_no"}},
  };
  return kinds;
}

Result<ImportReport> ImportCsv(store::Database& db, Registry& registry,
                               const std::string& kind_name, const std::string& path,
                               const ImportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const ImportKind* kind = FindKind(kind_name);
  if (kind == nullptr) {
    std::string valid;
    for (const auto& k : ImportKinds())
      valid += (valid.empty() ? "" : ", ") + std::string(k.name);
    return Status::InvalidArgument("kind",
                                   "unknown import kind \"" + kind_name + "\"; use " + valid);
  }
  ZZ_ASSIGN_OR_RETURN(CsvReader csv, CsvReader::Open(path));
  std::vector<std::string> header;
  if (!csv.Next(&header)) {
    if (!csv.status().ok()) return csv.status();
    return Status::InvalidArgument("file", "the file is empty; expected a header row");
  }
  ZZ_RETURN_IF_ERROR(CheckHeader(*kind, header));

  ImportReport report;
  report.kind = kind_name;
  report.encoding = csv.encoding();
  Status file_status;
  // One writer job: the whole file is one savepoint, rolled back unless every row passed (or
  // partial imports were asked for). A failed row writes nothing by itself: every Registry
  // operation checks first and writes with a single statement.
  const Status job_status = db.Write([&](store::Connection& conn) -> Status {
    std::vector<std::string> row;
    std::vector<std::int64_t> persons;
    std::int64_t written = 0;
    while (csv.Next(&row)) {
      ++report.rows;
      CsvFieldReader in(header, row);
      Status status = row.size() > header.size()
                          ? Status::InvalidArgument("", "row has " + std::to_string(row.size()) +
                                                            " fields, header has " +
                                                            std::to_string(header.size()))
                          : ImportRow(conn, registry, kind->name, in, persons);
      if (status.ok()) {
        ++written;
      } else {
        report.errors.push_back({csv.line(), status.field(), status.code(), status.message()});
      }
      if (options.progress && report.rows % 4096 == 0) {
        options.progress(csv.position(), csv.size(), report.rows);
      }
    }
    if (!csv.status().ok()) {
      file_status = csv.status();
      return file_status;
    }
    if (options.progress) options.progress(csv.size(), csv.size(), report.rows);
    report.rejected = static_cast<std::int64_t>(report.errors.size());
    if (report.rejected > 0 && !options.partial) {
      return Status::Rule("import_rejected", "", "rows were rejected; nothing written");
    }
    report.imported = written;
    if (options.audit == nullptr || written == 0) return Status::Ok();
    return options.audit->Append(
        conn, options.actor,
        security::AuditRecord{
            "import." + kind_name,
            "",
            persons,
            {{"rows", report.rows}, {"imported", written}, {"rejected", report.rejected}}});
  });
  if (!file_status.ok()) return file_status;
  report.committed = job_status.ok();
  if (!job_status.ok() && job_status.code() != "import_rejected") return job_status;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace zhizhi::registry

#include "alerts/post_ledger.h"

#include <algorithm>
#include <map>
#include <set>

#include "registry/code_lists.h"
#include "registry/registry.h"

namespace zhizhi::alerts {

namespace {

const char* const kPostAlertTypes =
    "('post_conflict','post_uncertified','post_vacant','certificate_expiring',"
    "'certificate_expired','key_person_absent')";

std::string Csv(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<std::vector<PostLedgerRow>> BuildPostLedger(store::Connection& conn,
                                                   const registry::Rulebook& rules,
                                                   const std::optional<std::string>& project,
                                                   const Date& today) {
  std::vector<PostLedgerRow> rows;
  auto projects = conn.Prepare(
      "SELECT code, name, status FROM projects WHERE ? IS NULL OR code = ? ORDER BY code");
  projects.Bind(1, project).Bind(2, project);
  std::vector<std::tuple<std::string, std::string, std::string>> list;
  while (projects.Step())
    list.emplace_back(projects.Text(0), projects.Text(1), projects.Text(2));
  ZZ_RETURN_IF_ERROR(projects.status());
  if (project && list.empty()) return Status::NotFound("no project " + *project);

  for (const auto& [code, name, status] : list) {
    // Problems by (person, type) and vacancies by (uscc, post), from the active alerts.
    std::map<std::int64_t, std::vector<std::string>> person_problems;
    std::set<std::pair<std::string, std::string>> vacant;
    auto a = conn.Prepare(std::string("SELECT type, person_id, message, detail FROM alerts "
                                      "WHERE project_code = ? AND status != 'resolved' AND "
                                      "type IN ") +
                          kPostAlertTypes + " ORDER BY id");
    a.Bind(1, code);
    while (a.Step()) {
      if (a.Text(0) == "post_vacant") {
        auto detail = nlohmann::json::parse(a.Text(3), nullptr, false);
        if (detail.is_object()) {
          vacant.emplace(detail.value("uscc", ""), detail.value("post", ""));
        }
      } else if (!a.IsNull(1)) {
        person_problems[a.Int(1)].push_back(a.Text(0) + ": " + a.Text(2));
      }
    }
    ZZ_RETURN_IF_ERROR(a.status());

    std::set<std::pair<std::string, std::string>> held;  // (uscc, post)
    auto m = conn.Prepare(
        "SELECT e.uscc, c.name, e.post, e.person_id, p.name, p.id_masked, e.entry_date "
        "FROM enrolments e JOIN persons p ON p.id = e.person_id JOIN corps c ON c.uscc = e.uscc "
        "WHERE e.project_code = ? AND e.exit_date IS NULL AND e.post IS NOT NULL "
        "ORDER BY e.uscc, e.post, e.person_id");
    m.Bind(1, code);
    while (m.Step()) {
      PostLedgerRow row;
      row.project_code = code;
      row.project_name = name;
      row.project_status = status;
      row.uscc = m.Text(0);
      row.corp_name = m.Text(1);
      row.post = m.Text(2);
      const auto* rule = rules.FindPost(row.post);
      row.post_name = rule ? std::string(rule->name) : row.post;
      row.key = rule && rule->key;
      row.person_id = m.Int(3);
      row.person_name = m.Text(4);
      row.id_masked = m.Text(5);
      row.entry_date = m.Text(6);
      held.emplace(row.uscc, row.post);

      auto c = conn.Prepare(
          "SELECT kind, type_code, number, valid_from, valid_to, revoked_at IS NOT NULL "
          "FROM certificates WHERE person_id = ? ORDER BY kind, type_code, valid_to");
      c.Bind(1, *row.person_id);
      while (c.Step()) {
        auto from = Date::Parse(c.Text(3), "valid_from");
        auto to = Date::Parse(c.Text(4), "valid_to");
        if (!from.ok() || !to.ok()) continue;
        if (!row.certificates.empty()) row.certificates += "; ";
        const auto type_name = registry::NameOf(registry::CertificateTypes(c.Text(0)), c.Text(1));
        row.certificates += std::string(type_name.empty() ? c.Text(1) : std::string(type_name)) +
                            " " + c.Text(2) + " " +
                            registry::CertificateStatus(*from, *to, c.Int(5) != 0, today) + " to " +
                            c.Text(4);
      }
      ZZ_RETURN_IF_ERROR(c.status());
      if (auto p = person_problems.find(*row.person_id); p != person_problems.end()) {
        for (const auto& text : p->second)
          row.problems += (row.problems.empty() ? "" : "; ") + text;
      }
      rows.push_back(std::move(row));
    }
    ZZ_RETURN_IF_ERROR(m.status());

    // Required posts nobody holds: one row each, so the ledger shows the gap.
    auto corps = conn.Prepare(
        "SELECT pc.uscc, c.name, pc.corp_type FROM project_corps pc JOIN corps c ON c.uscc = "
        "pc.uscc WHERE pc.project_code = ? ORDER BY pc.uscc");
    corps.Bind(1, code);
    while (corps.Step()) {
      for (const std::string& post : rules.RequiredPosts(corps.Text(2))) {
        if (held.count({corps.Text(0), post})) continue;
        PostLedgerRow row;
        row.project_code = code;
        row.project_name = name;
        row.project_status = status;
        row.uscc = corps.Text(0);
        row.corp_name = corps.Text(1);
        row.post = post;
        row.post_name = std::string(rules.FindPost(post)->name);
        row.key = rules.FindPost(post)->key;
        row.required = true;
        row.problems = vacant.count({row.uscc, post}) ? "post_vacant: 关键岗位空缺" : "vacant";
        rows.push_back(std::move(row));
      }
    }
    ZZ_RETURN_IF_ERROR(corps.status());
  }
  std::stable_sort(rows.begin(), rows.end(), [](const PostLedgerRow& a, const PostLedgerRow& b) {
    if (a.project_code != b.project_code) return a.project_code < b.project_code;
    return a.key > b.key;
  });
  return rows;
}

void WritePostLedgerText(std::ostream& out, const std::vector<PostLedgerRow>& rows) {
  std::string current;
  for (const PostLedgerRow& r : rows) {
    if (r.project_code != current) {
      current = r.project_code;
      out << "\n== " << r.project_code << " " << r.project_name << " (" << r.project_status
          << ")\n";
    }
    out << (r.key ? "  * " : "    ") << r.post_name << " [" << r.corp_name << "]: ";
    if (r.person_id) {
      out << r.person_name << " " << r.id_masked << " since " << r.entry_date;
    } else {
      out << "(vacant)";
    }
    out << "\n";
    if (!r.certificates.empty()) out << "        certificates: " << r.certificates << "\n";
    if (!r.problems.empty()) out << "        PROBLEMS: " << r.problems << "\n";
  }
}

void WritePostLedgerCsv(std::ostream& out, const std::vector<PostLedgerRow>& rows) {
  out << "\xEF\xBB\xBF";
  out << "project_code,project_name,project_status,uscc,corp_name,post,post_name,key_post,"
         "person_id,person_name,id_number,entry_date,certificates,problems\r\n";
  for (const PostLedgerRow& r : rows) {
    out << Csv(r.project_code) << ',' << Csv(r.project_name) << ',' << r.project_status << ','
        << r.uscc << ',' << Csv(r.corp_name) << ',' << r.post << ',' << Csv(r.post_name) << ','
        << (r.key ? "yes" : "no") << ',' << (r.person_id ? std::to_string(*r.person_id) : "") << ','
        << Csv(r.person_name) << ',' << r.id_masked << ',' << r.entry_date << ','
        << Csv(r.certificates) << ',' << Csv(r.problems) << "\r\n";
  }
}

}  // namespace zhizhi::alerts

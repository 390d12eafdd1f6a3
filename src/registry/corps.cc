// Registry: corps (employers, by USCC) — registration, the corp view and the corp list.
#include "registry/registry.h"

#include "registry/code_lists.h"
#include "registry/registry_internal.h"

namespace zhizhi::registry {

using nlohmann::json;

Status Registry::CreateCorp(store::Connection& conn, const CorpDraft& d) {
  auto stmt = conn.Prepare(
      "INSERT INTO corps(uscc, name, legal_person, address, created_at) VALUES (?,?,?,?,?) "
      "ON CONFLICT(uscc) DO NOTHING");
  stmt.Bind(1, d.uscc)
      .Bind(2, d.name)
      .Bind(3, d.legal_person)
      .Bind(4, d.address)
      .Bind(5, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    return Status::AlreadyExists("uscc", "a corp with USCC " + d.uscc + " already exists")
        .With("uscc", d.uscc);
  }
  return Status::Ok();
}

Result<json> Registry::GetCorp(store::Connection& conn, const std::string& uscc,
                               const security::Principal* scope) const {
  auto stmt = conn.Prepare(
      "SELECT uscc, name, legal_person, address, created_at FROM corps WHERE uscc = ?");
  stmt.Bind(1, uscc);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no corp " + uscc);
  }
  json corp = {{"uscc", stmt.Text(0)},
               {"name", stmt.Text(1)},
               {"legal_person", OptJson(stmt.OptText(2))},
               {"address", OptJson(stmt.OptText(3))},
               {"created_at", FormatRfc3339(stmt.Int(4))}};
  auto projects = conn.Prepare(
      "SELECT pc.project_code, p.name, pc.corp_type FROM project_corps pc "
      "JOIN projects p ON p.code = pc.project_code WHERE pc.uscc = ? ORDER BY pc.project_code");
  projects.Bind(1, uscc);
  json list = json::array();
  while (projects.Step()) {
    if (Limited(scope) && !scope->MaySeeProject(projects.Text(0))) continue;
    list.push_back({{"code", projects.Text(0)},
                    {"name", projects.Text(1)},
                    {"corp_type", projects.Text(2)},
                    {"corp_type_name", NameOf(CorpTypes(), projects.Text(2))}});
  }
  ZZ_RETURN_IF_ERROR(StepError(projects));
  corp["projects"] = std::move(list);
  return corp;
}

Result<json> Registry::ListCorps(store::Connection& conn, const Page& page) const {
  auto stmt = conn.Prepare(
      "SELECT uscc, name, legal_person, address, created_at FROM corps WHERE uscc > ? "
      "ORDER BY uscc LIMIT ?");
  stmt.Bind(1, page.after).Bind(2, page.limit);
  json items = json::array();
  std::string last;
  while (stmt.Step()) {
    last = stmt.Text(0);
    items.push_back({{"uscc", last},
                     {"name", stmt.Text(1)},
                     {"legal_person", OptJson(stmt.OptText(2))},
                     {"address", OptJson(stmt.OptText(3))},
                     {"created_at", FormatRfc3339(stmt.Int(4))}});
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return ListPage(std::move(items), page, last);
}

}  // namespace zhizhi::registry

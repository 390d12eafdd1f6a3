// Registry: the one-click project view — corps, teams, key posts with certificates, head-counts.
#include "registry/registry.h"

#include <map>

#include "registry/code_lists.h"
#include "registry/registry_internal.h"

namespace zhizhi::registry {

using nlohmann::json;

Result<json> Registry::GetProjectView(store::Connection& conn, const std::string& code,
                                      bool full_ids) const {
  ZZ_ASSIGN_OR_RETURN(json view, GetProject(conn, code));
  const Date today = TodayInChina();

  auto corps = conn.Prepare(
      "SELECT pc.uscc, c.name, pc.corp_type FROM project_corps pc JOIN corps c ON c.uscc = pc.uscc "
      "WHERE pc.project_code = ? ORDER BY pc.corp_type, pc.uscc");
  corps.Bind(1, code);
  json corp_list = json::array();
  while (corps.Step()) {
    corp_list.push_back({{"uscc", corps.Text(0)},
                         {"name", corps.Text(1)},
                         {"corp_type", corps.Text(2)},
                         {"corp_type_name", NameOf(CorpTypes(), corps.Text(2))}});
  }
  ZZ_RETURN_IF_ERROR(StepError(corps));
  view["corps"] = std::move(corp_list);

  ZZ_ASSIGN_OR_RETURN(json teams, ListTeams(conn, code));
  view["teams"] = std::move(teams["items"]);

  // Managers by post, each with their certificates and whether the post's rule is met.
  auto managers = conn.Prepare(
      "SELECT e.post, e.person_id, p.name, p.id_masked, p.id_cipher, e.entry_date, e.uscc "
      "FROM enrolments e JOIN persons p ON p.id = e.person_id "
      "WHERE e.project_code = ? AND e.work_role = '10' AND e.exit_date IS NULL "
      "ORDER BY e.post, e.id");
  managers.Bind(1, code);
  std::map<std::string, json> by_post;
  while (managers.Step()) {
    const std::string post = managers.Text(0);
    const std::int64_t person_id = managers.Int(1);
    ZZ_ASSIGN_OR_RETURN(json certificates, CertificatesOf(conn, person_id, today));
    by_post[post].push_back(
        {{"person_id", person_id},
         {"name", managers.Text(2)},
         {"id_number", ShownIdNumber(managers.Blob(4), managers.Text(3), full_ids)},
         {"entry_date", managers.Text(5)},
         {"uscc", managers.Text(6)},
         {"certificates", std::move(certificates)}});
  }
  ZZ_RETURN_IF_ERROR(StepError(managers));
  json posts = json::array();
  for (const PostRule& rule : PostRules()) {
    auto it = by_post.find(std::string(rule.code));
    if (it == by_post.end() && !rule.key) continue;
    json holders = it == by_post.end() ? json::array() : std::move(it->second);
    json required = json::array();
    for (const auto& any_of : rule.required) {
      json group = json::array();
      for (const auto& [kind, type] : any_of) {
        group.push_back({{"kind", kind},
                         {"type_code", type},
                         {"type_name", NameOf(CertificateTypes(kind), type)}});
      }
      required.push_back(std::move(group));
    }
    posts.push_back({{"post", rule.code},
                     {"post_name", rule.name},
                     {"key", rule.key},
                     {"required_certificates", std::move(required)},
                     {"holders", std::move(holders)}});
  }
  view["posts"] = std::move(posts);

  auto counts = conn.Prepare(
      "SELECT work_type, work_role, SUM(exit_date IS NULL), SUM(exit_date IS NOT NULL) "
      "FROM enrolments WHERE project_code = ? GROUP BY work_type, work_role ORDER BY work_type");
  counts.Bind(1, code);
  json by_work_type = json::array();
  std::int64_t active_workers = 0, active_managers = 0, exited = 0;
  while (counts.Step()) {
    const std::int64_t active = counts.Int(2);
    exited += counts.Int(3);
    if (counts.Text(1) == kManagerRole) {
      active_managers += active;
      continue;
    }
    active_workers += active;
    if (active > 0) {
      by_work_type.push_back({{"work_type", counts.Text(0)},
                              {"work_type_name", NameOf(WorkTypes(), counts.Text(0))},
                              {"count", active}});
    }
  }
  ZZ_RETURN_IF_ERROR(StepError(counts));
  view["enrolled"] = {{"managers", active_managers},
                      {"workers", active_workers},
                      {"exited", exited},
                      {"by_work_type", std::move(by_work_type)}};
  for (const auto& extend : view_extenders_)
    extend(code, view);
  return view;
}

}  // namespace zhizhi::registry

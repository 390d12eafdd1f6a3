// Registry: teams (班组) of a project — creation, look-up by name, a team, a project's teams.
#include "registry/registry.h"

#include "registry/registry_internal.h"

namespace zhizhi::registry {

using nlohmann::json;

namespace {

constexpr const char* kTeamSelect =
    "SELECT t.id, t.project_code, t.name, t.uscc, c.name, t.leader_person_id, p.name, "
    "(SELECT COUNT(*) FROM enrolments e WHERE e.team_id = t.id AND e.exit_date IS NULL), "
    "t.created_at FROM teams t LEFT JOIN corps c ON c.uscc = t.uscc "
    "LEFT JOIN persons p ON p.id = t.leader_person_id";

json TeamJson(const store::Statement& s) {
  return {{"id", s.Int(0)},
          {"project_code", s.Text(1)},
          {"name", s.Text(2)},
          {"uscc", s.Text(3)},
          {"corp_name", OptJson(s.OptText(4))},
          {"leader_person_id", OptJson(s.OptInt(5))},
          {"leader_name", OptJson(s.OptText(6))},
          {"member_count", s.Int(7)},
          {"created_at", FormatRfc3339(s.Int(8))}};
}

}  // namespace

Result<std::int64_t> Registry::CreateTeam(store::Connection& conn, const std::string& project,
                                          const TeamDraft& d) {
  ZZ_RETURN_IF_ERROR(ProjectMustExist(conn, project));
  ZZ_RETURN_IF_ERROR(CorpMustBeOnProject(conn, project, d.uscc));
  if (d.leader_person_id) {
    ZZ_ASSIGN_OR_RETURN(const bool leader_known,
                        RowExists(conn, "SELECT 1 FROM persons WHERE id = ?", *d.leader_person_id));
    if (!leader_known) {
      return Status::Rule("person_not_found", "leader_person_id",
                          "no person " + std::to_string(*d.leader_person_id));
    }
  }
  auto stmt = conn.Prepare(
      "INSERT INTO teams(project_code, name, uscc, leader_person_id, created_at) "
      "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING");
  stmt.Bind(1, project).Bind(2, d.name).Bind(3, d.uscc).Bind(4, d.leader_person_id);
  stmt.Bind(5, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    ZZ_ASSIGN_OR_RETURN(auto existing, FindTeamId(conn, project, d.name));
    Status status = Status::AlreadyExists(
        "name", "project " + project + " already has a team \"" + d.name + "\"");
    if (existing) status.With("id", *existing);
    return status;
  }
  return conn.LastInsertRowId();
}

Result<std::optional<std::int64_t>> Registry::FindTeamId(store::Connection& conn,
                                                         const std::string& project,
                                                         const std::string& name) const {
  auto stmt = conn.Prepare("SELECT id FROM teams WHERE project_code = ? AND name = ?");
  stmt.Bind(1, project).Bind(2, name);
  if (stmt.Step()) return std::optional<std::int64_t>(stmt.Int(0));
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return std::optional<std::int64_t>();
}

Result<json> Registry::ListTeams(store::Connection& conn, const std::string& project) const {
  ZZ_RETURN_IF_ERROR(ProjectMustExist(conn, project));
  static const std::string sql =
      std::string(kTeamSelect) + " WHERE t.project_code = ? ORDER BY t.id";
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, project);
  json items = json::array();
  while (stmt.Step())
    items.push_back(TeamJson(stmt));
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return json{{"items", std::move(items)}, {"next_cursor", nullptr}};
}

Result<json> Registry::GetTeam(store::Connection& conn, std::int64_t id) const {
  static const std::string sql = std::string(kTeamSelect) + " WHERE t.id = ?";
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no team " + std::to_string(id));
  }
  return TeamJson(stmt);
}

}  // namespace zhizhi::registry

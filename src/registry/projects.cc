// Registry: projects and the corps taking part in them — creation, a project, the project list.
#include "registry/registry.h"

#include <map>
#include <set>

#include "registry/registry_internal.h"

namespace zhizhi::registry {

using nlohmann::json;

namespace {

json ProjectJson(const store::Statement& s) {
  json lat = s.IsNull(4) ? json() : json(s.Double(4));
  json lng = s.IsNull(5) ? json() : json(s.Double(5));
  return {{"code", s.Text(0)},
          {"name", s.Text(1)},
          {"region_code", s.Text(2)},
          {"address", OptJson(s.OptText(3))},
          {"lat", lat},
          {"lng", lng},
          {"permit_no", OptJson(s.OptText(6))},
          {"status", s.Text(7)},
          {"start_date", OptJson(s.OptText(8))},
          {"end_date", OptJson(s.OptText(9))},
          {"created_at", FormatRfc3339(s.Int(10))},
          {"suspended_on", OptJson(s.OptText(11))},
          {"completed_on", OptJson(s.OptText(12))}};
}

constexpr const char* kProjectColumns =
    "code, name, region_code, address, lat, lng, permit_no, status, start_date, end_date, "
    "created_at, suspended_on, completed_on";

// The moves a project's status may make (the contract's "allowed transitions only").
bool AllowedTransition(const std::string& from, const std::string& to) {
  static const std::set<std::pair<std::string, std::string>> kAllowed = {
      {"planned", "active"},   {"active", "suspended"},    {"suspended", "active"},
      {"active", "completed"}, {"suspended", "completed"},
  };
  return kAllowed.count({from, to}) > 0;
}

// A day of the change: not in the future, not before the project started.
Status CheckChangeDay(const char* field, const Date& day, const std::optional<Date>& start) {
  if (day > TodayInChina())
    return Status::Rule("date_in_future", field, std::string(field) + " is in the future");
  if (start && day < *start)
    return Status::Rule("date_before_start", field,
                        std::string(field) + " is before the project's start " + start->ToString());
  return Status::Ok();
}

}  // namespace

Status Registry::CreateProject(store::Connection& conn, const ProjectDraft& d) {
  auto stmt = conn.Prepare(
      "INSERT INTO projects(code, name, region_code, address, lat, lng, permit_no, status, "
      "start_date, end_date, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(code) DO NOTHING");
  stmt.Bind(1, d.code).Bind(2, d.name).Bind(3, d.region_code).Bind(4, d.address);
  stmt.Bind(5, d.lat).Bind(6, d.lng).Bind(7, d.permit_no).Bind(8, d.status);
  stmt.Bind(9, d.start_date ? std::optional(d.start_date->ToString()) : std::nullopt);
  stmt.Bind(10, d.end_date ? std::optional(d.end_date->ToString()) : std::nullopt);
  stmt.Bind(11, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    // Not "code": that key of the error object is the error code.
    return Status::AlreadyExists("code", "a project with code " + d.code + " already exists")
        .With("project_code", d.code);
  }
  return ProjectChanged(conn, d.code);
}

Result<json> Registry::UpdateProject(store::Connection& conn, const std::string& code,
                                     const ProjectPatch& p) {
  auto row = conn.Prepare(
      "SELECT status, start_date, end_date, suspended_on, completed_on FROM projects WHERE code = "
      "?");
  row.Bind(1, code);
  if (!row.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(row));
    return Status::NotFound("no project " + code);
  }
  const std::string from = row.Text(0);
  std::optional<Date> start, end = p.end_date;
  if (auto text = row.OptText(1)) {
    ZZ_ASSIGN_OR_RETURN(start, Date::Parse(*text, "start_date"));
  }
  std::optional<std::string> suspended_on = row.OptText(3), completed_on = row.OptText(4);
  const std::string to = p.status.value_or(from);
  if (to != from && !AllowedTransition(from, to)) {
    return Status::Conflict("invalid_transition", "status",
                            "a project that is " + from + " cannot become " + to +
                                " (planned → active ⇄ suspended → completed)");
  }
  // The day of the change goes with its status: given with it, or correcting it while in it.
  if (p.suspended_on && to != "suspended")
    return Status::InvalidArgument("suspended_on", "suspended_on goes with status suspended");
  if (p.completed_on && to != "completed")
    return Status::InvalidArgument("completed_on", "completed_on goes with status completed");
  if (to == "suspended" && from != "suspended" && !p.suspended_on)
    return Status::InvalidArgument("suspended_on", "the day the project stopped is needed");
  if (to == "completed" && from != "completed" && !p.completed_on)
    return Status::InvalidArgument("completed_on",
                                   "the day of the completion acceptance is needed");
  if (p.suspended_on) {
    ZZ_RETURN_IF_ERROR(CheckChangeDay("suspended_on", *p.suspended_on, start));
    suspended_on = p.suspended_on->ToString();
  }
  if (p.completed_on) {
    ZZ_RETURN_IF_ERROR(CheckChangeDay("completed_on", *p.completed_on, start));
    completed_on = p.completed_on->ToString();
  }
  if (to != "suspended") suspended_on.reset();  // resumed, or completed: it no longer stands
  if (end && start && *end < *start)
    return Status::InvalidArgument("end_date", "end_date is before start_date");
  auto update = conn.Prepare(
      "UPDATE projects SET name = COALESCE(?, name), status = ?, end_date = COALESCE(?, end_date), "
      "suspended_on = ?, completed_on = ? WHERE code = ?");
  update.Bind(1, p.name).Bind(2, to);
  update.Bind(3, end ? std::optional(end->ToString()) : std::nullopt);
  update.Bind(4, suspended_on).Bind(5, completed_on).Bind(6, code);
  ZZ_RETURN_IF_ERROR(update.Run());
  ZZ_RETURN_IF_ERROR(ProjectChanged(conn, code));
  return json{{"from", from}, {"to", to}};
}

Status Registry::AddProjectCorp(store::Connection& conn, const std::string& project,
                                const ProjectCorpDraft& d) {
  ZZ_RETURN_IF_ERROR(ProjectMustExist(conn, project));
  ZZ_ASSIGN_OR_RETURN(const bool corp_known,
                      RowExists(conn, "SELECT 1 FROM corps WHERE uscc = ?", d.uscc));
  if (!corp_known) {
    return Status::Rule("corp_not_registered", "uscc",
                        "corp " + d.uscc + " is not registered; POST /api/v1/corps first");
  }
  auto stmt = conn.Prepare(
      "INSERT INTO project_corps(project_code, uscc, corp_type, created_at) VALUES (?,?,?,?) "
      "ON CONFLICT DO NOTHING");
  stmt.Bind(1, project).Bind(2, d.uscc).Bind(3, d.corp_type).Bind(4, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    return Status::AlreadyExists("uscc", "corp " + d.uscc + " already takes part in " + project);
  }
  return ProjectChanged(conn, project);
}

Result<json> Registry::GetProject(store::Connection& conn, const std::string& code) const {
  static const std::string sql =
      std::string("SELECT ") + kProjectColumns + " FROM projects WHERE code = ?";
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, code);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no project " + code);
  }
  return ProjectJson(stmt);
}

Result<json> Registry::ListProjects(store::Connection& conn, const Page& page,
                                    const std::optional<std::string>& status,
                                    const security::Principal* scope) const {
  static const std::string sql =
      std::string("SELECT ") + kProjectColumns +
      " FROM projects WHERE code > ? AND (?2 IS NULL OR status = ?2) AND (?4 = 0 OR code IN "
      "(SELECT value FROM json_each(?5))) ORDER BY code LIMIT ?3";
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, page.after).Bind(2, status).Bind(3, page.limit);
  stmt.Bind(4, Limited(scope) ? 1 : 0).Bind(5, ScopeProjects(scope));
  json items = json::array();
  std::string last;
  while (stmt.Step()) {
    items.push_back(ProjectJson(stmt));
    last = stmt.Text(0);
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  // Counts of open enrolments per listed project, in one query.
  if (!items.empty()) {
    auto counts = conn.Prepare(
        "SELECT project_code, SUM(work_role = '10'), SUM(work_role = '20') FROM enrolments "
        "WHERE exit_date IS NULL AND project_code > ? AND project_code <= ? GROUP BY project_code");
    counts.Bind(1, page.after).Bind(2, last);
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_project;
    while (counts.Step())
      by_project[counts.Text(0)] = {counts.Int(1), counts.Int(2)};
    ZZ_RETURN_IF_ERROR(StepError(counts));
    for (json& item : items) {
      auto it = by_project.find(item["code"].get<std::string>());
      item["managers"] = it == by_project.end() ? 0 : it->second.first;
      item["workers"] = it == by_project.end() ? 0 : it->second.second;
    }
  }
  return ListPage(std::move(items), page, last);
}

}  // namespace zhizhi::registry

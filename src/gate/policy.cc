// The gate's policies per project and the district blacklist.
#include "base/civil_time.h"
#include "gate/gate.h"

namespace zhizhi::gate {

using nlohmann::json;

Result<json> Gate::GetPolicy(const std::string& project) const {
  {
    auto lock = state_.ReadLock();
    if (const ProjectFact* p = state_.project(project)) {
      json out = p->policy.ToJson();
      out["project_code"] = project;
      return out;
    }
  }
  // A project without gate state yet has the default policy, if it exists at all.
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT 1 FROM projects WHERE code = ?");
    s.Bind(1, project);
    if (s.Step()) return Status::Ok();
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no project " + project);
  }));
  json out = GatePolicy().ToJson();
  out["project_code"] = project;
  return out;
}

Result<json> Gate::SetPolicy(const std::string& project, const GatePolicy& policy,
                             const AlsoWrite& also) {
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT name, status FROM projects WHERE code = ?");
    s.Bind(1, project);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no project " + project);
    }
    const std::string name = s.Text(0), project_status = s.Text(1);
    ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO gate_policies(project_code, policy, updated_at) "
                                    "VALUES (?,?,?) ON CONFLICT(project_code) DO UPDATE SET "
                                    "policy = excluded.policy, updated_at = excluded.updated_at")
                           .Bind(1, project)
                           .Bind(2, policy.ToJson().dump())
                           .Bind(3, NowUnixMs())
                           .Run());
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    state_.EnsureProject(conn, project, name, project_status);
    state_.SetPolicy(conn, project, policy);
    std::vector<std::int64_t> persons;
    for (const auto& [person, e] : state_.project(project)->enrolments)
      persons.push_back(person);
    return RecomputeStandings(conn, project, persons, "policy");
  });
  if (!status.ok()) return status;
  return GetPolicy(project);
}

Result<json> Gate::Blacklist(std::int64_t person_id, const std::string& reason,
                             const std::string& by, const AlsoWrite& also) {
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT 1 FROM persons WHERE id = ?");
    s.Bind(1, person_id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no person " + std::to_string(person_id));
    }
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO blacklist(person_id, reason, created_at, created_by) "
                     "VALUES (?,?,?,?) ON CONFLICT(person_id) DO UPDATE SET "
                     "reason = excluded.reason")
            .Bind(1, person_id)
            .Bind(2, reason)
            .Bind(3, NowUnixMs())
            .Bind(4, by)
            .Run());
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    return ReloadPerson(conn, person_id);
  });
  if (!status.ok()) return status;
  return json{{"person_id", person_id}, {"blacklisted", true}, {"reason", reason}};
}

Result<json> Gate::Unblacklist(std::int64_t person_id, const AlsoWrite& also) {
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM blacklist WHERE person_id = ?").Bind(1, person_id).Run());
    if (conn.Changes() == 0) {
      return Status::NotFound("person " + std::to_string(person_id) + " is not blacklisted");
    }
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    return ReloadPerson(conn, person_id);
  });
  if (!status.ok()) return status;
  return json{{"person_id", person_id}, {"blacklisted", false}};
}

}  // namespace zhizhi::gate

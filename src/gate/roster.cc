// Who may pass: each person's standing on each project (recomputed when a person, a policy or
// the day changes, and published as roster_changes), and the rosters terminals pull.
#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "base/civil_time.h"
#include "gate/gate.h"
#include "gate/gate_internal.h"

namespace zhizhi::gate {

using nlohmann::json;

namespace {

std::string StandingReason(const PassFacts& standing, const GatePolicy& policy) {
  PassFacts f = standing;
  f.inside = false;
  const GateDecision d = Decide(f, policy);
  return d.allow ? "granted" : d.reasons.front();
}

Result<std::int64_t> InsertRosterChange(store::Connection& conn, const std::string& project,
                                        std::int64_t person, bool allowed,
                                        const std::string& reason) {
  ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO roster_changes(project_code, person_id, allowed, "
                                  "reason, created_at) VALUES (?,?,?,?,?)")
                         .Bind(1, project)
                         .Bind(2, person)
                         .Bind(3, allowed ? 1 : 0)
                         .Bind(4, reason)
                         .Bind(5, NowUnixMs())
                         .Run());
  return conn.LastInsertRowId();
}

}  // namespace

Status Gate::RecomputeStandings(store::Connection& conn, const std::string& code,
                                const std::vector<std::int64_t>& persons, const char* why) {
  const ProjectFact* project = state_.project(code);
  if (project == nullptr) return Status::Ok();
  int changes = 0;
  for (std::int64_t person : persons) {
    const PassFacts standing = state_.Standing(*project, person);
    const bool allowed = MayPass(standing, project->policy);
    auto known = project->roster.find(person);
    const bool was = known != project->roster.end() && known->second;
    if (allowed == was && known != project->roster.end()) continue;
    if (!allowed && known == project->roster.end()) continue;  // never listed, nothing to revoke
    ZZ_ASSIGN_OR_RETURN(
        std::int64_t version,
        InsertRosterChange(conn, code, person, allowed, StandingReason(standing, project->policy)));
    state_.SetStanding(conn, code, person, allowed, version);
    ++changes;
  }
  if (changes > 0) {
    spdlog::debug("event=roster_changes project={} changes={} why={}", code, changes, why);
  }
  return Status::Ok();
}

Status Gate::RecomputeAllStandings(store::Connection& conn, const char* why) {
  // The codes first: recomputing changes the projects' rosters, not the set of projects.
  std::vector<std::string> codes;
  for (const auto& [code, project] : state_.data().projects)
    codes.push_back(code);
  for (const std::string& code : codes) {
    std::vector<std::int64_t> persons;
    for (const auto& [person, e] : state_.project(code)->enrolments)
      persons.push_back(person);
    ZZ_RETURN_IF_ERROR(RecomputeStandings(conn, code, persons, why));
  }
  return Status::Ok();
}

Status Gate::OnPersonChanged(store::Connection& conn, std::int64_t person_id) {
  return ReloadPerson(conn, person_id);
}

Status Gate::OnProjectChanged(store::Connection& conn, const std::string& project) {
  auto s = conn.Prepare("SELECT name, status FROM projects WHERE code = ?");
  s.Bind(1, project);
  if (!s.Step()) return s.status();
  if (!state_.UpdateProject(conn, project, s.Text(0), s.Text(1))) return Status::Ok();
  // A completed site closes (a policy may only warn): every enrolled person's standing again.
  std::vector<std::int64_t> persons;
  for (const auto& [person, e] : state_.project(project)->enrolments)
    persons.push_back(person);
  return RecomputeStandings(conn, project, persons, "project_status");
}

Status Gate::ReloadPerson(store::Connection& conn, std::int64_t person_id) {
  ZZ_ASSIGN_OR_RETURN(std::optional<PersonRecord> record, GateState::ReadPerson(conn, person_id));
  // The gate holds the persons enrolled somewhere (as a fresh load does); enrolments are never
  // deleted, so a person once held stays held.
  if (!record || (record->enrolments.empty() && state_.person(person_id) == nullptr)) {
    return Status::Ok();
  }
  const PersonFact* old = state_.person(person_id);
  const bool face_changed = old != nullptr ? old->face_version != record->person.face_version
                                           : record->person.face_version != 0;
  state_.SetPerson(conn, person_id, std::move(record->person));
  for (auto& [code, e] : record->enrolments) {
    const auto& [name, status] = record->projects[code];
    state_.EnsureProject(conn, code, name, status);
    state_.SetEnrolment(conn, code, person_id, std::move(e));
  }
  for (const auto& [code, e] : record->enrolments) {
    ZZ_RETURN_IF_ERROR(RecomputeStandings(conn, code, {person_id}, "person_changed"));
    // New face templates of someone who may pass: listed again, so terminals pulling changes
    // see the new face_version.
    const auto& roster = state_.project(code)->roster;
    if (auto r = roster.find(person_id); face_changed && r != roster.end() && r->second) {
      ZZ_ASSIGN_OR_RETURN(std::int64_t version,
                          InsertRosterChange(conn, code, person_id, true, "face_changed"));
      state_.RaiseRosterVersion(conn, version);
    }
  }
  return Status::Ok();
}

Result<json> Gate::Roster(const security::Principal& device, std::int64_t since) const {
  std::string project;
  {
    auto lock = state_.ReadLock();
    const DeviceFact* d = state_.device(device.device_id);
    if (d == nullptr) return Status::Unauthenticated("unknown device");
    project = d->project;
  }
  // Changes since `since`, read from the log; a full roster when since is 0.
  std::map<std::int64_t, std::pair<bool, std::string>> changed;
  std::int64_t version = 0;
  if (since > 0) {
    auto read = db_->Read([&](store::Connection& conn) -> Status {
      auto s = conn.Prepare(
          "SELECT person_id, allowed, reason, version FROM roster_changes WHERE project_code = ? "
          "AND version > ? ORDER BY version");
      s.Bind(1, project).Bind(2, since);
      while (s.Step()) {
        changed[s.Int(0)] = {s.Int(1) != 0, s.Text(2)};
        version = std::max(version, s.Int(3));
      }
      ZZ_RETURN_IF_ERROR(s.status());
      // The newest committed version, from the same snapshot. Not the in-memory version: memory
      // runs ahead of the snapshot while a group commits, and a device that got that version
      // would never see the changes of the group.
      ZZ_ASSIGN_OR_RETURN(
          std::int64_t committed,
          store::QueryInt(conn, "SELECT IFNULL(MAX(version), 0) FROM roster_changes"));
      version = std::max(version, committed);
      return Status::Ok();
    });
    ZZ_RETURN_IF_ERROR(read);
  }
  auto lock = state_.ReadLock();
  const GateData& st = state_.data();
  version = since > 0 ? std::max(version, since) : std::max(version, st.roster_version);
  const ProjectFact* p = state_.project(project);
  json allowed = json::array();
  json revoked = json::array();
  auto entry = [&](std::int64_t person) {
    json item = {{"person_id", person}};
    const PersonFact* fact = state_.person(person);
    if (fact != nullptr) {
      item["name"] = fact->name;
      item["id_number"] = fact->masked_id;
    }
    if (p != nullptr) {
      if (auto e = p->enrolments.find(person); e != p->enrolments.end()) {
        item["card_no"] = e->second.card_no ? json(*e->second.card_no) : json();
        item["work_type"] = e->second.work_type;
        item["team"] = e->second.team_name;
      }
    }
    if (fact != nullptr) item["face_version"] = fact->face_version;
    return item;
  };
  if (since <= 0) {
    if (p != nullptr) {
      for (const auto& [person, ok] : p->roster) {
        if (ok) allowed.push_back(entry(person));
      }
    }
  } else {
    for (const auto& [person, change] : changed) {
      if (change.first) {
        allowed.push_back(entry(person));
      } else {
        revoked.push_back({{"person_id", person}, {"reason", change.second}});
      }
    }
  }
  return json{{"project_code", project},
              {"version", version},
              {"full", since <= 0},
              {"allowed", std::move(allowed)},
              {"revoked", std::move(revoked)}};
}

GateDecision Gate::CheckOperator(const std::string& project, std::int64_t person_id,
                                 std::optional<double> score, std::optional<bool> liveness,
                                 const Requirements& required) const {
  auto lock = state_.ReadLock();
  const ProjectFact* p = state_.project(project);
  if (p == nullptr) return GateDecision{false, {std::string(reason::kDeviceUnknown)}, {}};
  PassFacts f = state_.person(person_id) != nullptr ? state_.Standing(*p, person_id) : PassFacts{};
  if (f.identified) {
    const PersonFact* person = state_.person(person_id);
    f.certificates = CheckRequirements(required, person->certificates, state_.data().today);
  }
  f.score = score;
  f.liveness = liveness;
  f.entering = true;
  GatePolicy policy = p->policy;
  for (std::string_view check :
       {reason::kCertificateMissing, reason::kCertificateExpired, reason::kTrainingMissing,
        reason::kBlacklisted, reason::kFaceMismatch, reason::kLivenessFailed})
    policy.modes[std::string(check)] = CheckMode::kDeny;
  return Decide(f, policy);
}

}  // namespace zhizhi::gate

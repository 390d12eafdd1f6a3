// The gate's readers: who is on site (head-count and muster list, per project and for the
// district), enrolled counts, a day's attendance, and a person's trajectory.
#include <algorithm>
#include <cmath>
#include <map>

#include "base/civil_time.h"
#include "gate/attendance.h"
#include "gate/gate.h"
#include "gate/gate_internal.h"
#include "registry/code_lists.h"

namespace zhizhi::gate {

using nlohmann::json;
using namespace internal;

Result<json> Gate::Onsite(const std::string& project, bool with_persons) const {
  // Copy compact rows under the shared lock and build the answer after releasing it, so that a
  // muster list of thousands never holds up the passes that need the lock exclusively.
  struct Row {
    std::int64_t person;
    std::int64_t since_ms;
    std::int64_t device;
    std::string name, masked, work_type, team, zone;
    std::optional<std::string> post;
  };
  std::vector<Row> rows;
  std::int64_t count = 0;
  std::map<std::string, std::int64_t> by_team, by_work_type;
  {
    auto lock = state_.ReadLock();
    const ProjectFact* found = state_.project(project);
    if (found == nullptr) return Status::NotFound("no project " + project);
    const ProjectFact& p = *found;
    count = p.inside_count;
    if (with_persons) rows.reserve(static_cast<size_t>(count));
    for (const auto& [person, o] : p.onsite) {
      if (!o.inside) continue;
      auto e = p.enrolments.find(person);
      const EnrolmentFact* enrolment = e == p.enrolments.end() ? nullptr : &e->second;
      if (enrolment) {
        ++by_team[enrolment->team_name];
        ++by_work_type[enrolment->work_type];
      }
      if (!with_persons) continue;
      Row row;
      row.person = person;
      row.since_ms = o.since_ms;
      row.device = o.device_id;
      if (const PersonFact* n = state_.person(person)) {
        row.name = n->name;
        row.masked = n->masked_id;
      }
      if (enrolment) {
        row.work_type = enrolment->work_type;
        row.team = enrolment->team_name;
        row.post = enrolment->post;
      }
      if (const DeviceFact* d = state_.device(o.device_id)) row.zone = d->zone;
      rows.push_back(std::move(row));
    }
  }
  json teams = json::array();
  for (const auto& [team, n] : by_team) {
    teams.push_back({{"team", team.empty() ? json() : json(team)}, {"count", n}});
  }
  json types = json::array();
  for (const auto& [type, n] : by_work_type) {
    types.push_back({{"work_type", type},
                     {"work_type_name", registry::NameOf(registry::WorkTypes(), type)},
                     {"count", n}});
  }
  json out = {{"project_code", project},
              {"count", count},
              {"by_team", std::move(teams)},
              {"by_work_type", std::move(types)}};
  if (!with_persons) return out;
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.person < b.person; });
  // The muster list shows masked IDs to everyone: it is printed and posted at the gate.
  json persons = json::array();
  for (Row& r : rows) {
    persons.push_back({{"person_id", r.person},
                       {"name", std::move(r.name)},
                       {"id_number", std::move(r.masked)},
                       {"work_type", r.work_type},
                       {"work_type_name", registry::NameOf(registry::WorkTypes(), r.work_type)},
                       {"team", r.team.empty() ? json() : json(std::move(r.team))},
                       {"post", r.post ? json(std::move(*r.post)) : json()},
                       {"since", FormatRfc3339(r.since_ms)},
                       {"device_id", r.device},
                       {"zone", r.zone.empty() ? json() : json(std::move(r.zone))}});
  }
  out["persons"] = std::move(persons);
  return out;
}

json Gate::DistrictOnsite(const std::vector<std::string>* scope) const {
  auto lock = state_.ReadLock();
  json projects = json::array();
  std::int64_t total = 0;
  std::vector<std::pair<std::string, const ProjectFact*>> sorted;
  for (const auto& [code, p] : state_.data().projects) {
    if (scope && std::find(scope->begin(), scope->end(), code) == scope->end()) continue;
    sorted.emplace_back(code, &p);
  }
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [code, p] : sorted) {
    total += p->inside_count;
    projects.push_back({{"project_code", code}, {"name", p->name}, {"count", p->inside_count}});
  }
  return {{"total", total}, {"projects", std::move(projects)}};
}

std::pair<std::int64_t, std::int64_t> Gate::EnrolledCounts(
    const std::vector<std::string>* scope) const {
  auto lock = state_.ReadLock();
  std::int64_t workers = 0, managers = 0;
  for (const auto& [code, p] : state_.data().projects) {
    if (scope && std::find(scope->begin(), scope->end(), code) == scope->end()) continue;
    for (const auto& [person, e] : p.enrolments) {
      if (e.exited) continue;
      (e.work_role == registry::kManagerRole ? managers : workers) += 1;
    }
  }
  return {workers, managers};
}

Result<json> Gate::Attendance(const std::string& project, const Date& date) const {
  struct Row {
    std::string name;
    std::string masked;
    std::vector<Pass> passes;
  };
  std::map<std::int64_t, Row> rows;
  auto read = db_->Read([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(const bool known,
                        store::RowExists(conn, "SELECT 1 FROM projects WHERE code = ?", project));
    if (!known) return Status::NotFound("no project " + project);
    auto s = conn.Prepare(
        "SELECT g.person_id, p.name, p.id_masked, g.time_ms, g.direction, g.flags "
        "FROM gate_events g JOIN persons p ON p.id = g.person_id "
        "WHERE g.project_code = ? AND g.local_date = ? AND g.decision = 'allow' "
        "ORDER BY g.person_id, g.time_ms, g.seq");
    s.Bind(1, project).Bind(2, date.ToString());
    while (s.Step()) {
      Row& row = rows[s.Int(0)];
      row.name = s.Text(1);
      row.masked = s.Text(2);
      const int flags = static_cast<int>(s.Int(5));
      Pass pass;
      pass.time_ms = s.Int(3);
      pass.entering = s.Text(4) == "in";
      pass.duplicate = flags & kFlagDuplicate;
      pass.auto_clock_out = flags & kFlagAutoClockOut;
      pass.exceptional = flags & kFlagExceptional;
      row.passes.push_back(pass);
    }
    return s.status();
  });
  ZZ_RETURN_IF_ERROR(read);
  json items = json::array();
  double total_hours = 0;
  auto lock = state_.ReadLock();
  const ProjectFact* p = state_.project(project);
  std::int64_t active = 0;
  if (p) {
    for (const auto& [person, e] : p->enrolments)
      active += e.exited ? 0 : 1;
  }
  for (const auto& [person, row] : rows) {
    const DayAttendance day = ComputeAttendance(row.passes);
    total_hours += day.hours;
    json item = {{"person_id", person},
                 {"name", row.name},
                 {"id_number", row.masked},
                 {"first_in", day.first_in_ms ? json(FormatRfc3339(*day.first_in_ms)) : json()},
                 {"last_out", day.last_out_ms ? json(FormatRfc3339(*day.last_out_ms)) : json()},
                 {"hours", std::round(day.hours * 100) / 100},
                 {"passes", day.passes},
                 {"duplicates", day.duplicates},
                 {"exceptional", day.exceptional},
                 {"missing_out", day.missing_out},
                 {"auto_clocked_out", day.auto_clocked_out}};
    if (p) {
      if (auto e = p->enrolments.find(person); e != p->enrolments.end()) {
        item["work_type"] = e->second.work_type;
        item["team"] = e->second.team_name;
      }
    }
    items.push_back(std::move(item));
  }
  const auto present = static_cast<std::int64_t>(rows.size());
  return json{{"project_code", project},
              {"date", date.ToString()},
              {"present", present},
              {"enrolled", active},
              {"hours", std::round(total_hours * 100) / 100},
              {"items", std::move(items)}};
}

Result<json> Gate::Trajectory(std::int64_t person_id, std::int64_t from_ms, std::int64_t to_ms,
                              const std::vector<std::string>* scope) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(const bool known,
                        store::RowExists(conn, "SELECT 1 FROM persons WHERE id = ?", person_id));
    if (!known) return Status::NotFound("no person " + std::to_string(person_id));
    auto s = conn.Prepare(
        "SELECT g.seq, g.time_ms, g.utc_offset, g.project_code, p.name, p.lat, p.lng, g.device_id, "
        "d.serial, d.zone, g.direction, g.decision, g.reasons, g.warnings, g.pass_mode, g.flags, "
        "g.identified_by, g.face FROM gate_events g LEFT JOIN devices d ON d.id = g.device_id "
        "LEFT JOIN projects p ON p.code = g.project_code "
        "WHERE g.person_id = ?1 AND g.time_ms >= ?2 AND g.time_ms < ?3 "
        "AND (?4 = 0 OR g.project_code IN (SELECT value FROM json_each(?5))) "
        "ORDER BY g.time_ms, g.seq LIMIT 10000");
    s.Bind(1, person_id).Bind(2, from_ms).Bind(3, to_ms);
    s.Bind(4, scope ? 1 : 0).Bind(5, scope ? json(*scope).dump() : std::string("[]"));
    json items = json::array();
    while (s.Step()) {
      Timestamp t{s.Int(1), static_cast<int>(s.Int(2))};
      const int flags = static_cast<int>(s.Int(15));
      items.push_back({{"seq", s.Int(0)},
                       {"time", t.ToRfc3339()},
                       {"project_code", s.Text(3)},
                       {"project_name", s.OptText(4) ? json(*s.OptText(4)) : json()},
                       {"lat", s.IsNull(5) ? json() : json(s.Double(5))},
                       {"lng", s.IsNull(6) ? json() : json(s.Double(6))},
                       {"device_id", s.OptInt(7) ? json(*s.OptInt(7)) : json()},
                       {"device_serial", s.OptText(8) ? json(*s.OptText(8)) : json()},
                       {"zone", s.OptText(9) ? json(*s.OptText(9)) : json()},
                       {"direction", s.Text(10)},
                       {"decision", s.Text(11)},
                       {"reasons", json::parse(s.Text(12), nullptr, false)},
                       {"warnings", json::parse(s.Text(13), nullptr, false)},
                       {"pass_mode", s.OptInt(14) ? json(*s.OptInt(14)) : json()},
                       {"identified_by", s.Text(16)},
                       {"duplicate", (flags & kFlagDuplicate) != 0},
                       {"exceptional", (flags & kFlagExceptional) != 0},
                       {"auto_clock_out", (flags & kFlagAutoClockOut) != 0}});
      if (auto face = s.OptText(17)) items.back()["face"] = json::parse(*face, nullptr, false);
    }
    ZZ_RETURN_IF_ERROR(s.status());
    constexpr size_t kMaxItems = 10000;
    const bool truncated = items.size() == kMaxItems;  // narrow from/to to see the rest
    return json{{"person_id", person_id}, {"items", std::move(items)}, {"truncated", truncated}};
  });
}

}  // namespace zhizhi::gate

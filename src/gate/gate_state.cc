#include "gate/gate_state.h"

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "gate/gate_internal.h"
#include "registry/code_lists.h"
#include "registry/rulebook.h"

namespace zhizhi::gate {

namespace internal {

std::int64_t Today() {
  return TodayInChina().DaysSinceEpoch();
}

std::string LocalDateOf(std::int64_t unix_ms) {
  const std::int64_t local = unix_ms + kChinaOffsetMs;
  std::int64_t day = local / kDayMs;
  if (local < 0 && local % kDayMs != 0) --day;
  return Date::FromDays(day).ToString();
}

void AppendJsonArray(std::string& out, const std::vector<std::string>& list) {
  out.push_back('[');
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, list[i]);
  }
  out.push_back(']');
}

std::string JsonArrayText(const std::vector<std::string>& list) {
  std::string out;
  AppendJsonArray(out, list);
  return out;
}

std::vector<std::string> FromJsonArray(const std::string& text) {
  auto value = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

}  // namespace internal

namespace {

std::int64_t DayOf(const std::string& date) {
  auto parsed = Date::Parse(date, "date");
  return parsed.ok() ? parsed->DaysSinceEpoch() : 0;
}

constexpr const char* kEnrolmentColumns =
    "e.id, e.work_role, e.work_type, e.post, e.team_id, t.name, e.card_no, "
    "e.exit_date IS NOT NULL";

EnrolmentFact ReadEnrolment(const store::Statement& s, int first) {
  EnrolmentFact e;
  e.enrolment_id = s.Int(first);
  e.work_role = s.Text(first + 1);
  e.work_type = s.Text(first + 2);
  e.post = s.OptText(first + 3);
  e.team_id = s.OptInt(first + 4);
  e.team_name = s.OptText(first + 5).value_or("");
  e.card_no = s.OptText(first + 6);
  e.exited = s.Int(first + 7) != 0;
  return e;
}

CertificateFact ReadCertificate(const store::Statement& s, int first) {
  CertificateFact c;
  c.kind = s.Text(first);
  c.type_code = s.Text(first + 1);
  c.valid_from_day = DayOf(s.Text(first + 2));
  c.valid_to_day = DayOf(s.Text(first + 3));
  c.revoked = s.Int(first + 4) != 0;
  return c;
}

}  // namespace

// ------------------------------------------------------------------------------------ reading

Result<GateData> GateState::ReadAll(store::Connection& conn, std::int64_t today) {
  GateData st;
  st.today = today;
  {
    auto s = conn.Prepare("SELECT code, name, status FROM projects");
    while (s.Step()) {
      ProjectFact& p = st.projects[s.Text(0)];
      p.name = s.Text(1);
      p.status = s.Text(2);
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare("SELECT project_code, policy FROM gate_policies");
    while (s.Step()) {
      auto policy = GatePolicy::FromJson(nlohmann::json::parse(s.Text(1), nullptr, false));
      if (policy.ok()) st.projects[s.Text(0)].policy = *policy;
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    static const std::string sql = std::string("SELECT e.project_code, e.person_id, ") +
                                   kEnrolmentColumns +
                                   " FROM enrolments e LEFT JOIN teams t ON t.id = e.team_id "
                                   "ORDER BY e.id";
    auto s = conn.Prepare(sql);
    while (s.Step())
      st.projects[s.Text(0)].enrolments[s.Int(1)] = ReadEnrolment(s, 2);
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare(
        "SELECT id, name, id_masked FROM persons WHERE id IN (SELECT person_id FROM enrolments)");
    while (s.Step()) {
      PersonFact& p = st.persons[s.Int(0)];
      p.name = s.Text(1);
      p.masked_id = s.Text(2);
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare(
        "SELECT person_id, MAX(IFNULL(changed_at, created_at)) FROM faces GROUP BY person_id");
    while (s.Step()) {
      if (auto p = st.persons.find(s.Int(0)); p != st.persons.end())
        p->second.face_version = s.Int(1);
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare(
        "SELECT person_id, kind, type_code, valid_from, valid_to, revoked_at IS NOT NULL "
        "FROM certificates WHERE person_id IN (SELECT person_id FROM enrolments) ORDER BY id");
    while (s.Step())
      st.persons[s.Int(0)].certificates.push_back(ReadCertificate(s, 1));
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare("SELECT person_id FROM blacklist");
    while (s.Step()) {
      auto it = st.persons.find(s.Int(0));
      if (it != st.persons.end()) it->second.blacklisted = true;
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare(
        "SELECT id, project_code, serial, direction, zone, disabled_at IS NOT NULL FROM devices");
    while (s.Step()) {
      st.devices[s.Int(0)] =
          DeviceFact{s.Text(1), s.Text(2), s.Text(3), s.OptText(4).value_or(""), s.Int(5) != 0};
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare(
        "SELECT project_code, person_id, inside, since_ms, last_device_id, auto_clocked_out "
        "FROM onsite");
    while (s.Step()) {
      ProjectFact& p = st.projects[s.Text(0)];
      OnsiteFact o{s.Int(2) != 0, s.Int(3), s.OptInt(4).value_or(0), s.Int(5) != 0};
      if (o.inside) ++p.inside_count;
      p.last[s.Int(1)] = LastPass{o.since_ms, o.inside};
      p.onsite[s.Int(1)] = o;
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare(
        "SELECT r.project_code, r.person_id, r.allowed FROM roster_changes r "
        "JOIN (SELECT MAX(version) AS v FROM roster_changes GROUP BY project_code, person_id) m "
        "ON r.version = m.v");
    while (s.Step())
      st.projects[s.Text(0)].roster[s.Int(1)] = s.Int(2) != 0;
    ZZ_RETURN_IF_ERROR(s.status());
    ZZ_ASSIGN_OR_RETURN(
        st.roster_version,
        store::QueryInt(conn, "SELECT IFNULL(MAX(version), 0) FROM roster_changes"));
  }
  return st;
}

Result<std::optional<PersonRecord>> GateState::ReadPerson(store::Connection& conn,
                                                          std::int64_t person_id) {
  PersonRecord record;
  {
    auto s = conn.Prepare("SELECT name, id_masked FROM persons WHERE id = ?");
    s.Bind(1, person_id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return std::optional<PersonRecord>();
    }
    record.person.name = s.Text(0);
    record.person.masked_id = s.Text(1);
  }
  {
    auto s = conn.Prepare(
        "SELECT kind, type_code, valid_from, valid_to, revoked_at IS NOT NULL FROM certificates "
        "WHERE person_id = ? ORDER BY id");
    s.Bind(1, person_id);
    while (s.Step())
      record.person.certificates.push_back(ReadCertificate(s, 0));
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare("SELECT 1 FROM blacklist WHERE person_id = ?");
    s.Bind(1, person_id);
    record.person.blacklisted = s.Step();
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    auto s = conn.Prepare(
        "SELECT IFNULL(MAX(IFNULL(changed_at, created_at)), 0) FROM faces WHERE person_id = ?");
    s.Bind(1, person_id);
    if (s.Step()) record.person.face_version = s.Int(0);
    ZZ_RETURN_IF_ERROR(s.status());
  }
  {
    static const std::string sql = std::string("SELECT e.project_code, p.name, p.status, ") +
                                   kEnrolmentColumns +
                                   " FROM enrolments e LEFT JOIN teams t ON t.id = e.team_id "
                                   "JOIN projects p ON p.code = e.project_code "
                                   "WHERE e.person_id = ? ORDER BY e.id";
    auto s = conn.Prepare(sql);
    s.Bind(1, person_id);
    while (s.Step()) {
      record.enrolments[s.Text(0)] = ReadEnrolment(s, 3);
      record.projects[s.Text(0)] = {s.Text(1), s.Text(2)};
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  return std::optional<PersonRecord>(std::move(record));
}

// ------------------------------------------------------------------------------------ readers

const ProjectFact* GateState::project(const std::string& code) const {
  auto it = data_.projects.find(code);
  return it == data_.projects.end() ? nullptr : &it->second;
}

const PersonFact* GateState::person(std::int64_t id) const {
  auto it = data_.persons.find(id);
  return it == data_.persons.end() ? nullptr : &it->second;
}

const DeviceFact* GateState::device(std::int64_t id) const {
  auto it = data_.devices.find(id);
  return it == data_.devices.end() ? nullptr : &it->second;
}

PassFacts GateState::Standing(const ProjectFact& project, std::int64_t person_id) const {
  PassFacts f;
  f.identified = true;
  f.project_completed = project.status == "completed";
  auto enrolment = project.enrolments.find(person_id);
  if (enrolment == project.enrolments.end()) return f;
  const EnrolmentFact& e = enrolment->second;
  f.enrolled = true;
  f.exited = e.exited;
  static const std::vector<CertificateFact> kNoCertificates;
  const PersonFact* person = this->person(person_id);
  const auto& certificates = person == nullptr ? kNoCertificates : person->certificates;
  static const Requirements kNoRequirements;
  const Requirements* required = &kNoRequirements;  // a static table: nothing copied per pass
  if (e.work_role == registry::kManagerRole) {
    if (const auto* rule = registry::FindPost(e.post.value_or(""))) required = &rule->required;
  } else {
    required = &registry::WorkTypeRequirements(e.work_type);
    // Basic safety training (三级安全教育) before a worker enters a site.
    const RequirementCheck training =
        CheckRequirements(registry::ActiveRules().WorkerTraining(), certificates, data_.today);
    f.training_ok = !training.missing && !training.expired;
  }
  f.certificates = CheckRequirements(*required, certificates, data_.today);
  f.blacklisted = person != nullptr && person->blacklisted;
  return f;
}

// ------------------------------------------------------------------------------------ mutators
//
// Each mutator remembers what it replaces, changes memory under the exclusive lock, and
// registers the undo that puts the old value back — by key, so that an undo never holds a
// reference into a map that another change may have rehashed. Undos run newest first, so a
// project an undo needs is still there: it was added before, and is removed after.

ProjectFact& GateState::MutableProject(const std::string& code) {
  return data_.projects.at(code);
}

void GateState::Replace(store::Connection& conn, GateData fresh) {
  auto old = std::make_shared<GateData>(std::move(fresh));
  {
    std::unique_lock lock(mu_);
    std::swap(data_, *old);
  }
  conn.OnRollback([this, old] {
    std::unique_lock lock(mu_);
    std::swap(data_, *old);
  });
}

bool GateState::UpdateProject(store::Connection& conn, const std::string& code,
                              const std::string& name, const std::string& status) {
  auto it = data_.projects.find(code);
  if (it == data_.projects.end()) {
    EnsureProject(conn, code, name, status);
    return false;
  }
  const std::string old_name = it->second.name, old_status = it->second.status;
  if (old_name == name && old_status == status) return false;
  {
    std::unique_lock lock(mu_);
    it->second.name = name;
    it->second.status = status;
  }
  conn.OnRollback([this, code, old_name, old_status] {
    std::unique_lock lock(mu_);
    if (auto p = data_.projects.find(code); p != data_.projects.end()) {
      p->second.name = old_name;
      p->second.status = old_status;
    }
  });
  return old_status != status;
}

void GateState::EnsureProject(store::Connection& conn, const std::string& code,
                              const std::string& name, const std::string& status) {
  if (data_.projects.count(code)) return;
  {
    std::unique_lock lock(mu_);
    ProjectFact& p = data_.projects[code];
    p.name = name;
    p.status = status;
  }
  conn.OnRollback([this, code] {
    std::unique_lock lock(mu_);
    data_.projects.erase(code);
  });
}

void GateState::SetPerson(store::Connection& conn, std::int64_t person_id, PersonFact person) {
  std::optional<PersonFact> old;
  if (const PersonFact* p = this->person(person_id)) old = *p;
  {
    std::unique_lock lock(mu_);
    data_.persons[person_id] = std::move(person);
  }
  conn.OnRollback([this, person_id, old = std::move(old)] {
    std::unique_lock lock(mu_);
    Restore(data_.persons, person_id, old);
  });
}

void GateState::SetEnrolment(store::Connection& conn, const std::string& code,
                             std::int64_t person_id, EnrolmentFact enrolment) {
  ProjectFact& project = MutableProject(code);
  std::optional<EnrolmentFact> old;
  if (auto it = project.enrolments.find(person_id); it != project.enrolments.end()) {
    old = it->second;
  }
  {
    std::unique_lock lock(mu_);
    project.enrolments[person_id] = std::move(enrolment);
  }
  conn.OnRollback([this, code, person_id, old = std::move(old)] {
    std::unique_lock lock(mu_);
    Restore(MutableProject(code).enrolments, person_id, old);
  });
}

void GateState::SetPolicy(store::Connection& conn, const std::string& code, GatePolicy policy) {
  ProjectFact& project = MutableProject(code);
  GatePolicy old = project.policy;
  {
    std::unique_lock lock(mu_);
    project.policy = std::move(policy);
  }
  conn.OnRollback([this, code, old = std::move(old)] {
    std::unique_lock lock(mu_);
    MutableProject(code).policy = old;
  });
}

void GateState::SetStanding(store::Connection& conn, const std::string& code,
                            std::int64_t person_id, bool allowed, std::int64_t version) {
  ProjectFact& project = MutableProject(code);
  std::optional<bool> old;
  if (auto it = project.roster.find(person_id); it != project.roster.end()) old = it->second;
  {
    std::unique_lock lock(mu_);
    project.roster[person_id] = allowed;
  }
  conn.OnRollback([this, code, person_id, old] {
    std::unique_lock lock(mu_);
    Restore(MutableProject(code).roster, person_id, old);
  });
  RaiseRosterVersion(conn, version);
}

void GateState::RaiseRosterVersion(store::Connection& conn, std::int64_t version) {
  const std::int64_t old = data_.roster_version;
  if (version <= old) return;
  {
    std::unique_lock lock(mu_);
    data_.roster_version = version;
  }
  conn.OnRollback([this, old] {
    std::unique_lock lock(mu_);
    data_.roster_version = old;
  });
}

void GateState::SetDevice(store::Connection& conn, std::int64_t device_id, DeviceFact device) {
  std::optional<DeviceFact> old;
  if (const DeviceFact* d = this->device(device_id)) old = *d;
  {
    std::unique_lock lock(mu_);
    data_.devices[device_id] = std::move(device);
  }
  conn.OnRollback([this, device_id, old = std::move(old)] {
    std::unique_lock lock(mu_);
    Restore(data_.devices, device_id, old);
  });
}

void GateState::SetDeviceDisabled(store::Connection& conn, std::int64_t device_id, bool disabled) {
  const DeviceFact* d = device(device_id);
  if (d == nullptr) return;
  DeviceFact changed = *d;
  changed.disabled = disabled;
  SetDevice(conn, device_id, std::move(changed));
}

void GateState::RecordPass(store::Connection& conn, const std::string& code, std::int64_t person_id,
                           const std::optional<OnsiteFact>& onsite,
                           const std::optional<LastPass>& last) {
  if (!onsite && !last) return;
  ProjectFact& project = MutableProject(code);
  // What this pass replaces, for the undo: one small record, no lookups twice.
  struct Before {
    std::optional<OnsiteFact> onsite;
    std::optional<LastPass> last;
    std::int64_t inside_count;
    bool onsite_changed, last_changed;
  };
  Before before{std::nullopt, std::nullopt, project.inside_count, onsite.has_value(),
                last.has_value()};
  if (onsite) {
    if (auto it = project.onsite.find(person_id); it != project.onsite.end()) {
      before.onsite = it->second;
    }
  }
  if (last) {
    if (auto it = project.last.find(person_id); it != project.last.end()) before.last = it->second;
  }
  {
    std::unique_lock lock(mu_);
    if (onsite) {
      const bool was_inside = before.onsite && before.onsite->inside;
      if (was_inside != onsite->inside) project.inside_count += onsite->inside ? 1 : -1;
      project.onsite[person_id] = *onsite;
    }
    if (last) project.last[person_id] = *last;
  }
  conn.OnRollback([this, code, person_id, before] {
    std::unique_lock lock(mu_);
    ProjectFact& p = MutableProject(code);
    if (before.onsite_changed) Restore(p.onsite, person_id, before.onsite);
    if (before.last_changed) Restore(p.last, person_id, before.last);
    p.inside_count = before.inside_count;
  });
}

void GateState::SetToday(store::Connection& conn, std::int64_t today) {
  const std::int64_t old = data_.today;
  if (old == today) return;
  {
    std::unique_lock lock(mu_);
    data_.today = today;
  }
  conn.OnRollback([this, old] {
    std::unique_lock lock(mu_);
    data_.today = old;
  });
}

}  // namespace zhizhi::gate

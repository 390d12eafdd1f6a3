#include "gate/gate.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <map>

#include <spdlog/spdlog.h>

#include "base/field_reader.h"
#include "base/text.h"
#include "base/thread_name.h"

#include "gate/attendance.h"
#include "registry/code_lists.h"
#include "security/token_authenticator.h"

namespace zhizhi::gate {

namespace {

using nlohmann::json;

constexpr int kFlagDuplicate = 1;
constexpr int kFlagExceptional = 2;
constexpr int kFlagAutoClockOut = 4;
constexpr int kFlagStale = 8;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kChinaOffsetMs = kChinaUtcOffsetMinutes * 60'000LL;

std::int64_t Today() {
  return TodayInChina().DaysSinceEpoch();
}

std::int64_t DayOf(const std::string& date) {
  auto parsed = Date::Parse(date, "date");
  return parsed.ok() ? parsed->DaysSinceEpoch() : 0;
}

// The instant of the most recent automatic clock-out at or before `now_ms`.
std::int64_t LatestClockOutCutoff(std::int64_t now_ms, int hour) {
  const std::int64_t local = now_ms + kChinaOffsetMs;
  const std::int64_t today_cutoff = (local / kDayMs) * kDayMs + hour * 3'600'000LL;
  const std::int64_t cutoff_local = local >= today_cutoff ? today_cutoff : today_cutoff - kDayMs;
  return cutoff_local - kChinaOffsetMs;
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

// The JSON text of a list of codes, as stored in gate_events.reasons and .warnings.
std::string JsonArrayText(const std::vector<std::string>& list) {
  std::string out;
  AppendJsonArray(out, list);
  return out;
}

std::vector<std::string> FromJsonArray(const std::string& text) {
  auto value = json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

bool IsSerial(const std::string& serial) {
  return !serial.empty() && serial.size() <= 64 &&
         std::all_of(serial.begin(), serial.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
         });
}

}  // namespace

// ------------------------------------------------------------------------------------ state

struct EnrolmentFact {
  std::int64_t enrolment_id = 0;
  std::string work_role;
  std::string work_type;
  std::optional<std::string> post;
  std::optional<std::int64_t> team_id;
  std::string team_name;
  std::optional<std::string> card_no;
  bool exited = false;
};

struct PersonFact {
  std::string name;
  std::string masked_id;
  std::vector<CertificateFact> certificates;
  bool blacklisted = false;
  // When the person's face templates last changed (unix ms; 0: none): terminals that recognise
  // on the device fetch the templates again when it moves.
  std::int64_t face_version = 0;
};

// The face_version of a person: the newest enrolment or removal of a face template.
constexpr const char* kFaceVersionSql =
    "SELECT IFNULL(MAX(IFNULL(changed_at, created_at)), 0) FROM faces WHERE person_id = ?";

struct OnsiteFact {
  bool inside = false;
  std::int64_t since_ms = 0;
  std::int64_t device_id = 0;
  bool auto_clocked_out = false;
};

struct LastPass {
  std::int64_t time_ms = LLONG_MIN;
  bool entering = false;
};

struct ProjectFact {
  std::string name;
  std::string status;
  GatePolicy policy;
  std::unordered_map<std::int64_t, EnrolmentFact> enrolments;  // latest per person
  std::unordered_map<std::int64_t, OnsiteFact> onsite;
  std::int64_t inside_count = 0;
  std::unordered_map<std::int64_t, bool> roster;  // published standing per person
  std::unordered_map<std::int64_t, LastPass> last;
};

struct DeviceFact {
  std::string project;
  std::string serial;
  std::string direction;
  std::string zone;
  bool disabled = false;
};

struct Gate::State {
  std::unordered_map<std::string, ProjectFact> projects;
  std::unordered_map<std::int64_t, PersonFact> persons;
  std::unordered_map<std::int64_t, DeviceFact> devices;
  std::int64_t roster_version = 0;
  std::int64_t today = 0;
};

struct Gate::Answer {
  std::string event_id;
  std::int64_t seq = 0;
  std::string project;
  std::optional<std::int64_t> person_id;
  std::string direction;
  std::int64_t time_ms = 0;
  bool allow = false;
  std::vector<std::string> reasons;
  std::vector<std::string> warnings;
  int flags = 0;
  bool replayed = false;
  std::optional<double> face_score;  // server-side recognition, for face_image events
  std::optional<double> face_liveness;

  json ToJson() const {
    json out = {{"event_id", event_id},
                {"seq", seq},
                {"decision", allow ? "allow" : "deny"},
                {"reasons", reasons},
                {"warnings", warnings},
                {"person_id", person_id ? json(*person_id) : json()},
                {"direction", direction},
                {"duplicate", (flags & kFlagDuplicate) != 0}};
    if (replayed) out["replayed"] = true;
    if (face_score || face_liveness) {
      out["face"] = {
          {"score", face_score ? json(std::round(*face_score * 1000) / 1000) : json()},
          {"liveness", face_liveness ? json(std::round(*face_liveness * 1000) / 1000) : json()}};
    }
    return out;
  }

  // ToJson().dump(), written directly: the writer answers every pass, and building the json
  // value (a std::map with its strings) and destroying it cost more than the text. ToJson stays
  // for the batch answers and the live feed, which add to it;
  // GateTest.SameEventIdIsAnsweredOnceAndStoredOnce holds the two to the same bytes.
  std::string ToJsonText() const {
    std::string out;
    out.reserve(192 + event_id.size());
    out.append(R"({"decision":")").append(allow ? "allow" : "deny");
    out.append(R"(","direction":)");
    AppendJsonString(out, direction);
    out.append(R"(,"duplicate":)").append((flags & kFlagDuplicate) != 0 ? "true" : "false");
    out.append(R"(,"event_id":)");
    AppendJsonString(out, event_id);
    if (face_score || face_liveness) {
      const auto rounded = [](std::optional<double> v) {
        return v ? json(std::round(*v * 1000) / 1000).dump() : std::string("null");
      };
      out.append(R"(,"face":{"liveness":)").append(rounded(face_liveness));
      out.append(R"(,"score":)").append(rounded(face_score)).append("}");
    }
    out.append(R"(,"person_id":)").append(person_id ? std::to_string(*person_id) : "null");
    out.append(R"(,"reasons":)");
    AppendJsonArray(out, reasons);
    if (replayed) out.append(R"(,"replayed":true)");
    out.append(R"(,"seq":)").append(std::to_string(seq));
    out.append(R"(,"warnings":)");
    AppendJsonArray(out, warnings);
    out.push_back('}');
    return out;
  }
};

namespace {

// A person's standing on a project: everything but the per-event facts.
PassFacts Standing(const std::unordered_map<std::int64_t, PersonFact>& persons,
                   const ProjectFact& project, std::int64_t person_id, std::int64_t today) {
  PassFacts f;
  f.identified = true;
  auto enrolment = project.enrolments.find(person_id);
  if (enrolment == project.enrolments.end()) return f;
  const EnrolmentFact& e = enrolment->second;
  f.enrolled = true;
  f.exited = e.exited;
  static const std::vector<CertificateFact> kNoCertificates;
  auto person = persons.find(person_id);
  const auto& certificates =
      person == persons.end() ? kNoCertificates : person->second.certificates;
  static const Requirements kNoRequirements;
  const Requirements* required = &kNoRequirements;  // a static table: nothing copied per pass
  if (e.work_role == registry::kManagerRole) {
    if (const auto* rule = registry::FindPost(e.post.value_or(""))) required = &rule->required;
  } else {
    required = &registry::WorkTypeRequirements(e.work_type);
    // Basic safety training (三级安全教育) before a worker enters a site.
    const RequirementCheck training =
        CheckRequirements(registry::ActiveRules().WorkerTraining(), certificates, today);
    f.training_ok = !training.missing && !training.expired;
  }
  f.certificates = CheckRequirements(*required, certificates, today);
  f.blacklisted = person != persons.end() && person->second.blacklisted;
  return f;
}

std::string StandingReason(const PassFacts& standing, const GatePolicy& policy) {
  PassFacts f = standing;
  f.inside = false;
  const GateDecision d = Decide(f, policy);
  return d.allow ? "granted" : d.reasons.front();
}

Result<EnrolmentFact> ReadEnrolment(const store::Statement& s, int first) {
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

constexpr const char* kEnrolmentColumns =
    "e.id, e.work_role, e.work_type, e.post, e.team_id, t.name, e.card_no, "
    "e.exit_date IS NOT NULL";

CertificateFact ReadCertificate(const store::Statement& s, int first) {
  CertificateFact c;
  c.kind = s.Text(first);
  c.type_code = s.Text(first + 1);
  c.valid_from_day = DayOf(s.Text(first + 2));
  c.valid_to_day = DayOf(s.Text(first + 3));
  c.revoked = s.Int(first + 4) != 0;
  return c;
}

Status StepStatus(const store::Statement& s) {
  return s.status();
}

}  // namespace

// ------------------------------------------------------------------------------------ life cycle

Gate::Gate(store::Database* db, registry::Registry* registry, const security::FieldCipher* cipher,
           GateOptions options)
    : db_(db),
      registry_(registry),
      cipher_(cipher),
      options_(options),
      state_(std::make_unique<State>()) {}

Gate::~Gate() {
  {
    std::lock_guard lock(tick_mu_);
    stopping_ = true;
  }
  tick_cv_.notify_all();
  if (housekeeping_.joinable()) housekeeping_.join();
}

Status Gate::Start() {
  ZZ_RETURN_IF_ERROR(db_->Write([this](store::Connection& conn) { return Load(conn); }));
  db_->AddRollbackListener([this](store::Connection& conn) {
    // A group commit failed: memory may hold changes the database does not. Start over.
    Status status = Load(conn);
    if (!status.ok()) spdlog::error("event=gate_reload_failed error=\"{}\"", status.ToString());
  });
  housekeeping_ = std::thread([this] {
    NameThisThread("zz-gate-house");
    HousekeepingLoop();
  });
  return Status::Ok();
}

void Gate::HousekeepingLoop() {
  std::unique_lock lock(tick_mu_);
  while (!stopping_) {
    tick_cv_.wait_for(lock, std::chrono::seconds(options_.tick_seconds));
    if (stopping_) break;
    lock.unlock();
    Status status = Tick();
    if (!status.ok() && status.kind() != StatusKind::kUnavailable) {
      spdlog::warn("event=gate_tick_failed error=\"{}\"", status.ToString());
    }
    lock.lock();
  }
}

Status Gate::Load(store::Connection& conn) {
  auto fresh = std::make_unique<State>();
  State& st = *fresh;
  st.today = Today();
  {
    auto s = conn.Prepare("SELECT code, name, status FROM projects");
    while (s.Step()) {
      ProjectFact& p = st.projects[s.Text(0)];
      p.name = s.Text(1);
      p.status = s.Text(2);
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare("SELECT project_code, policy FROM gate_policies");
    while (s.Step()) {
      auto policy = GatePolicy::FromJson(json::parse(s.Text(1), nullptr, false));
      if (policy.ok()) st.projects[s.Text(0)].policy = *policy;
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    static const std::string sql = std::string("SELECT e.project_code, e.person_id, ") +
                                   kEnrolmentColumns +
                                   " FROM enrolments e LEFT JOIN teams t ON t.id = e.team_id "
                                   "ORDER BY e.id";
    auto s = conn.Prepare(sql.c_str());
    while (s.Step()) {
      auto e = ReadEnrolment(s, 2);
      st.projects[s.Text(0)].enrolments[s.Int(1)] = std::move(e).value();
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare(
        "SELECT id, name, id_masked FROM persons WHERE id IN (SELECT person_id FROM enrolments)");
    while (s.Step()) {
      PersonFact& p = st.persons[s.Int(0)];
      p.name = s.Text(1);
      p.masked_id = s.Text(2);
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare(
        "SELECT person_id, MAX(IFNULL(changed_at, created_at)) FROM faces GROUP BY person_id");
    while (s.Step()) {
      if (auto p = st.persons.find(s.Int(0)); p != st.persons.end())
        p->second.face_version = s.Int(1);
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare(
        "SELECT person_id, kind, type_code, valid_from, valid_to, revoked_at IS NOT NULL "
        "FROM certificates WHERE person_id IN (SELECT person_id FROM enrolments)");
    while (s.Step())
      st.persons[s.Int(0)].certificates.push_back(ReadCertificate(s, 1));
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare("SELECT person_id FROM blacklist");
    while (s.Step()) {
      auto it = st.persons.find(s.Int(0));
      if (it != st.persons.end()) it->second.blacklisted = true;
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare(
        "SELECT id, project_code, serial, direction, zone, disabled_at IS NOT NULL FROM devices");
    while (s.Step()) {
      st.devices[s.Int(0)] =
          DeviceFact{s.Text(1), s.Text(2), s.Text(3), s.OptText(4).value_or(""), s.Int(5) != 0};
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
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
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare(
        "SELECT r.project_code, r.person_id, r.allowed FROM roster_changes r "
        "JOIN (SELECT MAX(version) AS v FROM roster_changes GROUP BY project_code, person_id) m "
        "ON r.version = m.v");
    while (s.Step())
      st.projects[s.Text(0)].roster[s.Int(1)] = s.Int(2) != 0;
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    ZZ_ASSIGN_OR_RETURN(
        st.roster_version,
        store::QueryInt(conn, "SELECT IFNULL(MAX(version), 0) FROM roster_changes"));
  }
  {
    std::unique_lock lock(mu_);
    state_ = std::move(fresh);
  }
  // Standings may have changed while the server was down (a certificate expired overnight).
  for (const auto& [code, project] : state_->projects) {
    std::vector<std::int64_t> persons;
    for (const auto& [person, e] : project.enrolments)
      persons.push_back(person);
    ZZ_RETURN_IF_ERROR(RecomputeStandings(conn, code, persons, "load"));
  }
  spdlog::info("event=gate_loaded projects={} persons={} devices={} roster_version={}",
               state_->projects.size(), state_->persons.size(), state_->devices.size(),
               state_->roster_version);
  return Status::Ok();
}

Status Gate::RecomputeStandings(store::Connection& conn, const std::string& code,
                                const std::vector<std::int64_t>& persons, const char* why) {
  State& st = *state_;
  auto project_it = st.projects.find(code);
  if (project_it == st.projects.end()) return Status::Ok();
  const ProjectFact& project = project_it->second;
  struct Change {
    std::int64_t person;
    bool allowed;
    std::int64_t version;
  };
  std::vector<Change> changes;
  for (std::int64_t person : persons) {
    const PassFacts standing = Standing(st.persons, project, person, st.today);
    const bool allowed = MayPass(standing, project.policy);
    auto known = project.roster.find(person);
    const bool was = known != project.roster.end() && known->second;
    if (allowed == was && known != project.roster.end()) continue;
    if (!allowed && known == project.roster.end()) continue;  // never listed, nothing to revoke
    const std::string reason = StandingReason(standing, project.policy);
    ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO roster_changes(project_code, person_id, allowed, "
                                    "reason, created_at) VALUES (?,?,?,?,?)")
                           .Bind(1, code)
                           .Bind(2, person)
                           .Bind(3, allowed ? 1 : 0)
                           .Bind(4, reason)
                           .Bind(5, NowUnixMs())
                           .Run());
    changes.push_back({person, allowed, conn.LastInsertRowId()});
  }
  if (changes.empty()) return Status::Ok();
  std::unique_lock lock(mu_);
  ProjectFact& mutable_project = st.projects[code];
  for (const Change& c : changes) {
    mutable_project.roster[c.person] = c.allowed;
    st.roster_version = std::max(st.roster_version, c.version);
  }
  spdlog::debug("event=roster_changes project={} changes={} why={}", code, changes.size(), why);
  return Status::Ok();
}

Status Gate::OnPersonChanged(store::Connection& conn, std::int64_t person_id) {
  return ReloadPerson(conn, person_id);
}

Status Gate::ReloadPerson(store::Connection& conn, std::int64_t person_id) {
  State& st = *state_;
  PersonFact person;
  bool exists = false;
  {
    auto s = conn.Prepare("SELECT name, id_masked FROM persons WHERE id = ?");
    s.Bind(1, person_id);
    if (s.Step()) {
      exists = true;
      person.name = s.Text(0);
      person.masked_id = s.Text(1);
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  if (!exists) return Status::Ok();
  {
    auto s = conn.Prepare(
        "SELECT kind, type_code, valid_from, valid_to, revoked_at IS NOT NULL FROM certificates "
        "WHERE person_id = ?");
    s.Bind(1, person_id);
    while (s.Step())
      person.certificates.push_back(ReadCertificate(s, 0));
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare("SELECT 1 FROM blacklist WHERE person_id = ?");
    s.Bind(1, person_id);
    person.blacklisted = s.Step();
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    auto s = conn.Prepare(kFaceVersionSql);
    s.Bind(1, person_id);
    if (s.Step()) person.face_version = s.Int(0);
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  // Only this (the writer) thread changes the state: reading it here needs no lock.
  const auto old = st.persons.find(person_id);
  const bool face_changed = old != st.persons.end()
                                ? old->second.face_version != person.face_version
                                : person.face_version != 0;
  std::map<std::string, EnrolmentFact> enrolments;  // latest per project
  std::map<std::string, std::pair<std::string, std::string>> new_projects;
  {
    static const std::string sql = std::string("SELECT e.project_code, p.name, p.status, ") +
                                   kEnrolmentColumns +
                                   " FROM enrolments e LEFT JOIN teams t ON t.id = e.team_id "
                                   "JOIN projects p ON p.code = e.project_code "
                                   "WHERE e.person_id = ? ORDER BY e.id";
    auto s = conn.Prepare(sql.c_str());
    s.Bind(1, person_id);
    while (s.Step()) {
      enrolments[s.Text(0)] = ReadEnrolment(s, 3).value();
      new_projects[s.Text(0)] = {s.Text(1), s.Text(2)};
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  {
    std::unique_lock lock(mu_);
    st.persons[person_id] = std::move(person);
    for (auto& [code, e] : enrolments) {
      auto [it, inserted] = st.projects.try_emplace(code);
      if (inserted) {
        it->second.name = new_projects[code].first;
        it->second.status = new_projects[code].second;
      }
      it->second.enrolments[person_id] = e;
    }
  }
  for (const auto& [code, e] : enrolments) {
    ZZ_RETURN_IF_ERROR(RecomputeStandings(conn, code, {person_id}, "person_changed"));
    // New face templates of someone who may pass: listed again, so terminals pulling changes
    // see the new face_version.
    const auto& roster = st.projects[code].roster;
    if (auto r = roster.find(person_id); face_changed && r != roster.end() && r->second) {
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO roster_changes(project_code, person_id, "
                       "allowed, reason, created_at) VALUES (?,?,1,'face_changed',?)")
              .Bind(1, code)
              .Bind(2, person_id)
              .Bind(3, NowUnixMs())
              .Run());
      std::unique_lock lock(mu_);
      st.roster_version = std::max(st.roster_version, conn.LastInsertRowId());
    }
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------------------ devices

Result<json> Gate::RegisterDevice(const std::string& project, const DeviceDraft& d,
                                  const AlsoWrite& also) {
  if (!IsSerial(d.serial)) {
    return Status::InvalidArgument("serial", "serial must be 1–64 of [A-Za-z0-9._:-]");
  }
  if (d.direction != "in" && d.direction != "out" && d.direction != "both") {
    return Status::InvalidArgument("direction", "direction must be in, out or both");
  }
  ZZ_ASSIGN_OR_RETURN(const std::string token, security::TokenAuthenticator::NewToken());
  json out;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    std::string project_name, project_status;
    {
      auto s = conn.Prepare("SELECT name, status FROM projects WHERE code = ?");
      s.Bind(1, project);
      if (!s.Step()) {
        ZZ_RETURN_IF_ERROR(StepStatus(s));
        return Status::NotFound("no project " + project);
      }
      project_name = s.Text(0);
      project_status = s.Text(1);
    }
    auto insert = conn.Prepare(
        "INSERT INTO devices(project_code, serial, direction, zone, created_at) VALUES (?,?,?,?,?) "
        "ON CONFLICT(serial) DO NOTHING");
    insert.Bind(1, project)
        .Bind(2, d.serial)
        .Bind(3, d.direction)
        .Bind(4, d.zone)
        .Bind(5, NowUnixMs());
    ZZ_RETURN_IF_ERROR(insert.Run());
    if (conn.Changes() == 0) {
      return Status::AlreadyExists("serial", "a device with serial " + d.serial + " is registered");
    }
    const std::int64_t id = conn.LastInsertRowId();
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO api_tokens(name, role, pii, token_hash, created_at, device_id) "
                     "VALUES (?, 'device', 0, ?, ?, ?)")
            .Bind(1, "device:" + d.serial)
            .BindBlob(2, security::TokenAuthenticator::HashToken(token))
            .Bind(3, NowUnixMs())
            .Bind(4, id)
            .Run());
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    {
      std::unique_lock lock(mu_);
      state_->devices[id] = DeviceFact{project, d.serial, d.direction, d.zone.value_or(""), false};
      auto [it, inserted] = state_->projects.try_emplace(project);
      if (inserted) {
        it->second.name = project_name;
        it->second.status = project_status;
      }
    }
    out = {{"id", id},
           {"project_code", project},
           {"serial", d.serial},
           {"direction", d.direction},
           {"zone", d.zone ? json(*d.zone) : json()},
           {"token", token}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<json> Gate::ListDevices(const std::string& project) const {
  const std::int64_t now = NowUnixMs();
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto exists = conn.Prepare("SELECT 1 FROM projects WHERE code = ?");
    exists.Bind(1, project);
    if (!exists.Step()) return Status::NotFound("no project " + project);
    auto s = conn.Prepare(
        "SELECT id, serial, direction, zone, created_at, disabled_at, last_seen_at, "
        "clock_offset_ms, firmware, person_count, face_count FROM devices WHERE project_code = ? "
        "ORDER BY id");
    s.Bind(1, project);
    json items = json::array();
    while (s.Step()) {
      const auto last_seen = s.OptInt(6);
      const auto offset = s.OptInt(7);
      items.push_back({{"id", s.Int(0)},
                       {"serial", s.Text(1)},
                       {"direction", s.Text(2)},
                       {"zone", s.OptText(3) ? json(*s.OptText(3)) : json()},
                       {"created_at", FormatRfc3339(s.Int(4))},
                       {"enabled", s.IsNull(5)},
                       {"last_seen_at", last_seen ? json(FormatRfc3339(*last_seen)) : json()},
                       {"online", last_seen && now - *last_seen <= options_.offline_after_ms},
                       {"clock_offset_ms", offset ? json(*offset) : json()},
                       {"clock_skew", offset && std::llabs(*offset) > options_.clock_skew_ms},
                       {"firmware", s.OptText(8) ? json(*s.OptText(8)) : json()},
                       {"person_count", s.OptInt(9) ? json(*s.OptInt(9)) : json()},
                       {"face_count", s.OptInt(10) ? json(*s.OptInt(10)) : json()}});
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    return json{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Status Gate::DeviceChanged(store::Connection& conn, std::int64_t device_id) {
  if (device_listeners_.empty()) return Status::Ok();
  auto s = conn.Prepare("SELECT project_code FROM devices WHERE id = ?");
  s.Bind(1, device_id);
  if (!s.Step()) return StepStatus(s);
  const std::string project = s.Text(0);
  for (const auto& listener : device_listeners_)
    ZZ_RETURN_IF_ERROR(listener(conn, project));
  return Status::Ok();
}

Result<std::string> Gate::DeviceProject(std::int64_t device_id) const {
  std::shared_lock lock(mu_);
  auto it = state_->devices.find(device_id);
  if (it == state_->devices.end())
    return Status::NotFound("no device " + std::to_string(device_id));
  return it->second.project;
}

Result<json> Gate::SetDeviceEnabled(std::int64_t device_id, bool enabled, const AlsoWrite& also) {
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("UPDATE devices SET disabled_at = ? WHERE id = ?");
    if (enabled) {
      s.BindNull(1);
    } else {
      s.Bind(1, NowUnixMs());
    }
    s.Bind(2, device_id);
    ZZ_RETURN_IF_ERROR(s.Run());
    if (conn.Changes() == 0) return Status::NotFound("no device " + std::to_string(device_id));
    ZZ_RETURN_IF_ERROR(DeviceChanged(conn, device_id));
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    std::unique_lock lock(mu_);
    state_->devices[device_id].disabled = !enabled;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return json{{"id", device_id}, {"enabled", enabled}};
}

// ------------------------------------------------------------------------------------ events

Result<std::optional<Gate::Answer>> Gate::StoredAnswer(store::Connection& conn,
                                                       std::int64_t device_id,
                                                       const std::string& event_id) {
  auto s = conn.Prepare(
      "SELECT seq, person_id, decision, reasons, warnings, flags, direction, time_ms, "
      "project_code FROM gate_events WHERE device_id = ? AND event_id = ?");
  s.Bind(1, device_id).Bind(2, event_id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    return std::optional<Answer>();
  }
  Answer a;
  a.event_id = event_id;
  a.seq = s.Int(0);
  a.person_id = s.OptInt(1);
  a.allow = s.Text(2) == "allow";
  a.reasons = FromJsonArray(s.Text(3));
  a.warnings = FromJsonArray(s.Text(4));
  a.flags = static_cast<int>(s.Int(5));
  a.direction = s.Text(6);
  a.time_ms = s.Int(7);
  a.project = s.Text(8);
  a.replayed = true;
  return std::optional<Answer>(std::move(a));
}

Result<Gate::Answer> Gate::ProcessEvent(store::Connection& conn, std::int64_t device_id,
                                        const GateEventInput& e, const FaceVerdict* face) {
  State& st = *state_;
  auto device_it = st.devices.find(device_id);
  if (device_it == st.devices.end()) return Status::Unauthenticated("unknown device");
  const DeviceFact& device = device_it->second;

  // Idempotency: the same (device, event_id) returns the first answer and stores nothing. A new
  // event is far more common than a replay, so the stored answer is looked up only when this
  // event would be refused (a replay of an event accepted long ago is not "too old") or when
  // its insert meets the (device, event_id) already there — not before every pass. Every
  // refusal below goes through refuse(); all of them come before the first write.
  auto refuse = [&](Status refusal) -> Result<Answer> {
    ZZ_ASSIGN_OR_RETURN(std::optional<Answer> stored, StoredAnswer(conn, device_id, e.event_id));
    if (stored) return std::move(*stored);
    return refusal;
  };

  const std::int64_t now = NowUnixMs();
  if (e.time.unix_ms > now + options_.max_future_ms) {
    return refuse(Status::Rule("time_in_future", "time",
                               "event time is more than 5 minutes ahead of the server clock; "
                               "check the device clock"));
  }
  if (e.time.unix_ms < now - options_.max_age_ms) {
    return refuse(
        Status::Rule("time_too_old", "time", "event is older than the replay window (35 days)"));
  }
  std::string direction;
  if (device.direction == "both") {
    if (!e.direction) {
      return refuse(Status::InvalidArgument(
          "direction", "this device passes both ways; send direction in or out"));
    }
    direction = *e.direction;
  } else {
    if (e.direction && *e.direction != device.direction) {
      return refuse(
          Status::InvalidArgument("direction", "this device only passes " + device.direction));
    }
    direction = device.direction;
  }

  std::optional<std::int64_t> person;
  std::string identified_by = e.face_jpeg ? "face" : e.person_id ? "terminal" : "id_card";
  if (e.face_jpeg && face == nullptr) {
    return refuse(
        Status::Rule("face_recognition_unavailable", "face_image",
                     "this server has no face recognition (started without face models); send "
                     "person_id (recognised on the terminal) or id_number (ID-card reader)"));
  }
  if (e.person_id) {
    if (st.persons.count(*e.person_id)) {
      person = *e.person_id;
    } else {
      auto s = conn.Prepare("SELECT 1 FROM persons WHERE id = ?");
      s.Bind(1, *e.person_id);
      if (s.Step()) person = *e.person_id;
      ZZ_RETURN_IF_ERROR(StepStatus(s));
    }
  } else if (e.id_number) {
    ZZ_ASSIGN_OR_RETURN(person, registry_->FindPersonId(conn, e.id_type, *e.id_number));
  } else if (face != nullptr && face->matched) {
    person = face->person_id;  // 1:N
  }

  auto project_it = st.projects.find(device.project);
  if (project_it == st.projects.end()) {
    return Status::Internal("gate state has no project " + device.project);
  }
  ProjectFact& project = project_it->second;
  PassFacts f = person ? Standing(st.persons, project, *person, st.today) : PassFacts{};
  f.device_enabled = !device.disabled;
  f.score = e.score;
  f.liveness = e.liveness;
  if (face != nullptr) {
    if (e.person_id || e.id_number) f.face_matched = face->matched;  // 1:1 against the claim
    // No face, no liveness verdict: the pass fails on identification alone.
    if (face->liveness) f.liveness = face->live && e.liveness.value_or(true);
  }
  f.entering = direction == "in";
  f.exceptional = IsExceptionalPassMode(e.pass_mode);
  if (person) {
    if (auto o = project.onsite.find(*person); o != project.onsite.end()) {
      f.inside = o->second.inside;
      f.stale = e.time.unix_ms < o->second.since_ms;
    }
    if (auto l = project.last.find(*person); l != project.last.end()) {
      const std::int64_t window = project.policy.duplicate_window_s * 1000LL;
      f.duplicate = l->second.entering == f.entering && e.time.unix_ms >= l->second.time_ms &&
                    e.time.unix_ms - l->second.time_ms < window;
    }
  }
  const GateDecision decision = Decide(f, project.policy);

  Answer a;
  a.event_id = e.event_id;
  a.project = device.project;
  a.person_id = person;
  a.direction = direction;
  a.time_ms = e.time.unix_ms;
  a.allow = decision.allow;
  a.reasons = decision.reasons;
  a.warnings = decision.warnings;
  if (decision.allow && f.duplicate) a.flags |= kFlagDuplicate;
  if (f.exceptional) a.flags |= kFlagExceptional;
  if (f.stale) a.flags |= kFlagStale;
  std::optional<double> score = e.score;
  std::optional<std::string> face_json;
  if (face != nullptr) {
    score = face->score;
    a.face_score = face->score;
    a.face_liveness = face->liveness;
    face_json = face->ToJson().dump();
  }

  auto insert = conn.Prepare(
      "INSERT INTO gate_events(device_id, event_id, project_code, time_ms, utc_offset, local_date, "
      "received_at, person_id, identified_by, score, direction, pass_mode, decision, reasons, "
      "warnings, operator, operator_reason, flags, face) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(device_id, event_id) DO NOTHING");
  insert.Bind(1, device_id).Bind(2, e.event_id).Bind(3, device.project).Bind(4, e.time.unix_ms);
  insert.Bind(5, e.time.offset_minutes).Bind(6, LocalDateOf(e.time.unix_ms)).Bind(7, now);
  insert.Bind(8, person).Bind(9, identified_by).Bind(10, score).Bind(11, direction);
  insert.Bind(12, e.pass_mode).Bind(13, a.allow ? "allow" : "deny");
  insert.Bind(14, JsonArrayText(a.reasons)).Bind(15, JsonArrayText(a.warnings));
  insert.Bind(16, e.operator_name).Bind(17, e.operator_reason).Bind(18, a.flags);
  insert.Bind(19, face_json);
  ZZ_RETURN_IF_ERROR(insert.Run());
  if (conn.Changes() == 0) {  // this (device, event_id) is stored: a replay
    ZZ_ASSIGN_OR_RETURN(std::optional<Answer> stored, StoredAnswer(conn, device_id, e.event_id));
    if (!stored) return Status::Internal("gate event neither inserted nor stored");
    return std::move(*stored);
  }
  a.seq = conn.LastInsertRowId();
  if ((e.time.unix_ms + kChinaOffsetMs) / kDayMs != (now + kChinaOffsetMs) / kDayMs) {
    past_changes_.fetch_add(1, std::memory_order_acq_rel);
  }

  const bool moves = a.allow && person && !f.duplicate && !f.stale;
  if (moves) {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare(
                "INSERT INTO onsite(project_code, person_id, inside, since_ms, last_device_id, "
                "last_seq, auto_clocked_out) VALUES (?,?,?,?,?,?,0) "
                "ON CONFLICT(project_code, person_id) DO UPDATE SET inside = excluded.inside, "
                "since_ms = excluded.since_ms, last_device_id = excluded.last_device_id, "
                "last_seq = excluded.last_seq, auto_clocked_out = 0")
            .Bind(1, device.project)
            .Bind(2, *person)
            .Bind(3, f.entering ? 1 : 0)
            .Bind(4, e.time.unix_ms)
            .Bind(5, device_id)
            .Bind(6, a.seq)
            .Run());
  }
  // The listeners come last of the writes: once they succeed nothing of this event can fail,
  // so what they keep in memory (PassMemo, the residence memo) is never ahead of the database.
  if (person) {
    const PassNotice notice{device.project, *person, a.allow, f.exited, e.time.unix_ms, a.seq};
    for (const auto& listener : pass_listeners_)
      ZZ_RETURN_IF_ERROR(listener(conn, notice));
  }
  if (a.allow && person && !f.stale) {
    std::unique_lock lock(mu_);
    if (moves) {
      OnsiteFact& o = project.onsite[*person];
      if (o.inside != f.entering) project.inside_count += f.entering ? 1 : -1;
      o = OnsiteFact{f.entering, e.time.unix_ms, device_id, false};
    }
    if (!f.duplicate) project.last[*person] = LastPass{e.time.unix_ms, f.entering};
  }
  return a;
}

namespace {

// The error of one event in a batch answer, with its event_id when it had one.
json BatchError(const Status& s, const std::string& event_id) {
  json error = {{"code", s.code()}, {"message", s.message()}};
  if (!s.field().empty()) error["field"] = s.field();
  json out = {{"error", error}};
  if (!event_id.empty()) out["event_id"] = event_id;
  return out;
}

}  // namespace

void Gate::PublishPass(const Answer& a) {
  if (a.replayed || !live_.has_subscribers()) return;  // no message to build for nobody
  json message = a.ToJson();
  message["type"] = "pass";
  message["project_code"] = a.project;
  message["time"] = FormatRfc3339(a.time_ms);
  {
    std::shared_lock lock(mu_);
    auto p = state_->projects.find(a.project);
    message["onsite_count"] = p == state_->projects.end() ? 0 : p->second.inside_count;
    auto n = a.person_id ? state_->persons.find(*a.person_id) : state_->persons.end();
    message["name"] = n == state_->persons.end() ? "" : n->second.name;
  }
  live_.Publish(a.project, message.dump());
}

void Gate::RecogniseFaces(std::int64_t device_id,
                          std::shared_ptr<std::vector<Result<GateEventInput>>> events,
                          std::function<void(FaceResults)> done) {
  struct Pending {
    FaceResults results;
    std::atomic<int> left{0};
    std::function<void(FaceResults)> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->results.resize(events->size());
  pending->done = std::move(done);
  std::vector<size_t> with_face;
  for (size_t i = 0; i < events->size(); ++i) {
    if ((*events)[i].ok() && (*events)[i]->face_jpeg) with_face.push_back(i);
  }
  if (with_face.empty() || face_matcher_ == nullptr)
    return pending->done(std::move(pending->results));
  std::string project;
  {
    std::shared_lock lock(mu_);
    auto it = state_->devices.find(device_id);
    if (it != state_->devices.end()) project = it->second.project;
  }
  pending->left = static_cast<int>(with_face.size());
  for (size_t i : with_face) {
    GateEventInput& e = *(*events)[i];
    FaceQuery query;
    query.project = project;
    query.jpeg = std::move(*e.face_jpeg);
    e.face_jpeg = std::string();  // still a face event; the photo itself is no longer needed
    query.claimed_person = e.person_id;
    if (e.id_number) {
      // The card read with the photo names the claim; an unknown number stays unknown_person.
      auto found = db_->Read([&](store::Connection& conn) {
        return registry_->FindPersonId(conn, e.id_type, *e.id_number);
      });
      if (found.ok() && *found) query.claimed_person = **found;
      if (found.ok() && !*found) query.claimed_person = 0;  // nobody: nothing to match against
    }
    face_matcher_->Identify(std::move(query), [pending, i](Result<FaceVerdict> verdict) {
      pending->results[i] = std::move(verdict);
      if (--pending->left == 0) pending->done(std::move(pending->results));
    });
  }
}

Gate::EventCounts Gate::event_counts() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return EventCounts{allowed_.load(kRelaxed), denied_.load(kRelaxed), replayed_.load(kRelaxed),
                     refused_.load(kRelaxed)};
}

void Gate::CountAnswer(const Answer& a) {
  (a.replayed ? replayed_ : a.allow ? allowed_ : denied_).fetch_add(1, std::memory_order_relaxed);
}

void Gate::CountRefused(size_t n) {
  refused_.fetch_add(n, std::memory_order_relaxed);
}

void Gate::SubmitEvent(const security::Principal& device, Result<GateEventInput> event,
                       AnswerDone done) {
  if (!event.ok()) {
    CountRefused(1);
    return done(event.status());
  }
  const std::int64_t device_id = device.device_id;
  if (!event->face_jpeg) {
    return WritePass(device_id, std::move(*event), std::nullopt, std::move(done));
  }
  auto inputs = std::make_shared<std::vector<Result<GateEventInput>>>();
  inputs->push_back(std::move(event));
  RecogniseFaces(device_id, inputs, [this, device_id, inputs, done](FaceResults faces) {
    std::optional<FaceVerdict> face;
    if (faces[0]) {
      if (!faces[0]->ok()) {
        CountRefused(1);
        return done(faces[0]->status());
      }
      face = std::move(*faces[0]).value();
    }
    WritePass(device_id, std::move(*(*inputs)[0]), std::move(face), done);
  });
}

void Gate::WritePass(std::int64_t device_id, GateEventInput input, std::optional<FaceVerdict> face,
                     AnswerDone done) {
  // One allocation for all that the job and its completion share.
  struct Pass {
    GateEventInput input;
    std::optional<FaceVerdict> face;
    AnswerDone done;
    Answer answer;
  };
  auto pass = std::make_shared<Pass>(Pass{std::move(input), std::move(face), std::move(done), {}});
  db_->WriteAsync(
      [this, device_id, pass](store::Connection& conn) -> Status {
        auto result =
            ProcessEvent(conn, device_id, pass->input, pass->face ? &*pass->face : nullptr);
        if (!result.ok()) return result.status();
        pass->answer = std::move(result).value();
        return Status::Ok();
      },
      [this, pass](const Status& status) {
        if (!status.ok()) {
          CountRefused(1);
          return pass->done(status);
        }
        CountAnswer(pass->answer);
        PublishPass(pass->answer);
        pass->done(pass->answer.ToJsonText());
      },
      // ProcessEvent refuses before its first write, so a pass needs no savepoint of its own.
      store::Undo::kGroup);
}

void Gate::SubmitBatch(const security::Principal& device,
                       std::vector<Result<GateEventInput>> events, EventDone done) {
  const std::int64_t device_id = device.device_id;
  auto inputs = std::make_shared<std::vector<Result<GateEventInput>>>(std::move(events));
  RecogniseFaces(device_id, inputs, [this, device_id, inputs, done](FaceResults faces_in) {
    auto faces = std::make_shared<FaceResults>(std::move(faces_in));
    auto results = std::make_shared<std::vector<json>>();
    auto answers = std::make_shared<std::vector<Answer>>();
    db_->WriteAsync(
        [this, device_id, inputs, faces, results, answers](store::Connection& conn) -> Status {
          results->clear();
          answers->clear();
          for (size_t i = 0; i < inputs->size(); ++i) {
            const auto& input = (*inputs)[i];
            if (!input.ok()) {
              const Status& s = input.status();
              const auto& id = s.details().value("event_id", json());
              results->push_back(BatchError(s, id.is_string() ? id.get<std::string>() : ""));
              continue;
            }
            const FaceVerdict* face = nullptr;
            if ((*faces)[i]) {
              if (!(*faces)[i]->ok()) {
                results->push_back(BatchError((*faces)[i]->status(), input->event_id));
                continue;
              }
              face = &(*faces)[i]->value();
            }
            // Each event is its own savepoint: one bad event never undoes its neighbours.
            ZZ_RETURN_IF_ERROR(conn.Prepare("SAVEPOINT gate_event").Run());
            auto answer = ProcessEvent(conn, device_id, *input, face);
            if (!answer.ok()) {
              conn.Prepare("ROLLBACK TO gate_event").Run();
              results->push_back(BatchError(answer.status(), input->event_id));
            } else {
              results->push_back(answer->ToJson());
              answers->push_back(std::move(answer).value());
            }
            ZZ_RETURN_IF_ERROR(conn.Prepare("RELEASE gate_event").Run());
          }
          return Status::Ok();
        },
        [this, results, answers, done, n = inputs->size()](const Status& status) {
          if (!status.ok()) {
            CountRefused(n);
            return done(status);
          }
          int allowed = 0, denied = 0, failed = 0;
          for (const json& r : *results) {
            if (r.contains("error")) {
              ++failed;
            } else if (r["decision"] == "allow") {
              ++allowed;
            } else {
              ++denied;
            }
          }
          CountRefused(failed);
          for (const Answer& a : *answers) {
            CountAnswer(a);
            PublishPass(a);
          }
          done(json{{"results", std::move(*results)},
                    {"allowed", allowed},
                    {"denied", denied},
                    {"failed", failed}});
        });
  });
}

Result<PassTally> Gate::RecordPasses(const std::vector<DevicePass>& passes, size_t chunk) {
  // Jobs are queued without waiting, so the writer commits many of them per fsync. No savepoint
  // per event: ProcessEvent refuses an event before it writes anything, so a refused event
  // leaves nothing behind; a database error fails the whole job, and then the state is reloaded
  // because memory may hold passes of that job.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = 0;
    PassTally tally;
    Status failure;
    std::string first_rejection;
  };
  auto shared = std::make_shared<Shared>();
  chunk = std::max<size_t>(1, chunk);
  for (size_t begin = 0; begin < passes.size(); begin += chunk) {
    const size_t end = std::min(passes.size(), begin + chunk);
    auto part = std::make_shared<PassTally>();
    auto rejection = std::make_shared<std::string>();
    {
      std::lock_guard lock(shared->mu);
      ++shared->pending;
    }
    db_->WriteAsync(
        [this, &passes, begin, end, part, rejection](store::Connection& conn) -> Status {
          *part = PassTally{};
          for (size_t i = begin; i < end; ++i) {
            auto answer = ProcessEvent(conn, passes[i].device_id, passes[i].event, nullptr);
            if (!answer.ok()) {
              if (answer.status().kind() == StatusKind::kInternal) return answer.status();
              ++part->rejected;
              if (rejection->empty()) *rejection = answer.status().ToString();
            } else if (answer->allow) {
              ++part->allowed;
            } else {
              ++part->denied;
            }
          }
          return Status::Ok();
        },
        [shared, part, rejection](const Status& status) {
          std::lock_guard lock(shared->mu);
          if (!status.ok()) {
            if (shared->failure.ok()) shared->failure = status;
          } else {
            shared->tally.allowed += part->allowed;
            shared->tally.denied += part->denied;
            shared->tally.rejected += part->rejected;
            if (shared->first_rejection.empty()) shared->first_rejection = *rejection;
          }
          if (--shared->pending == 0) shared->cv.notify_all();
        });
  }
  std::unique_lock lock(shared->mu);
  shared->cv.wait(lock, [&] { return shared->pending == 0; });
  if (!shared->failure.ok()) {
    lock.unlock();
    // Memory may hold passes of the failed job: start over from what is committed.
    Status reload = db_->Write([this](store::Connection& conn) { return Load(conn); });
    if (!reload.ok()) spdlog::error("event=gate_reload_failed error=\"{}\"", reload.ToString());
    return shared->failure;
  }
  if (!shared->first_rejection.empty()) {
    spdlog::warn("event=bulk_passes_rejected count={} first=\"{}\"", shared->tally.rejected,
                 shared->first_rejection);
  }
  return shared->tally;
}

Result<json> Gate::Heartbeat(const security::Principal& device, const json& body) {
  JsonFieldReader in(body);
  auto person_count = in.OptInteger("person_count");
  auto face_count = in.OptInteger("face_count");
  auto firmware = in.OptText("firmware", 64);
  auto device_time = in.OptText("device_time", 40);
  ZZ_RETURN_IF_ERROR(in.Finish());
  const std::int64_t now = NowUnixMs();
  std::optional<std::int64_t> offset;
  if (device_time) {
    ZZ_ASSIGN_OR_RETURN(auto t, Timestamp::ParseRfc3339(*device_time, "device_time"));
    offset = t.unix_ms - now;
  }
  if ((person_count && *person_count < 0) || (face_count && *face_count < 0)) {
    return Status::InvalidArgument(
        person_count && *person_count < 0 ? "person_count" : "face_count",
        "counts cannot be negative");
  }
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("UPDATE devices SET last_seen_at = ?, clock_offset_ms = IFNULL(?, "
                     "clock_offset_ms), "
                     "firmware = IFNULL(?, firmware), person_count = IFNULL(?, person_count), "
                     "face_count = IFNULL(?, face_count) WHERE id = ?")
            .Bind(1, now)
            .Bind(2, offset)
            .Bind(3, firmware)
            .Bind(4, person_count)
            .Bind(5, face_count)
            .Bind(6, device.device_id)
            .Run());
    return DeviceChanged(conn, device.device_id);
  }));
  json out = {{"server_time", FormatRfc3339(now)},
              {"clock_offset_ms", offset ? json(*offset) : json()},
              {"clock_skew", offset && std::llabs(*offset) > options_.clock_skew_ms}};
  return out;
}

Result<json> Gate::Roster(const security::Principal& device, std::int64_t since) const {
  std::string project;
  {
    std::shared_lock lock(mu_);
    auto it = state_->devices.find(device.device_id);
    if (it == state_->devices.end()) return Status::Unauthenticated("unknown device");
    project = it->second.project;
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
  std::shared_lock lock(mu_);
  const State& st = *state_;
  version = since > 0 ? std::max(version, since) : std::max(version, st.roster_version);
  auto project_it = st.projects.find(project);
  json allowed = json::array();
  json revoked = json::array();
  auto entry = [&](std::int64_t person) {
    json item = {{"person_id", person}};
    if (auto p = st.persons.find(person); p != st.persons.end()) {
      item["name"] = p->second.name;
      item["id_number"] = p->second.masked_id;
    }
    if (project_it != st.projects.end()) {
      if (auto e = project_it->second.enrolments.find(person);
          e != project_it->second.enrolments.end()) {
        item["card_no"] = e->second.card_no ? json(*e->second.card_no) : json();
        item["work_type"] = e->second.work_type;
        item["team"] = e->second.team_name;
      }
    }
    if (auto p = st.persons.find(person); p != st.persons.end()) {
      item["face_version"] = p->second.face_version;
    }
    return item;
  };
  if (since <= 0) {
    if (project_it != st.projects.end()) {
      for (const auto& [person, ok] : project_it->second.roster) {
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

// ------------------------------------------------------------------------------------ readers

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
    std::shared_lock lock(mu_);
    const State& st = *state_;
    auto it = st.projects.find(project);
    if (it == st.projects.end()) return Status::NotFound("no project " + project);
    const ProjectFact& p = it->second;
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
      if (auto n = st.persons.find(person); n != st.persons.end()) {
        row.name = n->second.name;
        row.masked = n->second.masked_id;
      }
      if (enrolment) {
        row.work_type = enrolment->work_type;
        row.team = enrolment->team_name;
        row.post = enrolment->post;
      }
      if (auto d = st.devices.find(o.device_id); d != st.devices.end()) row.zone = d->second.zone;
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
  std::shared_lock lock(mu_);
  json projects = json::array();
  std::int64_t total = 0;
  std::vector<std::pair<std::string, const ProjectFact*>> sorted;
  for (const auto& [code, p] : state_->projects) {
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
  std::shared_lock lock(mu_);
  std::int64_t workers = 0, managers = 0;
  for (const auto& [code, p] : state_->projects) {
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
    auto exists = conn.Prepare("SELECT 1 FROM projects WHERE code = ?");
    exists.Bind(1, project);
    if (!exists.Step()) return Status::NotFound("no project " + project);
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
  std::shared_lock lock(mu_);
  const ProjectFact* p = nullptr;
  if (auto it = state_->projects.find(project); it != state_->projects.end()) p = &it->second;
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
    auto exists = conn.Prepare("SELECT 1 FROM persons WHERE id = ?");
    exists.Bind(1, person_id);
    if (!exists.Step()) return Status::NotFound("no person " + std::to_string(person_id));
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

// ------------------------------------------------------------------------------------ policy

Result<json> Gate::GetPolicy(const std::string& project) const {
  std::shared_lock lock(mu_);
  auto it = state_->projects.find(project);
  if (it == state_->projects.end()) {
    // A project without gate state yet has the default policy, if it exists at all.
    auto exists = db_->Read([&](store::Connection& conn) {
      auto s = conn.Prepare("SELECT 1 FROM projects WHERE code = ?");
      s.Bind(1, project);
      return s.Step();
    });
    if (!exists) return Status::NotFound("no project " + project);
    json out = GatePolicy().ToJson();
    out["project_code"] = project;
    return out;
  }
  json out = it->second.policy.ToJson();
  out["project_code"] = project;
  return out;
}

Result<json> Gate::SetPolicy(const std::string& project, const GatePolicy& policy,
                             const AlsoWrite& also) {
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT name, status FROM projects WHERE code = ?");
    s.Bind(1, project);
    if (!s.Step()) return Status::NotFound("no project " + project);
    const std::string name = s.Text(0), project_status = s.Text(1);
    ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO gate_policies(project_code, policy, updated_at) "
                                    "VALUES (?,?,?) ON CONFLICT(project_code) DO UPDATE SET "
                                    "policy = excluded.policy, updated_at = excluded.updated_at")
                           .Bind(1, project)
                           .Bind(2, policy.ToJson().dump())
                           .Bind(3, NowUnixMs())
                           .Run());
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    std::vector<std::int64_t> persons;
    {
      std::unique_lock lock(mu_);
      auto [it, inserted] = state_->projects.try_emplace(project);
      if (inserted) {
        it->second.name = name;
        it->second.status = project_status;
      }
      it->second.policy = policy;
      for (const auto& [person, e] : it->second.enrolments)
        persons.push_back(person);
    }
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
    if (!s.Step()) return Status::NotFound("no person " + std::to_string(person_id));
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

// ------------------------------------------------------------------------------------ housekeeping

Status Gate::Tick() {
  const std::int64_t today = Today();
  bool new_day = false;
  {
    std::shared_lock lock(mu_);
    new_day = state_->today != today;
  }
  if (new_day) {
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      {
        std::unique_lock lock(mu_);
        state_->today = today;
      }
      for (const auto& [code, project] : state_->projects) {
        std::vector<std::int64_t> persons;
        for (const auto& [person, e] : project.enrolments)
          persons.push_back(person);
        ZZ_RETURN_IF_ERROR(RecomputeStandings(conn, code, persons, "new_day"));
      }
      return Status::Ok();
    }));
  }
  // Anyone inside since before the latest automatic clock-out has an open day to close — also
  // when a terminal replays an old "in" after the cut-off, which is closed at the next tick.
  ZZ_ASSIGN_OR_RETURN(int closed,
                      ClockOutAll(LatestClockOutCutoff(NowUnixMs(), options_.auto_clockout_hour)));
  if (closed > 0) spdlog::info("event=auto_clock_out closed={}", closed);
  return Status::Ok();
}

Result<int> Gate::ClockOutAll(std::int64_t cutoff_ms) {
  {
    // Most ticks close nobody: look first, without a write job.
    std::shared_lock lock(mu_);
    bool any = false;
    for (const auto& [code, project] : state_->projects) {
      for (const auto& [person, o] : project.onsite)
        any = any || (o.inside && o.since_ms < cutoff_ms);
    }
    if (!any) return 0;
  }
  int closed = 0;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    struct Closing {
      std::string project;
      std::int64_t person;
    };
    std::vector<Closing> closing;
    for (const auto& [code, project] : state_->projects) {
      for (const auto& [person, o] : project.onsite) {
        if (o.inside && o.since_ms < cutoff_ms) closing.push_back({code, person});
      }
    }
    for (const Closing& c : closing) {
      const std::int64_t since = state_->projects[c.project].onsite[c.person].since_ms;
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO gate_events(device_id, event_id, project_code, time_ms, "
                       "utc_offset, local_date, received_at, person_id, identified_by, direction, "
                       "decision, reasons, warnings, flags) "
                       "VALUES (NULL,?,?,?,?,?,?,?,'auto','out','allow','[]','[]',?)")
              .Bind(1,
                    "auto-clock-out:" + std::to_string(cutoff_ms) + ":" + std::to_string(c.person))
              .Bind(2, c.project)
              .Bind(3, cutoff_ms)
              .Bind(4, kChinaUtcOffsetMinutes)
              .Bind(5, LocalDateOf(since))  // closes the day the person came in
              .Bind(6, NowUnixMs())
              .Bind(7, c.person)
              .Bind(8, kFlagAutoClockOut)
              .Run());
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("UPDATE onsite SET inside = 0, since_ms = ?, "
                       "auto_clocked_out = 1 WHERE project_code = ? AND person_id = ?")
              .Bind(1, cutoff_ms)
              .Bind(2, c.project)
              .Bind(3, c.person)
              .Run());
    }
    std::unique_lock lock(mu_);
    for (const Closing& c : closing) {
      ProjectFact& p = state_->projects[c.project];
      OnsiteFact& o = p.onsite[c.person];
      o.inside = false;
      o.since_ms = cutoff_ms;
      o.auto_clocked_out = true;
      --p.inside_count;
      p.last[c.person] = LastPass{cutoff_ms, false};
    }
    closed = static_cast<int>(closing.size());
    past_changes_.fetch_add(1, std::memory_order_acq_rel);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return closed;
}

}  // namespace zhizhi::gate

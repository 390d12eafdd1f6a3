#include "alerts/detectors.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "alerts/enrolled_person.h"
#include "alerts/residence_detectors.h"
#include "base/civil_time.h"
#include "registry/code_lists.h"

namespace zhizhi::alerts {

using nlohmann::json;

DetectionClock DetectionClock::At(std::int64_t now_ms) {
  DetectionClock c;
  c.now_ms = now_ms;
  c.today = Date::FromDays((now_ms + kChinaUtcOffsetMinutes * 60'000LL) / 86'400'000LL);
  return c;
}

std::int64_t StartOfChinaDay(const Date& date) {
  return date.DaysSinceEpoch() * 86'400'000LL - kChinaUtcOffsetMinutes * 60'000LL;
}

namespace {

using Enrolment = EnrolledPerson::Enrolment;

struct Certificate {
  std::int64_t id;
  std::string kind, type, number;
  Date from, to;
  bool revoked;
};

struct Leave {
  std::optional<std::string> project;
  Date from, to;
};

json Link(const char* kind, const std::string& id, const std::string& href) {
  return {{"kind", kind}, {"id", id}, {"href", href}};
}

json EnrolmentLink(const Enrolment& e, std::int64_t person) {
  return Link(
      "enrolment", std::to_string(e.id),
      "/api/v1/projects/" + e.project + "/workers?status=all#person-" + std::to_string(person));
}

json CertificateLink(std::int64_t id) {
  return Link("certificate", std::to_string(id), "/api/v1/certificates/" + std::to_string(id));
}

bool ValidOn(const Certificate& c, const Date& day) {
  return !c.revoked && c.from <= day && day <= c.to;
}

// The person's certificates satisfy every group of `required` on `day`; otherwise the names of
// the first certificate of each unmet group.
std::vector<std::string> Unmet(const registry::CertificateRequirements& required,
                               const std::vector<Certificate>& certificates, const Date& day) {
  std::vector<std::string> missing;
  for (const auto& any_of : required) {
    const bool met = std::any_of(any_of.begin(), any_of.end(), [&](const auto& need) {
      return std::any_of(certificates.begin(), certificates.end(), [&](const Certificate& c) {
        return c.kind == need.first && c.type == need.second && ValidOn(c, day);
      });
    });
    if (met) continue;
    std::string names;
    for (const auto& [kind, type] : any_of) {
      if (!names.empty()) names += "/";
      const auto name = registry::NameOf(registry::CertificateTypes(kind), type);
      names += name.empty() ? std::string(type) : std::string(name);
    }
    missing.push_back(names);
  }
  return missing;
}

class PersonDetection {
 public:
  PersonDetection(const registry::Rulebook& rules, store::Connection& conn, std::int64_t person,
                  const DetectionClock& clock, std::vector<AlertDraft>& out)
      : rules_(rules), conn_(conn), person_(person), clock_(clock), out_(out) {}

  Status Run() {
    ZZ_RETURN_IF_ERROR(Load());
    ZZ_RETURN_IF_ERROR(DuplicateIdentity());
    if (enrolments_.empty()) return Status::Ok();
    ZZ_RETURN_IF_ERROR(PostConflicts());
    PostUncertified();
    CertificateExpiry();
    ZZ_RETURN_IF_ERROR(Presence());
    ZZ_RETURN_IF_ERROR(ExitedButSeen());
    return Status::Ok();
  }

 private:
  Status Load() {
    ZZ_ASSIGN_OR_RETURN(EnrolledPerson loaded, LoadEnrolledPerson(conn_, person_));
    name_ = std::move(loaded.name);
    enrolments_ = std::move(loaded.enrolments);
    if (enrolments_.empty()) return Status::Ok();

    auto c = conn_.Prepare(
        "SELECT id, kind, type_code, number, valid_from, valid_to, revoked_at IS NOT NULL "
        "FROM certificates WHERE person_id = ? ORDER BY id");
    c.Bind(1, person_);
    while (c.Step()) {
      certificates_.push_back(Certificate{c.Int(0), c.Text(1), c.Text(2), c.Text(3),
                                          StoredDate(c.Text(4)), StoredDate(c.Text(5)),
                                          c.Int(6) != 0});
    }
    ZZ_RETURN_IF_ERROR(c.status());

    auto x = conn_.Prepare(
        "SELECT project_code FROM post_exemptions WHERE person_id = ? AND revoked_at IS NULL "
        "AND (valid_to IS NULL OR valid_to >= ?)");
    x.Bind(1, person_).Bind(2, clock_.today.ToString());
    while (x.Step())
      exempt_.insert(x.Text(0));
    ZZ_RETURN_IF_ERROR(x.status());

    auto l = conn_.Prepare(
        "SELECT project_code, from_date, to_date FROM leaves WHERE person_id = ? AND to_date >= ?");
    l.Bind(1, person_).Bind(2, clock_.today.AddDays(-rules_.presence().window_days - 1).ToString());
    while (l.Step()) {
      leaves_.push_back(Leave{l.OptText(0), StoredDate(l.Text(1)), StoredDate(l.Text(2))});
    }
    return l.status();
  }

  AlertDraft Draft(const char* type, const Enrolment& e, std::string key_suffix = {}) const {
    AlertDraft d;
    d.type = type;
    d.key = std::string(type) + ":" + e.project + ":" + std::to_string(person_) + key_suffix;
    d.severity = std::string(rules_.Severity(type));
    d.subject_kind = "person";
    d.subject_id = std::to_string(person_);
    d.project_code = e.project;
    d.person_id = person_;
    d.evidence.push_back(
        Link("person", std::to_string(person_), "/api/v1/persons/" + std::to_string(person_)));
    d.evidence.push_back(EnrolmentLink(e, person_));
    return d;
  }

  bool Active(const Enrolment& e) const {
    return e.open() && e.project_status == "active" && e.entry <= clock_.today;
  }

  std::string PostName(const Enrolment& e) const {
    const auto* rule = e.post ? rules_.FindPost(*e.post) : nullptr;
    return rule ? std::string(rule->name) : e.post.value_or("");
  }

  // 挂证: a key post held on two or more live projects at once, minus approved exemptions.
  Status PostConflicts() {
    std::vector<const Enrolment*> held;
    for (const Enrolment& e : enrolments_) {
      if (!e.open() || !e.post) continue;
      const auto* rule = rules_.FindPost(*e.post);
      if (!rule || !rule->key) continue;
      if (!rules_.conflict_live_statuses().count(e.project_status)) continue;
      if (exempt_.count(e.project)) continue;
      held.push_back(&e);
    }
    if (held.size() < 2) return Status::Ok();
    for (const Enrolment* e : held) {
      AlertDraft d = Draft(type::kPostConflict, *e);
      std::string others;
      json projects = json::array();
      for (const Enrolment* other : held) {
        projects.push_back({{"project_code", other->project},
                            {"post", other->post.value_or("")},
                            {"entry_date", other->entry.ToString()}});
        if (other == e) continue;
        d.evidence.push_back(EnrolmentLink(*other, person_));
        if (!others.empty()) others += "、";
        others += other->project_name + " (" + other->project + ", " + PostName(*other) + ")";
      }
      d.message = name_ + " 在 " + e->project_name + " 任" + PostName(*e) + "，同时在 " + others +
                  " 任关键岗位 (挂证嫌疑)";
      d.detail = {{"projects", std::move(projects)}, {"post", e->post.value_or("")}};
      out_.push_back(std::move(d));
    }
    return Status::Ok();
  }

  void PostUncertified() {
    for (const Enrolment& e : enrolments_) {
      if (!Active(e)) continue;
      const registry::CertificateRequirements* required = nullptr;
      std::string what;
      if (e.work_role == registry::kManagerRole) {
        const auto* rule = e.post ? rules_.FindPost(*e.post) : nullptr;
        if (!rule) continue;
        required = &rule->required;
        what = std::string(rule->name);
      } else {
        required = &rules_.WorkTypeRequirements(e.work_type);
        what = std::string(registry::NameOf(registry::WorkTypes(), e.work_type));
      }
      const auto missing = Unmet(*required, certificates_, clock_.today);
      if (missing.empty()) continue;
      AlertDraft d = Draft(type::kPostUncertified, e);
      std::string list;
      for (const auto& m : missing)
        list += (list.empty() ? "" : "、") + m;
      d.message = name_ + " 在 " + e.project_name + " 任" + what + "，缺少有效证书: " + list;
      d.detail = {{"post", e.post.value_or("")}, {"work_type", e.work_type}, {"missing", missing}};
      out_.push_back(std::move(d));
    }
  }

  // Expiring and expired certificates of people working on a live project. Only the newest
  // certificate of each kind and type counts: a renewed certificate replaces the old one.
  void CertificateExpiry() {
    std::map<std::pair<std::string, std::string>, const Certificate*> newest;
    for (const Certificate& c : certificates_) {
      if (c.revoked) continue;
      auto& slot = newest[{c.kind, c.type}];
      if (!slot || slot->to < c.to) slot = &c;
    }
    const int window = rules_.expiry_stages().front();
    for (const Enrolment& e : enrolments_) {
      if (!e.open() || !rules_.conflict_live_statuses().count(e.project_status)) continue;
      for (const auto& [kind_type, c] : newest) {
        const std::int64_t days_left = c->to.DaysSinceEpoch() - clock_.today.DaysSinceEpoch();
        const std::string type_name(registry::NameOf(registry::CertificateTypes(c->kind), c->type));
        if (days_left < 0) {
          AlertDraft d = Draft(type::kCertificateExpired, e, ":" + std::to_string(c->id));
          d.evidence.push_back(CertificateLink(c->id));
          d.message =
              name_ + " 的" + type_name + " (" + c->number + ") 已于 " + c->to.ToString() + " 过期";
          d.detail = {{"certificate_id", c->id}, {"valid_to", c->to.ToString()}};
          out_.push_back(std::move(d));
        } else if (days_left <= window) {
          int stage = window;
          for (int s : rules_.expiry_stages()) {
            if (days_left <= s) stage = s;
          }
          AlertDraft d = Draft(type::kCertificateExpiring, e, ":" + std::to_string(c->id));
          d.evidence.push_back(CertificateLink(c->id));
          d.message = name_ + " 的" + type_name + " (" + c->number + ") 将于 " + c->to.ToString() +
                      " 到期 (" + std::to_string(stage) + " 天内)";
          // The stage, not the day count, so the alert changes three times, not every day.
          d.detail = {
              {"certificate_id", c->id}, {"valid_to", c->to.ToString()}, {"stage_days", stage}};
          out_.push_back(std::move(d));
        }
      }
    }
  }

  bool OnLeave(const Enrolment& e, const Date& day) const {
    return std::any_of(leaves_.begin(), leaves_.end(), [&](const Leave& l) {
      return (!l.project || *l.project == e.project) && l.from <= day && day <= l.to;
    });
  }

  // Days (CST) with an allowed pass at each project since `from`.
  Result<std::map<std::string, std::set<std::int64_t>>> PassDays(const Date& from) const {
    std::map<std::string, std::set<std::int64_t>> days;
    auto s = conn_.Prepare(
        "SELECT project_code, local_date FROM gate_events WHERE person_id = ? AND time_ms >= ? "
        "AND decision = 'allow'");
    s.Bind(1, person_).Bind(2, StartOfChinaDay(from));
    while (s.Step())
      days[s.Text(0)].insert(StoredDate(s.Text(1)).DaysSinceEpoch());
    ZZ_RETURN_IF_ERROR(s.status());
    return days;
  }

  // Key personnel presence and workers never seen at the gate.
  Status Presence() {
    const registry::PresenceRule& rule = rules_.presence();
    const int unseen = rules_.worker_unseen_days();
    std::vector<const Enrolment*> key, workers;
    for (const Enrolment& e : enrolments_) {
      if (!Active(e)) continue;
      const auto* post = e.post ? rules_.FindPost(*e.post) : nullptr;
      if (e.work_role == registry::kManagerRole && post && post->key) key.push_back(&e);
      if (e.work_role == registry::kWorkerRole &&
          e.entry.DaysSinceEpoch() <= clock_.today.DaysSinceEpoch() - unseen) {
        workers.push_back(&e);
      }
    }
    if (key.empty() && workers.empty()) return Status::Ok();
    const int lookback = key.empty() ? unseen : std::max(unseen, rule.window_days);
    ZZ_ASSIGN_OR_RETURN(auto passes, PassDays(clock_.today.AddDays(-lookback)));
    static const std::set<std::int64_t> kNone;

    for (const Enrolment* e : key) {
      auto it = passes.find(e->project);
      const auto& seen = it == passes.end() ? kNone : it->second;
      // The last working month, ending yesterday (today is not over), from the entry date on.
      const Date first = std::max(clock_.today.AddDays(-rule.window_days), e->entry);
      int working = 0, present = 0, streak = 0;
      bool streak_open = true;
      for (Date day = clock_.today.AddDays(-1); day >= first; day = day.AddDays(-1)) {
        if (!rules_.IsWorkingDay(day) || OnLeave(*e, day)) continue;
        ++working;
        const bool was_there = seen.count(day.DaysSinceEpoch()) > 0;
        present += was_there;
        if (streak_open && !was_there) ++streak;
        if (was_there) streak_open = false;
      }
      if (working < rule.min_working_days) continue;
      const double rate = static_cast<double>(present) / working;
      const bool low = rate < rule.target_rate;
      const bool gone = streak >= rule.max_working_days_without_pass;
      if (!low && !gone) continue;
      AlertDraft d = Draft(type::kKeyPersonAbsent, *e);
      const int percent = static_cast<int>(rate * 100 + 0.5);
      d.message = name_ + " (" + e->project_name + " " + PostName(*e) + ") 近 " +
                  std::to_string(working) + " 个工作日到岗 " + std::to_string(present) + " 天 (" +
                  std::to_string(percent) + "%)";
      if (gone) d.message += "，已连续 " + std::to_string(streak) + " 个工作日无考勤";
      d.detail = {{"working_days", working},
                  {"present_days", present},
                  {"rate_percent", percent},
                  {"days_without_pass", streak},
                  {"target_percent", static_cast<int>(rule.target_rate * 100 + 0.5)}};
      if (gone) d.severity = "red";
      out_.push_back(std::move(d));
    }

    const std::int64_t since = clock_.today.DaysSinceEpoch() - unseen;
    for (const Enrolment* e : workers) {
      auto it = passes.find(e->project);
      const bool seen = it != passes.end() && it->second.lower_bound(since) != it->second.end();
      if (seen) continue;
      AlertDraft d = Draft(type::kWorkerUnseen, *e);
      d.message = name_ + " 在 " + e->project_name + " 登记在场，但 " + std::to_string(unseen) +
                  " 天内没有通行记录";
      d.detail = {{"days", unseen}, {"entry_date", e->entry.ToString()}};
      out_.push_back(std::move(d));
    }
    return Status::Ok();
  }

  // Passes at a project after the person exited it (and did not re-enrol).
  Status ExitedButSeen() {
    std::map<std::string, Date> exited;  // project -> latest exit date, when no open enrolment
    std::set<std::string> open;
    for (const Enrolment& e : enrolments_) {
      if (e.open()) {
        open.insert(e.project);
      } else {
        auto [it, inserted] = exited.emplace(e.project, *e.exit);
        if (!inserted && it->second < *e.exit) it->second = *e.exit;
      }
    }
    const Date horizon = clock_.today.AddDays(-rules_.exited_seen_days());
    for (const auto& [project, exit] : exited) {
      if (open.count(project)) continue;
      const Date after = std::max(exit.AddDays(1), horizon);
      auto s = conn_.Prepare(
          "SELECT seq, time_ms, decision, (SELECT COUNT(*) FROM gate_events g2 WHERE "
          "g2.person_id = g.person_id AND g2.project_code = g.project_code AND g2.time_ms >= ?) "
          "FROM gate_events g WHERE person_id = ? AND project_code = ? AND time_ms >= ? "
          "ORDER BY time_ms DESC LIMIT 1");
      s.Bind(1, StartOfChinaDay(after)).Bind(2, person_).Bind(3, project);
      s.Bind(4, StartOfChinaDay(after));
      if (!s.Step()) {
        ZZ_RETURN_IF_ERROR(s.status());
        continue;
      }
      const Enrolment* last = nullptr;
      for (const Enrolment& e : enrolments_) {
        if (e.project == project && (!last || last->id < e.id)) last = &e;
      }
      AlertDraft d = Draft(type::kExitedButSeen, *last);
      d.evidence.push_back(Link(
          "gate_event", std::to_string(s.Int(0)),
          "/api/v1/persons/" + std::to_string(person_) + "/trajectory?from=" + after.ToString()));
      d.message = name_ + " 已于 " + exit.ToString() + " 退场 " + last->project_name +
                  "，之后仍有 " + std::to_string(s.Int(3)) + " 次通行记录";
      d.detail = {{"exit_date", exit.ToString()}, {"passes", s.Int(3)}};
      out_.push_back(std::move(d));
    }
    return Status::Ok();
  }

  // A face of this person matched another person's enrolled face (faces.status duplicate): one
  // identity under two ID numbers, or a borrowed ID. Needs no enrolment: it is caught at
  // registration.
  Status DuplicateIdentity() {
    auto s = conn_.Prepare(
        "SELECT f.id, f.duplicate_of, f.duplicate_score, p.name FROM faces f LEFT JOIN persons p "
        "ON p.id = f.duplicate_of WHERE f.person_id = ? AND f.status = 'duplicate' ORDER BY f.id");
    s.Bind(1, person_);
    while (s.Step()) {
      const std::int64_t face = s.Int(0);
      const std::optional<std::int64_t> other = s.OptInt(1);
      AlertDraft d;
      d.type = type::kDuplicateIdentity;
      d.key = d.type + ":" + std::to_string(person_) + ":" + std::to_string(face);
      d.severity = std::string(rules_.Severity(type::kDuplicateIdentity));
      d.subject_kind = "person";
      d.subject_id = std::to_string(person_);
      d.person_id = person_;
      for (const Enrolment& e : enrolments_) {
        if (e.open()) {
          d.project_code = e.project;
          break;
        }
      }
      const std::string me = std::to_string(person_);
      d.evidence.push_back(Link("person", me, "/api/v1/persons/" + me));
      d.evidence.push_back(Link("face", std::to_string(face), "/api/v1/persons/" + me + "/faces"));
      if (other) {
        const std::string them = std::to_string(*other);
        d.evidence.push_back(Link("person", them, "/api/v1/persons/" + them));
      }
      d.message = name_ + " 的人脸与已登记的 " + (s.IsNull(3) ? std::string("他人") : s.Text(3)) +
                  " 相同 (一人多证或冒用身份嫌疑)";
      d.detail = {
          {"face_id", face},
          {"duplicate_of", other ? nlohmann::json(*other) : nlohmann::json(nullptr)},
          {"score", s.OptDouble(2) ? nlohmann::json(*s.OptDouble(2)) : nlohmann::json(nullptr)}};
      out_.push_back(std::move(d));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return IdentityAttempts();
  }

  // This person's ID card was shown with another enrolled person's face (identity_attempts:
  // a live enrolment or a gate pass refused as face_mismatch). One alert per other person; the
  // attempts stay as evidence, so the alert holds until a person resolves it — later attempts
  // open a new one.
  Status IdentityAttempts() {
    struct Attempt {
      std::int64_t at = 0;
      nlohmann::json fields;
    };
    std::map<std::int64_t, std::vector<Attempt>> by_other;  // oldest first
    auto s = conn_.Prepare(
        "SELECT a.enrolled_as, a.channel, a.claim_score, a.face_score, a.liveness, "
        "a.project_code, a.device_id, a.gate_seq, a.actor, a.created_at FROM identity_attempts "
        "a WHERE a.person_id = ? ORDER BY a.id");
    s.Bind(1, person_);
    while (s.Step()) {
      auto score = [&](int column) {
        const std::optional<double> v = s.OptDouble(column);
        return v ? nlohmann::json(std::round(*v * 1000) / 1000) : nlohmann::json(nullptr);
      };
      Attempt a;
      a.at = s.Int(9);
      a.fields = {{"channel", s.Text(1)},
                  {"claim_score", score(2)},
                  {"score", score(3)},
                  {"liveness", score(4)},
                  {"at", FormatRfc3339(a.at)}};
      if (!s.IsNull(5)) a.fields["project_code"] = s.Text(5);
      if (!s.IsNull(6)) a.fields["device_id"] = s.Int(6);
      if (!s.IsNull(7)) a.fields["gate_seq"] = s.Int(7);
      if (!s.IsNull(8)) a.fields["user"] = s.Text(8);
      by_other[s.Int(0)].push_back(std::move(a));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    for (const auto& [other, attempts] : by_other) {
      const std::string key = std::string(type::kDuplicateIdentity) + ":" +
                              std::to_string(person_) + ":as:" + std::to_string(other);
      // Attempts up to a person's resolution of this pair's alert are settled.
      auto settled = conn_.Prepare(
          "SELECT MAX(resolved_at) FROM alerts WHERE person_id = ? AND alert_key = ? AND status = "
          "'resolved' AND resolved_by != 'system'");
      settled.Bind(1, person_).Bind(2, key);
      std::int64_t settled_at = -1;
      if (settled.Step() && !settled.IsNull(0)) settled_at = settled.Int(0);
      ZZ_RETURN_IF_ERROR(settled.status());
      auto open = std::find_if(attempts.begin(), attempts.end(),
                               [&](const Attempt& a) { return a.at > settled_at; });
      if (open == attempts.end()) continue;
      DraftAttemptAlert(key, other, attempts.back().fields, static_cast<int>(attempts.end() - open),
                        open->at);
    }
    return Status::Ok();
  }

  void DraftAttemptAlert(const std::string& key, std::int64_t other, const nlohmann::json& last,
                         int attempts, std::int64_t first_at) {
    AlertDraft d;
    d.type = type::kDuplicateIdentity;
    d.key = key;
    d.severity = std::string(rules_.Severity(type::kDuplicateIdentity));
    d.subject_kind = "person";
    d.subject_id = std::to_string(person_);
    d.person_id = person_;
    if (last.contains("project_code")) {
      d.project_code = last["project_code"].get<std::string>();
    } else {
      for (const Enrolment& e : enrolments_) {
        if (e.open()) {
          d.project_code = e.project;
          break;
        }
      }
    }
    if (last.contains("device_id")) d.device_id = last["device_id"].get<std::int64_t>();
    const std::string me = std::to_string(person_);
    const std::string them = std::to_string(other);
    d.evidence.push_back(Link("person", me, "/api/v1/persons/" + me));
    d.evidence.push_back(Link("person", them, "/api/v1/persons/" + them));
    if (last.contains("gate_seq")) {
      d.evidence.push_back(Link("gate_event", std::to_string(last["gate_seq"].get<std::int64_t>()),
                                "/api/v1/persons/" + me + "/trajectory"));
    }
    // The message names only the subject: the other person is in detail and evidence, which
    // the API hides from callers who may not see them.
    const bool gate = last["channel"] == "gate";
    d.message = std::string(gate ? "闸机" : "人脸登记") + "：持 " + name_ +
                " 的身份证件，人脸却是另一名已登记人员 (冒用身份证件嫌疑)" +
                (attempts > 1 ? "，共 " + std::to_string(attempts) + " 次" : "");
    d.detail = last;
    d.detail["duplicate_of"] = other;
    d.detail["attempts"] = attempts;
    d.detail["first_at"] = FormatRfc3339(first_at);
    out_.push_back(std::move(d));
  }

  const registry::Rulebook& rules_;
  store::Connection& conn_;
  const std::int64_t person_;
  const DetectionClock& clock_;
  std::vector<AlertDraft>& out_;

  std::string name_;
  std::vector<Enrolment> enrolments_;
  std::vector<Certificate> certificates_;
  std::set<std::string> exempt_;
  std::vector<Leave> leaves_;
};

}  // namespace

Status Detectors::DetectPerson(store::Connection& conn, std::int64_t person_id,
                               const DetectionClock& clock, std::vector<AlertDraft>& out) const {
  ZZ_RETURN_IF_ERROR(PersonDetection(rules_, conn, person_id, clock, out).Run());
  return DetectResidence(rules_, conn, person_id, clock, out);
}

Status Detectors::DetectProject(store::Connection& conn, const std::string& project,
                                const DetectionClock& clock, std::vector<AlertDraft>& out) const {
  auto p = conn.Prepare("SELECT name, status, start_date, created_at FROM projects WHERE code = ?");
  p.Bind(1, project);
  if (!p.Step()) return p.status();
  const std::string name = p.Text(0), status = p.Text(1);
  const std::optional<std::string> start = p.OptText(2);
  const std::int64_t created_at = p.Int(3);
  const json project_link = Link("project", project, "/api/v1/projects/" + project);

  auto draft = [&](const char* t, std::string key_suffix, const char* kind, std::string id) {
    AlertDraft d;
    d.type = t;
    d.key = std::string(t) + ":" + project + ":" + key_suffix;
    d.severity = std::string(rules_.Severity(t));
    d.subject_kind = kind;
    d.subject_id = std::move(id);
    d.project_code = project;
    d.evidence.push_back(project_link);
    return d;
  };

  // post_vacant: a live project past its grace period without a required key post.
  const Date started = start ? StoredDate(*start) : DetectionClock::At(created_at).today;
  if (status == "active" &&
      started.DaysSinceEpoch() + rules_.vacant_grace_days() <= clock.today.DaysSinceEpoch()) {
    auto corps = conn.Prepare(
        "SELECT pc.uscc, pc.corp_type, c.name FROM project_corps pc JOIN corps c ON c.uscc = "
        "pc.uscc WHERE pc.project_code = ? ORDER BY pc.uscc");
    corps.Bind(1, project);
    while (corps.Step()) {
      const std::string uscc = corps.Text(0), corp_name = corps.Text(2);
      for (const std::string& post : rules_.RequiredPosts(corps.Text(1))) {
        auto held = conn.Prepare(
            "SELECT 1 FROM enrolments WHERE project_code = ? AND uscc = ? AND post = ? AND "
            "exit_date IS NULL AND entry_date <= ? LIMIT 1");
        held.Bind(1, project).Bind(2, uscc).Bind(3, post).Bind(4, clock.today.ToString());
        if (held.Step()) continue;
        ZZ_RETURN_IF_ERROR(held.status());
        AlertDraft d = draft(type::kPostVacant, uscc + ":" + post, "project", project);
        d.evidence.push_back(Link("corp", uscc, "/api/v1/corps/" + uscc));
        d.message = name + " 的" + corp_name + " 未配备" +
                    std::string(rules_.FindPost(post)->name) + " (关键岗位空缺)";
        d.detail = {{"uscc", uscc}, {"post", post}, {"corp_type", corps.Text(1)}};
        out.push_back(std::move(d));
      }
    }
    ZZ_RETURN_IF_ERROR(corps.status());
  }

  // Devices: offline (no heartbeat within the limit) and clock skew, for enabled devices.
  auto devices = conn.Prepare(
      "SELECT id, serial, created_at, last_seen_at, clock_offset_ms FROM devices "
      "WHERE project_code = ? AND disabled_at IS NULL ORDER BY id");
  devices.Bind(1, project);
  const std::int64_t offline_ms = rules_.device_offline_minutes() * 60'000LL;
  while (devices.Step()) {
    const std::int64_t id = devices.Int(0);
    const std::string serial = devices.Text(1);
    const std::int64_t last = devices.OptInt(3).value_or(devices.Int(2));
    const json device_link =
        Link("device", std::to_string(id), "/api/v1/projects/" + project + "/devices");
    if (clock.now_ms - last > offline_ms) {
      AlertDraft d = draft(type::kDeviceOffline, std::to_string(id), "device", std::to_string(id));
      d.device_id = id;
      d.evidence.push_back(device_link);
      d.message = name + " 的闸机 " + serial + " 离线 (最后心跳 " +
                  (devices.IsNull(3) ? std::string("从未") : FormatRfc3339(last)) + ")";
      d.detail = {{"serial", serial},
                  {"last_seen", devices.IsNull(3) ? json(nullptr) : json(FormatRfc3339(last))}};
      out.push_back(std::move(d));
    }
    if (auto offset = devices.OptInt(4);
        offset && std::llabs(*offset) > rules_.clock_skew_seconds() * 1000LL) {
      AlertDraft d = draft(type::kClockSkew, std::to_string(id), "device", std::to_string(id));
      d.device_id = id;
      d.evidence.push_back(device_link);
      d.message =
          name + " 的闸机 " + serial + " 时钟偏差 " + std::to_string(*offset / 1000) + " 秒";
      d.detail = {{"serial", serial}, {"clock_offset_s", *offset / 1000}};
      out.push_back(std::move(d));
    }
  }
  return devices.status();
}

}  // namespace zhizhi::alerts

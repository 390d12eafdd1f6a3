#include "alerts/residence_detectors.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "alerts/enrolled_person.h"
#include "base/civil_time.h"

namespace zhizhi::alerts {

using nlohmann::json;

double DistanceKm(double lat1, double lng1, double lat2, double lng2) {
  constexpr double kRadiusKm = 6371.0088;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad, dlng = (lng2 - lng1) * kRad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlng / 2) * std::sin(dlng / 2);
  return 2 * kRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

namespace {

json Link(const char* kind, const std::string& id, const std::string& href) {
  return {{"kind", kind}, {"id", id}, {"href", href}};
}

bool RequiredRole(const registry::ResidenceRule& rule, const std::string& role) {
  return std::find(rule.required_roles.begin(), rule.required_roles.end(), role) !=
         rule.required_roles.end();
}

struct Travel {
  double km = 0, minutes = 0;
  bool impossible = false;
};

Travel Judge(const registry::ResidenceRule& rule, const TravelPass& a, const TravelPass& b) {
  Travel t;
  if (a.project == b.project) return t;
  t.km = DistanceKm(a.lat, a.lng, b.lat, b.lng);
  t.minutes = static_cast<double>(std::llabs(b.time_ms - a.time_ms)) / 60'000.0;
  if (t.km < rule.travel_min_distance_km) return t;
  // Faster than the limit (an instant jump between distant sites included).
  t.impossible = t.km * 60.0 > rule.travel_max_speed_kmh * t.minutes;
  return t;
}

std::int64_t TravelWindowStart(const registry::ResidenceRule& rule, const DetectionClock& clock) {
  return clock.now_ms - rule.travel_lookback_days * 86'400'000LL;
}

TravelPass ReadTravel(const store::Statement& s) {
  return TravelPass{s.Int(0), s.Int(1), s.Text(2), s.Double(3), s.Double(4)};
}

std::string Round1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

class ResidenceDetection {
 public:
  ResidenceDetection(const registry::Rulebook& rules, store::Connection& conn, std::int64_t person,
                     const DetectionClock& clock, std::vector<AlertDraft>& out)
      : rule_(rules.residence()),
        rules_(rules),
        conn_(conn),
        person_(person),
        clock_(clock),
        out_(out) {}

  Status Run() {
    ZZ_RETURN_IF_ERROR(Load());
    if (enrolments_.empty()) return Status::Ok();
    Overdue();
    ZZ_RETURN_IF_ERROR(NotDeregistered());
    ZZ_RETURN_IF_ERROR(UnregisteredPresence());
    return ImpossibleTravel();
  }

 private:
  using Enrolment = EnrolledPerson::Enrolment;
  struct Record {
    std::int64_t id;
    std::string kind, project, status;
    std::int64_t enrolment_id;
    std::optional<std::string> due, event;
  };

  Status Load() {
    ZZ_ASSIGN_OR_RETURN(EnrolledPerson loaded, LoadEnrolledPerson(conn_, person_));
    name_ = std::move(loaded.name);
    enrolments_ = std::move(loaded.enrolments);
    if (enrolments_.empty()) return Status::Ok();
    auto r = conn_.Prepare(
        "SELECT id, kind, project_code, status, enrolment_id, due_date, event_date FROM "
        "residence_registrations WHERE person_id = ? AND status IN "
        "('draft','submitted','accepted','rejected') ORDER BY id");
    r.Bind(1, person_);
    while (r.Step()) {
      records_.push_back(
          Record{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.OptText(5), r.OptText(6)});
    }
    return r.status();
  }

  const Enrolment* EnrolmentOf(std::int64_t id) const {
    for (const Enrolment& e : enrolments_) {
      if (e.id == id) return &e;
    }
    return nullptr;
  }

  AlertDraft Draft(const char* type, const std::string& project, const std::string& key_suffix,
                   const Enrolment* enrolment) const {
    AlertDraft d;
    d.type = type;
    d.key = std::string(type) + ":" + project + ":" + std::to_string(person_) + key_suffix;
    d.severity = std::string(rules_.Severity(type));
    d.subject_kind = "person";
    d.subject_id = std::to_string(person_);
    d.project_code = project;
    d.person_id = person_;
    d.evidence.push_back(
        Link("person", std::to_string(person_), "/api/v1/persons/" + std::to_string(person_)));
    if (enrolment) {
      d.evidence.push_back(Link("enrolment", std::to_string(enrolment->id),
                                "/api/v1/projects/" + enrolment->project +
                                    "/workers?status=all#person-" + std::to_string(person_)));
    }
    return d;
  }

  static json RegistrationLink(std::int64_t id) {
    return Link("residence_registration", std::to_string(id),
                "/api/v1/residence-registrations/" + std::to_string(id));
  }

  static std::string KindName(const std::string& kind) {
    return kind == "change" ? "居住变更登记" : kind == "deregistration" ? "居住注销" : "居住登记";
  }
  static std::string StatusName(const std::string& status) {
    if (status == "draft") return "草稿 (未提交)";
    if (status == "submitted") return "已提交未受理";
    if (status == "rejected") return "被退回";
    return status;
  }

  // Past the due date without an accepted answer, still enrolled where it applies.
  void Overdue() {
    const std::string today = clock_.today.ToString();
    for (const Record& r : records_) {
      if (r.kind == "deregistration" || r.status == "accepted") continue;
      if (!r.due || *r.due >= today) continue;
      const Enrolment* e = EnrolmentOf(r.enrolment_id);
      if (!e || e->exit) continue;
      AlertDraft d = Draft(type::kResidenceOverdue, r.project, ":" + std::to_string(r.id), e);
      d.evidence.push_back(RegistrationLink(r.id));
      d.message = name_ + " 在 " + e->project_name + " 的" + KindName(r.kind) + "应于 " + *r.due +
                  " 前办结，现" + StatusName(r.status);
      d.detail = {
          {"registration_id", r.id}, {"kind", r.kind}, {"status", r.status}, {"due_date", *r.due}};
      out_.push_back(std::move(d));
    }
  }

  // The newest allowed pass at any gate (not an automatic clock-out).
  Result<std::optional<std::int64_t>> LastPass() {
    auto s = conn_.Prepare(
        "SELECT time_ms FROM gate_events WHERE person_id = ? AND decision = 'allow' AND "
        "identified_by != 'auto' ORDER BY time_ms DESC LIMIT 1");
    s.Bind(1, person_);
    if (s.Step()) return std::optional<std::int64_t>(s.Int(0));
    ZZ_RETURN_IF_ERROR(s.status());
    return std::optional<std::int64_t>();
  }

  Status NotDeregistered() {
    for (const Record& r : records_) {
      if (r.kind != "registration" || r.status != "accepted") continue;
      const Enrolment* e = EnrolmentOf(r.enrolment_id);
      if (!e) continue;
      // A change on its way covers a move; its own due date applies (residence_overdue).
      const bool changing = std::any_of(records_.begin(), records_.end(), [&](const Record& c) {
        return c.kind == "change" && c.status != "accepted";
      });
      AlertDraft d =
          Draft(type::kResidenceNotDeregistered, r.project, ":" + std::to_string(r.id), e);
      d.evidence.push_back(RegistrationLink(r.id));
      if (e->exit) {
        if (changing) continue;
        const Date deadline = e->exit->AddDays(rule_.deregister_days);
        if (deadline >= clock_.today) continue;
        d.message = name_ + " 已于 " + e->exit->ToString() + " 退场 " + e->project_name +
                    "，居住登记仍未注销 (应于 " + deadline.ToString() + " 前注销)";
        d.detail = {{"registration_id", r.id},
                    {"reason", "exited"},
                    {"exit_date", e->exit->ToString()},
                    {"deadline", deadline.ToString()}};
        out_.push_back(std::move(d));
        continue;
      }
      ZZ_ASSIGN_OR_RETURN(auto last, LastPass());
      const Date horizon = clock_.today.AddDays(-rule_.unseen_days);
      const Date since = last ? DateInChina(*last) : StoredDate(r.event.value_or(""));
      if (!r.event || StoredDate(*r.event) >= horizon || since >= horizon) continue;
      d.message = name_ + " 的居住登记 (" + e->project_name + ") 仍有效，但 " +
                  std::to_string(rule_.unseen_days) + " 天内没有任何通行记录 (最后一次 " +
                  since.ToString() + ")，可能已离开而未注销";
      d.detail = {{"registration_id", r.id},
                  {"reason", "unseen"},
                  {"last_pass_date", last ? json(since.ToString()) : json()},
                  {"unseen_days", rule_.unseen_days}};
      out_.push_back(std::move(d));
    }
    return Status::Ok();
  }

  Status UnregisteredPresence() {
    const bool registered = std::any_of(records_.begin(), records_.end(),
                                        [](const Record& r) { return r.kind == "registration"; });
    if (registered) return Status::Ok();
    const std::int64_t window = StartOfDayInChina(clock_.today.AddDays(-rule_.presence_days));
    for (const Enrolment& e : enrolments_) {
      if (e.exit || !RequiredRole(rule_, e.work_role)) continue;
      if (e.entry.AddDays(rule_.register_days) >= clock_.today) continue;
      auto first = conn_.Prepare(
          "SELECT time_ms FROM gate_events WHERE person_id = ? AND time_ms >= ? AND "
          "project_code = ? AND decision = 'allow' AND identified_by != 'auto' "
          "ORDER BY time_ms LIMIT 1");
      first.Bind(1, person_).Bind(2, StartOfDayInChina(e.entry)).Bind(3, e.project);
      if (!first.Step()) {
        ZZ_RETURN_IF_ERROR(first.status());
        continue;
      }
      const Date arrival = DateInChina(first.Int(0));
      if (arrival.AddDays(rule_.register_days) >= clock_.today) continue;
      auto recent = conn_.Prepare(
          "SELECT 1 FROM gate_events WHERE person_id = ? AND time_ms >= ? AND project_code = ? "
          "AND decision = 'allow' AND identified_by != 'auto' LIMIT 1");
      recent.Bind(1, person_).Bind(2, window).Bind(3, e.project);
      if (!recent.Step()) {
        ZZ_RETURN_IF_ERROR(recent.status());
        continue;
      }
      AlertDraft d = Draft(type::kUnregisteredPresence, e.project, "", &e);
      d.message = name_ + " 在 " + e.project_name + " 持续通行，超过 " +
                  std::to_string(rule_.register_days) +
                  " 天仍没有居住登记 (未登记宿舍地址，或登记已注销)";
      d.detail = {{"register_days", rule_.register_days}, {"presence_days", rule_.presence_days}};
      out_.push_back(std::move(d));
    }
    return Status::Ok();
  }

  Status ImpossibleTravel() {
    auto s = conn_.Prepare(
        "SELECT g.seq, g.time_ms, g.project_code, p.lat, p.lng FROM gate_events g "
        "JOIN projects p ON p.code = g.project_code WHERE g.person_id = ? AND g.time_ms >= ? AND "
        "g.identified_by != 'auto' AND p.lat IS NOT NULL AND p.lng IS NOT NULL "
        "ORDER BY g.time_ms, g.seq");
    s.Bind(1, person_).Bind(2, TravelWindowStart(rule_, clock_));
    std::vector<TravelPass> passes;
    while (s.Step())
      passes.push_back(ReadTravel(s));
    ZZ_RETURN_IF_ERROR(s.status());
    std::optional<std::set<std::string>> explained;
    for (size_t i = 1; i < passes.size(); ++i) {
      const TravelPass& a = passes[i - 1];
      const TravelPass& b = passes[i];
      const Travel t = Judge(rule_, a, b);
      if (!t.impossible) continue;
      const std::string suffix = ":" + std::to_string(a.seq) + "-" + std::to_string(b.seq);
      const std::string key = std::string(type::kImpossibleTravel) + ":" + b.project + ":" +
                              std::to_string(person_) + suffix;
      if (!explained) {
        // Pairs a person already explained (resolved with a note) stay explained.
        explained.emplace();
        auto m = conn_.Prepare(
            "SELECT alert_key FROM alerts WHERE person_id = ? AND type = 'impossible_travel' AND "
            "resolution = 'manual'");
        m.Bind(1, person_);
        while (m.Step())
          explained->insert(m.Text(0));
        ZZ_RETURN_IF_ERROR(m.status());
      }
      if (explained->count(key)) continue;
      AlertDraft d = Draft(type::kImpossibleTravel, b.project, suffix, nullptr);
      d.project_code = b.project;
      const std::string from = FormatRfc3339(a.time_ms), to = FormatRfc3339(b.time_ms);
      d.evidence.push_back(Link("gate_event", std::to_string(a.seq),
                                "/api/v1/persons/" + std::to_string(person_) +
                                    "/trajectory?from=" + DateInChina(a.time_ms).ToString()));
      d.evidence.push_back(Link("gate_event", std::to_string(b.seq),
                                "/api/v1/persons/" + std::to_string(person_) +
                                    "/trajectory?from=" + DateInChina(a.time_ms).ToString()));
      const double speed = t.minutes > 0 ? t.km * 60.0 / t.minutes : -1;
      d.message = name_ + " 于 " + from.substr(11, 5) + " 在 " + a.project + "、" +
                  to.substr(11, 5) + " 在 " + b.project + " 通行 (" + to.substr(0, 10) +
                  ")，两地相距 " + Round1(t.km) + " 公里，间隔 " + Round1(t.minutes) +
                  " 分钟，疑似借卡或冒用人脸";
      d.detail = {{"from_project", a.project},
                  {"to_project", b.project},
                  {"from_time", from},
                  {"to_time", to},
                  {"from_seq", a.seq},
                  {"to_seq", b.seq},
                  {"distance_km", std::round(t.km * 10) / 10},
                  {"minutes", std::round(t.minutes * 10) / 10},
                  {"speed_kmh", speed < 0 ? json() : json(std::lround(speed))},
                  {"max_speed_kmh", rule_.travel_max_speed_kmh}};
      out_.push_back(std::move(d));
    }
    return Status::Ok();
  }

  const registry::ResidenceRule& rule_;
  const registry::Rulebook& rules_;
  store::Connection& conn_;
  const std::int64_t person_;
  const DetectionClock& clock_;
  std::vector<AlertDraft>& out_;
  std::string name_;
  std::vector<Enrolment> enrolments_;
  std::vector<Record> records_;
};

}  // namespace

Status DetectResidence(const registry::Rulebook& rules, store::Connection& conn,
                       std::int64_t person, const DetectionClock& clock,
                       std::vector<AlertDraft>& out) {
  return ResidenceDetection(rules, conn, person, clock, out).Run();
}

namespace {

// A site's coordinates, or none when it has none (or does not exist).
Result<std::optional<std::pair<double, double>>> Coordinates(store::Connection& conn,
                                                             const std::string& project,
                                                             PassMemo* memo) {
  if (memo) {
    if (auto it = memo->coordinates.find(project); it != memo->coordinates.end()) {
      return it->second;
    }
  }
  std::optional<std::pair<double, double>> coordinates;
  auto here = conn.Prepare("SELECT lat, lng FROM projects WHERE code = ?");
  here.Bind(1, project);
  if (here.Step()) {
    if (!here.IsNull(0) && !here.IsNull(1)) coordinates.emplace(here.Double(0), here.Double(1));
  } else {
    ZZ_RETURN_IF_ERROR(here.status());
  }
  if (memo) memo->coordinates.emplace(project, coordinates);
  return coordinates;
}

Result<bool> Registered(store::Connection& conn, std::int64_t person, PassMemo* memo) {
  if (memo) {
    if (auto it = memo->registered.find(person); it != memo->registered.end()) return it->second;
  }
  auto live = conn.Prepare(
      "SELECT 1 FROM residence_registrations WHERE person_id = ? AND kind = 'registration' AND "
      "status IN ('draft','submitted','accepted','rejected') LIMIT 1");
  live.Bind(1, person);
  const bool registered = live.Step();
  ZZ_RETURN_IF_ERROR(live.status());
  if (memo) memo->registered.emplace(person, registered);
  return registered;
}

bool Newer(const gate::Gate::PassNotice& pass, const PassMemo::Tail& tail) {
  return std::tie(pass.time_ms, pass.seq) > std::tie(tail.time_ms, tail.seq);
}

}  // namespace

void PassMemo::Saw(const gate::Gate::PassNotice& pass) {
  auto it = tails.find(pass.person_id);
  if (it == tails.end() || !Newer(pass, it->second)) return;
  it->second.time_ms = pass.time_ms;
  it->second.seq = pass.seq;
  if (auto c = coordinates.find(pass.project); c != coordinates.end() && c->second) {
    it->second.located =
        TravelPass{pass.seq, pass.time_ms, pass.project, c->second->first, c->second->second};
  } else if (c == coordinates.end()) {
    tails.erase(it);  // the site was never looked up: read the tail again next time
  }
}

Result<bool> PassAffectsResidence(const registry::Rulebook& rules, store::Connection& conn,
                                  const gate::Gate::PassNotice& pass, const DetectionClock& clock,
                                  const std::vector<ActiveAlert>& active, PassMemo* memo) {
  const registry::ResidenceRule& rule = rules.residence();
  auto has = [&](const char* type, const std::optional<std::string>& project) {
    return std::any_of(active.begin(), active.end(), [&](const ActiveAlert& a) {
      return a.first == type && (!project || a.second == project);
    });
  };

  // unregistered_presence: an allowed pass in the presence window by an unregistered worker
  // past the registration deadline, where the alert is not already open.
  if (pass.allowed && pass.time_ms >= StartOfDayInChina(clock.today.AddDays(-rule.presence_days)) &&
      !has(type::kUnregisteredPresence, pass.project)) {
    ZZ_ASSIGN_OR_RETURN(const bool registered, Registered(conn, pass.person_id, memo));
    if (!registered) {
      auto e = conn.Prepare(
          "SELECT entry_date, work_role FROM enrolments WHERE project_code = ? AND person_id = ? "
          "AND exit_date IS NULL");
      e.Bind(1, pass.project).Bind(2, pass.person_id);
      if (e.Step() && RequiredRole(rule, e.Text(1)) &&
          StoredDate(e.Text(0)).AddDays(rule.register_days) < clock.today) {
        return true;
      }
      ZZ_RETURN_IF_ERROR(e.status());
    }
  }

  // impossible_travel: this pass joins the person's travel; a neighbour in time at a far site,
  // or an alerted pair it may have split, needs the detection.
  const std::int64_t window = TravelWindowStart(rule, clock);
  if (pass.time_ms < window) return false;
  ZZ_ASSIGN_OR_RETURN(const auto here, Coordinates(conn, pass.project, memo));
  if (!here) return false;  // a site without coordinates
  const TravelPass self{pass.seq, pass.time_ms, pass.project, here->first, here->second};
  if (has(type::kImpossibleTravel, std::nullopt)) return true;
  if (memo) {
    // The newest pass so far: nothing after it, and the pass before it is the tail's.
    if (auto tail = memo->tails.find(pass.person_id);
        tail != memo->tails.end() && Newer(pass, tail->second)) {
      const auto& before = tail->second.located;
      return before && before->time_ms >= window && Judge(rule, *before, self).impossible;
    }
  }
  auto prev = conn.Prepare(
      "SELECT g.seq, g.time_ms, g.project_code, p.lat, p.lng FROM gate_events g "
      "JOIN projects p ON p.code = g.project_code WHERE g.person_id = ? AND g.time_ms >= ? AND "
      "g.time_ms <= ? AND NOT (g.time_ms = ? AND g.seq >= ?) AND g.identified_by != 'auto' AND "
      "p.lat IS NOT NULL AND p.lng IS NOT NULL ORDER BY g.time_ms DESC, g.seq DESC LIMIT 1");
  prev.Bind(1, pass.person_id).Bind(2, window).Bind(3, pass.time_ms).Bind(4, pass.time_ms);
  prev.Bind(5, pass.seq);
  if (prev.Step() && Judge(rule, ReadTravel(prev), self).impossible) return true;
  ZZ_RETURN_IF_ERROR(prev.status());
  auto next = conn.Prepare(
      "SELECT g.seq, g.time_ms, g.project_code, p.lat, p.lng FROM gate_events g "
      "JOIN projects p ON p.code = g.project_code WHERE g.person_id = ? AND g.time_ms >= ? AND "
      "NOT (g.time_ms = ? AND g.seq <= ?) AND g.identified_by != 'auto' AND "
      "p.lat IS NOT NULL AND p.lng IS NOT NULL ORDER BY g.time_ms, g.seq LIMIT 1");
  next.Bind(1, pass.person_id).Bind(2, pass.time_ms).Bind(3, pass.time_ms).Bind(4, pass.seq);
  if (next.Step()) {
    ZZ_RETURN_IF_ERROR(next.status());
    return Judge(rule, self, ReadTravel(next)).impossible;
  }
  ZZ_RETURN_IF_ERROR(next.status());
  // Nothing after this pass: from now on this person's newer passes are judged from memory.
  if (memo) memo->tails[pass.person_id] = PassMemo::Tail{pass.time_ms, pass.seq, self};
  return false;
}

}  // namespace zhizhi::alerts

#include "gate/gate_stats.h"

#include <algorithm>
#include <charconv>

#include "http/handler_support.h"
#include "registry/registry.h"

namespace zhizhi::gate {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kChinaOffsetMs = kChinaUtcOffsetMinutes * 60'000LL;
constexpr int kAutoClockOutFlag = 4;

std::vector<std::string> ReasonsOf(const std::string& text) {
  std::vector<std::string> out;
  auto value = json::parse(text, nullptr, false);
  if (value.is_array()) {
    for (const auto& r : value)
      if (r.is_string()) out.push_back(r.get<std::string>());
  }
  return out;
}

// Projects a request may see: null for all, else its scope — narrowed to ?project= when given
// (404 when the project is outside the scope).
Result<std::optional<std::vector<std::string>>> ProjectsOf(const Request& request,
                                                           const GateStats& stats) {
  auto project = request.Query("project");
  if (project && !project->empty()) {
    if (!request.principal.MaySeeProject(*project)) {
      return Status::NotFound("no project " + *project);
    }
    ZZ_RETURN_IF_ERROR(stats.CheckProject(*project));
    return std::optional<std::vector<std::string>>(std::vector<std::string>{*project});
  }
  if (request.principal.all_projects) return std::optional<std::vector<std::string>>();
  return std::optional<std::vector<std::string>>(request.principal.projects);
}

Result<Date> DateQuery(const Request& request, const char* name) {
  auto text = request.Query(name);
  if (!text || text->empty()) return TodayInChina();
  return Date::Parse(*text, name);
}

Result<int> IntQuery(const Request& request, const char* name, int fallback, int lo, int hi) {
  auto text = request.Query(name);
  if (!text || text->empty()) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < lo || value > hi) {
    return Status::InvalidArgument(name, std::string(name) + " must be a whole number from " +
                                             std::to_string(lo) + " to " + std::to_string(hi));
  }
  return value;
}

}  // namespace

Result<GateStats::DayFigures> GateStats::FiguresOf(store::Connection& conn, const std::string& date,
                                                   const std::vector<std::string>* projects) const {
  DayFigures f;
  if (projects == nullptr) {
    auto present = conn.Prepare(
        "SELECT COUNT(DISTINCT person_id) FROM gate_events WHERE local_date = ? AND "
        "decision = 'allow' AND person_id IS NOT NULL");
    present.Bind(1, date);
    if (present.Step()) f.present = present.Int(0);
    ZZ_RETURN_IF_ERROR(present.status());
    auto counts = conn.Prepare(
        "SELECT decision, COUNT(*) FROM gate_events WHERE local_date = ? AND "
        "(flags & 4) = 0 GROUP BY decision");
    counts.Bind(1, date);
    while (counts.Step()) {
      (counts.Text(0) == "allow" ? f.allowed : f.denied) = counts.Int(1);
    }
    ZZ_RETURN_IF_ERROR(counts.status());
    return f;
  }
  for (const std::string& project : *projects) {
    auto s = conn.Prepare(
        "SELECT COUNT(DISTINCT CASE WHEN decision = 'allow' THEN person_id END), "
        "SUM(decision = 'allow' AND (flags & 4) = 0), SUM(decision = 'deny') "
        "FROM gate_events WHERE project_code = ? AND local_date = ?");
    s.Bind(1, project).Bind(2, date);
    if (s.Step()) {
      f.present += s.Int(0);
      f.allowed += s.OptInt(1).value_or(0);
      f.denied += s.OptInt(2).value_or(0);
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  return f;
}

Result<json> GateStats::PassesByHour(const Date& date,
                                     const std::vector<std::string>* projects) const {
  std::array<std::int64_t, 24> allowed{}, denied{};
  std::map<std::string, std::int64_t> reasons;
  const std::string day = date.ToString();
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto add = [&](store::Statement& s) -> Status {
      while (s.Step()) {
        const std::int64_t hour = ((s.Int(0) + kChinaOffsetMs) / kHourMs) % 24;
        if (hour < 0) continue;
        (s.Text(1) == "allow" ? allowed : denied)[static_cast<size_t>(hour)] += s.Int(2);
      }
      return s.status();
    };
    if (projects == nullptr) {
      auto s = conn.Prepare(
          "SELECT time_ms - (time_ms + 28800000) % 3600000 AS hour_start, decision, COUNT(*) "
          "FROM gate_events WHERE local_date = ? AND (flags & 4) = 0 "
          "GROUP BY hour_start, decision");
      s.Bind(1, day);
      ZZ_RETURN_IF_ERROR(add(s));
      auto r = conn.Prepare(
          "SELECT reasons, COUNT(*) FROM gate_events WHERE local_date = ? AND decision = 'deny' "
          "GROUP BY reasons");
      r.Bind(1, day);
      while (r.Step()) {
        for (const auto& reason : ReasonsOf(r.Text(0)))
          reasons[reason] += r.Int(1);
      }
      return r.status();
    }
    for (const std::string& project : *projects) {
      auto s = conn.Prepare(
          "SELECT time_ms - (time_ms + 28800000) % 3600000 AS hour_start, decision, COUNT(*) "
          "FROM gate_events WHERE project_code = ? AND local_date = ? AND (flags & 4) = 0 "
          "GROUP BY hour_start, decision");
      s.Bind(1, project).Bind(2, day);
      ZZ_RETURN_IF_ERROR(add(s));
      auto r = conn.Prepare(
          "SELECT reasons, COUNT(*) FROM gate_events WHERE project_code = ? AND local_date = ? "
          "AND decision = 'deny' GROUP BY reasons");
      r.Bind(1, project).Bind(2, day);
      while (r.Step()) {
        for (const auto& reason : ReasonsOf(r.Text(0)))
          reasons[reason] += r.Int(1);
      }
      ZZ_RETURN_IF_ERROR(r.status());
    }
    return Status::Ok();
  }));
  json hours = json::array();
  std::int64_t total_allowed = 0, total_denied = 0;
  for (size_t h = 0; h < 24; ++h) {
    hours.push_back({{"hour", h}, {"allowed", allowed[h]}, {"denied", denied[h]}});
    total_allowed += allowed[h];
    total_denied += denied[h];
  }
  std::vector<std::pair<std::string, std::int64_t>> sorted(reasons.begin(), reasons.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  json by_reason = json::array();
  for (const auto& [reason, count] : sorted)
    by_reason.push_back({{"reason", reason}, {"count", count}});
  return json{{"date", day},
              {"allowed", total_allowed},
              {"denied", total_denied},
              {"hours", std::move(hours)},
              {"by_reason", std::move(by_reason)}};
}

Result<json> GateStats::Daily(const Date& last, int days,
                              const std::vector<std::string>* projects) const {
  const std::string today = TodayInChina().ToString();
  json items = json::array();
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    for (int back = days - 1; back >= 0; --back) {
      const std::string date = last.AddDays(-back).ToString();
      DayFigures f;
      bool cached = false;
      const std::uint64_t version = gate_->past_changes();
      if (projects == nullptr && date < today) {
        std::lock_guard lock(mu_);
        auto it = cache_.find(date);
        if (it != cache_.end() && it->second.version == version) {
          f = it->second.figures;
          cached = true;
        }
      }
      if (!cached) {
        ZZ_ASSIGN_OR_RETURN(f, FiguresOf(conn, date, projects));
        if (projects == nullptr && date < today) {
          std::lock_guard lock(mu_);
          cache_[date] = Cached{f, version};
          while (cache_.size() > 120)
            cache_.erase(cache_.begin());
        }
      }
      items.push_back(
          {{"date", date}, {"present", f.present}, {"allowed", f.allowed}, {"denied", f.denied}});
    }
    return Status::Ok();
  }));
  return json{{"items", std::move(items)}};
}

Status GateStats::CheckProject(const std::string& code) const {
  return db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT 1 FROM projects WHERE code = ?");
    s.Bind(1, code);
    if (s.Step()) return Status::Ok();
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no project " + code);
  });
}

void GateStats::Warm(int days) const {
  (void)Daily(TodayInChina().AddDays(-1), days, nullptr);
}

Result<json> GateStats::Overview(const std::vector<std::string>* projects) const {
  const std::string today = TodayInChina().ToString();
  const std::string expiring = TodayInChina().AddDays(registry::kExpiringWithinDays).ToString();
  const std::int64_t now = NowUnixMs();
  json out;
  const auto enrolled = gate_->EnrolledCounts(projects);
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto in_scope = [&](const std::string& code) {
      return projects == nullptr ||
             std::find(projects->begin(), projects->end(), code) != projects->end();
    };
    json by_status = {{"planned", 0}, {"active", 0}, {"suspended", 0}, {"completed", 0}};
    std::int64_t total = 0;
    {
      auto s = conn.Prepare("SELECT code, status FROM projects");
      while (s.Step()) {
        if (!in_scope(s.Text(0))) continue;
        ++total;
        by_status[s.Text(1)] = by_status.value(s.Text(1), 0) + 1;
      }
      ZZ_RETURN_IF_ERROR(s.status());
    }
    std::int64_t devices = 0, online = 0, disabled = 0;
    {
      auto s =
          conn.Prepare("SELECT project_code, last_seen_at, disabled_at IS NOT NULL FROM devices");
      while (s.Step()) {
        if (!in_scope(s.Text(0))) continue;
        ++devices;
        if (s.Int(2) != 0) ++disabled;
        const auto seen = s.OptInt(1);
        if (seen && now - *seen <= offline_after_ms_) ++online;
      }
      ZZ_RETURN_IF_ERROR(s.status());
    }
    // Certificates of people enrolled now, by status.
    std::int64_t expired = 0, expiring_soon = 0;
    {
      // Only the few certificates near or past their end are joined to the enrolments.
      auto s = conn.Prepare(
          "SELECT e.project_code, c.valid_to FROM certificates c CROSS JOIN enrolments e "
          "ON e.person_id = c.person_id AND e.exit_date IS NULL "
          "WHERE c.valid_to <= ? AND c.revoked_at IS NULL");
      s.Bind(1, expiring);
      while (s.Step()) {
        if (!in_scope(s.Text(0))) continue;
        (s.Text(1) < today ? expired : expiring_soon) += 1;
      }
      ZZ_RETURN_IF_ERROR(s.status());
    }
    ZZ_ASSIGN_OR_RETURN(DayFigures f, FiguresOf(conn, today, projects));
    out = {{"date", today},
           {"projects", {{"total", total}, {"by_status", by_status}}},
           {"enrolled", {{"workers", enrolled.first}, {"managers", enrolled.second}}},
           {"today", {{"present", f.present}, {"allowed", f.allowed}, {"denied", f.denied}}},
           {"devices", {{"total", devices}, {"online", online}, {"disabled", disabled}}},
           {"certificates", {{"expired", expired}, {"expiring", expiring_soon}}}};
    return Status::Ok();
  }));
  const json onsite = gate_->DistrictOnsite(projects);
  out["onsite"] = {{"total", onsite["total"]}};
  return out;
}

Result<json> GateStats::RecentPasses(const std::string& decision,
                                     const std::optional<std::string>& project,
                                     const std::vector<std::string>* scope, int limit) const {
  json items = json::array();
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT g.seq, g.time_ms, g.utc_offset, g.project_code, pr.name, g.person_id, p.name, "
        "g.direction, g.decision, g.reasons, g.warnings, g.device_id, d.zone "
        "FROM gate_events g LEFT JOIN persons p ON p.id = g.person_id "
        "LEFT JOIN projects pr ON pr.code = g.project_code "
        "LEFT JOIN devices d ON d.id = g.device_id "
        "WHERE (?1 = '' OR g.decision = ?1) AND (?2 IS NULL OR g.project_code = ?2) "
        "AND (g.flags & 4) = 0 ORDER BY g.seq DESC LIMIT 5000");
    s.Bind(1, decision).Bind(2, project);
    int scanned = 0;
    while (static_cast<int>(items.size()) < limit && s.Step()) {
      ++scanned;
      const std::string code = s.Text(3);
      if (scope && std::find(scope->begin(), scope->end(), code) == scope->end()) continue;
      Timestamp t{s.Int(1), static_cast<int>(s.Int(2))};
      items.push_back({{"seq", s.Int(0)},
                       {"time", t.ToRfc3339()},
                       {"project_code", code},
                       {"project_name", s.OptText(4) ? json(*s.OptText(4)) : json()},
                       {"person_id", s.OptInt(5) ? json(*s.OptInt(5)) : json()},
                       {"name", s.OptText(6) ? json(*s.OptText(6)) : json()},
                       {"direction", s.Text(7)},
                       {"decision", s.Text(8)},
                       {"reasons", ReasonsOf(s.Text(9))},
                       {"warnings", ReasonsOf(s.Text(10))},
                       {"device_id", s.OptInt(11) ? json(*s.OptInt(11)) : json()},
                       {"zone", s.OptText(12) ? json(*s.OptText(12)) : json()}});
    }
    return s.status();
  }));
  return json{{"items", std::move(items)}};
}

void AddStatsRoutes(http::Router& router, GateStats& stats_ref) {
  GateStats* stats = &stats_ref;
  router.Add(
      Route{Verb::get, "/api/v1/stats/overview", Right::kGateRead,
            "District (or ?project=) figures for the command screen: projects by status, enrolled "
            "workers and managers, present today, passes today, on site now, devices online, "
            "certificates expired or expiring",
            Operation({}, {400, 404}, 200, {{"project", "string", false, "one project"}}),
            [=](Request& request) {
              auto projects = ProjectsOf(request, *stats);
              if (!projects.ok()) return Response::Error(projects.status());
              return Reply(stats->Overview(*projects ? &**projects : nullptr));
            }});
  router.Add(Route{Verb::get, "/api/v1/stats/passes", Right::kGateRead,
                   "Passes of one day by hour (allowed, denied) and the denials by reason",
                   Operation({}, {400, 404}, 200,
                             {{"date", "date", false, "China date (default today)"},
                              {"project", "string", false, "one project (default the district)"}}),
                   [=](Request& request) {
                     auto date = DateQuery(request, "date");
                     if (!date.ok()) return Response::Error(date.status());
                     auto projects = ProjectsOf(request, *stats);
                     if (!projects.ok()) return Response::Error(projects.status());
                     return Reply(stats->PassesByHour(*date, *projects ? &**projects : nullptr));
                   }});
  router.Add(
      Route{Verb::get, "/api/v1/stats/daily", Right::kGateRead,
            "Per day: persons present (with an allowed pass), passes allowed and denied",
            Operation({}, {400, 404}, 200,
                      {{"days", "integer", false, "how many days up to `to` (1–60, default 30)"},
                       {"to", "date", false, "the last day (default today)"},
                       {"project", "string", false, "one project (default the district)"}}),
            [=](Request& request) {
              auto days = IntQuery(request, "days", 30, 1, 60);
              if (!days.ok()) return Response::Error(days.status());
              auto to = DateQuery(request, "to");
              if (!to.ok()) return Response::Error(to.status());
              auto projects = ProjectsOf(request, *stats);
              if (!projects.ok()) return Response::Error(projects.status());
              return Reply(stats->Daily(*to, *days, *projects ? &**projects : nullptr));
            }});
  router.Add(Route{
      Verb::get, "/api/v1/gate/events", Right::kGateRead,
      "The latest passes, newest first (e.g. ?decision=deny for the denied ones with reasons)",
      Operation({}, {400, 404}, 200,
                {{"decision", "string", false, "allow, deny or all (default all)"},
                 {"project", "string", false, "one project"},
                 {"limit", "integer", false, "1–200 (default 20)"}}),
      [=](Request& request) {
        auto decision = http::EnumQuery(request, "decision", {"allow", "deny", "all"}, "all");
        if (!decision.ok()) return Response::Error(decision.status());
        auto limit = IntQuery(request, "limit", 20, 1, 200);
        if (!limit.ok()) return Response::Error(limit.status());
        std::optional<std::string> project;
        if (auto p = request.Query("project"); p && !p->empty()) {
          if (!request.principal.MaySeeProject(*p)) {
            return Response::Error(Status::NotFound("no project " + *p));
          }
          if (auto s = stats->CheckProject(*p); !s.ok()) return Response::Error(s);
          project = *p;
        }
        const auto* scope = request.principal.all_projects ? nullptr : &request.principal.projects;
        return Reply(
            stats->RecentPasses(*decision == "all" ? "" : *decision, project, scope, *limit));
      }});
}

}  // namespace zhizhi::gate

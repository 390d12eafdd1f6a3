#include "sim/shift_plan.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace zhizhi::sim {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kChinaOffsetMs = kChinaUtcOffsetMinutes * 60'000LL;

// Shares of people doing each thing; rough figures for a Qiantang site in the dry season.
constexpr double kWorkerAttends = 0.93;
constexpr double kManagerAttends = 0.97;
constexpr double kLateArrival = 0.06;
constexpr double kLunchOut = 0.30;
constexpr double kLeavesEarly = 0.03;
constexpr double kStaysLate = 0.03;  // overtime past the window: still inside at the end
constexpr double kLowScore = 0.02;
constexpr double kRescan = 0.03;
constexpr double kNotOnRosterTries = 0.8;
constexpr double kNotOnRosterRetries = 0.3;
constexpr int kExitedWhoTry = 2;

double Hm(int hour, int minute) {
  return hour * 60.0 + minute;
}

class Planner {
 public:
  Planner(const std::vector<SimSite>& sites, const Date& day, std::uint64_t seed)
      : sites_(sites), day_(day), rng_(seed) {}

  ShiftPlan Run(bool offline_replay) {
    ShiftPlan plan;
    plan.day = day_;
    plan.begin_ms = LocalMinuteToUnixMs(day_, kShiftBeginMinute);
    plan.end_ms = LocalMinuteToUnixMs(day_, kShiftEndMinute);
    for (size_t s = 0; s < sites_.size(); ++s)
      PlanSite(static_cast<int>(s));
    // Stable: passes planned for one instant keep the order they happen in.
    std::stable_sort(
        passes_.begin(), passes_.end(),
        [](const PlannedPass& a, const PlannedPass& b) { return a.time_ms < b.time_ms; });
    if (offline_replay && !sites_.empty()) {
      // The first site's entrance terminal loses its network over lunch.
      DeviceOutage outage{0, true, LocalMinuteToUnixMs(day_, Hm(11, 20)),
                          LocalMinuteToUnixMs(day_, Hm(13, 20))};
      for (PlannedPass& p : passes_) {
        p.buffered = p.site == outage.site && p.entering == outage.in_device &&
                     p.time_ms >= outage.from_ms && p.time_ms < outage.to_ms;
      }
      plan.outage = outage;
    }
    plan.expected_inside.resize(sites_.size());
    for (size_t s = 0; s < sites_.size(); ++s) {
      for (const SimWorker& w : sites_[s].workers) {
        if (w.inside_at_start) plan.expected_inside[s].insert(w.person_id);
      }
    }
    for (const PlannedPass& p : passes_) {
      if (p.kind != PassKind::kWorker || !p.expect_allow) continue;
      auto& inside = plan.expected_inside[p.site];
      if (p.entering) {
        inside.insert(p.person_id);
      } else {
        inside.erase(p.person_id);
      }
    }
    plan.passes = std::move(passes_);
    return plan;
  }

 private:
  double Uniform(double low, double high) {
    return std::uniform_real_distribution(low, high)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  double Around(double mean, double sd, double low, double high) {
    return std::clamp(std::normal_distribution(mean, sd)(rng_), low, high);
  }
  // Terminals stamp whole seconds.
  std::int64_t At(double minute) {
    return LocalMinuteToUnixMs(day_, std::round(minute * 60.0) / 60.0);
  }
  double MorningArrival() { return Around(Hm(7, 0), 14, Hm(6, 25), Hm(7, 45)); }

  void PlanSite(int s) {
    const SimSite& site = sites_[s];
    for (const SimWorker& w : site.workers) {
      if (w.inside_at_start) continue;
      if (!w.may_pass) {
        PlanNotOnRoster(s, w);
      } else {
        PlanWorkday(s, w);
      }
    }
    std::vector<std::int64_t> exited = site.exited;
    std::shuffle(exited.begin(), exited.end(), rng_);
    for (size_t i = 0; i < exited.size() && i < kExitedWhoTry; ++i) {
      PlannedPass p = Face(s, exited[i], true, At(MorningArrival()), PassKind::kExited);
      p.expect_allow = false;
      p.expect_reason = "exited";
      passes_.push_back(p);
    }
    const size_t strangers = std::max<size_t>(1, site.workers.size() / 100);
    for (size_t i = 0; i < strangers; ++i) {
      const std::int64_t id =
          kStrangerIdBase + std::uniform_int_distribution<std::int64_t>(1, 999'999'999)(rng_);
      PlannedPass p = Face(s, id, true, At(Uniform(Hm(6, 30), Hm(18, 0))), PassKind::kStranger);
      p.score = Uniform(0.6, 0.95);
      p.expect_allow = false;
      p.expect_reason = "unknown_person";
      passes_.push_back(p);
    }
  }

  void PlanNotOnRoster(int s, const SimWorker& w) {
    if (!Chance(kNotOnRosterTries)) return;
    const double first = MorningArrival();
    const int tries = Chance(kNotOnRosterRetries) ? 2 : 1;
    for (int i = 0; i < tries; ++i) {
      PlannedPass p =
          Face(s, w.person_id, true, At(first + i * Uniform(1, 3)), PassKind::kNotOnRoster);
      p.id_number = w.id_number;
      p.expect_allow = false;
      passes_.push_back(p);
    }
  }

  void PlanWorkday(int s, const SimWorker& w) {
    if (!Chance(w.manager ? kManagerAttends : kWorkerAttends)) return;
    const double arrival = w.manager              ? Uniform(Hm(7, 30), Hm(8, 45))
                           : Chance(kLateArrival) ? Uniform(Hm(7, 45), Hm(9, 30))
                                                  : MorningArrival();
    Pass(s, w, true, arrival);
    if (!w.manager && Chance(kLunchOut)) {
      Pass(s, w, false, Uniform(Hm(11, 30), Hm(12, 10)));
      Pass(s, w, true, Uniform(Hm(12, 25), Hm(13, 5)));
    }
    const double r = Uniform(0, 1);
    if (r < kStaysLate) return;  // overtime: still inside when the window closes
    const double leaving = r < kStaysLate + kLeavesEarly ? Uniform(Hm(15, 0), Hm(16, 30))
                           : w.manager                   ? Uniform(Hm(17, 45), Hm(19, 0))
                                       : Around(Hm(17, 30), 12, Hm(17, 0), Hm(18, 20));
    Pass(s, w, false, leaving);
  }

  PlannedPass Face(int s, std::int64_t person, bool entering, std::int64_t time_ms, PassKind kind) {
    PlannedPass p;
    p.time_ms = time_ms;
    p.site = s;
    p.entering = entering;
    p.kind = kind;
    p.person_id = person;
    p.score = Uniform(0.80, 0.99);
    return p;
  }

  // An allowed pass of a roster worker, sometimes after a failed face match or before a double
  // scan.
  void Pass(int s, const SimWorker& w, bool entering, double minute) {
    const SimSite& site = sites_[s];
    const std::int64_t t = At(minute);
    PlannedPass p = Face(s, w.person_id, entering, t, PassKind::kWorker);
    p.id_number = w.id_number;
    p.expect_allow = true;
    const double low_ceiling = site.face_threshold - 0.05;
    if (!p.id_number && low_ceiling > 0.2 && Chance(kLowScore)) {
      PlannedPass low = p;
      low.kind = PassKind::kLowScore;
      low.time_ms = t - 1000 * static_cast<std::int64_t>(Uniform(3, 9));
      low.score = Uniform(0.2, low_ceiling);
      low.expect_allow = false;
      low.expect_reason = "face_mismatch";
      passes_.push_back(low);
    }
    passes_.push_back(p);
    if (site.duplicate_window_s >= 5 && Chance(kRescan)) {
      PlannedPass again = p;
      again.kind = PassKind::kRescan;
      const double seconds = Uniform(2, std::min(20, site.duplicate_window_s - 2));
      again.time_ms = t + 1000 * static_cast<std::int64_t>(seconds);
      again.score = Uniform(0.80, 0.99);
      passes_.push_back(again);
    }
  }

  const std::vector<SimSite>& sites_;
  const Date day_;
  std::mt19937_64 rng_;
  std::vector<PlannedPass> passes_;
};

}  // namespace

std::string_view PassKindName(PassKind kind) {
  switch (kind) {
    case PassKind::kWorker:
      return "worker";
    case PassKind::kRescan:
      return "double scan";
    case PassKind::kLowScore:
      return "low face score";
    case PassKind::kStranger:
      return "stranger";
    case PassKind::kNotOnRoster:
      return "not on roster";
    case PassKind::kExited:
      return "exited worker";
  }
  return "?";
}

std::int64_t LocalMinuteToUnixMs(const Date& day, double minute) {
  return day.DaysSinceEpoch() * kDayMs + static_cast<std::int64_t>(std::llround(minute * 60'000)) -
         kChinaOffsetMs;
}

Date LatestCompleteShiftDay(std::int64_t now_ms) {
  const std::int64_t local = now_ms + kChinaOffsetMs;
  const std::int64_t today = local / kDayMs;
  const std::int64_t minute = (local % kDayMs) / 60'000;
  return Date::FromDays(minute >= kShiftEndMinute + 1 ? today : today - 1);
}

ShiftPlan PlanShiftDay(const std::vector<SimSite>& sites, const Date& day, bool offline_replay,
                       std::uint64_t seed) {
  return Planner(sites, day, seed).Run(offline_replay);
}

}  // namespace zhizhi::sim

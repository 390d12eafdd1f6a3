// GateStats: the figures the command screen draws — passes per hour of a day, persons present
// and passes per day over the last weeks, the district overview, and the latest passes (e.g. the
// denied ones with their reasons) — and their HTTP routes under /api/v1/stats and
// /api/v1/gate/events.
//
// Every figure is read from the gate_events log through the covering index
// gate_events_by_day_seq (local_date, project_code, time_ms, seq, decision, person_id, flags), so
// a day costs one index range scan (30–50 ms for the district's 74,000 passes, under 1 ms for a
// project's); the index is in time order, and in arrival order within a second, so that a gate
// pass appends to it. Figures of past days do
// not change unless a pass for a past day arrives (an offline replay, an automatic clock-out),
// which Gate::past_changes() counts; they are cached until then. Automatic clock-outs are not
// passes and are left out of the pass counts.
//
// Project scope: a principal limited to some projects sees figures of those projects only.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/status.h"
#include "gate/gate.h"
#include "http/router.h"
#include "security/principal.h"
#include "store/database.h"

namespace zhizhi::gate {

class GateStats {
 public:
  GateStats(store::Database* db, const Gate* gate, std::int64_t offline_after_ms = 5 * 60'000)
      : db_(db), gate_(gate), offline_after_ms_(offline_after_ms) {}

  // `projects`: null for the district, else the projects to add up.
  Result<nlohmann::json> PassesByHour(const Date& date,
                                      const std::vector<std::string>* projects) const;
  Result<nlohmann::json> Daily(const Date& last, int days,
                               const std::vector<std::string>* projects) const;
  Result<nlohmann::json> Overview(const std::vector<std::string>* projects) const;
  // The latest passes, newest first: decision "allow", "deny" or "" for both.
  Result<nlohmann::json> RecentPasses(const std::string& decision,
                                      const std::optional<std::string>& project,
                                      const std::vector<std::string>* scope, int limit) const;

  // 404 unless the project exists.
  Status CheckProject(const std::string& code) const;

  // Computes the past days' figures once (the first request would otherwise pay for them).
  void Warm(int days) const;

 private:
  struct DayFigures {
    std::int64_t present = 0;
    std::int64_t allowed = 0;
    std::int64_t denied = 0;
  };
  Result<DayFigures> FiguresOf(store::Connection& conn, const std::string& date,
                               const std::vector<std::string>* projects) const;

  store::Database* db_;
  const Gate* gate_;
  const std::int64_t offline_after_ms_;

  struct Cached {
    DayFigures figures;
    std::uint64_t version = 0;
  };
  mutable std::mutex mu_;
  mutable std::map<std::string, Cached> cache_;  // past days of the whole district
};

void AddStatsRoutes(http::Router& router, GateStats& stats);

}  // namespace zhizhi::gate

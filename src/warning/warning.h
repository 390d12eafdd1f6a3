// The five-colour warning (平安钱塘社会治理五色预警): each street, community and grid gets a colour
// from what is open in it, by the rulebook (warning/rulebook.h), with the reasons — the conditions
// that hold, their values and examples of the alerts and work orders behind them.
//
// What is counted, and where it is placed:
//   - open alerts (not resolved) by severity; among them IoT alarms, residence anomalies and
//     base-data gaps by type. An alert is placed at its work order's area when one was made of it,
//     else at the community of its base-data subject (the entity's village), else at the community
//     of its project's address (the standardiser); security alerts have no place.
//   - open work orders (not closed) that did not come from an alert, by priority ("cases"),
//     disputes among them, and every open order past its deadline that is not finished.
// An area's values are those placed in it and in every area under it.
//
// Recomputing: a thread of its own reads everything in one snapshot and compares, every
// `poll_ms`, a fingerprint of the open alerts and orders; a change (or Wake(), which the work
// orders call after each write, or a deadline passing) recomputes within `poll_ms`. Colours that
// changed are written to area_colours and area_colour_history in one write job; the answers come
// from memory.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "store/database.h"
#include "warning/areas.h"
#include "warning/rulebook.h"

namespace zhizhi::warning {

// The alert types of IoT alarms (issue 27's codes: fire_alarm, crane_overload, …).
bool IsIotAlertType(std::string_view type);

struct WarningOptions {
  Clock clock = SystemClock();
  int poll_ms = 250;           // how often the fingerprint is compared
  int full_every_ms = 60'000;  // recompute anyway (project addresses, gazetteer arriving)
};

struct AreaColour {
  int colour = 4;  // kColours index
  nlohmann::json reasons = nlohmann::json::array();
  IndicatorValues values{};
  std::int64_t since = 0;  // unix ms the area took this colour
};

class Warning {
 public:
  Warning(store::Database* db, Areas* areas, const Rulebook* rules, WarningOptions options = {});
  ~Warning();

  // Loads the stored colours (so `since` survives a restart), recomputes once and starts the
  // thread.
  Status Start();
  void Stop();
  // Something changed: recompute soon (at the next poll), and before the next answer — so a
  // caller that changed something and then asks sees its change.
  void Wake();

  // Recomputes now, on the caller's thread; writes the changes. Returns the areas whose colour
  // changed.
  Result<int> Recompute();

  // GET /api/v1/warnings/areas?level=: every area of the level with colour and reasons.
  nlohmann::json List(Level level, const std::string& parent);
  // GET /api/v1/warnings/areas/{code}: the area, its colour, reasons, values, children with their
  // colours, and its colour history (newest first, at most 50).
  Result<nlohmann::json> Detail(const std::string& code);
  // Colour of one area now ("green" for an unknown one).
  std::string ColourOf(const std::string& code);

  std::uint64_t computations() const { return computations_.load(); }
  const Rulebook& rules() const { return *rules_; }

 private:
  struct Snapshot {
    std::map<std::string, AreaColour, std::less<>> colours;
    IndicatorValues unplaced{};
    std::int64_t computed_at = 0;
    std::int64_t next_due = 0;  // the earliest deadline still to pass (0: none)
  };
  Result<std::string> Fingerprint() const;
  Result<int> RecomputeLocked();  // compute_mu_ held
  void Loop();
  nlohmann::json ColourJson(const Area& area, const AreaColour* colour) const;

  store::Database* db_;
  Areas* areas_;
  const Rulebook* rules_;
  WarningOptions options_;

  mutable std::mutex mu_;  // snapshot_
  std::shared_ptr<const Snapshot> snapshot_;
  std::mutex compute_mu_;  // one Recompute at a time

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
  std::atomic<std::uint64_t> computations_{0};
  std::atomic<std::uint64_t> woken_generation_{0};     // Wake() calls
  std::atomic<std::uint64_t> computed_generation_{0};  // the Wake() calls a Recompute has seen
  void Fresh();
};

}  // namespace zhizhi::warning

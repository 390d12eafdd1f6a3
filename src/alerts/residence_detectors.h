// The residence and trajectory warnings (issue 5), person-scoped like the post detectors and
// run by the same full scan and incremental hooks:
//
//   residence_overdue           a registration or change record past its due date without an
//                               accepted answer while the worker is still enrolled there;
//   unregistered_presence       a worker (rulebook residence.required_roles) passing the gates of
//                               a site more than register_days after arriving there, with no
//                               registration at all (no dormitory address, or his registration
//                               was deregistered or cancelled);
//   residence_not_deregistered  an accepted registration whose worker left (exit recorded more
//                               than deregister_days ago, no deregistration accepted) or has not
//                               passed any gate for unseen_days;
//   impossible_travel           two consecutive passes of one person at sites whose distance
//                               (≥ min_distance_km) cannot be covered at max_speed_kmh in the
//                               time between them — a shared card or a borrowed face.
//
// They read the residence module's tables (residence_registrations) and the gate's log directly,
// as the other detectors read the registry's, so the alerts module does not depend on the
// residence module's code.
//
// An impossible_travel alert is about one pair of passes; it lasts while the later pass is within
// the lookback window (7 days) and, once resolved by a person with a note, that pair is not
// raised again (it has been explained).
//
// Thread-safety: pure functions of the connection they are given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "alerts/alert_book.h"
#include "alerts/detectors.h"
#include "gate/gate.h"
#include "registry/rulebook.h"
#include "store/sqlite.h"

namespace zhizhi::alerts {

Status DetectResidence(const registry::Rulebook& rules, store::Connection& conn,
                       std::int64_t person, const DetectionClock& clock,
                       std::vector<AlertDraft>& out);

// An active alert of the person: type and project.
using ActiveAlert = std::pair<std::string, std::optional<std::string>>;

// A pass that counts for travel: identified, not an automatic clock-out, at a site with
// coordinates.
struct TravelPass {
  std::int64_t seq = 0, time_ms = 0;
  std::string project;
  double lat = 0, lng = 0;
};

// What the per-pass check has already read from the database, so that a pass that changes no
// alert (nearly every pass) is answered from memory: sites' coordinates, whether a person has a
// live registration, and each person's newest pass. Every entry is a copy of committed (or
// same-group) rows and is dropped when those can change: Forget(person) on every change of the
// person's enrolments or residence records (the engine's OnPersonChanged), ForgetProject on a
// project change, Clear() when a group commit is rolled back. A missing entry is read again.
//
// `tails`: the newest pass of a person (by time, then seq) that the engine has seen, and the
// newest of those at a site with coordinates. It is only kept once the database said nothing
// newer exists, and only passes newer than it are judged from it: the judge of such a pass needs
// the pass before it (`located`) and knows there is none after it. Older passes (offline
// replays) are judged from the database as before.
//
// Thread-safety: the writer thread only (it lives in the pass and change hooks).
struct PassMemo {
  struct Tail {
    std::int64_t time_ms = 0, seq = 0;
    std::optional<TravelPass> located;  // none: no located pass in the travel window
  };
  std::unordered_map<std::string, std::optional<std::pair<double, double>>> coordinates;
  std::unordered_map<std::int64_t, bool> registered;
  std::unordered_map<std::int64_t, Tail> tails;

  void Forget(std::int64_t person) { registered.erase(person); }
  void ForgetProject(const std::string& project) { coordinates.erase(project); }
  void Clear() {
    coordinates.clear();
    registered.clear();
    tails.clear();
  }
  // After every pass the engine saw (whatever the check decided): keeps a known tail newest.
  void Saw(const gate::Gate::PassNotice& pass);
};

// Whether `pass` can change the person's residence or trajectory alerts, given their active
// alerts: up to five indexed lookups without a memo, none for most passes with one (`memo` may
// be null).
Result<bool> PassAffectsResidence(const registry::Rulebook& rules, store::Connection& conn,
                                  const gate::Gate::PassNotice& pass, const DetectionClock& clock,
                                  const std::vector<ActiveAlert>& active, PassMemo* memo = nullptr);

// Great-circle distance in kilometres (haversine, mean Earth radius 6371.0088 km).
double DistanceKm(double lat1, double lng1, double lat2, double lng2);

}  // namespace zhizhi::alerts

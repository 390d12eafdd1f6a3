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

// Whether `pass` can change the person's residence or trajectory alerts, given their active
// alerts: one to four indexed lookups, so that most passes cost no detection at all.
Result<bool> PassAffectsResidence(const registry::Rulebook& rules, store::Connection& conn,
                                  const gate::Gate::PassNotice& pass, const DetectionClock& clock,
                                  const std::vector<ActiveAlert>& active);

// Great-circle distance in kilometres (haversine, mean Earth radius 6371.0088 km).
double DistanceKm(double lat1, double lng1, double lat2, double lng2);

}  // namespace zhizhi::alerts

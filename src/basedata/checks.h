// The gaps between the sources, as alerts in the alerts table (alerts/alert_book.h), checked
// after every linking run over the whole of base data and reconciled as one scope: a condition
// that clears resolves its alert by itself.
//
//   type                        colour  condition
//   house_overcrowded           orange  a house's floor area per occupant (people whose records
//                                       name it) is below the setting (default 5 m²)
//   worker_not_in_population    yellow  a worker of the workforce registry whose person has no
//                                       record in any other source (checked once a population
//                                       source exists)
//   unit_address_not_standard   blue    a unit none of whose records' addresses is a standard
//                                       address (checked once the standard-address base has any)
//   person_two_residences       yellow  a person whose live records name two or more houses
//                                       (doors of a county: road, number, building, unit, room)
//
// Thread-safety: plain functions; the linker's thread.
#pragma once

#include <cstdint>
#include <vector>

#include "alerts/alert_book.h"
#include "base/status.h"
#include "store/database.h"

namespace zhizhi::basedata {

struct CheckOptions {
  double min_area_per_occupant = 5.0;  // m²
};

struct CheckCounts {
  std::int64_t overcrowded = 0, workers_not_in_population = 0, units_not_standard = 0,
               two_residences = 0;
  alerts::ReconcileCounts alerts;
};

// The conditions as alert drafts, from one read snapshot.
Result<std::vector<alerts::AlertDraft>> DraftChecks(store::Connection& conn,
                                                    const CheckOptions& options);
// Drafts the checks and reconciles them with the active base-data alerts in one writer job.
Result<CheckCounts> RunChecks(store::Database& db, const CheckOptions& options,
                              std::int64_t now_ms);

}  // namespace zhizhi::basedata

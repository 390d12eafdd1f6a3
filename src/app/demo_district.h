// The demo district: a deterministic, realistic Qiantang (330114) data set — corps, live and
// finished projects, teams, managers in every key post with their certificates, workers of the
// national work types with special-operation certificates (some expiring or expired), exits —
// written through the same Registry rules as the API. `scripts/run` seeds it into a new data
// directory so the platform starts with something to look at.
//
// It deliberately contains the anomalies later modules look for: a project manager on two live
// projects (挂证), a safety officer whose certificate has expired, an electrician with none.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "registry/registry.h"
#include "store/database.h"

namespace zhizhi::app {

struct DemoSummary {
  int corps = 0;
  int projects = 0;
  int teams = 0;
  int persons = 0;
  int certificates = 0;
  int enrolments = 0;
  int exits = 0;
};

// `workers_per_project` scales the data set (default ≈ 3,000 persons over 12 projects).
Result<DemoSummary> SeedDemoDistrict(store::Database& db, registry::Registry& registry,
                                     int workers_per_project = 250);

}  // namespace zhizhi::app

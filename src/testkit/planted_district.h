// A generated district with planted anomalies of every kind the detectors know, and the exact
// set of alert keys a correct scan must produce — no more, no fewer. Everything not planted is
// clean on purpose (certificates valid for years, key personnel at the gate every working day,
// workers seen this week, devices beating), so any extra alert is a false positive.
//
// Used by the scan test (hundreds of projects, tens of thousands of people) and by the alert
// benchmark at Hangzhou's scale. Data goes through the Registry (same rules as the API); passes
// are written to gate_events as the gate records them. No alert hooks run while generating:
// the scan is what is being tested.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "alerts/detectors.h"
#include "registry/registry.h"
#include "store/database.h"

namespace zhizhi::testkit {

struct PlantedOptions {
  int projects = 200;
  int workers_per_project = 100;
  std::uint32_t seed = 1;
  // Days of passes written for key personnel (≥ the presence window) and for workers (≥ 1).
  int key_pass_days = 35;
  int worker_pass_days = 2;
  int plants_per_kind = 12;  // anomalies planted of each kind
};

struct PlantedDistrict {
  std::int64_t persons = 0, enrolments = 0, passes = 0;
  std::set<std::string> expected_keys;       // every alert key a scan must open
  std::map<std::string, int> planted;        // per alert type
  std::set<std::string> exempted_conflicts;  // conflicts explained by an exemption (no alert)
};

Result<PlantedDistrict> GeneratePlantedDistrict(store::Database& db, registry::Registry& registry,
                                                const PlantedOptions& options,
                                                const alerts::DetectionClock& clock);

}  // namespace zhizhi::testkit

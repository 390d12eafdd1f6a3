// The demo district's base data (三实): the planted source feeds (basedata_feeds.h) at a share
// of the seed's scale — 1.0 is 1.03 M people, 650 K houses, 710 K standard addresses and 110 K
// units across Qiantang's 7 streets and 135 communities — knowing the workforce registry as a
// working district's sources do (its workers in the population at their dormitories, but for a
// few recent arrivals; its corps in market regulation), written to a scratch folder, the
// standard addresses imported into the address base, each feed imported through its mapping,
// the workforce registry taken in, and everything linked once per kind (with the checks).
//
// Thread-safety: runs on the caller's thread against an open Platform.
#pragma once

#include <cstdint>
#include <string>

#include "app/platform.h"
#include "base/status.h"

namespace zhizhi::app {

struct DemoBaseDataSummary {
  std::int64_t addresses = 0;                      // standard addresses imported
  std::int64_t records = 0;                        // source records imported (all feeds)
  std::int64_t people = 0, houses = 0, units = 0;  // entities after linking
  std::int64_t alerts = 0;                         // active base-data alerts
  double generate_seconds = 0, address_seconds = 0, import_seconds = 0, link_seconds = 0;
};

// `scale` in (0, 1]; `quiet` stops the progress lines on stderr.
Result<DemoBaseDataSummary> SeedDemoBaseData(Platform& platform, double scale, std::uint64_t seed,
                                             bool quiet);

}  // namespace zhizhi::app

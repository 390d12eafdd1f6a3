// The demo district's IoT (docs/iot.md) at the seed's scale — 580 K records: transmission
// devices of fire-alarm panels with the points of each panel (about 520 K detectors, call points
// and modules, registered with their descriptions before they report), wireless smoke detectors
// in rented housing, electrical-fire monitors, water-pressure sensors, and a tower crane on the
// active projects. Each device's password goes to DATA/demo-iot-devices.csv (mode 0600) so that
// they can be driven; a few hundred of them then report alarms, faults and readings through
// the IoT module's own intake (no broker needed), so the screen and the warning map have
// something to show. Those devices fall silent when the demo ends: a server started later marks
// them offline after their kind's time unless something drives them.
//
// Thread-safety: call on the demo's thread, before serving.
#pragma once

#include <cstdint>

#include "app/platform.h"
#include "base/status.h"

namespace zhizhi::app {

struct DemoIotSummary {
  int devices = 0;
  std::int64_t parts = 0;
  int messages = 0;
  int open_alarms = 0;
  double seconds = 0;
};

// `scale` 1 is the seed's 580 K records; 0 seeds nothing.
Result<DemoIotSummary> SeedDemoIot(Platform& platform, double scale, std::uint64_t seed);

}  // namespace zhizhi::app

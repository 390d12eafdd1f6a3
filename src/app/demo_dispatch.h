// The demo district's command platform (docs/dispatch.md): the region's streets and communities
// from the gazetteer, three grids per community with demo positions near their street (the
// gazetteer has no coordinates), a dispatcher and a few grid workers on duty whose passwords go to
// DATA/demo-users.txt (mode 0600), and the mediation system's dispute cases — some of them
// received weeks ago and overdue. The alerts of the demo become work orders by the rules once
// `serve` runs (dispatch/work_orders.h).
//
// Thread-safety: call on the demo's thread, before serving.
#pragma once

#include <cstdint>

#include "app/platform.h"
#include "base/status.h"

namespace zhizhi::app {

struct DemoDispatchSummary {
  int streets = 0, communities = 0, grids = 0, workers = 0, disputes = 0;
};

Result<DemoDispatchSummary> SeedDemoDispatch(Platform& platform, std::uint64_t seed);

}  // namespace zhizhi::app

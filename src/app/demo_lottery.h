// The demo district's resettlement draws (docs/lottery.md): one drawn and signed off, whose
// board and notarial record can be looked at, and a second one committed and waiting for a
// notary's entropy, to run the ceremony live (create a `notary` user, log in, enter numbers).
//
// Thread-safety: call on the demo's thread, before serving.
#pragma once

#include "app/platform.h"
#include "base/status.h"

namespace zhizhi::app {

// `households` in the first draw (the district's 1,544 by default); the second has a tenth.
Status SeedDemoLotteries(Platform& platform, int households);

}  // namespace zhizhi::app

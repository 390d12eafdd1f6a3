// `zhizhi lottery`: the resettlement-housing draw without a server (docs/lottery.md).
//
//   zhizhi lottery demo --households N --out RECORD [--entropy TEXT] [--secret HEX]
//       makes up N households and their pools (lottery/demo_inputs.h), draws them and writes
//       the record; the secret is random unless given.
//   zhizhi lottery verify RECORD
//       re-runs a record from itself alone: exit 0 and `verified`, or exit 1 and the first
//       difference.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddLotteryCommand(CLI::App& app);

}  // namespace zhizhi::app

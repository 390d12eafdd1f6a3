// `zhizhi address`: the address standardiser without a server (docs/addresses.md).
//
//   zhizhi address standardize [--threads N] [--gazetteer DIR]
//       stdin: one address per line, or JSON lines {"id":…,"input":"…"}; stdout: one JSON line
//       per input line, in input order (api-v1.md "Standard addresses"); a line that cannot be
//       read gets {"id":…,"error":{"code","message"}} and the run goes on. All cores by default;
//       a progress line on stderr when stderr is a terminal.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddAddressCommand(CLI::App& app);

}  // namespace zhizhi::app

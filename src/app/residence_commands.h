// The residence module's sub-commands: `zhizhi residence export` writes the pending daily-export
// rows now (safe beside a running server), `zhizhi police-endpoint` runs the reference receiver
// of the police wire format for demonstrations until SIGINT/SIGTERM.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddResidenceCommand(CLI::App& app);
Command AddPoliceEndpointCommand(CLI::App& app);

}  // namespace zhizhi::app

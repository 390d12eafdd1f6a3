// `zhizhi serve`: opens the data directory, starts the gate, residence, alert, face and retention
// work of the Platform and serves the HTTP API (and the command screen) until SIGTERM/SIGINT;
// with --simulate it also plays live gate traffic against itself.
//
// Thread-safety: as command.h.
#pragma once

#include <string>

#include "app/command.h"

namespace zhizhi::app {

// `web_dist`: the default of --web, the built command screen (main.cc has it from the build).
Command AddServeCommand(CLI::App& app, std::string web_dist);

}  // namespace zhizhi::app

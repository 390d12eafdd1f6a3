// Command: one sub-command of the zhizhi binary as main() sees it. Each Add…Command function
// (serve_command.h, import_command.h, …) declares its sub-command on the CLI11 app — flags,
// defaults, checks and help texts — and returns it with the work to run when the command line
// named it; main() adds them in the order `zhizhi --help` lists them.
//
// Also what the sub-commands share: the log format, the failure line, the rulebook flag and
// where the face models are looked for.
//
// Thread-safety: main()'s thread, before the command starts any other.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"

namespace CLI {
class App;
}

namespace zhizhi::app {

struct Command {
  CLI::App* app = nullptr;   // the sub-command; true once parsed
  std::function<int()> run;  // its work; returns the process's exit code
};

// Logs logfmt lines (`ts=… level=… key=value …`) to stderr from `level` up.
void SetUpLogging(const std::string& level);

// Prints `zhizhi: STATUS` to stderr and returns 1, the exit code of a failed command.
int Fail(const Status& status);

// `--rules FILE` replaces the compiled-in Zhejiang rulebook for this process ("" keeps it).
// False, the failure printed, when the file is not a rulebook.
bool LoadRules(const std::string& file);

// Where the face models are looked for when --models is not given.
std::string DefaultModelsDir();

// The two sub-commands without a file of their own: `simulate` (its flags and work are in
// sim/gate_simulator.h) and `version`.
Command AddSimulateCommand(CLI::App& app);
Command AddVersionCommand(CLI::App& app);

}  // namespace zhizhi::app

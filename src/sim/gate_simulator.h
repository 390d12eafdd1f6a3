// `zhizhi simulate`: a gate-terminal simulator that drives a running zhizhi server through its
// HTTP API only (loopback, keep-alive connections, bounded in time).
//
// Shift mode (default) registers an in and an out terminal per project, pulls their roster and
// the workers list, and plays one compressed working day (shift_plan.h) in real time, mapping
// the simulated clock onto a day whose shift is over, so no pass is ever in the future. It ends
// with a summary: passes sent, allowed, denied by reason, double scans, replayed, errors,
// answers that differ from the plan, and the on-site count per project against the plan's.
//
// Load mode (--load) posts single passes as fast as possible (or paced to --rate) over N
// keep-alive connections and prints throughput and latency percentiles; see gate_load.h.
//
// Thread-safety: RunSimulate starts and joins its own threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace zhizhi::sim {

struct SimulateOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string token_file;             // DATA_DIR/admin.token
  std::vector<std::string> projects;  // default QT2025001,QT2025002 (load: the first one)
  double minutes_per_second = 60;     // simulated minutes per real second
  double seconds = 30;                // bound on the playing time (real seconds)
  int connections = 8;
  bool offline_replay = false;
  std::string date;        // simulated day YYYY-MM-DD; default the latest day whose shift is over
  std::uint64_t seed = 0;  // 0: a random seed (printed, so a run can be repeated)
  bool load = false;
  double rate = 0;                // load mode: total events/s; 0 = as fast as possible
  std::string vendor = "zhizhi";  // load mode: whose terminals (gate_load.h)
};

// Adds the `simulate` subcommand and its flags to `app`, filling `options` when parsed.
CLI::App* AddSimulateCommand(CLI::App& app, SimulateOptions& options);

// Runs the shift day or the load; prints to stdout. Exit code 0 when every request got an HTTP
// answer and none was a 5xx; 2 when the setup failed.
int RunSimulate(const SimulateOptions& options);

}  // namespace zhizhi::sim

// Gate load: the benchmark side of `zhizhi simulate --load`. Registers an in and an out terminal
// on one project, then N threads — one synchronous keep-alive connection each — post single
// passes (POST /api/v1/gate/events) for the project's roster: distinct event ids, each person
// owned by one connection and alternating in and out so every pass is a valid one, as fast as
// the server answers or paced to a total rate. Prints events/s, latency percentiles (send to
// answer) and status code counts. With `vendor` uface or zkteco the terminals are of that maker
// and speak its protocol; their answers carry no decision, so only statuses are counted.
//
// Thread-safety: RunGateLoad starts and joins its own threads.
#pragma once

#include <string>

#include "sim/loopback_client.h"

namespace zhizhi::sim {

struct GateLoadOptions {
  LoopbackUrl url;
  std::string admin_token;
  std::string project = "QT2025001";
  int connections = 64;
  double seconds = 10;
  double rate = 0;  // total events/s; 0 = unpaced
  // zhizhi: POST /api/v1/gate/events; uface: the recognition callback (form fields); zkteco: one
  // ATTLOG line a POST (a terminal in real-time mode). The same persons, lanes and pacing, so
  // that runs of the three compare the paths (docs/terminals.md, "Throughput").
  std::string vendor = "zhizhi";
};

// Exit code as RunSimulate: 0 without transport errors and 5xx answers, 2 when setup failed.
int RunGateLoad(const GateLoadOptions& options);

}  // namespace zhizhi::sim

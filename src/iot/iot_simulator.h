// `zhizhi simulate iot` (docs/iot.md): fire panels behind transmission devices (GB/T 26875.3
// frames), wireless smoke detectors, electrical-fire monitors, water-pressure sensors and tower
// cranes (JSON telemetry), registered through a running server's API and driven through its
// broker — with alarms and their recovery, faults, drop-outs and malformed messages — at a
// given rate for a bounded time, then a report: messages published, what the server took and
// dropped, and the latency from publishing an alarm to its confirm (the confirm goes out only
// after the alarm's alert is durable).
//
// `--ceiling` measures the broker alone beside it: the same publishers into a Mosquitto of its
// own with a subscriber that does nothing (the broker's own ceiling on this machine).
//
// Traffic goes to loopback only and stops by itself after `seconds`.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace zhizhi::iot {

struct IotSimOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string token_file;  // the admin token (DATA_DIR/admin.token)
  int devices = 60;        // devices (each its own MQTT connection)
  std::string project;     // cranes go on this project (none: no cranes)
  int cranes = 2;
  double rate = 200;  // messages a second, all devices together
  double seconds = 20;
  double alarm_share = 0.02;  // of messages: an alarm (recovered a few seconds later)
  double malformed_share = 0.005;
  double dropout_share = 0.05;  // of devices: silent for the second half of the run
  std::uint64_t seed = 0;       // 0: random
  std::string prefix;           // serials' prefix (default: SIM-<random>-)
  bool ceiling = false;         // measure publisher → broker → nothing as well
  int publishers = 4;           // publishing threads
  bool json = false;            // the report as one JSON object
};

void AddIotSimFlags(CLI::App& cmd, IotSimOptions& options);
int RunIotSimulator(const IotSimOptions& options);

}  // namespace zhizhi::iot

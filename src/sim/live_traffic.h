// LiveTraffic: `zhizhi serve --simulate` — live gate traffic against the server it runs in, so
// the command screen moves. It is a client like any terminal: it plays the demo district's
// terminals (their tokens are in DATA_DIR/demo-devices.json, written by `zhizhi demo`; without
// that file it registers an in and an out terminal per active project) and sends every pass
// through POST /api/v1/gate/events over loopback, never touching the database.
//
// The day: each simulated day is planned by sim::PlanShiftDay (shift_plan.h) — arrivals around
// 07:00, lunch out and back for some, departures around 17:30, late arrivals, overtime, double
// scans, low face scores, strangers, workers who may not pass and exited workers trying. At
// start the plan of today is cut at the current time: people already inside leave around 17:30,
// people whose day already began elsewhere in the plan are left out. At midnight the next day is
// planned from the server's state (who is inside, the roster, the workers).
//
// Time: the simulated clock starts at the real time and runs `speed` times faster (1 = real
// time). Passes always carry the real time they are sent — the server refuses passes from the
// future — so with speed > 1 the day's rhythm is compressed but each pass is stamped "now".
// Every device heartbeats once a real minute (one stays silent and shows offline, one reports a
// clock 8 minutes fast — the alerts engine's device_offline and clock_skew).
//
// The demo's terminals of other makers (a Uface and a ZKTeco terminal, demo-devices.json
// "vendor_devices") are played by the terminal simulators (terminal_simulator.h) in their own
// protocols, one thread each: heartbeats, the roster, a pass every few seconds.
//
// Bounded: one thread (and one per vendor terminal), one keep-alive connection each; at most 200
// passes between checks of the stop flag; Stop() returns within the request timeout (5 s). It logs
// a summary line every minute.
//
// Thread-safety: Start/Stop from the owning thread; counters may be read from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace zhizhi::sim {

struct LiveTrafficOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string data_dir;  // admin.token and demo-devices.json
  double speed = 1;      // simulated seconds per real second, 1–3600
  std::uint64_t seed = 0;
};

class LiveTraffic {
 public:
  explicit LiveTraffic(LiveTrafficOptions options);
  ~LiveTraffic();
  LiveTraffic(const LiveTraffic&) = delete;
  LiveTraffic& operator=(const LiveTraffic&) = delete;

  void Start();
  // Asks the thread to stop (safe from any thread, e.g. a shutdown hook) without waiting.
  void RequestStop();
  // RequestStop() and join.
  void Stop();

  std::int64_t sent() const { return sent_.load(); }
  std::int64_t allowed() const { return allowed_.load(); }
  std::int64_t denied() const { return denied_.load(); }
  std::int64_t errors() const { return errors_.load(); }

 private:
  void Run();
  // Sleeps up to `ms`, waking early on stop; false when stopping.
  bool Sleep(std::int64_t ms);

  // The demo's terminals of other makers (demo-devices.json "vendor_devices"), each played by a
  // terminal simulator on a thread of its own until the traffic stops.
  void StartVendorTerminals();

  const LiveTrafficOptions options_;
  std::thread thread_;
  std::vector<std::thread> vendor_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> sent_{0}, allowed_{0}, denied_{0}, errors_{0};
};

}  // namespace zhizhi::sim

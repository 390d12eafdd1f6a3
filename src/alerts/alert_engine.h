// AlertEngine: runs the detectors incrementally (on every enrolment, certificate, project and
// device change and on every gate pass, inside the writer job that made the change) and as a
// full scan (every person and project, in chunks of small writer jobs so gate events keep
// flowing), and in `serve` on a schedule for the conditions that time alone creates (a
// certificate running out, a week without a pass, a device falling silent).
//
// The scan can also run in another process on the same data directory (`zhizhi scan`): the
// engine keeps no state outside the database, and each chunk is its own short transaction. The
// pass hook keeps a memo of what it read (PassMemo), dropped whenever those rows change.
//
// Thread-safety: the hooks run on the writer thread; ScanAll() may be called from any thread;
// Start()/the destructor own the schedule thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "alerts/detectors.h"
#include "alerts/residence_detectors.h"
#include "gate/gate.h"
#include "registry/registry.h"
#include "store/database.h"

namespace zhizhi::alerts {

struct ScanReport {
  std::int64_t persons = 0, projects = 0;
  ReconcileCounts counts;
  std::int64_t active = 0;  // active alerts after the scan
  double seconds = 0;
};

struct AlertEngineOptions {
  int scan_interval_s = 3600;   // full scan (persons and projects)
  int project_interval_s = 60;  // projects only: vacant posts, offline devices, clock skew
  int chunk = 500;              // persons per writer job in a scan
  std::function<std::int64_t()> clock = [] { return NowUnixMs(); };
};

class AlertEngine {
 public:
  AlertEngine(store::Database* db, const registry::Rulebook& rules,
              AlertEngineOptions options = {});
  ~AlertEngine();  // Stop()
  // Stops the schedule (a scan in progress stops between chunks); idempotent.
  void Stop();

  // Adds the incremental hooks to the registry and the gate (either may be null).
  void Attach(registry::Registry* registry, gate::Gate* gate);
  // Starts the schedule thread (a scan right away, then at the intervals).
  void Start();

  // --- incremental hooks (writer connection, inside the job of the change) ---
  Status OnPersonChanged(store::Connection& conn, std::int64_t person_id);
  // With `post_holders` (the registry's project changes: its status decides whether its posts
  // are live), the persons holding a post on it are detected again too; a device's change or
  // heartbeat needs only the project's own detectors.
  Status OnProjectChanged(store::Connection& conn, const std::string& project, bool post_holders);
  // Cheap unless the pass can change an alert: one indexed lookup per pass (its active alerts),
  // the rest from the memo for the person's second and later passes.
  Status OnPass(store::Connection& conn, const gate::Gate::PassNotice& pass);

  // Every person and project (when `persons` is false, projects only).
  Result<ScanReport> ScanAll(bool persons = true);

  const Detectors& detectors() const { return detectors_; }

 private:
  void ScheduleLoop();

  store::Database* db_;
  Detectors detectors_;
  AlertEngineOptions options_;
  PassMemo memo_;  // writer thread only (the hooks)

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> stop_{false};  // read by a scan between chunks
  std::thread schedule_;
};

}  // namespace zhizhi::alerts

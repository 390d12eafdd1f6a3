// Gate: the smart gate of every site — device registry, pass decisions, the durable event log,
// on-site state, terminal rosters, heartbeats, attendance and trajectories.
//
// State: what a decision needs (enrolments, certificates, blacklist, policies, devices, who is
// inside) is held in memory and changed only inside jobs on the database's writer thread, right
// after the rows that justify the change are written in the same transaction. Memory is
// therefore never ahead of a committed database, except for one group whose COMMIT fails — and
// then the whole state is reloaded from the database. Readers on other threads take a shared
// lock; the writer takes it exclusively only while it mutates.
//
// Events: each event is decided and stored in one writer job (idempotent on device + event_id);
// the HTTP answer goes out after the group commit is durable, so an answered event is never lost.
//
// Thread-safety: all public methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "gate/gate_decision.h"
#include "gate/gate_event.h"
#include "gate/live_feed.h"
#include "registry/registry.h"
#include "security/field_cipher.h"
#include "security/principal.h"
#include "store/database.h"

namespace zhizhi::gate {

struct GateOptions {
  int auto_clockout_hour = 4;                       // local hour at which open days are closed
  std::int64_t max_future_ms = 5 * 60'000;          // event times ahead of the server clock
  std::int64_t max_age_ms = 35LL * 24 * 3'600'000;  // oldest offline replay accepted
  std::int64_t offline_after_ms = 5 * 60'000;       // device without heartbeat
  std::int64_t clock_skew_ms = 5 * 60'000;          // device clock offset worth an alert
  int tick_seconds = 15;                            // housekeeping period (sweeps, auto clock-out)
};

struct DeviceDraft {
  std::string serial;
  std::string direction;  // in / out / both
  std::optional<std::string> zone;
};

class Gate {
 public:
  Gate(store::Database* db, registry::Registry* registry, const security::FieldCipher* cipher,
       GateOptions options = {});
  ~Gate();  // stops housekeeping

  // Loads the state (in a writer job) and starts housekeeping. Call once before serving.
  Status Start();

  // Registry listener: re-reads one person after an enrolment/exit/certificate change.
  Status OnPersonChanged(store::Connection& conn, std::int64_t person_id);

  // A recorded pass of a known person, told to listeners inside the writer job that stored it
  // (the alerts engine); keep listeners cheap, they run once per gate event.
  struct PassNotice {
    std::string project;
    std::int64_t person_id = 0;
    bool allowed = false;
    bool exited = false;  // the person's enrolment on this project is exited
    std::int64_t time_ms = 0;
    std::int64_t seq = 0;  // gate_events.seq of the pass
  };
  using PassListener = std::function<Status(store::Connection&, const PassNotice&)>;
  // Called inside the writer job after a device of `project` registered, changed or beat.
  using DeviceListener = std::function<Status(store::Connection&, const std::string& project)>;
  // Add before Start().
  void AddPassListener(PassListener listener) { pass_listeners_.push_back(std::move(listener)); }
  void AddDeviceListener(DeviceListener listener) {
    device_listeners_.push_back(std::move(listener));
  }

  // --- devices (admin) ---
  Result<nlohmann::json> RegisterDevice(const std::string& project, const DeviceDraft& draft);
  Result<nlohmann::json> ListDevices(const std::string& project) const;
  Result<nlohmann::json> SetDeviceEnabled(std::int64_t device_id, bool enabled);

  // --- terminals (device principal) ---
  using EventDone = std::function<void(Result<nlohmann::json>)>;
  // One event; `done` runs on the writer thread after the commit.
  void SubmitEvent(const security::Principal& device, Result<GateEventInput> event, EventDone done);
  // Up to 1000 events in device order, one job; each gets its own answer or error.
  void SubmitBatch(const security::Principal& device, std::vector<Result<GateEventInput>> events,
                   EventDone done);
  Result<nlohmann::json> Roster(const security::Principal& device, std::int64_t since) const;
  Result<nlohmann::json> Heartbeat(const security::Principal& device, const nlohmann::json& body);

  // --- readers ---
  // Head-count with counts by team and work type; with the muster list when `with_persons`.
  Result<nlohmann::json> Onsite(const std::string& project, bool with_persons) const;
  nlohmann::json DistrictOnsite(const std::vector<std::string>* scope) const;
  Result<nlohmann::json> Attendance(const std::string& project, const Date& date) const;
  Result<nlohmann::json> Trajectory(std::int64_t person_id, std::int64_t from_ms,
                                    std::int64_t to_ms) const;

  // --- policy and blacklist (admin) ---
  Result<nlohmann::json> GetPolicy(const std::string& project) const;
  Result<nlohmann::json> SetPolicy(const std::string& project, const GatePolicy& policy);
  Result<nlohmann::json> Blacklist(std::int64_t person_id, const std::string& reason,
                                   const std::string& by);
  Result<nlohmann::json> Unblacklist(std::int64_t person_id);

  // Housekeeping, also callable from tests: re-evaluates every roster standing when the date
  // changed, and closes the open days of people still inside after the auto clock-out hour.
  Status Tick();
  // Closes every open day now (as the auto clock-out does); returns how many were closed.
  Result<int> ClockOutAll(std::int64_t cutoff_ms);

  LiveFeed& live() { return live_; }

 private:
  struct State;
  struct Answer;

  Result<Answer> ProcessEvent(store::Connection& conn, std::int64_t device_id,
                              const GateEventInput& event);
  Status Load(store::Connection& conn);
  Status ReloadPerson(store::Connection& conn, std::int64_t person_id);
  Status RecomputeStandings(store::Connection& conn, const std::string& project,
                            const std::vector<std::int64_t>& persons, const char* why);
  void HousekeepingLoop();
  // Sends a committed decision to the live feeds (not replays).
  void PublishPass(const Answer& answer);

  Status DeviceChanged(store::Connection& conn, std::int64_t device_id);

  std::vector<PassListener> pass_listeners_;
  std::vector<DeviceListener> device_listeners_;
  store::Database* db_;
  registry::Registry* registry_;
  const security::FieldCipher* cipher_;
  const GateOptions options_;
  LiveFeed live_;

  mutable std::shared_mutex mu_;
  std::unique_ptr<State> state_;

  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool stopping_ = false;
  std::thread housekeeping_;
};

}  // namespace zhizhi::gate

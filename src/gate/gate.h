// Gate: the smart gate of every site — device registry, pass decisions, the durable event log,
// on-site state, terminal rosters, heartbeats, attendance and trajectories.
//
// State: what a decision needs (enrolments, certificates, blacklist, policies, devices, who is
// inside) is held in memory (GateState) and changed only inside jobs on the database's writer
// thread, right after the rows that justify the change are written in the same transaction, and
// with an undo for each change: when the job's writes are rolled back (its savepoint, or its
// whole group), so is memory. Memory thus never keeps what the database does not.
//
// Files: gate.cc (life cycle, loading), roster.cc (standings and terminal rosters), devices.cc,
// passes.cc (events: decide, store, answer), gate_views.cc (on site, attendance, trajectories),
// policy.cc (policies, blacklist), housekeeping.cc (new day, automatic clock-out).
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
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "gate/face_matcher.h"
#include "gate/gate_decision.h"
#include "gate/gate_event.h"
#include "gate/gate_state.h"
#include "gate/live_feed.h"
#include "gate/pass_answer.h"
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

// One pass of a bulk load: the device that saw it and the event as the device would send it.
struct DevicePass {
  std::int64_t device_id = 0;
  GateEventInput event;
};

// What a bulk load did.
struct PassTally {
  std::int64_t allowed = 0;
  std::int64_t denied = 0;
  std::int64_t rejected = 0;  // refused like a bad API request (logged with the first reason)
};

// Makers whose terminals the gate speaks (terminals/ holds their protocols).
inline constexpr std::string_view kVendors[] = {"zhizhi", "uface", "hikvision", "zkteco"};

struct DeviceDraft {
  std::string serial;     // zhizhi: any; other vendors: the vendor's identity of the device
  std::string direction;  // in / out / both
  std::optional<std::string> zone;
  std::string vendor = "zhizhi";
  // Where the server reaches the device (Uface, Hikvision downlink), and how it logs in.
  std::optional<std::string> address;
  std::optional<std::string> username;
  std::optional<std::string> password;
};

bool IsVendor(std::string_view vendor);
// The path a Uface or Hikvision terminal posts to: /api/v1/terminals/{vendor}/{secret}.
std::string CallbackPath(std::string_view vendor, std::string_view secret);

class Gate {
 public:
  Gate(store::Database* db, registry::Registry* registry, const security::FieldCipher* cipher,
       GateOptions options = {});
  ~Gate();  // Stop()

  // Loads the state (in a writer job) and starts housekeeping. Call once before serving.
  Status Start();
  // Stops housekeeping (idempotent). Jobs already queued on the database may still run.
  void Stop();

  // Registry listeners: re-read one person after an enrolment/exit/certificate change, or a
  // project after it was created or changed.
  Status OnPersonChanged(store::Connection& conn, std::int64_t person_id);
  Status OnProjectChanged(store::Connection& conn, const std::string& project);

  // What the gate holds in memory now (a copy), and what a fresh load from the database would
  // hold — equal whenever no write is in flight (the fault tests compare them).
  GateData MemorySnapshot() const;
  Result<GateData> LoadSnapshot() const;

  // A recorded pass of a known person, told to listeners inside the writer job that stored it
  // (the residence module, the alerts engine), after the pass's own writes; keep listeners cheap,
  // they run once per gate event (both answer most passes from memory).
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
  // Server-side face recognition for `face_image` events; without one they are answered
  // 422 face_recognition_unavailable. Set before serving.
  void SetFaceMatcher(FaceMatcher* matcher) { face_matcher_ = matcher; }
  bool recognises_faces() const { return face_matcher_ != nullptr; }

  // Writes of the admin methods below run `also` (the audit row of the change) in the same
  // writer job, after the change; its failure rolls the change back.
  using AlsoWrite = std::function<Status(store::Connection&)>;

  // --- devices (admin) ---
  Result<nlohmann::json> RegisterDevice(const std::string& project, const DeviceDraft& draft,
                                        const AlsoWrite& also = nullptr);
  Result<nlohmann::json> ListDevices(const std::string& project) const;
  Result<nlohmann::json> SetDeviceEnabled(std::int64_t device_id, bool enabled,
                                          const AlsoWrite& also = nullptr);
  // The project of a device (404 when there is no such device).
  Result<std::string> DeviceProject(std::int64_t device_id) const;

  // --- machine operators (iot: 一机一人) ---
  // Whether `person_id` may operate a machine of `project` that needs `required` certificates,
  // after a face check at the machine (`score`, `liveness` as the cab reported them): the pass
  // decision of an entry under the project's policy, except that certificates, training, the
  // blacklist, the face score and liveness always deny here — a crane cab has no "warn only".
  GateDecision CheckOperator(const std::string& project, std::int64_t person_id,
                             std::optional<double> score, std::optional<bool> liveness,
                             const Requirements& required) const;

  // --- terminals (device principal) ---
  using EventDone = std::function<void(Result<nlohmann::json>)>;
  // The answer's JSON text, as the HTTP body: written without a json value in between.
  using AnswerDone = std::function<void(Result<std::string>)>;
  // One event; `done` runs on the writer thread after the commit.
  void SubmitEvent(const security::Principal& device, Result<GateEventInput> event,
                   AnswerDone done);
  // Up to 1000 events in device order, one job; each gets its own answer or error.
  void SubmitBatch(const security::Principal& device, std::vector<Result<GateEventInput>> events,
                   EventDone done);
  Result<nlohmann::json> Roster(const security::Principal& device, std::int64_t since) const;
  // Bulk load (the demo district's history): passes of many devices in time order, decided and
  // stored exactly as POST /api/v1/gate/events would (a refused event writes nothing), in
  // writer jobs of `chunk` events instead of one job per pass. Not published to the live feeds.
  // Blocks until everything is durable; a database error fails the call (the jobs before it
  // stay committed, the state is reloaded).
  Result<PassTally> RecordPasses(const std::vector<DevicePass>& passes, size_t chunk = 1000);
  Result<nlohmann::json> Heartbeat(const security::Principal& device, const nlohmann::json& body);

  // --- readers ---
  // Head-count with counts by team and work type; with the muster list when `with_persons`.
  Result<nlohmann::json> Onsite(const std::string& project, bool with_persons) const;
  nlohmann::json DistrictOnsite(const std::vector<std::string>* scope) const;
  // Open enrolments (workers, managers) of the projects in `scope` (null: all), from memory.
  std::pair<std::int64_t, std::int64_t> EnrolledCounts(const std::vector<std::string>* scope) const;
  Result<nlohmann::json> Attendance(const std::string& project, const Date& date) const;
  // Only passes at the projects of `scope` when given (a site manager's view).
  Result<nlohmann::json> Trajectory(std::int64_t person_id, std::int64_t from_ms,
                                    std::int64_t to_ms,
                                    const std::vector<std::string>* scope = nullptr) const;

  // --- policy and blacklist (admin) ---
  Result<nlohmann::json> GetPolicy(const std::string& project) const;
  Result<nlohmann::json> SetPolicy(const std::string& project, const GatePolicy& policy,
                                   const AlsoWrite& also = nullptr);
  Result<nlohmann::json> Blacklist(std::int64_t person_id, const std::string& reason,
                                   const std::string& by, const AlsoWrite& also = nullptr);
  Result<nlohmann::json> Unblacklist(std::int64_t person_id, const AlsoWrite& also = nullptr);

  // Housekeeping, also callable from tests: re-evaluates every roster standing when the date
  // changed, and closes the open days of people still inside after the auto clock-out hour.
  Status Tick();
  // Closes every open day now (as the auto clock-out does); returns how many were closed.
  Result<int> ClockOutAll(std::int64_t cutoff_ms);

  LiveFeed& live() { return live_; }

  // Bumped whenever a pass is stored for a day other than today (offline replays, automatic
  // clock-outs): caches of past days' figures compare it to know they are still right. (A bump
  // of a write that is then rolled back only costs a cache refresh.)
  std::uint64_t past_changes() const { return past_changes_.load(std::memory_order_acquire); }

  // Events answered to terminals (single and batch) since start, by outcome: a decision (allow,
  // deny), the stored answer of a replayed event_id, or refused (a field missing or wrong, too
  // old, an unreadable face …: an error answer, nothing stored; a body that is no JSON at all
  // never reaches the gate and shows only in the HTTP metrics). For /metrics: a terminal that
  // replays a lot has a poor link, and a benchmark whose events were replays measured no passes.
  struct EventCounts {
    std::uint64_t allowed = 0, denied = 0, replayed = 0, refused = 0;
  };
  EventCounts event_counts() const;

 private:
  // `face`: the recognition verdict of a face_image event (null otherwise).
  Result<PassAnswer> ProcessEvent(store::Connection& conn, std::int64_t device_id,
                                  const GateEventInput& event, const FaceVerdict* face);
  // Recognises the face of each face_image event (off the writer), then calls `done` with one
  // verdict or error per event (nullopt for events without a face).
  using FaceResults = std::vector<std::optional<Result<FaceVerdict>>>;
  void RecogniseFaces(std::int64_t device_id,
                      std::shared_ptr<std::vector<Result<GateEventInput>>> events,
                      std::function<void(FaceResults)> done);
  // Reads everything from the database into memory and recomputes every standing (a writer job).
  Status Load(store::Connection& conn);
  Status ReloadPerson(store::Connection& conn, std::int64_t person_id);
  // Re-evaluates the roster standing of `persons` on `project` and records each change.
  Status RecomputeStandings(store::Connection& conn, const std::string& project,
                            const std::vector<std::int64_t>& persons, const char* why);
  Status RecomputeAllStandings(store::Connection& conn, const char* why);
  void HousekeepingLoop();
  // Sends a committed decision to the live feeds (not replays).
  void PublishPass(const PassAnswer& answer);
  // Decides and stores one pass on the writer (its face already matched, if it had one), then
  // answers `done` with the answer's text or the refusal.
  void WritePass(std::int64_t device_id, GateEventInput input, std::optional<FaceVerdict> face,
                 AnswerDone done);

  Status DeviceChanged(store::Connection& conn, std::int64_t device_id);

  std::vector<PassListener> pass_listeners_;
  std::vector<DeviceListener> device_listeners_;
  store::Database* db_;
  registry::Registry* registry_;
  const security::FieldCipher* cipher_;
  const GateOptions options_;
  LiveFeed live_;
  FaceMatcher* face_matcher_ = nullptr;
  std::atomic<std::uint64_t> past_changes_{0};
  // Counted when the answer goes out (after the commit): see event_counts().
  void CountAnswer(const PassAnswer& answer);
  void CountRefused(size_t n);
  std::atomic<std::uint64_t> allowed_{0}, denied_{0}, replayed_{0}, refused_{0};

  GateState state_;

  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool stopping_ = false;
  std::thread housekeeping_;
};

}  // namespace zhizhi::gate

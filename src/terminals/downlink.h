// Downlink: the roster each terminal of another maker holds — who may pass at its project, with
// a face photo where the device takes one and the platform keeps it — issued to the device in
// its own protocol, and taken back when someone may no longer pass (exited, blacklisted, a
// certificate expired, the project completed).
//
// The outbox is the gate's durable roster log (roster_changes) and one cursor per device
// (devices.roster_synced, the version the device has applied): whatever the device has not
// confirmed is sent again, after a restart too. Nothing is lost, and a change is applied at
// least once (every command is an upsert or a delete, so applying one twice does no harm).
//
// - Uface and Hikvision (push): a thread walks their devices every `tick` and posts the changes
//   since the cursor — Uface to the device's LAN API (person/create or update, face/create or
//   update, person/delete), Hikvision to its ISAPI with digest authentication (UserInfo/Record
//   or Modify, FaceDataRecord or FDModify, UserInfo/Delete) — then moves the cursor. A device that
//   fails is retried with back-off (1, 2, 4 … 60 s) and its error shown in the device list.
// - ZKTeco (pull): each command poll (GET /iclock/getrequest) is answered with the commands for
//   the changes since the cursor (DATA UPDATE USERINFO, DATA UPDATE BIOPHOTO, DATA DELETE
//   USERINFO), numbered so that their results (POST /iclock/devicecmd) move the cursor; commands
//   unconfirmed after `resend_after` are sent again.
//
// Thread-safety: all public methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "gate/gate.h"
#include "security/field_cipher.h"
#include "store/database.h"
#include "terminals/terminals.h"
#include "terminals/zkteco.h"

namespace zhizhi::terminals {

struct DownlinkOptions {
  std::chrono::milliseconds tick{1000};            // how often Uface devices are walked
  std::chrono::milliseconds timeout{5000};         // one request to a device
  std::chrono::milliseconds max_backoff{60'000};   // between attempts at a failing device
  std::chrono::milliseconds resend_after{60'000};  // ZKTeco commands without a result
  // Hikvision: how often each device's own event log is searched (AcsEvent) for passes whose
  // push was lost; the first search reaches back `catchup_window`.
  std::chrono::milliseconds catchup_every{600'000};
  std::chrono::milliseconds catchup_window{24 * 3'600'000};
};

class Downlink {
 public:
  Downlink(store::Database* db, gate::Gate* gate, const security::FieldCipher* cipher,
           DownlinkOptions options = {});
  ~Downlink();  // Stop()

  // The person's face photo (JPEG) when the platform keeps one; set before Start().
  using PhotoSource = std::function<Result<std::optional<std::string>>(std::int64_t person)>;
  void SetPhotoSource(PhotoSource source) { photos_ = std::move(source); }

  // Before Start().
  void SetOptions(DownlinkOptions options) { options_ = options; }
  void Start();
  void Stop();  // idempotent
  // Walk the devices now (a roster change was committed).
  void Wake();

  // ZKTeco: the body of a command poll's answer — "OK\n" when nothing is due, else one
  // "C:<id>:<command>" line per change (its photo in a second line where there is one).
  Result<std::string> ZkCommands(const VendorDevice& device);
  // ZKTeco: the results of its commands; moves the cursor once a round is confirmed.
  Status ZkResults(const VendorDevice& device, const std::vector<ZkCommandResult>& results);

  // One round for one Uface or Hikvision device now (the thread's work; public for the tests).
  Status SyncUface(std::int64_t device_id);
  // Hikvision: searches the device's event log since the last search (AcsEvent, paged) and
  // hands every pass to `terminals` — idempotent on serialNo, so what was pushed changes nothing.
  // Returns the events found. Set the Terminals before Start().
  void SetTerminals(Terminals* terminals) { terminals_ = terminals; }
  Result<int> CatchUpHikvision(std::int64_t device_id);

 private:
  struct DeviceRow {
    std::int64_t id = 0;
    std::string project, vendor, serial, address, username;
    std::optional<std::string> password;
    std::int64_t synced = 0;
    int failures = 0;
  };
  // The devices the downlink posts to (Uface, Hikvision) that are behind their roster.
  Result<std::vector<DeviceRow>> UfaceDevices(std::optional<std::int64_t> only) const;
  Status SyncHikvision(const DeviceRow& device, const nlohmann::json& changes);
  // The changes the device has not applied: gate::Gate::Roster since its cursor.
  Result<nlohmann::json> Changes(const DeviceRow& device) const;
  Status Synced(std::int64_t device_id, std::int64_t version);
  Status Failed(std::int64_t device_id, const std::string& error);
  void Loop();

  store::Database* db_;
  gate::Gate* gate_;
  const security::FieldCipher* cipher_;
  DownlinkOptions options_;
  PhotoSource photos_;
  Terminals* terminals_ = nullptr;
  // Hikvision: the end of each device's last search (unix ms), and when the next one is due.
  std::map<std::int64_t, std::int64_t> searched_to_;
  std::map<std::int64_t, std::int64_t> next_search_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  // Uface: when each failing device may be tried again (steady clock ms).
  std::map<std::int64_t, std::int64_t> next_try_;
  // ZKTeco: the round each device is applying — the version it brings the device to, the
  // commands sent (id → person), the results still missing, when it was sent.
  struct Round {
    std::int64_t version = 0;
    std::map<std::int64_t, bool> waiting;  // command id → confirmed
    std::int64_t sent_ms = 0;
    std::string error;
  };
  std::map<std::int64_t, Round> rounds_;
  std::int64_t next_command_ = 1;
  std::thread thread_;
};

}  // namespace zhizhi::terminals

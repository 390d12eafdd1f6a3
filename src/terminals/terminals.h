// Terminals: the face terminals of other makers that sites already own — Uface (HTTP callbacks),
// ZKTeco (PUSH / iClock) and, later, Hikvision (ISAPI) — spoken in their own protocols and
// mapped onto the gate's one decision, event and attendance path (Gate::SubmitEvent and
// SubmitBatch, as if the terminal were zhizhi's own).
//
// What a vendor terminal reports is a pass that already happened: it decided at the door from
// the roster it holds. The event carries that (GateEventInput::terminal_opened): a door that
// stayed shut is recorded as a deny (terminal_refused), and a door that opened for someone the
// server denies is flagged (its roster is behind). Times without a zone (ZKTeco) are read in
// China Standard Time and corrected by the device's measured clock offset; events without a
// serial of their own are idempotent by (device, user, device time).
//
// Identity: a Uface terminal posts to a callback path whose secret only it knows (the hash is
// kept); a ZKTeco terminal is its serial number (SN) bound to the address it speaks from — the
// address registered for it, else the first it spoke from. A known SN from another address is
// refused and told to the impersonation listener (an alert); so is, once in 10 minutes, an SN
// that nobody registered.
//
// Thread-safety: all public methods are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "gate/gate.h"
#include "store/database.h"
#include "terminals/hikvision.h"
#include "terminals/uface.h"
#include "terminals/zkteco.h"

namespace zhizhi::terminals {

struct VendorDevice {
  std::int64_t id = 0;
  std::string project;
  std::string vendor;
  std::string serial;
  std::string direction;
  std::optional<std::string> bound_address;     // ZKTeco
  std::optional<std::int64_t> clock_offset_ms;  // device clock − server clock, when measured
};

// The principal a vendor device acts as on the gate (its project only), as a device token
// would make it for zhizhi's own terminals.
security::Principal DevicePrincipal(std::int64_t device_id, const std::string& project,
                                    const std::string& serial = "");

// A device identity used from where it does not belong.
struct Impersonation {
  std::int64_t device_id = 0;
  std::string project;
  std::string vendor;
  std::string serial;
  std::string bound_address;   // ZKTeco: where the device speaks from
  std::string from_address;    // where this request came from
  std::string claimed_serial;  // Uface: the deviceKey the body named (another device's path)
  std::int64_t time_ms = 0;
  // Not a device used from elsewhere but one that is not registered at all (a ZKTeco SN nobody
  // registered): device_id 0, no project.
  bool unregistered = false;
};

// What one ATTLOG upload did.
struct AttlogOutcome {
  int lines = 0;     // punch lines in the body (the count the device is answered with)
  int recorded = 0;  // new passes stored (allowed or denied)
  int replayed = 0;  // already stored: nothing changed
  int skipped = 0;   // invalid lines, or refused by the gate (too old, direction unknown …)
};

class Terminals {
 public:
  Terminals(store::Database* db, gate::Gate* gate);

  using ImpersonationListener = std::function<Status(store::Connection&, const Impersonation&)>;
  // Set before serving (the platform raises a terminal_impersonation alert).
  void SetImpersonationListener(ImpersonationListener listener) {
    impersonation_ = std::move(listener);
  }

  // The Uface or Hikvision device whose callback path carries `secret`; 404 otherwise (also
  // for a device of another vendor, or a disabled one — a disabled device's passes are still
  // recorded, denied, by the gate).
  Result<VendorDevice> ByCallback(std::string_view vendor, std::string_view secret);
  // The ZKTeco device `sn` speaking from `remote_ip`: binds an unbound device to it; 401 for an
  // unknown SN, 403 (and an alert) for a known SN from another address.
  Result<VendorDevice> ZkDevice(std::string_view sn, std::string_view remote_ip);

  // A device that names itself as another (a Uface body's deviceKey that is not the device of
  // the callback path): 403, and told to the impersonation listener.
  Status Mismatch(const VendorDevice& device, std::string_view claimed, std::string_view from_ip);

  // A Uface recognition → one gate event; `done` runs after it is durable (or refused). A
  // stranger's snapshot is recognised by the server when it has face models: a worker the
  // terminal did not know is named in the record (and denied, terminal_refused).
  void SubmitUface(const VendorDevice& device, UfaceRecognition recognition,
                   std::function<void(Status)> done);
  Status UfaceHeartbeat(const VendorDevice& device, const terminals::UfaceHeartbeat& beat);

  // A Hikvision push: a heartbeat (the device's clock), an access event that is a pass (→ one
  // gate event, idempotent on the device's serialNo), or another event (acknowledged, not a
  // pass). A body naming another device (macAddress, shortSerialNumber) is a Mismatch.
  void SubmitHikvision(const VendorDevice& device, HikEvent event, std::string_view from_ip,
                       std::function<void(Status)> done);
  static Result<std::optional<gate::GateEventInput>> HikvisionEvent(const VendorDevice& device,
                                                                    const HikEvent& event);

  // The handshake: the device is alive; the answer's ATTLOGStamp is the last stored upload's.
  Result<std::int64_t> ZkHandshake(const VendorDevice& device);
  // ATTLOG lines → gate events in batches; `done` runs once all are durable, after the upload's
  // `stamp` is kept for the next handshake.
  void SubmitAttlog(const VendorDevice& device, AttlogBatch batch, std::optional<std::string> stamp,
                    std::function<void(Result<AttlogOutcome>)> done);
  // A command poll: the device is alive; INFO gives its counts and firmware.
  Status ZkPoll(const VendorDevice& device, const ZkInfo& info);

  // The event a Uface recognition or an ATTLOG line becomes (public for the tests).
  static gate::GateEventInput UfaceEvent(const VendorDevice& device, const UfaceRecognition& r);
  static Result<gate::GateEventInput> AttlogEvent(const VendorDevice& device,
                                                  const AttlogLine& line);

  // Since start, for /metrics: uplink messages by vendor that were recorded and that were not.
  struct Counts {
    std::uint64_t uface_events = 0, zkteco_lines = 0, hikvision_events = 0, refused = 0,
                  impersonations = 0;
  };
  Counts counts() const;

 private:
  // Submits `event`; a stranger's `photo` is recognised first when the server can (falling back
  // to the stranger's pass when the photo is of no use).
  void SubmitStranger(const VendorDevice& device, gate::GateEventInput event,
                      std::optional<std::string> photo, std::function<void(Status)> done);
  // Device lookups, cached for kCacheMs (a registration or binding shows within that; a
  // disabled device is denied by the gate at once).
  static constexpr std::int64_t kCacheMs = 5000;
  Result<VendorDevice> Cached(const std::string& key,
                              const std::function<Result<VendorDevice>()>& load);
  struct Stamp {
    std::int64_t stamp = 0;
    std::int64_t written_ms = 0;
  };
  static constexpr std::int64_t kStampWriteMs = 10'000;
  std::mutex cache_mu_;
  std::map<std::string, std::pair<VendorDevice, std::int64_t>> cache_;  // key → device, expiry
  std::map<std::int64_t, Stamp> stamps_;  // ZKTeco: the newest stored upload's stamp, per device
  std::map<std::string, std::int64_t> unregistered_;  // "SN@address" → when last told
  struct Upload;
  void NextChunk(std::shared_ptr<Upload> upload);
  Result<VendorDevice> Load(store::Connection& conn, const char* where, std::string_view key);
  // Tells the impersonation listener (in a writer job of its own) and counts it.
  void Impersonated(const Impersonation& seen);
  // An unknown SN polling: told to the listener once per SN and address in 10 minutes.
  void Unregistered(std::string_view sn, std::string_view remote_ip);
  Status Beat(const VendorDevice& device, const nlohmann::json& body);

  store::Database* db_;
  gate::Gate* gate_;
  ImpersonationListener impersonation_;
  std::atomic<std::uint64_t> uface_events_{0}, zkteco_lines_{0}, hikvision_events_{0}, refused_{0},
      impersonations_{0};
};

// Corrects a device-clock instant by the device's measured offset (offsets under a second are
// the network's, not the clock's).
std::int64_t ServerInstant(std::int64_t device_ms, const std::optional<std::int64_t>& offset_ms);

}  // namespace zhizhi::terminals

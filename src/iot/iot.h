// Iot: the devices that speak to zhizhi over MQTT (docs/iot.md) — fire-alarm panels and their
// user information transmission devices (GB/T 26875.3), wireless smoke detectors, electrical-fire
// monitors, water-pressure sensors and tower cranes.
//
// Registering a device (POST /api/v1/iot/devices) writes its row with the hash of a new password
// and gives the broker its credentials (the broker's files rewritten and reloaded: live
// connections stay). zhizhi's own client subscribes to every device's `up` topic; the broker's
// ACL lets each device publish only there (`zz/dev/SERIAL/up`) and read only its `down`.
//
// What a message does, in order:
//   1. read strictly (a GB/T 26875.3 frame, or JSON telemetry of the device's kind); whatever
//      cannot be read is counted by its error code, logged (at most one line a second) and
//      dropped — never a crash, never half applied;
//   2. the device's state in memory moves (parts, latest values, crane operator, last seen);
//   3. what changed durably — a part's alarm or fault raised or recovered, an operator session
//      started or ended, a device back online — is written in one writer job with the alerts it
//      opens or resolves (alerts::AlertBook: the work orders are made in the same transaction);
//   4. after that commit, and only then, the device gets its answer on `down` (the GB/T confirm
//      of each send-data frame, the cab's operator decision). A frame whose job failed gets no
//      confirm: the device sends it again, and the device's memory is read back from the
//      database so that the repeat raises what was lost.
// Last-seen times and latest values are written in one job a second for every device heard
// from (not one write per message). Silence is found by a timing wheel (offline_wheel.h): no
// timer per device.
//
// Alarms (iot_alarms) keep their recovery and the verdict of the person on duty (real or
// false). A fire alarm's alert stays open after the panel recovers, until a person decides; the
// other types resolve themselves when their condition clears.
//
// Crane operators (一机一人): a session starts only for a person the cab face-verified who holds a
// valid tower-crane operator certificate (special operation 05) and is enrolled on the crane's
// project — decided by the gate's decision logic (gate::Gate::CheckOperator). A crane that works
// (load or moment) without a session raises crane_unauthorised_operator.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "iot/broker.h"
#include "iot/crane.h"
#include "iot/mqtt_client.h"
#include "iot/offline_wheel.h"
#include "security/audit_log.h"
#include "security/principal.h"
#include "store/database.h"
#include "store/page.h"

namespace zhizhi::gate {
class Gate;
class LiveFeed;
}  // namespace zhizhi::gate
namespace zhizhi::warning {
class Areas;
}

namespace zhizhi::iot {

struct IotOptions {
  Clock clock = SystemClock();
  std::string dir;       // DATA_DIR/mqtt: the broker's files
  std::string mqtt_url;  // empty: start our own broker; else connect to this one
  std::string broker_binary = "mosquitto";
  std::uint16_t broker_port = 0;              // 0: a free loopback port
  std::string advertised_host = "127.0.0.1";  // what registration tells devices
  // Our broker's TLS listener for devices elsewhere (0: none; BrokerOptions).
  std::uint16_t tls_port = 0;
  std::string tls_bind = "0.0.0.0", tls_cert, tls_key;
  int flush_ms = 1000;                // last-seen times and latest values
  std::int64_t offline_after_ms = 0;  // 0: per kind (docs/iot.md); else for every device
  bool connect = true;                // false: no broker, no client (tests feed Ingest)
};

struct DeviceFilter {
  std::optional<std::string> kind, state, project, q;
};

class Iot {
 public:
  Iot(store::Database* db, const security::AuditLog* audit, gate::Gate* gate, warning::Areas* areas,
      IotOptions options);
  ~Iot();

  // Loads the devices and their state, starts the broker (or connects to `mqtt_url`), the
  // subscriber and the ticker (offline detection, flushing).
  Status Start();
  void Stop();

  // POST /api/v1/iot/devices: {kind, serial, project | address, name?, model?} → the device and
  // its MQTT credentials (the password is shown once).
  Result<nlohmann::json> Register(const nlohmann::json& body, const security::Principal& principal,
                                  const security::Actor& actor);
  // Many devices at once (the demo district at the seed's scale): devices with the hashes of
  // their passwords and the points of the panels behind them (known before they report), in jobs
  // of a few thousand rows; memory and the broker learn them once, at the end. All or nothing
  // per job: a serial that exists already fails its job.
  struct NewDevice {
    std::string kind, serial, name, password_hash, project, address, community, model;
  };
  struct NewPart {
    std::size_t device = 0;  // index into the devices
    std::string part, description;
    int system_type = 0, system_address = 0, part_type = 0;
    std::uint32_t part_address = 0;
  };
  Status RegisterBulk(const std::vector<NewDevice>& devices, const std::vector<NewPart>& parts,
                      const security::Actor& actor);

  Result<nlohmann::json> Get(std::int64_t id) const;
  Result<nlohmann::json> List(const DeviceFilter& filter, const store::Page& page,
                              const security::Principal& principal) const;
  // POST /api/v1/iot/alarms/{id}/verdict: {verdict: real|false, note}. A false alarm resolves
  // its alert; a real one acknowledges it (the work order goes on).
  Result<nlohmann::json> Verdict(std::int64_t alarm, const nlohmann::json& body,
                                 const security::Actor& actor);
  // The serials of the devices heard from at least once, by id (serve --simulate plays them).
  std::vector<std::string> HeardSerials() const;
  // Counts over the devices the principal may see.
  nlohmann::json Stats(const security::Principal& principal) const;
  // 404 unless the principal may see the device (a site manager: their projects' devices).
  Status CheckScope(const security::Principal& principal, std::int64_t id) const;
  Status CheckAlarmScope(const security::Principal& principal, std::int64_t alarm) const;

  // One message as the broker delivered it (the subscriber calls it; tests and benchmarks may
  // call it directly). Answers go out through `publish` once durable.
  void Ingest(std::string_view topic, std::string_view payload);
  // One round of the ticker now: offline detection and the flush. Returns devices gone offline.
  int Tick();
  // Waits until every write queued by Ingest so far is durable (tests, benchmarks).
  void Drain();

  // Messages taken and dropped (by error code) since start.
  std::uint64_t messages() const { return messages_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }
  // The broker (null with --mqtt or connect = false).
  Broker* broker() { return broker_.get(); }
  std::uint16_t mqtt_port() const { return mqtt_port_; }
  void set_live_feed(gate::LiveFeed* feed) { live_ = feed; }

  // How a device answers (topic, payload): the subscriber's client, or a test's recorder.
  using Publisher = std::function<void(const std::string& topic, const std::string& payload)>;
  void set_publisher(Publisher publisher) { publisher_ = std::move(publisher); }

  struct Part {
    std::uint8_t system_type = 0, system_address = 0, part_type = 0;
    std::uint32_t part_address = 0;
    std::optional<std::uint16_t> status;  // unknown until reported
    std::string description;
    std::int64_t first_seen = 0, last_seen = 0;
    std::map<int, int> analogs;  // analog type → raw value
  };
  struct Session {
    std::int64_t id = 0, person_id = 0, started_at = 0;
    double score = 0;
  };
  struct Device {
    std::int64_t id = 0;
    std::string kind, serial, name, password_hash, project, address, community, model;
    std::string state = "never";
    std::int64_t first_seen = 0, last_seen = 0;
    nlohmann::json latest;  // the latest telemetry values
    std::map<std::string, Part> parts;
    std::set<std::string> active;  // open alarms: "type|part"
    std::optional<Session> session;
    std::uint64_t messages = 0, dropped = 0;
    bool dirty = false;
    std::set<std::string> dirty_parts;
  };

 private:
  struct Effects;
  Status LoadDevices();
  Status ReloadDevice(std::int64_t id);
  std::vector<BrokerClient> BrokerClients() const;  // under mu_
  Status RefreshBroker();
  void Loop();
  void Drop(Device* device, std::string_view code, std::string_view detail);
  void IngestFrames(Device& d, std::string_view payload, std::int64_t now, Effects& fx);
  void IngestJson(Device& d, std::string_view payload, std::int64_t now, Effects& fx);
  void IngestOperator(Device& d, const nlohmann::json& doc, std::int64_t now, Effects& fx);
  void SetAlarm(Device& d, const std::string& type, const std::string& part, bool on,
                const std::string& severity, const std::string& message, nlohmann::json detail,
                std::int64_t now, Effects& fx);
  void Commit(std::shared_ptr<Effects> fx);
  Status Apply(store::Connection& conn, Effects& fx);
  std::int64_t OfflineAfter(const std::string& kind) const;
  std::string RegisteredDescription(std::int64_t device, const std::string& part) const;

  store::Database* db_;
  const security::AuditLog* audit_;
  gate::Gate* gate_;
  warning::Areas* areas_;
  gate::LiveFeed* live_ = nullptr;
  IotOptions options_;
  const CraneLimits* limits_;

  std::unique_ptr<Broker> broker_;
  std::unique_ptr<MqttClient> client_;
  std::uint16_t mqtt_port_ = 0;
  std::string core_password_hash_;
  Publisher publisher_;
  std::mutex broker_mu_;  // one rewrite of the broker's files at a time

  mutable std::mutex mu_;
  std::unordered_map<std::int64_t, Device> devices_;
  std::unordered_map<std::string, std::int64_t> by_serial_;
  OfflineWheel wheel_;
  std::map<std::string, std::uint64_t> dropped_by_code_;
  std::int64_t last_drop_log_ms_ = 0;
  std::int64_t last_parts_flush_ms_ = 0;

  std::atomic<std::uint64_t> messages_{0}, dropped_{0};
  std::mutex reload_mu_;
  std::vector<std::int64_t> reload_;  // devices whose memory a failed job left ahead
  std::atomic<std::int64_t> pending_jobs_{0};
  std::mutex drain_mu_;
  std::condition_variable drain_cv_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zhizhi::iot

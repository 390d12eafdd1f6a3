// Platform: everything one data directory holds, opened and wired together — the database
// (migrated), the field cipher, the token authenticator, the registry — and the router with
// every module's routes. `zhizhi serve` and `zhizhi import` both start here.
//
// The data directory is locked (flock on DATA_DIR/LOCK) for as long as a Platform is open, so a
// server and an import, or two servers, never work on one directory at once.
//
// Thread-safety: construct and AddRoutes() on one thread; the parts are thread-safe afterwards.
#pragma once

#include <memory>
#include <string>

#include "alerts/alert_engine.h"
#include "base/status.h"
#include "gate/gate.h"
#include "http/metrics.h"
#include "http/router.h"
#include "registry/registry.h"
#include "residence/outbox_sender.h"
#include "residence/residence.h"
#include "residence/residence_api.h"
#include "security/field_cipher.h"
#include "security/token_authenticator.h"
#include "store/database.h"

namespace zhizhi::app {

class Platform {
 public:
  static Result<std::unique_ptr<Platform>> Open(const std::string& data_dir);
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

  // Creates DATA_DIR/admin.token when the database has no token yet; true when created.
  Result<bool> EnsureAdminToken();

  const std::string& data_dir() const { return data_dir_; }
  store::Database& db() { return *db_; }
  const security::FieldCipher& cipher() const { return *cipher_; }
  security::TokenAuthenticator& auth() { return *auth_; }
  registry::Registry& registry() { return *registry_; }

 private:
  Platform() = default;

  std::string data_dir_;
  int lock_fd_ = -1;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<security::FieldCipher> cipher_;
  std::unique_ptr<security::TokenAuthenticator> auth_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<gate::Gate> gate_;
  std::unique_ptr<residence::PoliceAdapter> police_;
  std::unique_ptr<residence::Residence> residence_;
  std::unique_ptr<residence::OutboxSender> sender_;
  residence::SyncDescription sync_;
  std::unique_ptr<alerts::AlertEngine> alerts_;
  std::unique_ptr<http::Metrics> metrics_;
};

}  // namespace zhizhi::app

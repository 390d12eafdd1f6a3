// zhizhi (智治): the district's digital-governance platform in one binary.
//
//   zhizhi serve  --data DIR [--port 8080] [--bind 127.0.0.1]   serve the API
//   zhizhi import --data DIR KIND FILE.csv [--partial]           bulk-load registry records
//   zhizhi demo   --data DIR [--projects 120 --persons 40000]   seed the demo district
//   zhizhi scan   --data DIR                                     run every alert detector
//   zhizhi report posts --data DIR --project CODE|--all [--csv F] the post ledger
//   zhizhi simulate --token-file DATA/admin.token [--load]       gate terminals (docs/simulator.md)
//   zhizhi user add|disable|enable --data DIR NAME ...           users (docs/security.md)
//   zhizhi keys rotate --data DIR                                new field key, all re-sealed
//   zhizhi audit verify --data DIR                               check the audit chain
//   zhizhi retention run --data DIR [--gate-events-days 730]     delete what is past its rule
//   zhizhi residence export --data DIR [--encoding gbk]          the daily residence export now
//   zhizhi police-endpoint --config FILE                         reference police receiver
//   zhizhi version
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "alerts/alert_engine.h"
#include "alerts/post_ledger.h"
#include "app/demo_district.h"
#include "app/demo_faces.h"
#include "app/platform.h"
#include "app/retention.h"
#include "http/server.h"
#include "registry/registry_import.h"
#include "residence/daily_export.h"
#include "residence/police_endpoint.h"
#include "security/key_rotation.h"
#include "security/password.h"
#include "sim/gate_simulator.h"
#include "sim/live_traffic.h"

namespace {

using zhizhi::Status;

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("zhizhi");
  // logfmt: every line is key=value pairs, so logs can be filtered and parsed without guessing.
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

int Fail(const Status& status) {
  std::fprintf(stderr, "zhizhi: %s\n", status.ToString().c_str());
  return 1;
}

struct ServeFlags {
  std::string data;
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
  int request_timeout = 30;
  int idle_timeout = 75;
  std::string log_level = "info";
  int auto_clockout_hour = 4;
  int gate_tick_seconds = 15;
  int scan_interval = 3600;
  int project_scan_interval = 60;
  std::string models;  // empty: ZHIZHI_MODELS, else the folder scripts/lib.sh fetched into
  bool no_faces = false;
  int face_workers = 0;
  zhizhi::face::FacesOptions faces;
  std::string web = ZHIZHI_WEB_DIST;  // the built command screen; "" to serve none
  bool simulate = false;
  double simulate_speed = 1;
  std::uint64_t simulate_seed = 0;
  zhizhi::app::Platform::ResidenceSetup residence;
};

// Where the face models are looked for when --models is not given.
std::string DefaultModelsDir() {
  if (const char* env = std::getenv("ZHIZHI_MODELS"); env && *env) return env;
  return std::string(ZHIZHI_FACE_DATA) + "/models";
}

// `--rules FILE` replaces the compiled-in Zhejiang rulebook for this process.
bool LoadRules(const std::string& file) {
  if (file.empty()) return true;
  if (auto status = zhizhi::registry::LoadActiveRules(file); !status.ok()) {
    Fail(status);
    return false;
  }
  return true;
}

void PrintScan(const zhizhi::alerts::ScanReport& r) {
  std::printf(
      "scanned %lld persons and %lld projects in %.2f s: %d opened, %d changed, %d resolved; "
      "%lld active alerts\n",
      static_cast<long long>(r.persons), static_cast<long long>(r.projects), r.seconds,
      r.counts.opened, r.counts.refreshed, r.counts.resolved, static_cast<long long>(r.active));
}

zhizhi::app::PlatformOptions PlatformOptionsOf(const ServeFlags& flags) {
  zhizhi::app::PlatformOptions options;
  options.accounts.session_ttl_ms = flags.session_seconds * 1000;
  options.accounts.lockout_failures = flags.lockout_failures;
  options.accounts.lockout_ms = flags.lockout_seconds * 1000;
  options.logins_per_minute = flags.logins_per_minute;
  // A few at once (a mistyped password), never more than the minute allows.
  options.login_burst = std::clamp(flags.logins_per_minute, 1.0, 10.0);
  return options;
}

int Serve(const ServeFlags& flags) {
  SetUpLogging(flags.log_level);
  auto platform = zhizhi::app::Platform::Open(flags.data, PlatformOptionsOf(flags));
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto created = p.EnsureAdminToken();
  if (!created.ok()) return Fail(created.status());
  if (*created) {
    spdlog::info("event=admin_token_created path={}/admin.token mode=0600", flags.data);
  }
  zhizhi::gate::GateOptions gate_options;
  gate_options.auto_clockout_hour = flags.auto_clockout_hour;
  gate_options.tick_seconds = flags.gate_tick_seconds;
  if (auto status = p.StartGate(gate_options); !status.ok()) return Fail(status);
  if (auto status = p.StartResidence(flags.residence); !status.ok()) return Fail(status);
  zhizhi::alerts::AlertEngineOptions alert_options;
  alert_options.scan_interval_s = flags.scan_interval;
  alert_options.project_interval_s = flags.project_scan_interval;
  p.StartAlerts(alert_options, /*schedule=*/true);
  p.StartSync();
  spdlog::info("event=residence_sync target={}",
               flags.residence.police_config.empty() ? "police_export (daily file)" : "police");
  spdlog::info("event=rules rulebook={} version={}", zhizhi::registry::ActiveRules().name(),
               zhizhi::registry::ActiveRules().version());
  zhizhi::face::FaceEngineOptions face_engine;
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
  zhizhi::http::Router router;
  p.AddRoutes(router);

  zhizhi::http::ServerOptions options;
  if (!flags.web.empty()) {
    auto web = zhizhi::http::StaticFiles::Load(flags.web);
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
  std::unique_ptr<zhizhi::sim::LiveTraffic> live;
  options.on_stop = [&live] {
    if (live) live->RequestStop();
  };
  zhizhi::http::HttpServer server(options, router, p.auth(), p.metrics());
  auto port = server.Start();
  if (!port.ok()) return Fail(port.status());
  spdlog::info("event=listening address={}://{}:{} data={} threads={} schema_version={}",
               flags.tls_cert.empty() ? "http" : "https", flags.bind, *port, flags.data,
               options.threads, p.db().schema_version());
  if (flags.simulate) {
    zhizhi::sim::LiveTrafficOptions sim;
    // The simulator talks to this server over loopback, whatever address it listens on.
    sim.url = std::string(flags.bind == "::1" ? "http://[::1]:" : "http://127.0.0.1:") +
              std::to_string(*port);
    sim.data_dir = flags.data;
    sim.speed = flags.simulate_speed;
    sim.seed = flags.simulate_seed;
    live = std::make_unique<zhizhi::sim::LiveTraffic>(sim);
    live->Start();
    spdlog::info("event=simulator_started speed={}", flags.simulate_speed);
  }
  server.Run();
  if (live) live->Stop();
  spdlog::info("event=stopped");
  return 0;
}

struct ImportFlags {
  std::string data;
  std::string kind;
  std::string file;
  bool partial = false;
  bool no_progress = false;
  bool no_scan = false;
  std::string errors_file;
};

struct ScanFlags {
  std::string data;
  std::string rules;
  std::string now;
  bool projects_only = false;
};

// Opens the database directly, without the data directory's LOCK: a scan is safe beside a
// running server (each chunk is a short transaction; the engine keeps no state in memory).
int Scan(const ScanFlags& flags) {
  SetUpLogging("warn");
  if (!LoadRules(flags.rules)) return 1;
  auto db = zhizhi::store::Database::Open(flags.data + "/zhizhi.db");
  if (!db.ok()) return Fail(db.status());
  zhizhi::alerts::AlertEngineOptions options;
  if (!flags.now.empty()) {
    auto now = zhizhi::Timestamp::ParseRfc3339(flags.now, "now");
    if (!now.ok()) return Fail(now.status());
    options.clock = [ms = now->unix_ms] { return ms; };
  }
  zhizhi::alerts::AlertEngine engine(db->get(), zhizhi::registry::ActiveRules(), options);
  auto report = engine.ScanAll(!flags.projects_only);
  if (!report.ok()) return Fail(report.status());
  PrintScan(*report);
  return 0;
}

struct ReportFlags {
  std::string data;
  std::string project;
  bool all = false;
  std::string csv;
  std::string rules;
};

int ReportPosts(const ReportFlags& flags) {
  SetUpLogging("warn");
  if (!LoadRules(flags.rules)) return 1;
  if (flags.all == !flags.project.empty()) {
    return Fail(zhizhi::Status::InvalidArgument("project", "give --project CODE or --all"));
  }
  auto db = zhizhi::store::Database::Open(flags.data + "/zhizhi.db");
  if (!db.ok()) return Fail(db.status());
  auto rows = (*db)->Read([&](zhizhi::store::Connection& conn) {
    return zhizhi::alerts::BuildPostLedger(
        conn, zhizhi::registry::ActiveRules(),
        flags.all ? std::nullopt : std::optional<std::string>(flags.project),
        zhizhi::TodayInChina());
  });
  if (!rows.ok()) return Fail(rows.status());
  if (!flags.csv.empty()) {
    std::ofstream out(flags.csv, std::ios::binary);
    zhizhi::alerts::WritePostLedgerCsv(out, *rows);
    if (!out) return Fail(zhizhi::Status::Internal("cannot write " + flags.csv));
  }
  zhizhi::alerts::WritePostLedgerText(std::cout, *rows);
  size_t problems = 0;
  for (const auto& r : *rows)
    problems += !r.problems.empty();
  std::printf("\n%zu posts, %zu with problems\n", rows->size(), problems);
  return 0;
}

int Import(const ImportFlags& flags) {
  SetUpLogging("warn");
  auto platform = zhizhi::app::Platform::Open(flags.data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;

  zhizhi::registry::ImportOptions options;
  options.partial = flags.partial;
  options.audit = &p.audit();
  options.actor = zhizhi::security::Actor::Command("import");
  const bool tty = ::isatty(STDERR_FILENO) != 0 && !flags.no_progress;
  if (tty) {
    options.progress = [start = std::chrono::steady_clock::now()](size_t done, size_t total,
                                                                  std::int64_t rows) {
      const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / total;
      const int width = 30;
      const int filled = static_cast<int>(fraction * width);
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\r[%.*s%*s] %3d%%  %lld rows  %.0f rows/s ", filled,
                   "##############################", width - filled, "",
                   static_cast<int>(fraction * 100), static_cast<long long>(rows),
                   secs > 0 ? rows / secs : 0.0);
      std::fflush(stderr);
    };
  }
  auto report = zhizhi::registry::ImportCsv(p.db(), p.registry(), flags.kind, flags.file, options);
  if (tty) std::fprintf(stderr, "\n");
  if (!report.ok()) return Fail(report.status());

  const auto& r = *report;
  constexpr size_t kShown = 50;
  for (size_t i = 0; i < r.errors.size() && i < kShown; ++i) {
    const auto& e = r.errors[i];
    std::fprintf(stderr, "%s:%d: %s%s%s: %s\n", flags.file.c_str(), e.line, e.code.c_str(),
                 e.field.empty() ? "" : " field=", e.field.c_str(), e.message.c_str());
  }
  if (r.errors.size() > kShown) {
    std::fprintf(stderr, "… and %zu more rejected rows\n", r.errors.size() - kShown);
  }
  if (!flags.errors_file.empty()) {
    std::ofstream out(flags.errors_file);
    out << "line,field,code,message\n";
    for (const auto& e : r.errors) {
      std::string message = e.message;
      for (size_t pos = 0; (pos = message.find('"', pos)) != std::string::npos; pos += 2) {
        message.insert(pos, "\"");
      }
      out << e.line << ',' << e.field << ',' << e.code << ",\"" << message << "\"\n";
    }
  }
  const double rate = r.seconds > 0 ? r.rows / r.seconds : 0;
  std::printf(
      "%s: %lld rows read (%s), %lld imported, %lld rejected in %.2f s (%.0f rows/s)%s\n",
      r.kind.c_str(), static_cast<long long>(r.rows), r.encoding.c_str(),
      static_cast<long long>(r.imported), static_cast<long long>(r.rejected), r.seconds, rate,
      r.committed ? "" : "; nothing written (all-or-nothing): fix the rows or use --partial");
  if (r.committed && r.imported > 0 && !flags.no_scan) {
    // An import is many changes at once: one scan afterwards gives the alerts the incremental
    // path would have (and is much cheaper than running it per row).
    // Residence drafts first (kept as drafts: the server submits them when it starts), so that
    // the scan does not take a worker with a dormitory for an unregistered one.
    zhizhi::app::Platform::ResidenceSetup residence;
    residence.sender = false;
    residence.defer_submission = true;
    if (auto status = p.StartResidence(residence); !status.ok()) return Fail(status);
    p.StartAlerts({}, /*schedule=*/false);
    if (auto drafted = p.residence()->ReconcileAll(); !drafted.ok()) {
      return Fail(drafted.status());
    }
    auto scan = p.alerts()->ScanAll();
    if (!scan.ok()) return Fail(scan.status());
    PrintScan(*scan);
  }
  return r.rejected == 0 ? 0 : 1;
}

struct ResidenceExportFlags {
  std::string data;
  std::string dir;
  std::string encoding = "utf-8";
};

// Writes the pending daily-export rows now, beside a running server (like `scan`, without the
// data directory's lock: the rows are marked in a short transaction, only if still pending).
int ResidenceExport(const ResidenceExportFlags& flags) {
  SetUpLogging("warn");
  auto db = zhizhi::store::Database::Open(flags.data + "/zhizhi.db");
  if (!db.ok()) return Fail(db.status());
  auto cipher = zhizhi::security::FieldCipher::ForDataDir(flags.data);
  if (!cipher.ok()) return Fail(cipher.status());
  zhizhi::residence::Residence residence(db->get(), &*cipher, zhizhi::registry::ActiveRules());
  zhizhi::residence::ExportOptions options;
  options.dir = flags.dir.empty() ? flags.data + "/exports" : flags.dir;
  options.encoding = flags.encoding;
  auto report =
      zhizhi::residence::WriteDailyExport(**db, residence, *cipher, options, zhizhi::NowUnixMs());
  if (!report.ok()) return Fail(report.status());
  if (report->rows == 0) {
    std::printf("nothing to export\n");
  } else {
    std::printf("%d rows written to %s\n", report->rows, report->file.c_str());
  }
  return 0;
}

struct PoliceEndpointFlags {
  std::string config;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 18510;
  std::string reject_containing;
};

// The reference receiver of the police wire format, for demonstrations (not the police system).
int RunPoliceEndpoint(const PoliceEndpointFlags& flags) {
  SetUpLogging("info");
  auto config = zhizhi::residence::PoliceConfig::Load(flags.config);
  if (!config.ok()) return Fail(config.status());
  zhizhi::residence::EndpointOptions options;
  options.path = config->path;
  options.hmac_key = config->hmac_key;
  options.id_key = config->id_key;
  if (!flags.reject_containing.empty()) {
    options.reject =
        [text = flags.reject_containing](const nlohmann::json& m) -> std::optional<std::string> {
      if (m.dump().find(text) == std::string::npos) return std::nullopt;
      return "地址无法核实 (address not found)";
    };
  }
  zhizhi::residence::PoliceEndpoint endpoint(options);
  endpoint.SetObserver([](const zhizhi::residence::ReceivedMessage& m) {
    spdlog::info("event=police_message key={} type={} ref={} id_number={} result={}",
                 m.idempotency_key, m.message_type, m.registration_ref,
                 zhizhi::security::MaskIdNumber(m.id_number), m.answer.dump());
  });
  auto port = endpoint.Start(flags.bind, flags.port);
  if (!port.ok()) return Fail(port.status());
  spdlog::info("event=police_endpoint_listening url=http://{}:{}{}", flags.bind, *port,
               options.path);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int signal = 0;
  sigwait(&set, &signal);
  endpoint.Stop();
  spdlog::info("event=police_endpoint_stopped messages={} duplicates={}",
               endpoint.messages().size(), endpoint.duplicates());
  return 0;
}

// `models` "": no faces; else the models folder ("default": as serve's), with the sample photos
// in its sibling samples/.
int Demo(const std::string& data, const zhizhi::app::DemoOptions& options,
         const std::string& models) {
  SetUpLogging("warn");
  auto platform = zhizhi::app::Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto created = p.EnsureAdminToken();
  if (!created.ok()) return Fail(created.status());
  const auto start = std::chrono::steady_clock::now();
  auto summary = zhizhi::app::SeedDemoDistrict(p, options);
  if (!summary.ok()) return Fail(summary.status());
  const auto& s = *summary;
  std::printf(
      "demo district seeded in %.1f s (registry %.1f s, gate %.1f s): %d corps, %d projects, "
      "%d teams, %d persons, %d certificates, %d enrolments (%d exited), %d gate terminals, "
      "%lld passes over %d days (%lld allowed, %lld denied, %lld refused)\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
      s.registry_seconds, s.history_seconds, s.corps, s.projects, s.teams, s.persons,
      s.certificates, s.enrolments, s.exits, s.devices, static_cast<long long>(s.passes),
      options.history_days + 1, static_cast<long long>(s.allowed), static_cast<long long>(s.denied),
      static_cast<long long>(s.rejected));
  if (models.empty()) return 0;
  // Faces of the sample photos for a few workers, through the real pipeline; without the models
  // or the photos the district simply has no faces.
  const std::string models_dir = models == "default" ? DefaultModelsDir() : models;
  const std::string samples_dir =
      std::filesystem::path(models_dir).lexically_normal().parent_path().string() + "/samples";
  zhizhi::face::FaceEngineOptions engine;
  engine.models_dir = models_dir;
  if (auto status = p.StartFaces(engine, {}); !status.ok()) {
    std::printf("no faces: %s\n", status.message().c_str());
    return 0;
  }
  auto faces = zhizhi::app::SeedDemoFaces(p, models_dir, samples_dir);
  if (!faces.ok()) {
    std::printf("no faces: %s\n", faces.status().message().c_str());
    return 0;
  }
  std::string refused;
  for (const auto& [code, n] : faces->refused)
    refused += (refused.empty() ? "" : ", ") + code + " " + std::to_string(n);
  std::printf(
      "faces: %d persons with an ID-card photo and a live face (%d templates) from %d faces "
      "in %d sample photos%s%s\n",
      faces->persons, faces->enrolled, faces->faces, faces->photos,
      refused.empty() ? "" : "; refused: ", refused.c_str());
  return 0;
}

struct UserFlags {
  std::string data;
  std::string name;
  std::string role;
  std::vector<std::string> projects;
  bool pii = false;
  std::string password_file;  // else read from stdin
};

// The password from a file (first line) or standard input, never from the command line (it
// would show in `ps` and shell history).
zhizhi::Result<std::string> ReadPassword(const std::string& file) {
  std::string line;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!std::getline(in, line))
      return Status::InvalidArgument("password-file", "cannot read " + file);
  } else {
    if (::isatty(STDIN_FILENO)) std::fprintf(stderr, "password: ");
    if (!std::getline(std::cin, line))
      return Status::InvalidArgument("password", "no password on stdin");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.pop_back();
  return line;
}

int UserAdd(const UserFlags& flags) {
  SetUpLogging("warn");
  auto password = ReadPassword(flags.password_file);
  if (!password.ok()) return Fail(password.status());
  nlohmann::json body = {
      {"name", flags.name}, {"password", *password}, {"role", flags.role}, {"pii", flags.pii}};
  if (!flags.projects.empty()) body["projects"] = flags.projects;
  zhizhi::JsonFieldReader in(body);
  auto draft = zhizhi::accounts::ParseUser(in);
  if (!draft.ok()) return Fail(draft.status());
  auto platform = zhizhi::app::Platform::Open(flags.data);
  if (!platform.ok()) return Fail(platform.status());
  auto user =
      (*platform)->accounts().CreateUser(*draft, zhizhi::security::Actor::Command("user add"));
  if (!user.ok()) return Fail(user.status());
  std::printf("user %s created (id %lld, role %s)\n", flags.name.c_str(),
              static_cast<long long>((*user)["id"].get<std::int64_t>()), flags.role.c_str());
  return 0;
}

int UserSetDisabled(const UserFlags& flags, bool disabled) {
  SetUpLogging("warn");
  auto platform = zhizhi::app::Platform::Open(flags.data);
  if (!platform.ok()) return Fail(platform.status());
  auto& accounts = (*platform)->accounts();
  auto id = accounts.FindUserId(flags.name);
  if (!id.ok()) return Fail(id.status());
  if (!*id) return Fail(Status::NotFound("no user named " + flags.name));
  auto user = accounts.SetDisabled(
      **id, disabled, zhizhi::security::Actor::Command(disabled ? "user disable" : "user enable"));
  if (!user.ok()) return Fail(user.status());
  std::printf("user %s %s%s\n", flags.name.c_str(), disabled ? "disabled" : "enabled",
              disabled ? "; its sessions are revoked" : "");
  return 0;
}

int KeysRotate(const std::string& data, const std::string& new_key_file) {
  SetUpLogging("warn");
  auto platform = zhizhi::app::Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto report = zhizhi::security::RotateFieldKey(p.db(), p.mutable_cipher(), data, new_key_file,
                                                 zhizhi::security::Actor::Command("keys rotate"));
  if (!report.ok()) return Fail(report.status());
  std::printf(
      "field key rotated: %lld sealed values re-sealed, %lld audit rows re-hashed\n"
      "new key: %s\n",
      static_cast<long long>(report->sealed_values), static_cast<long long>(report->audit_rows),
      report->new_key_path.c_str());
  if (!report->old_key_path.empty()) {
    std::printf("old key kept at %s for backups taken before now; delete it when they expire\n",
                report->old_key_path.c_str());
  } else {
    std::printf("set ZHIZHI_FIELD_KEY to the content of %s before the next start\n",
                report->new_key_path.c_str());
  }
  return 0;
}

int AuditVerify(const std::string& data) {
  SetUpLogging("warn");
  auto platform = zhizhi::app::Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto v = p.db().Read([&](zhizhi::store::Connection& conn) { return p.audit().Verify(conn); });
  if (!v.ok()) return Fail(v.status());
  if (v->problems.empty()) {
    std::printf("audit chain intact: %lld rows, head seq %lld hash %s\n",
                static_cast<long long>(v->rows), static_cast<long long>(v->head_seq),
                v->head_hash.c_str());
    return 0;
  }
  for (const auto& problem : v->problems) {
    std::printf("TAMPERED row %lld: %s\n", static_cast<long long>(problem.seq),
                problem.what.c_str());
  }
  std::printf("audit chain broken: %zu problem(s) in %lld rows\n", v->problems.size(),
              static_cast<long long>(v->rows));
  return 2;
}

int RetentionRun(const std::string& data, int gate_events_days) {
  SetUpLogging("warn");
  auto platform = zhizhi::app::Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto report = zhizhi::app::RunRetention(p.db(), p.audit(),
                                          zhizhi::security::Actor::Command("retention run"),
                                          {{"gate_events", gate_events_days}}, zhizhi::NowUnixMs());
  if (!report.ok()) return Fail(report.status());
  for (const auto& [rule, rows] : report->deleted) {
    std::printf("%s: %lld rows deleted\n", rule.c_str(), static_cast<long long>(rows));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zhizhi (智治): digital governance of an industrial district"};
  app.require_subcommand(1);

  std::string rules_file;
  ServeFlags serve;
  auto* serve_cmd = app.add_subcommand("serve", "serve the HTTP API");
  serve_cmd->add_option("--data", serve.data, "data directory (created if missing)")->required();
  serve_cmd->add_option("--port", serve.port, "TCP port (0 picks a free one)")
      ->capture_default_str();
  serve_cmd->add_option("--bind", serve.bind, "address to listen on")->capture_default_str();
  serve_cmd->add_option("--threads", serve.threads, "I/O threads (default 2 × cores)");
  serve_cmd->add_option("--body-limit", serve.body_limit, "largest request body in bytes")
      ->capture_default_str();
  serve_cmd
      ->add_option("--request-timeout", serve.request_timeout,
                   "seconds to receive a whole request, and to write its answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  serve_cmd
      ->add_option("--idle-timeout", serve.idle_timeout,
                   "seconds a keep-alive connection may wait for its next request")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  serve_cmd
      ->add_option("--auto-clockout-hour", serve.auto_clockout_hour,
                   "China-time hour at which open gate days are closed")
      ->capture_default_str()
      ->check(CLI::Range(0, 23));
  serve_cmd
      ->add_option("--gate-tick-seconds", serve.gate_tick_seconds,
                   "gate housekeeping period (roster sweeps, auto clock-out)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  serve_cmd->add_option("--rules", rules_file,
                        "rulebook JSON (default: rules/zhejiang.json, compiled in)");
  serve_cmd->add_option("--scan-interval", serve.scan_interval, "seconds between full alert scans")
      ->capture_default_str()
      ->check(CLI::Range(10, 7 * 86400));
  serve_cmd
      ->add_option("--project-scan-interval", serve.project_scan_interval,
                   "seconds between project scans (vacant posts, offline devices)")
      ->capture_default_str()
      ->check(CLI::Range(5, 7 * 86400));
  serve_cmd->add_option("--models", serve.models,
                        "face models folder (default $ZHIZHI_MODELS, else " ZHIZHI_FACE_DATA
                        "/models); serve fails when they are missing");
  serve_cmd->add_flag("--no-faces", serve.no_faces,
                      "serve without face recognition (face enrolment and face_image events are "
                      "refused with 422 face_recognition_unavailable)");
  serve_cmd->add_option("--face-workers", serve.face_workers,
                        "threads analysing photos (default: one per core)");
  serve_cmd
      ->add_option("--face-match", serve.faces.thresholds.match,
                   "cosine at which a gate photo is the enrolled person")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd
      ->add_option("--face-duplicate", serve.faces.thresholds.duplicate,
                   "cosine at which an enrolled face is another person's (duplicate_of)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd
      ->add_option("--face-id-photo", serve.faces.thresholds.id_photo,
                   "cosine a live face needs against the ID-card photo")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd
      ->add_option("--face-liveness", serve.faces.thresholds.liveness,
                   "liveness probability a live capture needs")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd
      ->add_option("--face-index", serve.faces.district_index,
                   "district gallery: adaptive (exact, int8 past 20,000), exact, int8, hnsw")
      ->capture_default_str()
      ->check(CLI::IsMember({"adaptive", "exact", "int8", "hnsw"}));
  serve_cmd->add_flag("--keep-face-photos", serve.faces.keep_photos,
                      "store enrolment photos (sealed); by default only embeddings are kept");
  serve_cmd->add_flag("--simulate", serve.simulate,
                      "play live gate traffic against this server (docs/simulator.md)");
  serve_cmd
      ->add_option("--simulate-speed", serve.simulate_speed,
                   "simulated seconds per real second (1 = real time)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  serve_cmd->add_option("--simulate-seed", serve.simulate_seed, "simulator seed (0: random)");
  serve_cmd->add_option("--web", serve.web, "directory of the built command screen (\"\": none)")
      ->capture_default_str();
  auto* tls_cert = serve_cmd->add_option("--tls-cert", serve.tls_cert,
                                         "serve HTTPS with this PEM certificate chain");
  auto* tls_key =
      serve_cmd->add_option("--tls-key", serve.tls_key, "the PEM private key of --tls-cert");
  tls_cert->needs(tls_key)->check(CLI::ExistingFile);
  tls_key->needs(tls_cert)->check(CLI::ExistingFile);
  serve_cmd->add_option("--session-seconds", serve.session_seconds, "how long a login lasts")
      ->capture_default_str()
      ->check(CLI::Range(1, 30 * 86400));
  serve_cmd
      ->add_option("--lockout-failures", serve.lockout_failures,
                   "wrong passwords in a row before a user name is locked")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  serve_cmd->add_option("--lockout-seconds", serve.lockout_seconds, "how long the lock lasts")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  serve_cmd
      ->add_option("--logins-per-minute", serve.logins_per_minute,
                   "login attempts per client address (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100000.0));
  serve_cmd
      ->add_option("--session-rate", serve.session_rate,
                   "requests per second per user session, burst 10x (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100000.0));
  serve_cmd
      ->add_option("--gate-events-days", serve.gate_events_days,
                   "retention of gate events (attendance, trajectories); 0 keeps them")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
  serve_cmd
      ->add_option("--retention-hours", serve.retention_hours,
                   "how often retention runs (0: never while serving)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 8760.0));
  serve_cmd
      ->add_option("--police-config", serve.residence.police_config,
                   "police adapter configuration (endpoint and keys, mode 0600; docs/residence.md);"
                   " without it, submissions go to the daily export file")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--export-dir", serve.residence.export_dir,
                        "directory of the daily residence export (default DATA/exports)");
  serve_cmd
      ->add_option("--export-encoding", serve.residence.export_encoding,
                   "encoding of the daily export: utf-8 or gbk")
      ->capture_default_str()
      ->check(CLI::IsMember({"utf-8", "gbk"}));
  serve_cmd
      ->add_option("--export-hour", serve.residence.export_hour,
                   "China-time hour after which the day's export file is written (24: never by "
                   "itself, only on demand)")
      ->capture_default_str()
      ->check(CLI::Range(0, 24));
  serve_cmd
      ->add_option("--sync-poll-ms", serve.residence.poll_ms,
                   "how often the outbox sender looks for due messages")
      ->capture_default_str()
      ->check(CLI::Range(10, 600000));
  serve_cmd->add_option("--log-level", serve.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  ImportFlags import;
  auto* import_cmd = app.add_subcommand("import", "import registry records from a CSV file");
  import_cmd->add_option("--data", import.data, "data directory")->required();
  import_cmd
      ->add_option("kind", import.kind,
                   "corps, projects, project_corps, teams, persons, certificates, enrolments")
      ->required();
  import_cmd->add_option("file", import.file, "UTF-8 or GBK CSV with a header row")
      ->required()
      ->check(CLI::ExistingFile);
  import_cmd->add_flag("--partial", import.partial,
                       "keep the good rows when some are rejected (default: all or nothing)");
  import_cmd->add_flag("--no-progress", import.no_progress, "no progress bar");
  import_cmd->add_flag("--no-scan", import.no_scan, "skip the alert scan after the import");
  import_cmd->add_option("--rules", rules_file, "rulebook JSON for the scan");
  import_cmd->add_option("--errors", import.errors_file, "write rejected rows as CSV to this file");

  std::string demo_data;
  zhizhi::app::DemoOptions demo;
  auto* demo_cmd =
      app.add_subcommand("demo", "seed the demo district into an empty data directory");
  demo_cmd->add_option("--data", demo_data, "data directory")->required();
  demo_cmd->add_option("--projects", demo.projects, "number of projects")
      ->capture_default_str()
      ->check(CLI::Range(4, 2000));
  demo_cmd->add_option("--persons", demo.persons, "about this many people")
      ->capture_default_str()
      ->check(CLI::Range(100, 1'000'000));
  demo_cmd->add_option("--history-days", demo.history_days, "days of gate history before today")
      ->capture_default_str()
      ->check(CLI::Range(0, 30));
  demo_cmd->add_option("--seed", demo.seed, "random seed (the same seed gives the same district)")
      ->capture_default_str();
  demo_cmd->add_flag("--quiet", demo.quiet, "no progress lines");
  std::string demo_models = "default";
  bool demo_no_faces = false;
  demo_cmd->add_option("--models", demo_models,
                       "face models folder (default as serve); the sample photos are beside it");
  demo_cmd->add_flag("--no-faces", demo_no_faces, "seed no faces");

  zhizhi::sim::SimulateOptions simulate;
  auto* simulate_cmd = zhizhi::sim::AddSimulateCommand(app, simulate);

  ScanFlags scan;
  auto* scan_cmd = app.add_subcommand(
      "scan", "run every alert detector over the district (safe while serve runs)");
  scan_cmd->add_option("--data", scan.data, "data directory")->required();
  scan_cmd->add_option("--rules", scan.rules, "rulebook JSON");
  scan_cmd->add_option("--now", scan.now, "judge as of this RFC 3339 instant (default: now)");
  scan_cmd->add_flag("--projects-only", scan.projects_only,
                     "only vacant posts, offline devices and clock skew");

  ReportFlags report;
  auto* report_cmd = app.add_subcommand("report", "print reports");
  auto* posts_cmd = report_cmd->add_subcommand("posts", "the post ledger with its problems");
  report_cmd->require_subcommand(1);
  posts_cmd->add_option("--data", report.data, "data directory")->required();
  posts_cmd->add_option("--project", report.project, "one project code");
  posts_cmd->add_flag("--all", report.all, "every project");
  posts_cmd->add_option("--csv", report.csv, "also write CSV (UTF-8 with BOM) to this file");
  posts_cmd->add_option("--rules", report.rules, "rulebook JSON");
  UserFlags user;
  auto* user_cmd = app.add_subcommand("user", "manage users (stop the server first)");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add",
                                            "create a user; the password is read from "
                                            "stdin or --password-file");
  user_add->add_option("--data", user.data, "data directory")->required();
  user_add->add_option("name", user.name, "login name")->required();
  user_add->add_option("--role", user.role, "district_admin, site_manager, police, inspector")
      ->required();
  user_add->add_option("--project", user.projects, "a project of a site manager (repeatable)");
  user_add->add_flag("--pii", user.pii, "may see full ID numbers");
  user_add->add_option("--password-file", user.password_file, "first line is the password");
  auto* user_disable = user_cmd->add_subcommand("disable", "disable a user and end its sessions");
  user_disable->add_option("--data", user.data, "data directory")->required();
  user_disable->add_option("name", user.name, "login name")->required();
  auto* user_enable = user_cmd->add_subcommand("enable", "enable a disabled user");
  user_enable->add_option("--data", user.data, "data directory")->required();
  user_enable->add_option("name", user.name, "login name")->required();

  std::string keys_data, new_key_file;
  auto* keys_cmd = app.add_subcommand("keys", "the field key");
  keys_cmd->require_subcommand(1);
  auto* keys_rotate = keys_cmd->add_subcommand(
      "rotate", "new field key: every sealed value and the audit chain re-done in one transaction");
  keys_rotate->add_option("--data", keys_data, "data directory")->required();
  keys_rotate->add_option("--new-key-file", new_key_file,
                          "where to write the new key when ZHIZHI_FIELD_KEY holds the key");

  std::string audit_data;
  auto* audit_cmd = app.add_subcommand("audit", "the audit trail");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand(
      "verify", "walk the hash chain; exit 2 and name the rows when it was tampered with");
  audit_verify->add_option("--data", audit_data, "data directory")->required();

  std::string retention_data;
  int retention_days = 730;
  auto* retention_cmd = app.add_subcommand("retention", "data retention");
  retention_cmd->require_subcommand(1);
  auto* retention_run = retention_cmd->add_subcommand("run", "delete what is past its rule now");
  retention_run->add_option("--data", retention_data, "data directory")->required();
  retention_run->add_option("--gate-events-days", retention_days, "keep gate events this many days")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));

  ResidenceExportFlags residence_export;
  auto* residence_cmd = app.add_subcommand("residence", "residence registration");
  residence_cmd->require_subcommand(1);
  auto* export_cmd = residence_cmd->add_subcommand(
      "export", "write the pending daily-export rows to a CSV file now (safe while serve runs)");
  export_cmd->add_option("--data", residence_export.data, "data directory")->required();
  export_cmd->add_option("--dir", residence_export.dir, "output directory (default DATA/exports)");
  export_cmd->add_option("--encoding", residence_export.encoding, "utf-8 or gbk")
      ->capture_default_str()
      ->check(CLI::IsMember({"utf-8", "gbk"}));

  PoliceEndpointFlags police_endpoint;
  auto* police_cmd = app.add_subcommand(
      "police-endpoint", "run the reference receiver of the police wire format (demonstrations)");
  police_cmd->add_option("--config", police_endpoint.config, "the police config the server uses")
      ->required()
      ->check(CLI::ExistingFile);
  police_cmd->add_option("--bind", police_endpoint.bind, "address")->capture_default_str();
  police_cmd->add_option("--port", police_endpoint.port, "port")->capture_default_str();
  police_cmd->add_option("--reject-containing", police_endpoint.reject_containing,
                         "reject messages whose text contains this (to see rejections)");

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  if ((*serve_cmd || *import_cmd) && !LoadRules(rules_file)) return 1;
  if (*serve_cmd) return Serve(serve);
  if (*import_cmd) return Import(import);
  if (*scan_cmd) return Scan(scan);
  if (*report_cmd) return ReportPosts(report);
  if (*demo_cmd) return Demo(demo_data, demo, demo_no_faces ? "" : demo_models);
  if (*simulate_cmd) return zhizhi::sim::RunSimulate(simulate);
  if (*user_add) return UserAdd(user);
  if (*user_disable) return UserSetDisabled(user, true);
  if (*user_enable) return UserSetDisabled(user, false);
  if (*keys_rotate) return KeysRotate(keys_data, new_key_file);
  if (*audit_verify) return AuditVerify(audit_data);
  if (*retention_run) return RetentionRun(retention_data, retention_days);
  if (*residence_cmd) return ResidenceExport(residence_export);
  if (*police_cmd) return RunPoliceEndpoint(police_endpoint);
  std::printf("zhizhi %s\n", ZHIZHI_VERSION);
  return 0;
}

// zhizhi (智治): the district's digital-governance platform in one binary.
//
//   zhizhi serve  --data DIR [--port 8080] [--bind 127.0.0.1]   serve the API
//   zhizhi import --data DIR KIND FILE.csv [--partial]           bulk-load registry records
//   zhizhi demo   --data DIR                                     seed the demo district
//   zhizhi scan   --data DIR                                     run every alert detector
//   zhizhi report posts --data DIR --project CODE|--all [--csv F] the post ledger
//   zhizhi simulate --token-file DATA/admin.token [--load]       gate terminals (docs/simulator.md)
//   zhizhi residence export --data DIR [--encoding gbk]          the daily residence export now
//   zhizhi police-endpoint --config FILE                         reference police receiver
//   zhizhi version
#include <pthread.h>
#include <unistd.h>

#include <csignal>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "alerts/alert_engine.h"
#include "alerts/post_ledger.h"
#include "app/demo_district.h"
#include "app/platform.h"
#include "http/server.h"
#include "registry/registry_import.h"
#include "residence/daily_export.h"
#include "residence/police_endpoint.h"
#include "sim/gate_simulator.h"

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
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 0;
  std::size_t body_limit = 1 << 20;
  std::string log_level = "info";
  int auto_clockout_hour = 4;
  int gate_tick_seconds = 15;
  int scan_interval = 3600;
  int project_scan_interval = 60;
  zhizhi::app::Platform::ResidenceSetup residence;
};

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

int Serve(const ServeFlags& flags) {
  SetUpLogging(flags.log_level);
  auto platform = zhizhi::app::Platform::Open(flags.data);
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
  zhizhi::http::Router router;
  p.AddRoutes(router);

  zhizhi::http::ServerOptions options;
  options.bind = flags.bind;
  options.port = flags.port;
  options.body_limit = flags.body_limit;
  // Gate events answer asynchronously after their group commit; registry writes still wait
  // on it, so keep a few threads more than cores (more only adds context switches: see
  // docs/benchmarks.md).
  options.threads = flags.threads > 0
                        ? flags.threads
                        : static_cast<int>(std::max(2u, 2 * std::thread::hardware_concurrency()));
  zhizhi::http::HttpServer server(options, router, p.auth(), p.metrics());
  auto port = server.Start();
  if (!port.ok()) return Fail(port.status());
  spdlog::info("event=listening address=http://{}:{} data={} threads={} schema_version={}",
               flags.bind, *port, flags.data, options.threads, p.db().schema_version());
  server.Run();
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

int Demo(const std::string& data, int workers_per_project) {
  SetUpLogging("warn");
  auto platform = zhizhi::app::Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto created = p.EnsureAdminToken();
  if (!created.ok()) return Fail(created.status());
  auto summary = zhizhi::app::SeedDemoDistrict(p.db(), p.registry(), workers_per_project);
  if (!summary.ok()) return Fail(summary.status());
  const auto& s = *summary;
  std::printf(
      "demo district seeded: %d corps, %d projects, %d teams, %d persons, %d certificates, "
      "%d enrolments (%d exited)\n",
      s.corps, s.projects, s.teams, s.persons, s.certificates, s.enrolments, s.exits);
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
                   "China-time hour after which the day's export file is written")
      ->capture_default_str()
      ->check(CLI::Range(0, 23));
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
  int demo_workers = 250;
  auto* demo_cmd =
      app.add_subcommand("demo", "seed the demo district into an empty data directory");
  demo_cmd->add_option("--data", demo_data, "data directory")->required();
  demo_cmd->add_option("--workers-per-project", demo_workers, "scale of the data set")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));

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
  if (*demo_cmd) return Demo(demo_data, demo_workers);
  if (*simulate_cmd) return zhizhi::sim::RunSimulate(simulate);
  if (*residence_cmd) return ResidenceExport(residence_export);
  if (*police_cmd) return RunPoliceEndpoint(police_endpoint);
  std::printf("zhizhi %s\n", ZHIZHI_VERSION);
  return 0;
}

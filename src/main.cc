// zhizhi (智治): the district's digital-governance platform in one binary.
//
//   zhizhi serve  --data DIR [--port 8080] [--bind 127.0.0.1]   serve the API
//   zhizhi import --data DIR KIND FILE.csv [--partial]           bulk-load registry records
//   zhizhi demo   --data DIR                                     seed the demo district
//   zhizhi simulate --token-file DATA/admin.token [--load]       gate terminals (docs/simulator.md)
//   zhizhi user add|disable|enable --data DIR NAME ...           users (docs/security.md)
//   zhizhi keys rotate --data DIR                                new field key, everything
//   re-sealed zhizhi audit verify --data DIR                               check the audit chain
//   zhizhi retention run --data DIR [--gate-events-days 730]     delete what is past its rule
//   zhizhi version
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/demo_district.h"
#include "app/platform.h"
#include "app/retention.h"
#include "http/server.h"
#include "registry/registry_import.h"
#include "security/key_rotation.h"
#include "security/password.h"
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
  std::string log_level = "info";
  int auto_clockout_hour = 4;
  int gate_tick_seconds = 15;
};

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
  if (flags.retention_hours > 0) {
    p.StartRetention(
        {{"gate_events", flags.gate_events_days}},
        std::chrono::milliseconds(static_cast<std::int64_t>(flags.retention_hours * 3'600'000)));
  }
  zhizhi::http::Router router;
  p.AddRoutes(router);

  zhizhi::http::ServerOptions options;
  options.bind = flags.bind;
  options.port = flags.port;
  options.body_limit = flags.body_limit;
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
  zhizhi::http::HttpServer server(options, router, p.auth(), p.metrics());
  auto port = server.Start();
  if (!port.ok()) return Fail(port.status());
  spdlog::info("event=listening address={}://{}:{} data={} threads={} schema_version={}",
               flags.tls_cert.empty() ? "http" : "https", flags.bind, *port, flags.data,
               options.threads, p.db().schema_version());
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
  std::string errors_file;
};

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
  return r.rejected == 0 ? 0 : 1;
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

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  if (*serve_cmd) return Serve(serve);
  if (*import_cmd) return Import(import);
  if (*demo_cmd) return Demo(demo_data, demo_workers);
  if (*simulate_cmd) return zhizhi::sim::RunSimulate(simulate);
  if (*user_add) return UserAdd(user);
  if (*user_disable) return UserSetDisabled(user, true);
  if (*user_enable) return UserSetDisabled(user, false);
  if (*keys_rotate) return KeysRotate(keys_data, new_key_file);
  if (*audit_verify) return AuditVerify(audit_data);
  if (*retention_run) return RetentionRun(retention_data, retention_days);
  std::printf("zhizhi %s\n", ZHIZHI_VERSION);
  return 0;
}

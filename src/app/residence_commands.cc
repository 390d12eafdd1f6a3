#include "app/residence_commands.h"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "registry/rulebook.h"
#include "residence/daily_export.h"
#include "residence/police_adapter.h"
#include "residence/police_endpoint.h"
#include "residence/residence.h"
#include "security/field_cipher.h"
#include "security/principal.h"
#include "store/database.h"

namespace zhizhi::app {

namespace {

struct ResidenceExportFlags {
  std::string data;
  std::string dir;
  std::string encoding = "utf-8";
};

// Writes the pending daily-export rows now, beside a running server (like `scan`, without the
// data directory's lock: the rows are marked in a short transaction, only if still pending).
int ResidenceExport(const ResidenceExportFlags& flags) {
  SetUpLogging("warn");
  auto db = store::Database::Open(flags.data + "/zhizhi.db");
  if (!db.ok()) return Fail(db.status());
  auto cipher = security::FieldCipher::ForDataDir(flags.data);
  if (!cipher.ok()) return Fail(cipher.status());
  residence::Residence residence(db->get(), &*cipher, registry::ActiveRules());
  residence::ExportOptions options;
  options.dir = flags.dir.empty() ? flags.data + "/exports" : flags.dir;
  options.encoding = flags.encoding;
  auto report = residence::WriteDailyExport(**db, residence, *cipher, options, NowUnixMs());
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
  std::uint16_t port = 0;  // 0: the port of the config's url
  std::string reject_containing;
  int reject_every = 0;
};

// FNV-1a: the same registration is rejected by every run of the receiver.
std::uint64_t Fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

// The reference receiver of the police wire format, for demonstrations (not the police system).
int RunPoliceEndpoint(const PoliceEndpointFlags& flags) {
  SetUpLogging("info");
  auto config = residence::PoliceConfig::Load(flags.config);
  if (!config.ok()) return Fail(config.status());
  residence::EndpointOptions options;
  options.path = config->path;
  options.hmac_key = config->hmac_key;
  options.id_key = config->id_key;
  if (!flags.reject_containing.empty() || flags.reject_every > 0) {
    options.reject = [text = flags.reject_containing, every = flags.reject_every](
                         const nlohmann::json& m) -> std::optional<std::string> {
      const bool contains = !text.empty() && m.dump().find(text) != std::string::npos;
      const bool picked = every > 0 && m.value("message_type", "") == "registration" &&
                          Fnv1a(m.value("registration_ref", "")) % every == 0;
      if (!contains && !picked) return std::nullopt;
      return "地址无法核实 (address not found)";
    };
  }
  residence::PoliceEndpoint endpoint(options);
  endpoint.SetObserver([](const residence::ReceivedMessage& m) {
    spdlog::info("event=police_message key={} type={} ref={} id_number={} result={}",
                 m.idempotency_key, m.message_type, m.registration_ref,
                 security::MaskIdNumber(m.id_number), m.answer.dump());
  });
  auto port = endpoint.Start(flags.bind, flags.port != 0 ? flags.port : config->port);
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

}  // namespace

Command AddResidenceCommand(CLI::App& app) {
  auto flags = std::make_shared<ResidenceExportFlags>();
  auto* residence_cmd = app.add_subcommand("residence", "residence registration");
  residence_cmd->require_subcommand(1);
  auto* export_cmd = residence_cmd->add_subcommand(
      "export", "write the pending daily-export rows to a CSV file now (safe while serve runs)");
  export_cmd->add_option("--data", flags->data, "data directory")->required();
  export_cmd->add_option("--dir", flags->dir, "output directory (default DATA/exports)");
  export_cmd->add_option("--encoding", flags->encoding, "utf-8 or gbk")
      ->capture_default_str()
      ->check(CLI::IsMember({"utf-8", "gbk"}));
  return {residence_cmd, [flags] { return ResidenceExport(*flags); }};
}

Command AddPoliceEndpointCommand(CLI::App& app) {
  auto flags = std::make_shared<PoliceEndpointFlags>();
  auto* police_cmd = app.add_subcommand(
      "police-endpoint", "run the reference receiver of the police wire format (demonstrations)");
  police_cmd->add_option("--config", flags->config, "the police config the server uses")
      ->required()
      ->check(CLI::ExistingFile);
  police_cmd->add_option("--bind", flags->bind, "address")->capture_default_str();
  police_cmd->add_option("--port", flags->port, "port (default: the port of the config's url)");
  police_cmd->add_option("--reject-containing", flags->reject_containing,
                         "reject messages whose text contains this (to see rejections)");
  police_cmd
      ->add_option("--reject-every", flags->reject_every,
                   "reject about one registration in N, the same ones every run (to see "
                   "rejections; 0 for none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000));
  return {police_cmd, [flags] { return RunPoliceEndpoint(*flags); }};
}

}  // namespace zhizhi::app

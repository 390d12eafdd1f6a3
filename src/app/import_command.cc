#include "app/import_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>

#include <CLI/CLI.hpp>

#include "app/alert_commands.h"
#include "app/platform.h"
#include "registry/registry_import.h"

namespace zhizhi::app {

namespace {

struct ImportFlags {
  std::string data;
  std::string rules;
  std::string kind;
  std::string file;
  bool partial = false;
  bool no_progress = false;
  bool no_scan = false;
  std::string errors_file;
};

int Import(const ImportFlags& flags) {
  SetUpLogging("warn");
  auto platform = Platform::Open(flags.data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  // Dormitories are standardised as they are imported: the gazetteer first (about a second); an
  // import without it keeps the addresses as text, and serve settles them later.
  if (auto ready = p.addresses().Get(); !ready.ok()) {
    std::fprintf(stderr, "zhizhi: dormitory addresses stay unsettled: %s\n",
                 ready.status().ToString().c_str());
  }

  registry::ImportOptions options;
  options.partial = flags.partial;
  options.audit = &p.audit();
  options.actor = security::Actor::Command("import");
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
  auto report = registry::ImportCsv(p.db(), p.registry(), flags.kind, flags.file, options);
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
    Platform::ResidenceSetup residence;
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

}  // namespace

Command AddImportCommand(CLI::App& app) {
  auto flags = std::make_shared<ImportFlags>();
  auto* cmd = app.add_subcommand("import", "import registry records from a CSV file");
  cmd->add_option("--data", flags->data, "data directory")->required();
  cmd->add_option("kind", flags->kind,
                  "corps, projects, project_corps, teams, persons, certificates, enrolments")
      ->required();
  cmd->add_option("file", flags->file, "UTF-8 or GBK CSV with a header row")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--partial", flags->partial,
                "keep the good rows when some are rejected (default: all or nothing)");
  cmd->add_flag("--no-progress", flags->no_progress, "no progress bar");
  cmd->add_flag("--no-scan", flags->no_scan, "skip the alert scan after the import");
  cmd->add_option("--rules", flags->rules, "rulebook JSON for the scan");
  cmd->add_option("--errors", flags->errors_file, "write rejected rows as CSV to this file");
  return {cmd, [flags] {
            if (!LoadRules(flags->rules)) return 1;
            return Import(*flags);
          }};
}

}  // namespace zhizhi::app

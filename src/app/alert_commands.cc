#include "app/alert_commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "alerts/alert_engine.h"
#include "alerts/post_ledger.h"
#include "base/civil_time.h"
#include "registry/rulebook.h"
#include "store/database.h"

namespace zhizhi::app {

namespace {

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
  auto db = store::Database::Open(flags.data + "/zhizhi.db");
  if (!db.ok()) return Fail(db.status());
  alerts::AlertEngineOptions options;
  if (!flags.now.empty()) {
    auto now = Timestamp::ParseRfc3339(flags.now, "now");
    if (!now.ok()) return Fail(now.status());
    options.clock = [ms = now->unix_ms] { return ms; };
  }
  alerts::AlertEngine engine(db->get(), registry::ActiveRules(), options);
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
    return Fail(Status::InvalidArgument("project", "give --project CODE or --all"));
  }
  auto db = store::Database::Open(flags.data + "/zhizhi.db");
  if (!db.ok()) return Fail(db.status());
  auto rows = (*db)->Read([&](store::Connection& conn) {
    return alerts::BuildPostLedger(
        conn, registry::ActiveRules(),
        flags.all ? std::nullopt : std::optional<std::string>(flags.project), TodayInChina());
  });
  if (!rows.ok()) return Fail(rows.status());
  if (!flags.csv.empty()) {
    std::ofstream out(flags.csv, std::ios::binary);
    alerts::WritePostLedgerCsv(out, *rows);
    if (!out) return Fail(Status::Internal("cannot write " + flags.csv));
  }
  alerts::WritePostLedgerText(std::cout, *rows);
  size_t problems = 0;
  for (const auto& r : *rows)
    problems += !r.problems.empty();
  std::printf("\n%zu posts, %zu with problems\n", rows->size(), problems);
  return 0;
}

}  // namespace

void PrintScan(const alerts::ScanReport& r) {
  std::printf(
      "scanned %lld persons and %lld projects in %.2f s: %d opened, %d changed, %d resolved; "
      "%lld active alerts\n",
      static_cast<long long>(r.persons), static_cast<long long>(r.projects), r.seconds,
      r.counts.opened, r.counts.refreshed, r.counts.resolved, static_cast<long long>(r.active));
}

Command AddScanCommand(CLI::App& app) {
  auto flags = std::make_shared<ScanFlags>();
  auto* cmd = app.add_subcommand(
      "scan", "run every alert detector over the district (safe while serve runs)");
  cmd->add_option("--data", flags->data, "data directory")->required();
  cmd->add_option("--rules", flags->rules, "rulebook JSON");
  cmd->add_option("--now", flags->now, "judge as of this RFC 3339 instant (default: now)");
  cmd->add_flag("--projects-only", flags->projects_only,
                "only vacant posts, offline devices and clock skew");
  return {cmd, [flags] { return Scan(*flags); }};
}

Command AddReportCommand(CLI::App& app) {
  auto flags = std::make_shared<ReportFlags>();
  auto* report_cmd = app.add_subcommand("report", "print reports");
  auto* posts_cmd = report_cmd->add_subcommand("posts", "the post ledger with its problems");
  report_cmd->require_subcommand(1);
  posts_cmd->add_option("--data", flags->data, "data directory")->required();
  posts_cmd->add_option("--project", flags->project, "one project code");
  posts_cmd->add_flag("--all", flags->all, "every project");
  posts_cmd->add_option("--csv", flags->csv, "also write CSV (UTF-8 with BOM) to this file");
  posts_cmd->add_option("--rules", flags->rules, "rulebook JSON");
  return {report_cmd, [flags] { return ReportPosts(*flags); }};
}

}  // namespace zhizhi::app

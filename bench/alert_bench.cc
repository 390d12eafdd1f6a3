// Alerts engine at district scale: generates a planted district (default Hangzhou's scale:
// 2,500 projects, ~450,000 people, key personnel with 90 days of passes), runs the full scan,
// checks it found exactly the planted anomalies, and measures the incremental cost per gate pass
// (the common path: one indexed lookup; and the rare path: a pass that re-runs detection).
//
//   zhizhi_alert_bench [--projects N] [--workers N] [--key-days N] [--worker-days N] [--dir D]
//
// Prints figures; never asserts timings.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

#include "testkit/planted_district.h"
#include "testkit/test_district.h"

namespace {

using Clock = std::chrono::steady_clock;
using zhizhi::testkit::TestDistrict;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"alerts engine benchmark"};
  zhizhi::testkit::PlantedOptions options;
  options.projects = 2500;
  options.workers_per_project = 176;  // + 4 key managers: 180 per project, 450,000 in all
  options.key_pass_days = 90;
  options.worker_pass_days = 2;
  options.plants_per_kind = 20;
  std::string dir = "/tmp";
  int pass_calls = 200'000;
  app.add_option("--projects", options.projects)->capture_default_str();
  app.add_option("--workers", options.workers_per_project, "workers per project")
      ->capture_default_str();
  app.add_option("--key-days", options.key_pass_days, "days of passes of key personnel")
      ->capture_default_str();
  app.add_option("--worker-days", options.worker_pass_days, "days of passes of workers")
      ->capture_default_str();
  app.add_option("--dir", dir, "parent of the data directory")->capture_default_str();
  app.add_option("--pass-calls", pass_calls)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  TestDistrict d(dir, "2026-03-16T10:00:00+08:00", /*incremental=*/false);
  auto started = Clock::now();
  auto planted = GeneratePlantedDistrict(d.db(), d.registry(), options, d.clock());
  if (!planted.ok()) {
    std::fprintf(stderr, "%s\n", planted.status().message().c_str());
    return 1;
  }
  std::printf("generated %d projects, %lld persons, %lld enrolments, %lld passes in %.1f s\n",
              options.projects, static_cast<long long>(planted->persons),
              static_cast<long long>(planted->enrolments), static_cast<long long>(planted->passes),
              Seconds(started));

  for (int run = 1; run <= 2; ++run) {
    auto scan = d.engine().ScanAll();
    if (!scan.ok()) {
      std::fprintf(stderr, "%s\n", scan.status().message().c_str());
      return 1;
    }
    std::printf(
        "full scan %d: %lld persons, %lld projects in %.2f s (%.1f µs/person); opened %d, "
        "resolved %d, active %lld (planted %zu)\n",
        run, static_cast<long long>(scan->persons), static_cast<long long>(scan->projects),
        scan->seconds, scan->seconds * 1e6 / static_cast<double>(scan->persons),
        scan->counts.opened, scan->counts.resolved, static_cast<long long>(scan->active),
        planted->expected_keys.size());
  }
  const bool exact = d.ActiveKeys() == std::vector<std::string>(planted->expected_keys.begin(),
                                                                planted->expected_keys.end());
  std::printf("scan found exactly the planted anomalies: %s\n", exact ? "yes" : "NO");

  // Incremental cost per pass, inside one writer job as the gate runs it. Common path: a clean
  // worker (no alert to clear). Rare path: a key manager with an open key_person_absent alert
  // (a pass today does not change last month's rate, so every call re-runs the detection).
  std::int64_t clean = 0, unseen = 0;
  const zhizhi::Status picked = d.db().Read([&](zhizhi::store::Connection& conn) -> zhizhi::Status {
    auto c = zhizhi::store::QueryInt(
        conn,
        "SELECT person_id FROM enrolments WHERE work_role = '20' AND exit_date IS NULL "
        "AND person_id NOT IN (SELECT person_id FROM alerts WHERE person_id IS NOT NULL) "
        "LIMIT 1");
    auto u = zhizhi::store::QueryInt(
        conn,
        "SELECT person_id FROM alerts WHERE type = 'key_person_absent' AND status = 'open' "
        "LIMIT 1");
    clean = c.ok() ? *c : 0;
    unseen = u.ok() ? *u : 0;
    return zhizhi::Status::Ok();
  });
  if (!picked.ok()) {
    std::fprintf(stderr, "%s\n", picked.ToString().c_str());
    return 1;
  }
  auto measure = [&](std::int64_t person, bool allowed, int calls) {
    double seconds = -1;  // a failed job reports a negative time
    const zhizhi::Status measured = d.db().Write([&](zhizhi::store::Connection& conn)
                                                     -> zhizhi::Status {
      std::string project;
      {
        auto s = conn.Prepare("SELECT project_code FROM enrolments WHERE person_id = ? LIMIT 1");
        s.Bind(1, person);
        if (s.Step()) project = s.Text(0);
      }
      const zhizhi::gate::Gate::PassNotice pass{project, person, allowed, false, d.clock().now_ms};
      const auto t0 = Clock::now();
      for (int i = 0; i < calls; ++i) {
        auto status = d.engine().OnPass(conn, pass);
        if (!status.ok()) return status;
      }
      seconds = Seconds(t0);
      return zhizhi::Status::Ok();
    });
    if (!measured.ok()) std::fprintf(stderr, "%s\n", measured.ToString().c_str());
    return seconds * 1e6 / calls;
  };
  std::printf("incremental per pass, common path (no alert to clear): %.2f µs (%d calls)\n",
              measure(clean, true, pass_calls), pass_calls);
  std::printf("incremental per pass, rare path (re-runs the person's detection): %.1f µs\n",
              measure(unseen, true, 2'000));
  return exact ? 0 : 1;
}

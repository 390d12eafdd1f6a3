#include "app/demo_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>

#include "app/demo_base_data.h"
#include "app/demo_district.h"
#include "app/demo_faces.h"
#include "app/demo_lottery.h"
#include "app/platform.h"

namespace zhizhi::app {

namespace {

struct DemoFlags {
  std::string data;
  DemoOptions options;
  double base_data_scale = 1.0;
  int lottery_households = 1544;
  std::string models = "default";
  bool no_faces = false;
};

// `models` "": no faces; else the models folder ("default": as serve's), with the sample photos
// in its sibling samples/.
int Demo(const std::string& data, const DemoOptions& options, double base_data_scale,
         int lottery_households, const std::string& models) {
  SetUpLogging("warn");
  auto platform = Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  p.addresses().StartLoading();  // the dormitories are standardised as they are enrolled
  auto created = p.EnsureAdminToken();
  if (!created.ok()) return Fail(created.status());
  const auto start = std::chrono::steady_clock::now();
  auto summary = SeedDemoDistrict(p, options);
  if (!summary.ok()) return Fail(summary.status());
  const auto& s = *summary;
  std::printf(
      "demo district seeded in %.1f s (registry %.1f s, gate %.1f s): %d corps, %d projects, "
      "%d teams, %d persons, %d certificates, %d enrolments (%d exited), %d standard addresses, "
      "%d gate terminals, "
      "%lld passes over %d days (%lld allowed, %lld denied, %lld refused)\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
      s.registry_seconds, s.history_seconds, s.corps, s.projects, s.teams, s.persons,
      s.certificates, s.enrolments, s.exits, s.addresses, s.devices,
      static_cast<long long>(s.passes), options.history_days + 1, static_cast<long long>(s.allowed),
      static_cast<long long>(s.denied), static_cast<long long>(s.rejected));
  if (base_data_scale > 0) {
    auto base = SeedDemoBaseData(p, base_data_scale, options.seed, options.quiet);
    if (!base.ok()) return Fail(base.status());
    std::printf(
        "base data seeded in %.1f s (feeds %.1f s, addresses %.1f s, imports %.1f s, linking "
        "%.1f s): %lld standard addresses, %lld source records → %lld people, %lld houses, "
        "%lld units; %lld base-data alerts\n",
        base->generate_seconds + base->address_seconds + base->import_seconds + base->link_seconds,
        base->generate_seconds, base->address_seconds, base->import_seconds, base->link_seconds,
        static_cast<long long>(base->addresses), static_cast<long long>(base->records),
        static_cast<long long>(base->people), static_cast<long long>(base->houses),
        static_cast<long long>(base->units), static_cast<long long>(base->alerts));
  }
  if (auto status = SeedDemoLotteries(p, lottery_households); !status.ok()) return Fail(status);
  if (lottery_households > 0)
    std::printf("lottery: a draw of %d households drawn and signed off, a second one committed\n",
                lottery_households);
  if (models.empty()) return 0;
  // Faces of the sample photos for a few workers, through the real pipeline; without the models
  // or the photos the district simply has no faces.
  const std::string models_dir = models == "default" ? DefaultModelsDir() : models;
  const std::string samples_dir =
      std::filesystem::path(models_dir).lexically_normal().parent_path().string() + "/samples";
  face::FaceEngineOptions engine;
  engine.models_dir = models_dir;
  if (auto status = p.StartFaces(engine, {}); !status.ok()) {
    std::printf("no faces: %s\n", status.message().c_str());
    return 0;
  }
  auto faces = SeedDemoFaces(p, models_dir, samples_dir);
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

}  // namespace

Command AddDemoCommand(CLI::App& app) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand("demo", "seed the demo district into an empty data directory");
  cmd->add_option("--data", flags->data, "data directory")->required();
  cmd->add_option("--projects", flags->options.projects, "number of projects")
      ->capture_default_str()
      ->check(CLI::Range(4, 2000));
  cmd->add_option("--persons", flags->options.persons, "about this many people")
      ->capture_default_str()
      ->check(CLI::Range(100, 1'000'000));
  cmd->add_option("--history-days", flags->options.history_days,
                  "days of gate history before today")
      ->capture_default_str()
      ->check(CLI::Range(0, 30));
  cmd->add_option("--seed", flags->options.seed,
                  "random seed (the same seed gives the same district)")
      ->capture_default_str();
  cmd->add_flag("--quiet", flags->options.quiet, "no progress lines");
  cmd->add_option("--base-data-scale", flags->base_data_scale,
                  "base data (people, houses, addresses, units) as a share of the seed's scale: "
                  "1 is 1.03 M people; 0 for none")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--lottery-households", flags->lottery_households,
                  "households of the demo's resettlement draw (docs/lottery.md); 0 for none")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--models", flags->models,
                  "face models folder (default as serve); the sample photos are beside it");
  cmd->add_flag("--no-faces", flags->no_faces, "seed no faces");
  return {cmd, [flags] {
            return Demo(flags->data, flags->options, flags->base_data_scale,
                        flags->lottery_households, flags->no_faces ? "" : flags->models);
          }};
}

}  // namespace zhizhi::app

#include "app/demo_command.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>

#include "app/demo_base_data.h"
#include "app/demo_dispatch.h"
#include "app/demo_district.h"
#include "app/demo_faces.h"
#include "app/demo_iot.h"
#include "app/demo_lottery.h"
#include "app/platform.h"
#include "base/file.h"
#include "face/analyzer.h"
#include "security/field_cipher.h"

namespace zhizhi::app {

namespace {

struct DemoFlags {
  std::string data;
  DemoOptions options;
  double base_data_scale = 1.0;
  int lottery_households = 1544;
  std::string models = "default";
  bool no_faces = false;
  int police_port = 18510;
  double iot_scale = 1.0;
};

constexpr const char* kDemoPoliceConfig = "police.json";

// The police configuration of the demo: fresh keys, the reference receiver's loopback address,
// and a label that says it is a stand-in. scripts/run starts `zhizhi police-endpoint` on it and
// gives it to serve (--police-config). Mode 0600, as serve requires.
Status WriteDemoPoliceConfig(const std::string& data_dir, int port) {
  auto key = [] {
    std::string bytes(32, '\0');
    randombytes_buf(bytes.data(), bytes.size());
    return security::ToHex(bytes);
  };
  const nlohmann::json config = {
      {"url", "http://127.0.0.1:" + std::to_string(port) + "/floating-population/v1/messages"},
      {"client_id", "330114-zz"},
      {"key_id", "demo-1"},
      {"hmac_key", key()},
      {"id_key", key()},
      {"label", "演示：参考接收端（zhizhi police-endpoint）代替公安系统"},
      {"note", "written by zhizhi demo; the receiver is a stand-in, not the police system"}};
  return WriteFileDurably(data_dir + "/" + kDemoPoliceConfig, config.dump(2) + "\n");
}

// `models` "": no faces; else the models folder ("default": as serve's), with the sample photos
// in its sibling samples/.
int Demo(const std::string& data, const DemoOptions& options, double base_data_scale,
         int lottery_households, const std::string& models, int police_port, double iot_scale) {
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
  auto dispatch = SeedDemoDispatch(p, options.seed);
  if (!dispatch.ok()) return Fail(dispatch.status());
  std::printf(
      "command platform: %d streets, %d communities, %d grids; %d grid workers on duty and a "
      "dispatcher (passwords in %s/demo-users.txt); %d dispute cases\n",
      dispatch->streets, dispatch->communities, dispatch->grids, dispatch->workers,
      p.data_dir().c_str(), dispatch->disputes);
  auto iot = SeedDemoIot(p, iot_scale, options.seed);
  if (!iot.ok()) return Fail(iot.status());
  if (iot_scale > 0)
    std::printf(
        "IoT: %d devices and %lld panel points registered in %.1f s (passwords in "
        "%s/demo-iot-devices.csv); %d messages, %d open alarms\n",
        iot->devices, static_cast<long long>(iot->parts), iot->seconds, p.data_dir().c_str(),
        iot->messages, iot->open_alarms);
  if (auto written = WriteDemoPoliceConfig(p.data_dir(), police_port); !written.ok()) {
    return Fail(written);
  }
  std::printf("police: %s/%s for the reference receiver (zhizhi police-endpoint), a stand-in\n",
              p.data_dir().c_str(), kDemoPoliceConfig);
  if (models.empty()) return 0;
  // Faces of the sample photos for a few workers, through the real pipeline (when the models and
  // the photos are there); demo templates for everyone else enrolled.
  const std::string models_dir = models == "default" ? DefaultModelsDir() : models;
  const std::string samples_dir =
      std::filesystem::path(models_dir).lexically_normal().parent_path().string() + "/samples";
  face::FaceEngineOptions engine;
  if (face::LocateModels(models_dir).ok()) engine.models_dir = models_dir;
  if (auto status = p.StartFaces(engine, {}); !status.ok()) {
    // The district is seeded; it only lacks faces (the next scripts/run would not seed again).
    std::printf("warning: no faces: %s\n", status.message().c_str());
    return 0;
  }
  if (engine.models_dir.empty()) {
    std::printf("no face models in %s: no sample faces\n", models_dir.c_str());
  } else if (auto faces = SeedDemoFaces(p, models_dir, samples_dir); !faces.ok()) {
    std::printf("no sample faces: %s\n", faces.status().message().c_str());
  } else {
    std::string refused;
    for (const auto& [code, n] : faces->refused)
      refused += (refused.empty() ? "" : ", ") + code + " " + std::to_string(n);
    std::printf(
        "faces: %d persons with an ID-card photo and a live face (%d templates) from %d faces "
        "in %d sample photos%s%s\n",
        faces->persons, faces->enrolled, faces->faces, faces->photos,
        refused.empty() ? "" : "; refused: ", refused.c_str());
  }
  auto templates = SeedDemoTemplates(p, options.seed);
  if (!templates.ok()) {
    std::printf("warning: no demo face templates: %s\n", templates.status().message().c_str());
    return 0;
  }
  std::printf(
      "demo face templates (synthetic, marked demo): %d persons, %d of them without a live face "
      "yet\n",
      templates->persons, templates->without_live);
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
  cmd->add_option("--iot-scale", flags->iot_scale,
                  "IoT devices and panel points as a share of the seed's 580 K records; 0 for "
                  "none (docs/iot.md)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--lottery-households", flags->lottery_households,
                  "households of the demo's resettlement draw (docs/lottery.md); 0 for none")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--models", flags->models,
                  "face models folder (default as serve); the sample photos are beside it");
  cmd->add_flag("--no-faces", flags->no_faces, "seed no faces");
  cmd->add_option("--police-port", flags->police_port,
                  "loopback port of the reference police receiver in DATA/police.json")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  return {cmd, [flags] {
            return Demo(flags->data, flags->options, flags->base_data_scale,
                        flags->lottery_households, flags->no_faces ? "" : flags->models,
                        flags->police_port, flags->iot_scale);
          }};
}

}  // namespace zhizhi::app

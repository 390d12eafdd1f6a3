#include "app/demo_iot.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/file.h"
#include "iot/broker.h"
#include "iot/gbt26875.h"
#include "iot/iot.h"
#include "warning/areas.h"

namespace zhizhi::app {

using nlohmann::json;
namespace gbt26875 = iot::gbt26875;

namespace {

constexpr const char* kDevicesFile = "demo-iot-devices.csv";

// At scale 1: the seed's 580 K IoT records.
constexpr int kUitds = 5'000;            // each with its panel's points (about 104 on average)
constexpr int kSmokeDetectors = 30'000;  // NB-IoT, in rented rooms
constexpr int kElectrical = 15'000;
constexpr int kWater = 8'000;
constexpr int kCranesMax = 120;

struct PointKind {
  int part_type;
  const char* name;
  int weight;
};
constexpr PointKind kPointKinds[] = {
    {21, "感烟探测器", 70}, {22, "感温探测器", 14},  {23, "手动报警按钮", 9},
    {24, "消火栓按钮", 4},  {25, "输入输出模块", 3},
};
constexpr const char* kSpots[] = {"东走廊", "西走廊", "电梯前室", "楼梯间", "配电间", "办公室",
                                  "库房",   "机房",   "大厅",     "宿舍",   "厨房",   "车库"};
constexpr const char* kBuildings[] = {"厂房", "宿舍楼", "综合楼", "仓库", "办公楼"};

std::string PartFrame(std::uint16_t serial, const iot::Iot::NewPart& p, std::uint16_t status) {
  gbt26875::AppData data;
  data.type = 2;
  gbt26875::PartStatus s;
  s.system_type = static_cast<std::uint8_t>(p.system_type);
  s.system_address = static_cast<std::uint8_t>(p.system_address);
  s.part_type = static_cast<std::uint8_t>(p.part_type);
  s.part_address = p.part_address;
  s.status = status;
  s.time = gbt26875::DeviceTimeAt(NowUnixMs());
  data.parts.push_back(s);
  gbt26875::Frame f;
  f.serial = serial;
  f.time = gbt26875::DeviceTimeAt(NowUnixMs());
  f.command = gbt26875::Command::kSendData;
  f.app_data = *gbt26875::EncodeAppData(data);
  return gbt26875::EncodeFrame(f);
}

std::string Telemetry(const json& values) {
  return json{{"time", FormatRfc3339(NowUnixMs())}, {"values", values}}.dump();
}

}  // namespace

Result<DemoIotSummary> SeedDemoIot(Platform& p, double scale, std::uint64_t seed) {
  DemoIotSummary summary;
  if (scale <= 0) return summary;
  const auto started = std::chrono::steady_clock::now();
  std::mt19937_64 rng(seed ^ 0x10710710710ULL);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  warning::Areas areas(&p.db(), &p.addresses(), "330114");
  ZZ_RETURN_IF_ERROR(areas.Load());
  ZZ_RETURN_IF_ERROR(areas.SeedFromGazetteer().status());
  const auto tree = areas.tree();
  const auto communities = tree->OfLevel(warning::Level::kCommunity);
  if (communities.empty()) return Status::Internal("the demo's areas have no communities");
  std::vector<std::string> projects;
  ZZ_RETURN_IF_ERROR(p.db().Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT code FROM projects WHERE status = 'active' ORDER BY code");
    while (s.Step())
      projects.push_back(s.Text(0));
    return s.status();
  }));

  auto count = [&](int n) { return std::max(1, static_cast<int>(std::lround(n * scale))); };
  std::vector<iot::Iot::NewDevice> devices;
  std::vector<iot::Iot::NewPart> parts;
  auto place = [&](const char* what, int n) {
    const warning::Area* community =
        communities[static_cast<std::size_t>(uniform(0, static_cast<int>(communities.size()) - 1))];
    const warning::Area* street = tree->Find(community->parent);
    std::string address = "浙江省杭州市钱塘区" + (street ? street->name : std::string()) +
                          community->name + std::to_string(n % 300 + 1) + "号";
    (void)what;
    return std::make_pair(address, community->code);
  };
  auto add = [&](const std::string& kind, const std::string& prefix, int n,
                 const std::string& name) {
    iot::Iot::NewDevice d;
    d.kind = kind;
    d.serial = prefix + "-" + std::to_string(100000 + n);
    auto [address, community] = place(kind.c_str(), n);
    d.address = address;
    d.community = community;
    d.name = name + " " + std::to_string(n % 300 + 1) + "号";
    devices.push_back(std::move(d));
  };
  const int uitds = count(kUitds);
  for (int i = 0; i < uitds; ++i) {
    const char* building = kBuildings[i % std::size(kBuildings)];
    add("uitd", "UITD", i, std::string(building) + "消防主机");
    devices.back().name = devices.back().address.substr(devices.back().address.find("钱塘区") + 9) +
                          building + "消防主机";
    const int points = uniform(40, 168);
    int weights = 0;
    for (const auto& k : kPointKinds)
      weights += k.weight;
    for (int j = 0; j < points; ++j) {
      int roll = uniform(0, weights - 1);
      const PointKind* kind = &kPointKinds[0];
      for (const auto& k : kPointKinds) {
        if (roll < k.weight) {
          kind = &k;
          break;
        }
        roll -= k.weight;
      }
      iot::Iot::NewPart part;
      part.device = devices.size() - 1;
      part.system_type = 1;
      part.system_address = 1;
      part.part_type = kind->part_type;
      part.part_address = static_cast<std::uint32_t>(j + 1);
      part.part = "1-1-" + std::to_string(kind->part_type) + "-" + std::to_string(j + 1);
      part.description = std::to_string(j / 24 + 1) + "层" + kSpots[uniform(0, 11)] + kind->name;
      parts.push_back(std::move(part));
    }
  }
  for (int i = 0; i < count(kSmokeDetectors); ++i)
    add("smoke_detector", "SD", i, "出租房独立式烟感");
  for (int i = 0; i < count(kElectrical); ++i)
    add("electrical_fire", "EF", i, "电气火灾监控");
  for (int i = 0; i < count(kWater); ++i)
    add("water_pressure", "WP", i, "消防管网水压");
  const int cranes = std::min<int>(static_cast<int>(projects.size()),
                                   std::max(1, static_cast<int>(std::lround(kCranesMax * scale))));
  for (int i = 0; i < cranes; ++i) {
    iot::Iot::NewDevice d;
    d.kind = "tower_crane";
    d.serial = "TC-" + projects[static_cast<std::size_t>(i)];
    d.project = projects[static_cast<std::size_t>(i)];
    d.model = "QTZ80 (TC6010-6)";
    d.name = "1号塔吊 " + d.project;
    devices.push_back(std::move(d));
  }

  // Passwords: random, hashed on every core (PBKDF2, about 0.1 ms each), kept for the demo.
  std::vector<std::string> passwords(devices.size());
  for (auto& pw : passwords)
    pw = iot::RandomHex(16);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t i = t; i < devices.size(); i += threads)
        devices[i].password_hash = iot::MosquittoPasswordHash(passwords[i]);
    });
  }
  for (auto& w : workers)
    w.join();
  std::string csv = "serial,kind,password\n";
  for (std::size_t i = 0; i < devices.size(); ++i)
    csv += devices[i].serial + "," + devices[i].kind + "," + passwords[i] + "\n";
  const std::string csv_path = p.data_dir() + "/" + kDevicesFile;
  ZZ_RETURN_IF_ERROR(WriteFileDurably(csv_path, csv));
  ::chmod(csv_path.c_str(), 0600);

  // Registered through the module (no broker: the demo does not serve).
  iot::IotOptions options;
  options.connect = false;
  iot::Iot service(&p.db(), &p.audit(), p.gate(), &areas, options);
  ZZ_RETURN_IF_ERROR(service.Start());
  security::Actor actor;
  actor.name = "demo";
  actor.role = "district_admin";
  ZZ_RETURN_IF_ERROR(service.RegisterBulk(devices, parts, actor));

  // A few hundred report, through the module's own intake: fire alarms on the panels' points,
  // faults, electrical and water alarms, smoke, crane readings (some near their limits).
  std::vector<std::size_t> first_part(devices.size(), parts.size());
  for (std::size_t i = parts.size(); i-- > 0;)
    first_part[parts[i].device] = i;
  auto topic = [&](std::size_t i) { return "zz/dev/" + devices[i].serial + "/up"; };
  std::uint16_t serial = 1;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::string& kind = devices[i].kind;
    const double roll = std::uniform_real_distribution<double>(0, 1)(rng);
    if (kind == "uitd" && roll < 0.03 && first_part[i] < parts.size()) {
      // A point of its panel: a fire alarm (a fifth of them) or a fault.
      std::size_t j = first_part[i] + static_cast<std::size_t>(uniform(0, 30));
      if (j >= parts.size() || parts[j].device != i) j = first_part[i];
      const bool fire = roll < 0.006;
      service.Ingest(topic(i), PartFrame(serial++, parts[j],
                                         gbt26875::kRunning |
                                             (fire ? gbt26875::kFireAlarm : gbt26875::kFault)));
      ++summary.messages;
    } else if (kind == "smoke_detector" && roll < 0.001) {
      service.Ingest(topic(i), Telemetry({{"smoke", true}, {"battery_pct", uniform(20, 100)}}));
      ++summary.messages;
    } else if (kind == "smoke_detector" && roll < 0.004) {
      service.Ingest(topic(i), Telemetry({{"smoke", false}, {"battery_pct", uniform(2, 9)}}));
      ++summary.messages;
    } else if (kind == "electrical_fire" && roll < 0.005) {
      service.Ingest(topic(i), Telemetry({{"residual_current_ma", uniform(300, 520)},
                                          {"temperature_c", uniform(35, 60)}}));
      ++summary.messages;
    } else if (kind == "water_pressure" && roll < 0.01) {
      service.Ingest(topic(i), Telemetry({{"pressure_mpa", uniform(0, 4) / 100.0}}));
      ++summary.messages;
    } else if (kind == "tower_crane") {
      // Idle between lifts (nobody logged in at the cab: a load would be an unauthorised
      // operation), one in five in a wind above force 6.
      service.Ingest(topic(i), Telemetry({{"load_t", 0.0},
                                          {"radius_m", 30.0},
                                          {"moment_ratio", 0.02},
                                          {"wind_speed_ms", roll > 0.8 ? 15.2 : 6.0}}));
      ++summary.messages;
    }
  }
  service.Drain();
  summary.open_alarms = service.Stats(security::Principal::System("demo"))["alarms"]["open"];
  service.Stop();
  summary.devices = static_cast<int>(devices.size());
  summary.parts = static_cast<std::int64_t>(parts.size());
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace zhizhi::app

#include "iot/iot_simulator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/file.h"
#include "http/client.h"
#include "iot/broker.h"
#include "iot/gbt26875.h"
#include "iot/mqtt_client.h"

namespace zhizhi::iot {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace gbt = gbt26875;

std::int64_t MonoUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

struct SimDevice {
  std::string kind, serial, topic_up;
  std::unique_ptr<MqttClient> client;
  std::uint16_t frame_serial = 0;
  std::int64_t alarm_since_us = 0;  // an alarm is on (0: none)
  std::uint32_t alarm_part = 0;
  bool drops_out = false;
};

struct Latencies {
  std::mutex mu;
  std::map<std::pair<int, std::uint16_t>, std::pair<std::int64_t, bool>> sent;  // → (us, alarm)
  std::vector<double> all_ms, alarm_ms;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

std::string PartFrame(std::uint16_t serial, std::uint32_t part, std::uint16_t status) {
  gbt::AppData data;
  data.type = 2;
  gbt::PartStatus p;
  p.system_type = 1;
  p.system_address = 1;
  p.part_type = 21;
  p.part_address = part;
  p.status = status;
  p.description = std::to_string(part / 100) + "层" + std::to_string(part % 100) + "号感烟探测器";
  p.time = gbt::DeviceTimeAt(NowUnixMs());
  data.parts.push_back(p);
  gbt::Frame f;
  f.serial = serial;
  f.time = gbt::DeviceTimeAt(NowUnixMs());
  f.source = {1, 0, 0, 0, 0, 1};
  f.command = gbt::Command::kSendData;
  f.app_data = *gbt::EncodeAppData(data);
  return gbt::EncodeFrame(f);
}

std::string UitdHeartbeat(std::uint16_t serial) {
  gbt::AppData data;
  data.type = 21;
  data.uitd.push_back({gbt::kRunning, gbt::DeviceTimeAt(NowUnixMs())});
  gbt::Frame f;
  f.serial = serial;
  f.time = gbt::DeviceTimeAt(NowUnixMs());
  f.source = {1, 0, 0, 0, 0, 1};
  f.command = gbt::Command::kSendData;
  f.app_data = *gbt::EncodeAppData(data);
  return gbt::EncodeFrame(f);
}

std::string Telemetry(const json& values) {
  return json{{"time", FormatRfc3339(NowUnixMs())}, {"values", values}}.dump();
}

// Publishes at `rate` messages a second over the devices `mine` until `until`.
struct Publisher {
  std::vector<int> mine;
  double rate = 0;
  std::uint64_t published = 0, alarms = 0, malformed = 0;
};

}  // namespace

void AddIotSimFlags(CLI::App& cmd, IotSimOptions& o) {
  cmd.add_option("--url", o.url, "the server (loopback)");
  cmd.add_option("--token-file", o.token_file, "the admin token (DATA_DIR/admin.token)")
      ->required();
  cmd.add_option("--devices", o.devices, "fire-safety devices, each its own MQTT connection")
      ->check(CLI::Range(1, 5000));
  cmd.add_option("--project", o.project, "a project for the cranes (none: no cranes)");
  cmd.add_option("--cranes", o.cranes, "tower cranes on --project")->check(CLI::Range(0, 100));
  cmd.add_option("--rate", o.rate, "messages a second, all devices together")
      ->check(CLI::Range(1.0, 200000.0));
  cmd.add_option("--seconds", o.seconds, "how long")->check(CLI::Range(1.0, 3600.0));
  cmd.add_option("--alarm-share", o.alarm_share, "share of messages that raise an alarm")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--malformed-share", o.malformed_share, "share of malformed messages")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--dropout-share", o.dropout_share, "share of devices that fall silent half way")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--seed", o.seed, "random seed (0: random)");
  cmd.add_option("--prefix", o.prefix, "serials' prefix (default SIM-<random>-)");
  cmd.add_option("--publishers", o.publishers, "publishing threads")->check(CLI::Range(1, 64));
  cmd.add_flag("--ceiling", o.ceiling,
               "also measure the broker alone: publishers → a Mosquitto of its own → a "
               "subscriber that does nothing");
  cmd.add_flag("--json", o.json, "print the report as one JSON object");
}

namespace {

// Paced publishing over `devices` for `seconds`; `make` gives each message.
template <typename Make>
std::vector<Publisher> Drive(int threads, double rate, double seconds, std::size_t devices,
                             Make make) {
  std::vector<Publisher> pubs(static_cast<std::size_t>(threads));
  for (std::size_t i = 0; i < devices; ++i)
    pubs[i % pubs.size()].mine.push_back(static_cast<int>(i));
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  const auto until = start + std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
  for (std::size_t t = 0; t < pubs.size(); ++t) {
    pubs[t].rate = rate / static_cast<double>(pubs.size());
    workers.emplace_back([&, t] {
      Publisher& p = pubs[t];
      if (p.mine.empty()) return;
      std::size_t next = 0;
      const double gap_us = 1e6 / p.rate;
      double due_us = 0;
      while (true) {
        const auto now = Clock::now();
        if (now >= until) break;
        const double elapsed_us = std::chrono::duration<double, std::micro>(now - start).count();
        if (elapsed_us < due_us) {
          std::this_thread::sleep_for(std::chrono::microseconds(
              static_cast<std::int64_t>(std::min(due_us - elapsed_us, 2000.0))));
          continue;
        }
        // Behind schedule: catch up in a burst (bounded by the deadline).
        if (make(p, p.mine[next++ % p.mine.size()], elapsed_us / (seconds * 1e6))) ++p.published;
        due_us += gap_us;
      }
    });
  }
  for (auto& w : workers)
    w.join();
  return pubs;
}

}  // namespace

int RunIotSimulator(const IotSimOptions& o) {
  auto url = http::ParseHttpUrl(o.url);
  if (!url.ok()) {
    std::fprintf(stderr, "zhizhi: --url: %s\n", url.status().ToString().c_str());
    return 1;
  }
  auto token = ReadWholeFile(o.token_file, 4096);
  if (!token.ok()) {
    std::fprintf(stderr, "zhizhi: %s\n", token.status().ToString().c_str());
    return 1;
  }
  const std::string bearer = "Bearer " + token->substr(0, token->find_first_of("\r\n"));
  http::ClientOptions copt;
  copt.host = url->host;
  copt.port = url->port;
  http::Client http(copt);
  auto api = [&](const char* method, const std::string& target, const json& body) {
    auto r =
        http.Send(method, target, {{"Authorization", bearer}, {"Content-Type", "application/json"}},
                  body.is_null() ? std::string() : body.dump());
    return std::make_pair(r.status, json::parse(r.body, nullptr, false));
  };

  std::mt19937_64 rng(o.seed ? o.seed : std::random_device{}());
  std::uniform_real_distribution<double> unit(0, 1);
  const std::string prefix = o.prefix.empty() ? "SIM-" + RandomHex(3) + "-" : o.prefix;

  // Register.
  std::vector<SimDevice> devices;
  const int total = o.devices + (o.project.empty() ? 0 : o.cranes);
  std::uint16_t broker_port = 0;
  for (int i = 0; i < total; ++i) {
    SimDevice d;
    json body;
    if (i >= o.devices) {
      d.kind = "tower_crane";
      body = {{"kind", d.kind}, {"project", o.project}};
    } else {
      static const char* kKinds[] = {"uitd",           "uitd",           "uitd",
                                     "uitd",           "uitd",           "uitd",
                                     "smoke_detector", "smoke_detector", "electrical_fire",
                                     "water_pressure"};
      d.kind = kKinds[i % 10];
      body = {{"kind", d.kind},
              {"address", "浙江省杭州市钱塘区下沙街道模拟路" + std::to_string(i + 1) + "号"}};
    }
    d.serial = prefix + std::to_string(i + 1);
    body["serial"] = d.serial;
    auto [status, answer] = api("POST", "/api/v1/iot/devices", body);
    if (status != 201) {
      std::fprintf(stderr, "zhizhi: registering %s: HTTP %d %s\n", d.serial.c_str(), status,
                   answer.dump().c_str());
      return 1;
    }
    MqttOptions m;
    m.host = url->host;
    m.port = answer["mqtt"]["port"].get<std::uint16_t>();
    m.username = d.serial;
    m.password = answer["mqtt"]["password"].get<std::string>();
    broker_port = m.port;
    d.topic_up = answer["mqtt"]["topic_up"].get<std::string>();
    d.client = std::make_unique<MqttClient>(m);
    d.client->Subscribe(answer["mqtt"]["topic_down"].get<std::string>(), 1);
    d.drops_out = unit(rng) < o.dropout_share;
    devices.push_back(std::move(d));
  }
  Latencies lat;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    devices[i].client->OnMessage([&lat, i](std::string_view, std::string_view payload) {
      auto f = gbt::DecodeFrame(payload);
      if (!f.ok() || f->command != gbt::Command::kConfirm) return;
      const std::int64_t now = MonoUs();
      std::lock_guard lock(lat.mu);
      auto it = lat.sent.find({static_cast<int>(i), f->serial});
      if (it == lat.sent.end()) return;
      const double ms = static_cast<double>(now - it->second.first) / 1000.0;
      lat.all_ms.push_back(ms);
      if (it->second.second) lat.alarm_ms.push_back(ms);
      lat.sent.erase(it);
    });
    if (Status s = devices[i].client->Connect(10'000); !s.ok()) {
      std::fprintf(stderr, "zhizhi: %s: %s\n", devices[i].serial.c_str(), s.ToString().c_str());
      return 1;
    }
  }
  const json before = api("GET", "/api/v1/iot/stats", nullptr).second;
  std::fprintf(
      stderr,
      "simulate iot: %zu devices connected to the broker on port %u; %.0f msg/s for %.0f s\n",
      devices.size(), broker_port, o.rate, o.seconds);

  std::mutex rng_mu;
  auto roll = [&] {
    std::lock_guard lock(rng_mu);
    return unit(rng);
  };
  const auto started = Clock::now();
  auto pubs =
      Drive(o.publishers, o.rate, o.seconds, devices.size(),
            [&](Publisher& p, int index, double progress) {
              SimDevice& d = devices[static_cast<std::size_t>(index)];
              if (d.drops_out && progress > 0.5)
                return false;  // silent: offline detection's business
              if (roll() < o.malformed_share) {
                ++p.malformed;
                std::string bad = d.kind == "uitd" ? PartFrame(++d.frame_serial, 101, gbt::kRunning)
                                                   : std::string("{\"time\":\"2026-13-40\"");
                if (d.kind == "uitd") bad[bad.size() - 3] ^= 0x5a;  // the checksum
                return d.client->Publish(d.topic_up, bad, 1);
              }
              const std::int64_t now = MonoUs();
              const bool recover = d.alarm_since_us > 0 && now - d.alarm_since_us > 3'000'000;
              const bool alarm = d.alarm_since_us == 0 && roll() < o.alarm_share;
              if (alarm) {
                d.alarm_since_us = now;
                ++p.alarms;
              }
              if (recover) d.alarm_since_us = 0;
              const bool on = d.alarm_since_us > 0;
              std::string payload;
              if (d.kind == "uitd") {
                const std::uint16_t serial = ++d.frame_serial;
                if (alarm) d.alarm_part = 100 + static_cast<std::uint32_t>(roll() * 900);
                if (alarm || recover) {
                  payload = PartFrame(serial, d.alarm_part,
                                      on ? gbt::kRunning | gbt::kFireAlarm : gbt::kRunning);
                } else if (roll() < 0.5) {
                  payload = UitdHeartbeat(serial);
                } else {
                  payload = PartFrame(serial, 100 + static_cast<std::uint32_t>(roll() * 900),
                                      d.alarm_since_us > 0 ? gbt::kRunning : gbt::kRunning);
                  if (d.alarm_since_us > 0)
                    payload = UitdHeartbeat(serial);  // keep the alarm's part as is
                }
                std::lock_guard lock(lat.mu);
                lat.sent[{index, serial}] = {MonoUs(), alarm};
              } else if (d.kind == "smoke_detector") {
                payload = Telemetry({{"smoke", on}, {"battery_pct", 80}});
              } else if (d.kind == "electrical_fire") {
                payload = Telemetry({{"residual_current_ma", on ? 350 : 40 + roll() * 60},
                                     {"temperature_c", 30 + roll() * 10}});
              } else if (d.kind == "water_pressure") {
                payload = Telemetry({{"pressure_mpa", on ? 0.02 : 0.3 + roll() * 0.1}});
              } else {
                payload = Telemetry({{"load_t", on ? 6.0 : roll() * 3},
                                     {"radius_m", 25.0},
                                     {"moment_ratio", on ? 1.05 : 0.2 + roll() * 0.5},
                                     {"wind_speed_ms", 5 + roll() * 5}});
              }
              return d.client->Publish(d.topic_up, payload, 1);
            });
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  // Until the server has taken everything (its count still for a second; at most 30 s): its
  // rate is over the time it took, not over the publishing alone.
  json after = api("GET", "/api/v1/iot/stats", nullptr).second;
  auto last_change = Clock::now();
  for (auto waited = Clock::now(); Clock::now() - waited < std::chrono::seconds(30);) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    json now = api("GET", "/api/v1/iot/stats", nullptr).second;
    if (now["messages"]["received"] != after["messages"]["received"]) {
      after = std::move(now);
      last_change = Clock::now();
    } else if (Clock::now() - last_change > std::chrono::seconds(1)) {
      break;
    }
  }
  const double taken =
      std::max(elapsed, std::chrono::duration<double>(last_change - started).count() - 0.2);
  std::uint64_t published = 0, alarms = 0, malformed = 0;
  for (const auto& p : pubs) {
    published += p.published;
    alarms += p.alarms;
    malformed += p.malformed;
  }
  const auto received = after["messages"]["received"].get<std::uint64_t>() -
                        before["messages"]["received"].get<std::uint64_t>();
  const auto dropped = after["messages"]["dropped"].get<std::uint64_t>() -
                       before["messages"]["dropped"].get<std::uint64_t>();
  json report;
  {
    std::lock_guard lock(lat.mu);
    report = {{"devices", devices.size()},
              {"seconds", elapsed},
              {"published", published},
              {"published_per_s", published / elapsed},
              {"server_received", received},
              {"server_received_per_s", received / taken},
              {"server_seconds", taken},
              {"server_dropped", dropped},
              {"malformed_sent", malformed},
              {"alarms_sent", alarms},
              {"confirms", lat.all_ms.size()},
              {"confirms_missing", lat.sent.size()},
              {"confirm_ms",
               {{"p50", Percentile(lat.all_ms, 0.5)}, {"p99", Percentile(lat.all_ms, 0.99)}}},
              {"alarm_confirm_ms",
               {{"count", lat.alarm_ms.size()},
                {"p50", Percentile(lat.alarm_ms, 0.5)},
                {"p99", Percentile(lat.alarm_ms, 0.99)},
                {"max", Percentile(lat.alarm_ms, 1.0)}}}};
  }
  devices.clear();  // disconnect

  if (o.ceiling) {
    // The broker alone: the same number of publishing connections into a Mosquitto of its own,
    // one subscriber that counts and does nothing else.
    const std::string dir =
        std::filesystem::temp_directory_path().string() + "/zhizhi-ceiling-" + RandomHex(4);
    const std::string password = RandomHex(12);
    const std::string hash = MosquittoPasswordHash(password);
    BrokerOptions bo;
    bo.dir = dir;
    auto broker = Broker::Start(bo, {{"load", hash, {"zz/#"}, {}}, {"sink", hash, {}, {"zz/#"}}});
    if (!broker.ok()) {
      std::fprintf(stderr, "zhizhi: ceiling broker: %s\n", broker.status().ToString().c_str());
      return 1;
    }
    std::atomic<std::uint64_t> sunk{0};
    std::atomic<std::int64_t> last_sunk_us{0};
    MqttOptions so;
    so.port = (*broker)->port();
    so.username = "sink";
    so.password = password;
    MqttClient sink(so);
    sink.Subscribe("zz/#", 0);  // as zhizhi's subscriber takes them
    sink.OnMessage([&](std::string_view, std::string_view) {
      ++sunk;
      last_sunk_us.store(MonoUs());
    });
    if (!sink.Connect(10'000).ok()) return 1;
    std::vector<std::unique_ptr<MqttClient>> loads;
    const std::size_t n = static_cast<std::size_t>(total);
    for (std::size_t i = 0; i < n; ++i) {
      MqttOptions lo = so;
      lo.username = "load";
      loads.push_back(std::make_unique<MqttClient>(lo));
      if (!loads.back()->Connect(10'000).ok()) return 1;
    }
    const std::string sample = PartFrame(1, 101, gbt::kRunning);
    const auto c0 = Clock::now();
    auto cpubs = Drive(o.publishers, o.rate, o.seconds, n, [&](Publisher&, int index, double) {
      return loads[static_cast<std::size_t>(index)]->Publish(
          "zz/dev/x" + std::to_string(index) + "/up", sample, 1);
    });
    const double celapsed = std::chrono::duration<double>(Clock::now() - c0).count();
    for (std::uint64_t seen = ~0ull; seen != sunk.load();) {
      seen = sunk.load();
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    const double ctaken = std::max(
        celapsed,
        static_cast<double>(
            last_sunk_us.load() -
            std::chrono::duration_cast<std::chrono::microseconds>(c0.time_since_epoch()).count()) /
            1e6);
    std::uint64_t cpublished = 0;
    for (const auto& p : cpubs)
      cpublished += p.published;
    report["ceiling"] = {{"published", cpublished},
                         {"published_per_s", cpublished / celapsed},
                         {"subscriber_received", sunk.load()},
                         {"subscriber_received_per_s", sunk.load() / ctaken},
                         {"subscriber_seconds", ctaken}};
    loads.clear();
    std::error_code ignored;
    broker->reset();
    std::filesystem::remove_all(dir, ignored);
  }
  if (o.json) {
    std::printf("%s\n", report.dump().c_str());
  } else {
    std::printf("%s\n", report.dump(2).c_str());
  }
  return 0;
}

}  // namespace zhizhi::iot

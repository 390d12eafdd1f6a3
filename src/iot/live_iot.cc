#include "iot/live_iot.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/file.h"
#include "base/thread_name.h"
#include "iot/gbt26875.h"

namespace zhizhi::iot {

namespace {

using nlohmann::json;

std::string Frame(std::uint16_t serial, const gbt26875::AppData& data, std::int64_t now) {
  gbt26875::Frame f;
  f.serial = serial;
  f.time = gbt26875::DeviceTimeAt(now);
  f.command = gbt26875::Command::kSendData;
  f.app_data = *gbt26875::EncodeAppData(data);
  return gbt26875::EncodeFrame(f);
}

}  // namespace

LiveIot::LiveIot(LiveIotOptions options) : options_(std::move(options)) {}

LiveIot::~LiveIot() {
  Stop();
}

Status LiveIot::Start() {
  const std::string path = options_.data_dir + "/demo-iot-devices.csv";
  ZZ_ASSIGN_OR_RETURN(std::string csv, ReadWholeFile(path, 64 << 20));
  std::unordered_map<std::string, std::pair<std::string, std::string>> known;  // kind, password
  std::istringstream lines(csv);
  std::string line;
  while (std::getline(lines, line)) {
    const auto a = line.find(','), b = line.rfind(',');
    if (a == std::string::npos || a == b) continue;
    known[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
  }
  for (const std::string& serial : options_.serials) {
    if (static_cast<int>(devices_.size()) >= options_.max_devices) break;
    auto it = known.find(serial);
    if (it == known.end()) continue;
    Device d;
    d.serial = serial;
    d.kind = it->second.first;
    d.topic = "zz/dev/" + serial + "/up";
    MqttOptions m;
    m.port = options_.port;
    m.username = serial;
    m.password = it->second.second;
    d.client = std::make_unique<MqttClient>(m);
    devices_.push_back(std::move(d));
  }
  for (Device& d : devices_) {
    if (Status s = d.client->Connect(5'000); !s.ok())
      spdlog::warn("event=live_iot_device_not_connected serial={} error=\"{}\"", d.serial,
                   s.ToString());
  }
  spdlog::info("event=live_iot_started devices={}", devices_.size());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void LiveIot::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  devices_.clear();
}

void LiveIot::Loop() {
  NameThisThread("zz-live-iot");
  std::mt19937_64 rng(options_.seed ? options_.seed : std::random_device{}());
  // Spread the first messages over the first ten seconds.
  const std::int64_t start = NowUnixMs();
  for (Device& d : devices_)
    d.next_ms = start + std::uniform_int_distribution<std::int64_t>(0, 10'000)(rng);
  std::int64_t next_fire =
      start + std::uniform_int_distribution<std::int64_t>(60'000, 300'000)(rng);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const std::int64_t now = NowUnixMs();
    if (now >= next_fire && !devices_.empty()) {
      // A fire alarm at a point of some panel, recovered a minute later.
      std::vector<Device*> panels;
      for (Device& d : devices_)
        if (d.kind == "uitd" && d.alarm_until_ms == 0) panels.push_back(&d);
      if (!panels.empty()) {
        Device& d = *panels[std::uniform_int_distribution<std::size_t>(0, panels.size() - 1)(rng)];
        d.alarm_until_ms = now + 60'000;
        d.alarm_point = std::uniform_int_distribution<std::uint32_t>(1, 40)(rng);
        d.next_ms = now;
      }
      next_fire = now + std::uniform_int_distribution<std::int64_t>(180'000, 420'000)(rng);
    }
    for (Device& d : devices_) {
      if (now < d.next_ms) continue;
      Send(d, now);
      const std::int64_t period = d.kind == "tower_crane" ? 30'000
                                  : d.kind == "uitd"      ? 60'000
                                                          : 120'000;
      d.next_ms = now + period;
      if (d.alarm_until_ms > now) d.next_ms = std::min(d.next_ms, d.alarm_until_ms);
    }
    lock.lock();
  }
}

void LiveIot::Send(Device& d, std::int64_t now) {
  std::string payload;
  if (d.kind == "uitd" || d.kind == "fire_panel") {
    gbt26875::AppData data;
    if (d.alarm_until_ms != 0) {
      const bool on = now < d.alarm_until_ms;
      data.type = 2;
      gbt26875::PartStatus p;
      p.system_type = 1;
      p.system_address = 1;
      p.part_type = 21;
      p.part_address = d.alarm_point;
      p.status = on ? gbt26875::kRunning | gbt26875::kFireAlarm : gbt26875::kRunning;
      p.description = std::to_string(d.alarm_point / 24 + 1) + "层走廊感烟探测器";
      p.time = gbt26875::DeviceTimeAt(now);
      data.parts.push_back(p);
      if (!on) d.alarm_until_ms = 0;
    } else {
      data.type = 21;
      data.uitd.push_back({gbt26875::kRunning, gbt26875::DeviceTimeAt(now)});
    }
    payload = Frame(++d.frame, data, now);
  } else {
    json values;
    if (d.kind == "smoke_detector") values = {{"smoke", false}, {"battery_pct", 80}};
    if (d.kind == "electrical_fire") values = {{"residual_current_ma", 60}, {"temperature_c", 38}};
    if (d.kind == "water_pressure") values = {{"pressure_mpa", 0.32}};
    if (d.kind == "tower_crane")
      values = {{"load_t", 0.0}, {"moment_ratio", 0.02}, {"wind_speed_ms", 7.5}};
    payload = json{{"time", FormatRfc3339(now)}, {"values", values}}.dump();
  }
  if (d.client->Publish(d.topic, payload, 1)) ++published_;
}

}  // namespace zhizhi::iot

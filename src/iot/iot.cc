#include "iot/iot.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "alerts/alert_book.h"
#include "base/civil_time.h"
#include "base/thread_name.h"
#include "gate/gate.h"
#include "iot/gbt26875.h"
#include "iot/iot_internal.h"
#include "iot/telemetry.h"

namespace zhizhi::iot {

using nlohmann::json;

namespace {

constexpr const char* kCoreUser = "zhizhi-core";
constexpr std::size_t kMaxPayload = 64 << 10;
constexpr std::size_t kMaxParts = 4096;  // points of one transmission device
constexpr std::string_view kTopicPrefix = "zz/dev/";

std::string PartKey(int system_type, int system_address, int part_type, std::uint32_t address) {
  return std::to_string(system_type) + "-" + std::to_string(system_address) + "-" +
         std::to_string(part_type) + "-" + std::to_string(address);
}

const char* SeverityOfLevel(const std::string& level) {
  return level == "alarm" ? "red" : "yellow";
}

}  // namespace

std::string AlarmKey(const std::string& type, std::int64_t device, const std::string& part) {
  return type + ":iot:" + std::to_string(device) + (part.empty() ? "" : ":" + part);
}

std::string TopicUp(const std::string& serial) {
  return std::string(kTopicPrefix) + serial + "/up";
}
std::string TopicDown(const std::string& serial) {
  return std::string(kTopicPrefix) + serial + "/down";
}

Iot::Iot(store::Database* db, const security::AuditLog* audit, gate::Gate* gate,
         warning::Areas* areas, IotOptions options)
    : db_(db),
      audit_(audit),
      gate_(gate),
      areas_(areas),
      options_(std::move(options)),
      limits_(&CraneLimits::Default()),
      wheel_(options_.clock()) {}

Iot::~Iot() {
  Stop();
}

std::int64_t Iot::OfflineAfter(const std::string& kind) const {
  if (options_.offline_after_ms > 0) return options_.offline_after_ms;
  if (kind == "tower_crane") return 2 * 60'000;           // telemetry every ~30 s
  if (kind == "smoke_detector") return 25 * 3'600'000LL;  // NB-IoT: a heartbeat a day
  if (kind == "electrical_fire" || kind == "water_pressure") return 15 * 60'000;
  return 10 * 60'000;  // a transmission device's status every few minutes
}

std::vector<BrokerClient> Iot::BrokerClients() const {
  std::vector<BrokerClient> clients;
  clients.reserve(devices_.size() + 1);
  clients.push_back({kCoreUser, core_password_hash_, {"zz/dev/+/down"}, {"zz/dev/+/up"}});
  for (const auto& [id, d] : devices_)
    clients.push_back({d.serial, d.password_hash, {}, {}});
  return clients;
}

Status Iot::RefreshBroker() {
  std::lock_guard broker_lock(broker_mu_);
  std::vector<BrokerClient> clients;
  {
    std::lock_guard lock(mu_);
    clients = BrokerClients();
  }
  if (broker_) return broker_->SetClients(std::move(clients));
  if (!options_.mqtt_url.empty() && !options_.dir.empty()) {
    // Another broker: its operator points it at these files (docs/iot.md).
    return WriteBrokerFiles(options_.dir, DevicePatterns(), clients);
  }
  return Status::Ok();
}

std::vector<std::string> DevicePatterns() {
  return {"write zz/dev/%u/up", "read zz/dev/%u/down"};
}

Status Iot::Start() {
  ZZ_RETURN_IF_ERROR(LoadDevices());
  if (options_.connect) {
    MqttOptions mqtt;
    if (options_.mqtt_url.empty()) {
      const std::string password = RandomHex(24);
      core_password_hash_ = MosquittoPasswordHash(password);
      std::vector<BrokerClient> clients;
      {
        std::lock_guard lock(mu_);
        clients = BrokerClients();
      }
      BrokerOptions broker;
      broker.dir = options_.dir;
      broker.binary = options_.broker_binary;
      broker.port = options_.broker_port;
      broker.patterns = DevicePatterns();
      broker.tls_port = options_.tls_port;
      broker.tls_bind = options_.tls_bind;
      broker.tls_cert = options_.tls_cert;
      broker.tls_key = options_.tls_key;
      ZZ_ASSIGN_OR_RETURN(broker_, Broker::Start(std::move(broker), std::move(clients)));
      mqtt.port = broker_->port();
      mqtt.username = kCoreUser;
      mqtt.password = password;
    } else {
      ZZ_ASSIGN_OR_RETURN(mqtt, ParseMqttUrl(options_.mqtt_url));
      ZZ_RETURN_IF_ERROR(RefreshBroker());
    }
    mqtt_port_ = mqtt.port;
    mqtt.client_id = "zhizhi-core-" + RandomHex(4);
    client_ = std::make_unique<MqttClient>(mqtt);
    // QoS 0 on the broker → zhizhi hop: what acknowledges a device's message is the confirm
    // sent after its commit (GB/T 26875.3 devices send again what is not confirmed), and a
    // clean session keeps nothing across a reconnect anyway; QoS 1 here capped the intake at
    // the broker's 20 messages in flight (about 11,000 a second, docs/benchmarks.md).
    client_->Subscribe("zz/dev/+/up", 0);
    client_->OnMessage(
        [this](std::string_view topic, std::string_view payload) { Ingest(topic, payload); });
    if (!publisher_) {
      // QoS 0: a confirm that is lost makes the device send its frame again, which changes
      // nothing the second time and is confirmed again.
      publisher_ = [this](const std::string& topic, const std::string& payload) {
        client_->Publish(topic, payload, 0);
      };
    }
    ZZ_RETURN_IF_ERROR(client_->Connect(10'000));
    spdlog::info("event=iot_started devices={} mqtt_port={} own_broker={}", devices_.size(),
                 mqtt_port_, broker_ != nullptr);
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Iot::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  // No message after this; then the ticker's last flush, then every queued job (whose answers
  // go to a stopped client: dropped), and only then the client and the broker go.
  if (client_) client_->Stop();
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Drain();
  client_.reset();
  broker_.reset();
}

void Iot::Loop() {
  NameThisThread("zz-iot");
  std::unique_lock lock(loop_mu_);
  while (!stopping_) {
    loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_ms),
                      [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    Tick();
    lock.lock();
  }
  lock.unlock();
  {
    std::lock_guard state(mu_);
    last_parts_flush_ms_ = 0;  // parts too
  }
  Tick();  // the last seconds' last-seen times
}

// ------------------------------------------------------------------------------- loading

Status Iot::LoadDevices() {
  std::unordered_map<std::int64_t, Device> devices;
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT id, kind, serial, name, password_hash, project_code, address, community_code, "
        "model, state, first_seen, last_seen, latest FROM iot_devices");
    while (s.Step()) {
      Device d;
      d.id = s.Int(0);
      d.kind = s.Text(1);
      d.serial = s.Text(2);
      d.name = s.Text(3);
      d.password_hash = s.Text(4);
      d.project = s.OptText(5).value_or("");
      d.address = s.OptText(6).value_or("");
      d.community = s.OptText(7).value_or("");
      d.model = s.OptText(8).value_or("");
      d.state = s.Text(9);
      d.first_seen = s.OptInt(10).value_or(0);
      d.last_seen = s.OptInt(11).value_or(0);
      if (auto latest = s.OptText(12)) d.latest = json::parse(*latest, nullptr, false);
      devices.emplace(d.id, std::move(d));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return LoadStates(conn, devices, std::nullopt);
  }));
  std::lock_guard lock(mu_);
  devices_ = std::move(devices);
  by_serial_.clear();
  for (const auto& [id, d] : devices_) {
    by_serial_[d.serial] = id;
    if (d.last_seen > 0)
      wheel_.Seen(static_cast<std::uint64_t>(id), d.last_seen, OfflineAfter(d.kind));
  }
  return Status::Ok();
}

Status Iot::ReloadDevice(std::int64_t id) {
  return db_->Read([&](store::Connection& conn) -> Status {
    std::lock_guard lock(mu_);
    auto it = devices_.find(id);
    if (it == devices_.end()) return Status::Ok();
    Device& d = it->second;
    auto s = conn.Prepare("SELECT state FROM iot_devices WHERE id = ?");
    s.Bind(1, id);
    if (s.Step()) d.state = s.Text(0);
    ZZ_RETURN_IF_ERROR(s.status());
    return LoadStates(conn, devices_, id);
  });
}

// The reported parts, open alarms and operator sessions of `devices` (of the one device `only`,
// when given) as the database has them: three queries whatever the number of devices. Parts
// registered but never reported stay in the database (the device's page reads them there).
Status LoadStates(store::Connection& conn, std::unordered_map<std::int64_t, Iot::Device>& devices,
                  std::optional<std::int64_t> only) {
  const std::string where = only ? " AND device_id = " + std::to_string(*only) : "";
  for (auto& [id, d] : devices) {
    if (only && id != *only) continue;
    d.parts.clear();
    d.active.clear();
    d.session.reset();
  }
  auto find = [&](std::int64_t id) -> Iot::Device* {
    auto it = devices.find(id);
    return it == devices.end() ? nullptr : &it->second;
  };
  auto parts = conn.Prepare(
      "SELECT device_id, part, system_type, system_address, part_type, part_address, "
      "description, status, first_seen, last_seen, analogs FROM iot_parts "
      "WHERE status IS NOT NULL" +
      where);
  while (parts.Step()) {
    Iot::Device* d = find(parts.Int(0));
    if (d == nullptr) continue;
    Iot::Part p;
    p.system_type = static_cast<std::uint8_t>(parts.Int(2));
    p.system_address = static_cast<std::uint8_t>(parts.Int(3));
    p.part_type = static_cast<std::uint8_t>(parts.Int(4));
    p.part_address = static_cast<std::uint32_t>(parts.Int(5));
    p.description = parts.Text(6);
    p.status = static_cast<std::uint16_t>(parts.Int(7));
    p.first_seen = parts.OptInt(8).value_or(0);
    p.last_seen = parts.OptInt(9).value_or(0);
    if (auto analogs = parts.OptText(10)) {
      const json a = json::parse(*analogs, nullptr, false);
      if (a.is_object())
        for (const auto& [k, v] : a.items())
          if (v.is_number_integer()) p.analogs[std::atoi(k.c_str())] = v.get<int>();
    }
    d->parts.emplace(parts.Text(1), std::move(p));
  }
  ZZ_RETURN_IF_ERROR(parts.status());
  auto alarms = conn.Prepare(
      "SELECT device_id, type, COALESCE(part, '') FROM iot_alarms WHERE recovered_at IS NULL" +
      where);
  while (alarms.Step()) {
    if (Iot::Device* d = find(alarms.Int(0)))
      d->active.insert(alarms.Text(1) + "|" + alarms.Text(2));
  }
  ZZ_RETURN_IF_ERROR(alarms.status());
  auto sessions = conn.Prepare(
      "SELECT device_id, id, person_id, started_at, score FROM crane_sessions WHERE ended_at IS "
      "NULL" +
      where);
  while (sessions.Step()) {
    if (Iot::Device* d = find(sessions.Int(0))) {
      d->session = Iot::Session{sessions.Int(1), sessions.Int(2), sessions.Int(3),
                                sessions.OptDouble(4).value_or(0)};
    }
  }
  return sessions.status();
}

// ------------------------------------------------------------------------------- ingest

std::string Iot::RegisteredDescription(std::int64_t device, const std::string& part) const {
  auto description = db_->Read([&](store::Connection& conn) -> Result<std::string> {
    auto s = conn.Prepare("SELECT description FROM iot_parts WHERE device_id = ? AND part = ?");
    s.Bind(1, device);
    s.Bind(2, part);
    if (s.Step()) return s.Text(0);
    ZZ_RETURN_IF_ERROR(s.status());
    return std::string();
  });
  return description.ok() ? *description : std::string();
}

void Iot::Drop(Device* device, std::string_view code, std::string_view detail) {
  ++dropped_;
  if (device != nullptr) ++device->dropped;
  ++dropped_by_code_[std::string(code)];
  const std::int64_t now = options_.clock();
  if (now - last_drop_log_ms_ >= 1000) {  // at most a line a second, however hostile the traffic
    last_drop_log_ms_ = now;
    spdlog::warn("event=iot_message_dropped code={} device={} detail=\"{}\" dropped_total={}", code,
                 device ? device->serial : "?", detail, dropped_.load());
  }
}

void Iot::Ingest(std::string_view topic, std::string_view payload) {
  ++messages_;
  std::lock_guard lock(mu_);
  // zz/dev/SERIAL/up
  std::string serial;
  if (topic.size() > kTopicPrefix.size() + 3 &&
      topic.substr(0, kTopicPrefix.size()) == kTopicPrefix &&
      topic.substr(topic.size() - 3) == "/up") {
    serial = std::string(topic.substr(kTopicPrefix.size(), topic.size() - kTopicPrefix.size() - 3));
  }
  auto found = by_serial_.find(serial);
  if (found == by_serial_.end()) return Drop(nullptr, "unknown_device", topic);
  Device& d = devices_.at(found->second);
  ++d.messages;
  if (payload.size() > kMaxPayload) return Drop(&d, "too_large", "a message is at most 64 KB");
  const std::int64_t now = options_.clock();
  auto fx = std::make_shared<Effects>();
  fx->device_id = d.id;
  fx->now = now;

  const bool came_back = wheel_.Seen(static_cast<std::uint64_t>(d.id), now, OfflineAfter(d.kind));
  if (d.state != "online") {
    fx->state = "online";
    d.state = "online";
  }
  if (came_back || d.active.count(std::string(alerts::type::kIotOffline) + "|")) {
    SetAlarm(d, alerts::type::kIotOffline, "", false, "blue", "", {}, now, *fx);
  }
  if (d.first_seen == 0) d.first_seen = now;
  d.last_seen = now;
  d.dirty = true;

  if (payload.size() >= 2 && payload[0] == '@' && payload[1] == '@') {
    IngestFrames(d, payload, now, *fx);
  } else if (!payload.empty() && payload.front() == '{') {
    IngestJson(d, payload, now, *fx);
  } else {
    Drop(&d, "unknown_payload", "neither a GB/T 26875.3 frame nor JSON");
  }
  Commit(std::move(fx));
}

void Iot::IngestFrames(Device& d, std::string_view payload, std::int64_t now, Effects& fx) {
  std::size_t offset = 0;
  while (offset < payload.size()) {
    std::size_t consumed = 0;
    auto frame = gbt26875::DecodeFrame(payload.substr(offset), &consumed);
    if (!frame.ok()) {
      Drop(&d, frame.status().code(), frame.status().message());
      return;  // the rest of the payload cannot be trusted to start a frame
    }
    offset += consumed;
    if (frame->command != gbt26875::Command::kSendData) {
      Drop(&d, "unhandled_command", "command " + std::to_string(static_cast<int>(frame->command)));
      continue;
    }
    auto data = gbt26875::DecodeAppData(frame->app_data);
    if (!data.ok()) {
      Drop(&d, data.status().code(), data.status().message());
      continue;  // no confirm: the device sends it again, and it is refused again (counted)
    }
    const bool electrical = d.kind == "electrical_fire";
    const bool water = d.kind == "water_pressure";
    const char* alarm_type = electrical ? alerts::type::kElectricalFire
                             : water    ? alerts::type::kWaterPressureLow
                                        : alerts::type::kFireAlarm;
    const char* alarm_severity = electrical ? "orange" : water ? "yellow" : "red";
    auto touch = [&](const std::string& key, int st, int sa, int pt, std::uint32_t pa) -> Part* {
      auto [it, added] = d.parts.try_emplace(key);
      if (added && d.parts.size() > kMaxParts) {
        d.parts.erase(it);
        return nullptr;  // a device inventing points: dropped, memory bounded
      }
      Part& p = it->second;
      // A point of the panel's registered table reports for the first time: its description.
      if (added) p.description = RegisteredDescription(d.id, key);
      p.system_type = static_cast<std::uint8_t>(st);
      p.system_address = static_cast<std::uint8_t>(sa);
      p.part_type = static_cast<std::uint8_t>(pt);
      p.part_address = pa;
      if (p.first_seen == 0) p.first_seen = now;
      p.last_seen = now;
      d.dirty_parts.insert(key);
      return &p;
    };
    auto status_change = [&](const std::string& key, Part& p, std::uint16_t status,
                             bool alarms_fire) {
      const std::optional<std::uint16_t> before = p.status;
      p.status = status;
      if (before == status) return;
      fx.parts.emplace_back(key, p);
      const std::string where = p.description.empty() ? key : p.description;
      json detail = {{"serial", d.serial},           {"part", key},      {"part_type", p.part_type},
                     {"description", p.description}, {"status", status}, {"address", d.address}};
      const bool fire = (status & gbt26875::kFireAlarm) != 0;
      const bool fault = (status & (gbt26875::kFault | gbt26875::kPowerFault)) != 0;
      if (alarms_fire) {
        SetAlarm(d, alarm_type, key, fire, alarm_severity,
                 std::string(electrical ? "电气火灾报警"
                             : water    ? "水压异常"
                                        : "火警") +
                     "：" + where + "（" + d.name + "）",
                 detail, now, fx);
      }
      SetAlarm(d, alerts::type::kFireFault, key, fault, "yellow",
               "消防设施故障：" + where + "（" + d.name + "）", detail, now, fx);
    };
    for (const auto& s : data->systems) {
      const std::string key = PartKey(s.system_type, s.system_address, 0, 0);
      Part* p = touch(key, s.system_type, s.system_address, 0, 0);
      if (p == nullptr) return Drop(&d, "too_many_parts", "more points than a device may have");
      status_change(key, *p, s.status, /*alarms_fire=*/false);  // the parts say where
    }
    for (const auto& s : data->parts) {
      const std::string key = PartKey(s.system_type, s.system_address, s.part_type, s.part_address);
      Part* p = touch(key, s.system_type, s.system_address, s.part_type, s.part_address);
      if (p == nullptr) return Drop(&d, "too_many_parts", "more points than a device may have");
      if (!s.description.empty() && p->description != s.description) {
        p->description = s.description;
        if (p->status == s.status) fx.parts.emplace_back(key, *p);
      }
      status_change(key, *p, s.status, /*alarms_fire=*/true);
    }
    for (const auto& a : data->analogs) {
      const std::string key = PartKey(a.system_type, a.system_address, a.part_type, a.part_address);
      Part* p = touch(key, a.system_type, a.system_address, a.part_type, a.part_address);
      if (p == nullptr) return Drop(&d, "too_many_parts", "more points than a device may have");
      p->analogs[a.analog_type] = a.value;
    }
    for (const auto& u : data->uitd) {
      // The transmission device itself: bit 0 running, 1 fire alarm, 2.. faults of its power,
      // backup power, link and lines.
      const std::string key = "uitd";
      Part* pp = touch(key, 0, 0, 0, 0);
      if (pp == nullptr) return Drop(&d, "too_many_parts", "more points than a device may have");
      Part& p = *pp;
      if (p.description.empty()) p.description = "用户信息传输装置";
      const std::uint16_t status = u.status & 0x7d;  // its fire bit is the panel's, said there
      const std::optional<std::uint16_t> before = p.status;
      p.status = status;
      if (before != status) {
        fx.parts.emplace_back(key, p);
        SetAlarm(d, alerts::type::kFireFault, key, (status & 0x7c) != 0, "yellow",
                 "用户信息传输装置故障（" + d.name + "）",
                 {{"serial", d.serial}, {"part", key}, {"status", status}, {"address", d.address}},
                 now, fx);
      }
    }
    // Answered once the frame's effects are durable (Commit).
    fx.replies.emplace_back(TopicDown(d.serial), gbt26875::EncodeFrame(gbt26875::ConfirmOf(
                                                     *frame, gbt26875::DeviceTimeAt(now))));
  }
}

void Iot::IngestJson(Device& d, std::string_view payload, std::int64_t now, Effects& fx) {
  auto doc = ParseDeviceJson(payload, "a device's message");  // parsed once, read by its kind
  if (!doc.ok()) return Drop(&d, doc.status().code(), doc.status().ToString());
  if (d.kind == "tower_crane") {
    if (doc->contains("operator")) return IngestOperator(d, *doc, now, fx);
    auto reading = ReadCraneReading(*doc);
    if (!reading.ok()) return Drop(&d, reading.status().code(), reading.status().ToString());
    json values = json::object();
    auto put = [&](const char* name, const std::optional<double>& v) {
      if (v) values[name] = *v;
    };
    put("load_t", reading->load_t);
    put("radius_m", reading->radius_m);
    put("height_m", reading->height_m);
    put("slew_deg", reading->slew_deg);
    put("wind_speed_ms", reading->wind_speed_ms);
    put("tilt_permille", reading->tilt_permille);
    put("moment_ratio", reading->moment_ratio);
    values["time"] = FormatRfc3339(reading->time_ms);
    d.latest = values;
    const auto findings = JudgeCrane(limits_->For(d.model), *reading);
    for (const char* type :
         {alerts::type::kCraneOverload, alerts::type::kCraneWind, alerts::type::kCraneTilt}) {
      const CraneFinding* worst = nullptr;
      for (const auto& f : findings)
        if (f.type == type && (worst == nullptr || f.level == "alarm")) worst = &f;
      json detail = {{"serial", d.serial}, {"values", values}};
      std::string message;
      std::string severity = "yellow";
      if (worst != nullptr) {
        detail["level"] = worst->level;
        detail["measure"] = worst->measure;
        detail["value"] = worst->value;
        detail["limit"] = worst->limit;
        severity = SeverityOfLevel(worst->level);
        message = std::string(worst->level == "alarm" ? "塔吊报警" : "塔吊预警") + "：" +
                  worst->measure + " " + std::to_string(worst->value).substr(0, 6) + " ≥ " +
                  std::to_string(worst->limit).substr(0, 6) + "（" + d.name + "）";
      }
      SetAlarm(d, type, "", worst != nullptr, severity, message, detail, now, fx);
    }
    // Working: a load on the hook or a moment — with nobody verified in the cab.
    const bool working =
        reading->load_t.value_or(0) >= 0.1 || reading->moment_ratio.value_or(0) >= 0.05;
    if (working && !d.session) {
      SetAlarm(d, alerts::type::kCraneUnauthorisedOperator, "", true, "red",
               "塔吊无人脸认证司机作业（" + d.name + "）",
               {{"serial", d.serial}, {"reason", "no_session"}, {"values", values}}, now, fx);
    } else if (!working || d.session) {
      SetAlarm(d, alerts::type::kCraneUnauthorisedOperator, "", false, "red", "", {}, now, fx);
    }
    return;
  }
  auto t = ReadTelemetry(d.kind, *doc);
  if (!t.ok()) return Drop(&d, t.status().code(), t.status().ToString());
  json values(t->values);
  values["time"] = FormatRfc3339(t->time_ms);
  d.latest = values;
  json detail = {{"serial", d.serial}, {"values", values}, {"address", d.address}};
  auto value = [&](const char* name) -> std::optional<double> {
    auto it = t->values.find(name);
    return it == t->values.end() ? std::nullopt : std::optional<double>(it->second);
  };
  if (d.kind == "smoke_detector") {
    if (auto smoke = value("smoke"))
      SetAlarm(d, alerts::type::kFireAlarm, "", *smoke > 0, "red",
               "火警：独立式感烟探测器报警（" + d.name + "）", detail, now, fx);
  } else if (d.kind == "electrical_fire") {
    const auto current = value("residual_current_ma");
    const auto temperature = value("temperature_c");
    if (current || temperature) {
      const bool alarm = current.value_or(0) >= kResidualCurrentAlarmMa ||
                         temperature.value_or(-100) >= kCableTemperatureAlarmC;
      SetAlarm(d, alerts::type::kElectricalFire, "", alarm, "orange",
               "电气火灾隐患：剩余电流或线缆温度超限（" + d.name + "）", detail, now, fx);
    }
  } else if (d.kind == "water_pressure") {
    if (auto pressure = value("pressure_mpa"))
      SetAlarm(d, alerts::type::kWaterPressureLow, "", *pressure < kWaterPressureLowMpa, "yellow",
               "消防水压不足（" + d.name + "）", detail, now, fx);
  }
  if (auto battery = value("battery_pct"))
    SetAlarm(d, alerts::type::kFireFault, "battery", *battery < kBatteryLowPct, "yellow",
             "设备电量低（" + d.name + "）", detail, now, fx);
}

void Iot::IngestOperator(Device& d, const json& doc, std::int64_t now, Effects& fx) {
  // {"time":"…","operator":{"person_id":12,"score":0.93,"liveness":true}} or "operator":null.
  for (const auto& item : doc.items()) {
    if (item.key() != "time" && item.key() != "operator")
      return Drop(&d, "invalid_argument", "unknown field " + item.key());
  }
  if (!doc.contains("time") || !doc["time"].is_string())
    return Drop(&d, "invalid_argument", "time: RFC 3339 with an offset");
  if (auto time = Timestamp::ParseRfc3339(doc["time"].get<std::string>(), "time"); !time.ok())
    return Drop(&d, time.status().code(), time.status().ToString());
  const json& op = doc["operator"];
  const std::string down = TopicDown(d.serial);
  if (op.is_null()) {
    if (d.session) {
      fx.session_end = "logout";
      d.session.reset();
    }
    fx.replies.emplace_back(
        down, json{{"type", "operator"}, {"allow", false}, {"reasons", {"logout"}}}.dump());
    return;
  }
  if (!op.is_object()) return Drop(&d, "invalid_argument", "operator: an object or null");
  for (const auto& item : op.items()) {
    if (item.key() != "person_id" && item.key() != "score" && item.key() != "liveness")
      return Drop(&d, "invalid_argument", "unknown field operator." + item.key());
  }
  if (!op.contains("person_id") || !op["person_id"].is_number_integer() ||
      op["person_id"].get<std::int64_t>() <= 0)
    return Drop(&d, "invalid_argument", "operator.person_id: a person's id");
  if (!op.contains("score") || !op["score"].is_number() || op["score"].get<double>() < 0 ||
      op["score"].get<double>() > 1)
    return Drop(&d, "invalid_argument", "operator.score: the face similarity, 0 to 1");
  // A photo held up to the cab's camera is no driver: the cab says whether the face was live.
  if (!op.contains("liveness") || !op["liveness"].is_boolean())
    return Drop(&d, "invalid_argument", "operator.liveness: true or false");
  const std::int64_t person = op["person_id"].get<std::int64_t>();
  const double score = op["score"].get<double>();
  const std::optional<bool> liveness = op["liveness"].get<bool>();

  gate::GateDecision decision;
  if (gate_ == nullptr || d.project.empty()) {
    decision.reasons = {"no_project"};
  } else {
    static const gate::Requirements kCraneOperator = {{{"special_operation", "05"}}};
    decision = gate_->CheckOperator(d.project, person, score, liveness, kCraneOperator);
  }
  if (d.session && (!decision.allow || d.session->person_id != person)) {
    fx.session_end = decision.allow ? "operator_change" : "refused_login";
    d.session.reset();
  }
  // A refused log-in is an alarm of its own ("login"): idle readings do not clear it, a valid
  // log-in does.
  if (decision.allow) {
    if (!d.session) {
      d.session = Session{0, person, now, score};
      fx.session_start = Effects::SessionStart{person, score, d.project};
    }
    SetAlarm(d, alerts::type::kCraneUnauthorisedOperator, "", false, "red", "", {}, now, fx);
    SetAlarm(d, alerts::type::kCraneUnauthorisedOperator, "login", false, "red", "", {}, now, fx);
  } else {
    SetAlarm(d, alerts::type::kCraneUnauthorisedOperator, "login", true, "red",
             "塔吊司机未通过认证（" + d.name + "）：" +
                 (decision.reasons.empty() ? std::string("refused") : decision.reasons.front()),
             {{"serial", d.serial},
              {"person_id", person},
              {"score", score},
              {"reasons", decision.reasons},
              {"reason", "refused_login"}},
             now, fx);
    fx.person_id = person;
  }
  fx.replies.emplace_back(down, json{{"type", "operator"},
                                     {"allow", decision.allow},
                                     {"person_id", person},
                                     {"reasons", decision.reasons}}
                                    .dump());
}

void Iot::SetAlarm(Device& d, const std::string& type, const std::string& part, bool on,
                   const std::string& severity, const std::string& message, json detail,
                   std::int64_t now, Effects& fx) {
  const std::string key = type + "|" + part;
  const bool active = d.active.count(key) != 0;
  if (on == active) return;  // a transition only: a message that repeats a state writes nothing
  if (on) {
    d.active.insert(key);
  } else {
    d.active.erase(key);
  }
  Effects::Alarm a;
  a.type = type;
  a.part = part;
  a.on = on;
  a.severity = severity;
  a.message = message;
  a.detail = std::move(detail);
  fx.alarms.push_back(std::move(a));
  (void)now;
}

void Iot::Commit(std::shared_ptr<Effects> fx) {
  const Device& d = devices_.at(fx->device_id);
  fx->serial = d.serial;
  fx->name = d.name;
  fx->project = d.project;
  fx->address = d.address;
  const bool durable = fx->state || !fx->parts.empty() || !fx->alarms.empty() ||
                       fx->session_start || fx->session_end;
  if (!durable) {
    if (publisher_)
      for (const auto& [topic, payload] : fx->replies)
        publisher_(topic, payload);
    return;
  }
  ++pending_jobs_;
  db_->WriteAsync([this, fx](store::Connection& conn) { return Apply(conn, *fx); },
                  [this, fx](const Status& status) {
                    if (status.ok()) {
                      if (publisher_)
                        for (const auto& [topic, payload] : fx->replies)
                          publisher_(topic, payload);
                      if (fx->session_id > 0) {
                        std::lock_guard lock(mu_);
                        auto it = devices_.find(fx->device_id);
                        if (it != devices_.end() && it->second.session &&
                            it->second.session->id == 0 &&
                            it->second.session->person_id == fx->session_start->person_id &&
                            it->second.session->started_at == fx->now)
                          it->second.session->id = fx->session_id;
                      }
                      if (live_ != nullptr && live_->has_subscribers()) {
                        for (const auto& a : fx->alarms) {
                          if (!a.on) continue;
                          json m = {{"type", "iot_alarm"},           {"alarm_type", a.type},
                                    {"severity", a.severity},        {"device_id", fx->device_id},
                                    {"serial", fx->serial},          {"part", a.part},
                                    {"message", a.message},          {"alert_id", a.alert_id},
                                    {"time", FormatRfc3339(fx->now)}};
                          if (fx->project.empty()) {
                            live_->PublishDistrict(m.dump());
                          } else {
                            live_->Publish(fx->project, m.dump());
                          }
                        }
                      }
                    } else {
                      spdlog::error("event=iot_write_failed device={} error=\"{}\"", fx->serial,
                                    status.ToString());
                      // Memory went ahead of the database: the ticker reads it back (not here: this
                      // may run on a thread that holds the state's lock), so that the device's
                      // repeat (it got no confirm) raises again what was lost.
                      std::lock_guard reload(reload_mu_);
                      reload_.push_back(fx->device_id);
                    }
                    if (--pending_jobs_ == 0) {
                      std::lock_guard lock(drain_mu_);
                      drain_cv_.notify_all();
                    }
                  });
}

Status Iot::Apply(store::Connection& conn, Effects& fx) {
  if (fx.state) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE iot_devices SET state = ?, last_seen = "
                                    "MAX(COALESCE(last_seen, 0), ?), first_seen = "
                                    "COALESCE(first_seen, ?) WHERE id = ?")
                           .Bind(1, *fx.state)
                           .Bind(2, fx.now)
                           .Bind(3, fx.now)
                           .Bind(4, fx.device_id)
                           .Run());
  }
  for (const auto& [key, p] : fx.parts)
    ZZ_RETURN_IF_ERROR(WritePart(conn, fx.device_id, key, p));
  if (fx.session_end) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE crane_sessions SET ended_at = ?, end_reason = ? "
                                    "WHERE device_id = ? AND ended_at IS NULL")
                           .Bind(1, fx.now)
                           .Bind(2, *fx.session_end)
                           .Bind(3, fx.device_id)
                           .Run());
  }
  if (fx.session_start) {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO crane_sessions(device_id, project_code, person_id, score, "
                     "started_at) VALUES (?,?,?,?,?)")
            .Bind(1, fx.device_id)
            .Bind(2, fx.session_start->project)
            .Bind(3, fx.session_start->person_id)
            .Bind(4, fx.session_start->score)
            .Bind(5, fx.now)
            .Run());
    fx.session_id = conn.LastInsertRowId();
  }
  for (auto& a : fx.alarms) {
    std::string key = AlarmKey(a.type, fx.device_id, a.part);
    // Every fire alarm is an alert of its own (its verdict is its own), so a second fire at a
    // point whose first alarm is still undecided opens a new alert and a new work order.
    if (a.on && a.type == alerts::type::kFireAlarm) key += ":" + std::to_string(fx.now);
    const std::optional<std::string> part =
        a.part.empty() ? std::nullopt : std::optional<std::string>(a.part);
    if (a.on) {
      alerts::AlertDraft draft;
      draft.type = a.type;
      draft.key = key;
      draft.severity = a.severity;
      draft.subject_kind = "iot_device";
      draft.subject_id = std::to_string(fx.device_id);
      if (!fx.project.empty()) draft.project_code = fx.project;
      draft.person_id = fx.person_id;
      draft.device_id = fx.device_id;
      draft.message = a.message;
      draft.evidence =
          json::array({{{"kind", "iot_device"},
                        {"id", fx.device_id},
                        {"href", "/api/v1/iot/devices/" + std::to_string(fx.device_id)}}});
      draft.detail = a.detail;
      ZZ_RETURN_IF_ERROR(alerts::AlertBook::Raise(conn, draft, fx.now));
      ZZ_ASSIGN_OR_RETURN(auto alert_id, alerts::AlertBook::ActiveId(conn, key));
      a.alert_id = alert_id.value_or(0);
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO iot_alarms(device_id, part, type, alert_id, raised_at) "
                       "VALUES (?,?,?,?,?)")
              .Bind(1, fx.device_id)
              .Bind(2, part)
              .Bind(3, a.type)
              .Bind(4, alert_id)
              .Bind(5, fx.now)
              .Run());
    } else {
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE iot_alarms SET recovered_at = ? WHERE device_id = ? "
                                      "AND type = ? AND COALESCE(part, '') = ? AND recovered_at "
                                      "IS NULL")
                             .Bind(1, fx.now)
                             .Bind(2, fx.device_id)
                             .Bind(3, a.type)
                             .Bind(4, a.part)
                             .Run());
      // A fire alarm waits for a person's verdict; every other condition clears by itself.
      if (a.type != alerts::type::kFireAlarm)
        ZZ_RETURN_IF_ERROR(alerts::AlertBook::Clear(conn, key, fx.now, "recovered"));
    }
  }
  return Status::Ok();
}

Status WritePart(store::Connection& conn, std::int64_t device, const std::string& key,
                 const Iot::Part& p) {
  json analogs = json::object();
  for (const auto& [type, value] : p.analogs)
    analogs[std::to_string(type)] = value;
  return conn
      .Prepare(
          "INSERT INTO iot_parts(device_id, part, system_type, system_address, part_type, "
          "part_address, description, status, first_seen, last_seen, analogs) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(device_id, part) DO UPDATE SET "
          "description = CASE WHEN excluded.description != '' THEN excluded.description "
          "  ELSE description END, status = COALESCE(excluded.status, status), "
          "first_seen = COALESCE(first_seen, excluded.first_seen), "
          "last_seen = MAX(COALESCE(last_seen, 0), excluded.last_seen), "
          "analogs = COALESCE(excluded.analogs, analogs)")
      .Bind(1, device)
      .Bind(2, key)
      .Bind(3, static_cast<std::int64_t>(p.system_type))
      .Bind(4, static_cast<std::int64_t>(p.system_address))
      .Bind(5, static_cast<std::int64_t>(p.part_type))
      .Bind(6, static_cast<std::int64_t>(p.part_address))
      .Bind(7, p.description)
      .Bind(8, p.status ? std::optional<std::int64_t>(*p.status) : std::nullopt)
      .Bind(9, p.first_seen)
      .Bind(10, p.last_seen)
      .Bind(11, analogs.empty() ? std::optional<std::string>() : analogs.dump())
      .Run();
}

void Iot::Drain() {
  std::unique_lock lock(drain_mu_);
  drain_cv_.wait(lock, [this] { return pending_jobs_.load() == 0; });
}

// ------------------------------------------------------------------------------- ticker

int Iot::Tick() {
  std::vector<std::int64_t> reload;
  {
    std::lock_guard lock(reload_mu_);
    reload.swap(reload_);
  }
  for (std::int64_t id : reload) {
    if (Status s = ReloadDevice(id); !s.ok())
      spdlog::error("event=iot_reload_failed device={} error=\"{}\"", id, s.ToString());
  }
  const std::int64_t now = options_.clock();
  int gone_count = 0;
  struct Seen {
    std::int64_t id, first_seen, last_seen;
    std::optional<std::string> latest;
  };
  auto seen = std::make_shared<std::vector<Seen>>();
  auto parts = std::make_shared<std::vector<std::tuple<std::int64_t, std::string, Part>>>();
  {
    std::lock_guard lock(mu_);
    for (std::uint64_t id : wheel_.Advance(now)) {
      auto it = devices_.find(static_cast<std::int64_t>(id));
      if (it == devices_.end()) continue;
      Device& d = it->second;
      if (d.state == "offline") continue;
      ++gone_count;
      auto fx = std::make_shared<Effects>();
      fx->device_id = d.id;
      fx->now = now;
      fx->state = "offline";
      d.state = "offline";
      SetAlarm(d, alerts::type::kIotOffline, "", true, "blue",
               "物联设备离线：" + d.name + "（" + d.serial + "）",
               {{"serial", d.serial},
                {"last_seen", FormatRfc3339(d.last_seen)},
                {"offline_after_s", OfflineAfter(d.kind) / 1000}},
               now, *fx);
      Commit(std::move(fx));
    }
    // Devices' last-seen times and latest values every tick; parts' (a panel may have
    // hundreds, each reported now and then) every 30 s — a part's state changes are written
    // at once by the messages themselves.
    const bool with_parts = now - last_parts_flush_ms_ >= 30'000;
    if (with_parts) last_parts_flush_ms_ = now;
    for (auto& [id, d] : devices_) {
      if (d.dirty) {
        d.dirty = false;
        seen->push_back(
            {id, d.first_seen, d.last_seen,
             d.latest.is_null() ? std::nullopt : std::optional<std::string>(d.latest.dump())});
      }
      if (!with_parts || d.dirty_parts.empty()) continue;
      for (const std::string& key : d.dirty_parts) {
        auto p = d.parts.find(key);
        if (p != d.parts.end()) parts->emplace_back(id, key, p->second);
      }
      d.dirty_parts.clear();
    }
  }
  if (seen->empty() && parts->empty()) return gone_count;
  ++pending_jobs_;
  db_->WriteAsync(
      [seen, parts](store::Connection& conn) -> Status {
        for (const Seen& s : *seen) {
          ZZ_RETURN_IF_ERROR(
              conn.Prepare("UPDATE iot_devices SET first_seen = COALESCE(first_seen, ?), "
                           "last_seen = MAX(COALESCE(last_seen, 0), ?), latest = "
                           "COALESCE(?, latest) WHERE id = ?")
                  .Bind(1, s.first_seen)
                  .Bind(2, s.last_seen)
                  .Bind(3, s.latest)
                  .Bind(4, s.id)
                  .Run());
        }
        // Times and analog values only: a status or description is the messages' to write
        // (a job of theirs queued after this copy was taken must not be undone by it).
        for (auto [id, key, part] : *parts) {
          part.status.reset();
          part.description.clear();
          ZZ_RETURN_IF_ERROR(WritePart(conn, id, key, part));
        }
        return Status::Ok();
      },
      [this, seen, parts](const Status& status) {
        if (!status.ok()) {
          // Times only: marked again, the next flush writes them.
          spdlog::warn("event=iot_flush_failed error=\"{}\"", status.ToString());
          std::lock_guard lock(mu_);
          for (const Seen& s : *seen)
            if (auto it = devices_.find(s.id); it != devices_.end()) it->second.dirty = true;
          for (const auto& [id, key, part] : *parts)
            if (auto it = devices_.find(id); it != devices_.end())
              it->second.dirty_parts.insert(key);
        }
        if (--pending_jobs_ == 0) {
          std::lock_guard lock(drain_mu_);
          drain_cv_.notify_all();
        }
      });
  return gone_count;
}

}  // namespace zhizhi::iot

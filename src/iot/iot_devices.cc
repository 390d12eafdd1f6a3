// Registration and the views of devices, alarms and sessions (Iot's API side).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "alerts/alert_book.h"
#include "base/civil_time.h"
#include "base/field_reader.h"
#include "iot/gbt26875.h"
#include "iot/iot.h"
#include "iot/iot_internal.h"
#include "warning/areas.h"

namespace zhizhi::iot {

using nlohmann::json;

namespace {

constexpr const char* kKinds[] = {"fire_panel",      "uitd",           "smoke_detector",
                                  "electrical_fire", "water_pressure", "tower_crane"};

bool KnownKind(std::string_view kind) {
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

// A serial is the device's broker user name and part of its topics: letters, digits, . _ -.
bool PlainSerial(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower.rfind("zhizhi", 0) != 0;  // zhizhi's own clients
}

const char* KindName(const std::string& kind) {
  if (kind == "fire_panel") return "火灾报警控制器";
  if (kind == "uitd") return "用户信息传输装置";
  if (kind == "smoke_detector") return "独立式感烟探测器";
  if (kind == "electrical_fire") return "电气火灾监控探测器";
  if (kind == "water_pressure") return "消防水压监测";
  return "塔式起重机";
}

json OptTime(std::int64_t ms) {
  return ms > 0 ? json(FormatRfc3339(ms)) : json(nullptr);
}

json Flags(std::uint16_t status) {
  static const char* kNames[] = {"running", "fire_alarm", "fault",   "shielded",   "supervisory",
                                 "started", "feedback",   "delayed", "power_fault"};
  json flags = json::array();
  for (int bit = 0; bit < 9; ++bit)
    if (status & (1u << bit)) flags.push_back(kNames[bit]);
  return flags;
}

json AlarmJson(const store::Statement& s) {
  auto text = [&](int c) { return s.IsNull(c) ? json(nullptr) : json(s.Text(c)); };
  auto time = [&](int c) { return s.IsNull(c) ? json(nullptr) : json(FormatRfc3339(s.Int(c))); };
  return {{"id", s.Int(0)},
          {"device_id", s.Int(1)},
          {"part", text(2)},
          {"type", s.Text(3)},
          {"alert_id", s.IsNull(4) ? json(nullptr) : json(s.Int(4))},
          {"raised_at", time(5)},
          {"recovered_at", time(6)},
          {"verdict", text(7)},
          {"verdict_by", text(8)},
          {"verdict_at", time(9)},
          {"note", text(10)}};
}

constexpr const char* kAlarmColumns =
    "id, device_id, part, type, alert_id, raised_at, recovered_at, verdict, verdict_by, "
    "verdict_at, note";

}  // namespace

// One row of iot_devices; its id.
Result<std::int64_t> InsertDevice(store::Connection& conn, const Iot::NewDevice& d,
                                  std::int64_t now, const std::string& by) {
  auto opt = [](const std::string& v) {
    return v.empty() ? std::optional<std::string>() : std::optional<std::string>(v);
  };
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("INSERT INTO iot_devices(kind, serial, name, password_hash, project_code, "
                   "address, community_code, model, created_at, created_by) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?)")
          .Bind(1, d.kind)
          .Bind(2, d.serial)
          .Bind(3, d.name)
          .Bind(4, d.password_hash)
          .Bind(5, opt(d.project))
          .Bind(6, opt(d.address))
          .Bind(7, opt(d.community))
          .Bind(8, opt(d.model))
          .Bind(9, now)
          .Bind(10, by)
          .Run());
  return conn.LastInsertRowId();
}

json DeviceSummary(const Iot::Device& d) {
  int open = 0;
  for (const std::string& key : d.active)
    if (key.rfind("iot_offline|", 0) != 0) ++open;
  return {{"id", d.id},
          {"kind", d.kind},
          {"serial", d.serial},
          {"name", d.name},
          {"project_code", d.project.empty() ? json(nullptr) : json(d.project)},
          {"address", d.address.empty() ? json(nullptr) : json(d.address)},
          {"community_code", d.community.empty() ? json(nullptr) : json(d.community)},
          {"model", d.model.empty() ? json(nullptr) : json(d.model)},
          {"state", d.state},
          {"first_seen", OptTime(d.first_seen)},
          {"last_seen", OptTime(d.last_seen)},
          {"open_alarms", open}};
}

Result<json> Iot::Register(const json& body, const security::Principal& principal,
                           const security::Actor& actor) {
  if (!body.is_object()) return Status::InvalidJson("the body is a JSON object");
  JsonFieldReader r(body);
  const std::string kind = r.Text("kind", 32);
  const std::string serial = r.Text("serial", 64);
  const auto project = r.OptText("project", 64);
  const auto address = r.OptText("address", 200);
  auto name = r.OptText("name", 100);
  const auto model = r.OptText("model", 32);
  ZZ_RETURN_IF_ERROR(r.Finish());
  if (!KnownKind(kind))
    return Status::InvalidArgument("kind",
                                   "kind: fire_panel, uitd, smoke_detector, "
                                   "electrical_fire, water_pressure or tower_crane");
  if (!PlainSerial(serial))
    return Status::InvalidArgument(
        "serial", "serial: 1 to 64 letters, digits, '.', '_' or '-' (not beginning with zhizhi)");
  if (!project && !address)
    return Status::InvalidArgument("project", "a device is on a project or at an address");
  if (kind == "tower_crane" && !project)
    return Status::InvalidArgument("project", "a tower crane is on a project");
  if (model && kind != "tower_crane")
    return Status::InvalidArgument("model", "only a tower crane has a model");
  if (project && !principal.MaySeeProject(*project))
    return Status::NotFound("no project " + *project, "project");
  if (!project && !principal.all_projects)
    return Status::PermissionDenied("a device at an address belongs to the district");
  if (!name) name = std::string(KindName(kind)) + " " + serial;

  // Where it is: the project's address, else its own.
  std::optional<std::string> where = address;
  if (project) {
    ZZ_ASSIGN_OR_RETURN(
        auto project_address,
        db_->Read([&](store::Connection& conn) -> Result<std::optional<std::string>> {
          auto s = conn.Prepare("SELECT address FROM projects WHERE code = ?");
          s.Bind(1, *project);
          if (s.Step()) return s.OptText(0);
          ZZ_RETURN_IF_ERROR(s.status());
          return Status::NotFound("no project " + *project, "project");
        }));
    if (!where) where = project_address;
  }
  std::optional<std::string> community;
  if (areas_ != nullptr && where) community = areas_->CommunityOfAddress(*where);

  const std::string password = RandomHex(16);
  Device d;
  d.kind = kind;
  d.serial = serial;
  d.name = *name;
  d.password_hash = MosquittoPasswordHash(password);
  d.project = project.value_or("");
  d.address = address.value_or("");
  d.community = community.value_or("");
  d.model = model.value_or("");
  const std::int64_t now = options_.clock();
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    auto dup = conn.Prepare("SELECT 1 FROM iot_devices WHERE serial = ?");
    dup.Bind(1, serial);
    if (dup.Step())
      return Status::AlreadyExists("serial", "a device with serial " + serial + " exists");
    ZZ_RETURN_IF_ERROR(dup.status());
    if (project) {
      auto p = conn.Prepare("SELECT 1 FROM projects WHERE code = ?");
      p.Bind(1, *project);
      if (!p.Step()) {
        ZZ_RETURN_IF_ERROR(p.status());
        return Status::NotFound("no project " + *project, "project");
      }
    }
    ZZ_ASSIGN_OR_RETURN(d.id, InsertDevice(conn,
                                           {d.kind, d.serial, d.name, d.password_hash, d.project,
                                            d.address, d.community, d.model},
                                           now, actor.name));
    return audit_->Append(conn, actor,
                          security::AuditRecord{"iot_device.create",
                                                "iot_device:" + std::to_string(d.id),
                                                {},
                                                {{"kind", d.kind}, {"serial", d.serial}}});
  }));
  json out = DeviceSummary(d);
  {
    std::lock_guard lock(mu_);
    by_serial_[d.serial] = d.id;
    devices_.emplace(d.id, std::move(d));
  }
  if (Status s = RefreshBroker(); !s.ok()) {
    // The row is there; the broker learns it at the next change or start.
    spdlog::error("event=iot_broker_refresh_failed error=\"{}\"", s.ToString());
  }
  out["mqtt"] = {{"host", options_.advertised_host},
                 {"port", mqtt_port_},
                 {"username", serial},
                 {"password", password},
                 {"topic_up", TopicUp(serial)},
                 {"topic_down", TopicDown(serial)}};
  if (options_.tls_port != 0 && broker_) out["mqtt"]["tls_port"] = options_.tls_port;
  return out;
}

Status Iot::RegisterBulk(const std::vector<NewDevice>& devices, const std::vector<NewPart>& parts,
                         const security::Actor& actor) {
  constexpr std::size_t kChunk = 5000;
  const std::int64_t now = options_.clock();
  std::vector<std::int64_t> ids(devices.size(), 0);
  for (std::size_t start = 0; start < devices.size(); start += kChunk) {
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      const std::size_t end = std::min(devices.size(), start + kChunk);
      for (std::size_t i = start; i < end; ++i) {
        const NewDevice& d = devices[i];
        if (!KnownKind(d.kind) || !PlainSerial(d.serial) || d.password_hash.rfind("$7$", 0) != 0)
          return Status::InvalidArgument("serial", "bad device " + d.serial);
        ZZ_ASSIGN_OR_RETURN(ids[i], InsertDevice(conn, d, now, actor.name));
      }
      return audit_->Append(
          conn, actor,
          security::AuditRecord{"iot_device.create_many",
                                "iot_device:*",
                                {},
                                {{"from", devices[start].serial}, {"count", end - start}}});
    }));
  }
  for (std::size_t start = 0; start < parts.size(); start += 4 * kChunk) {
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      const std::size_t end = std::min(parts.size(), start + 4 * kChunk);
      for (std::size_t i = start; i < end; ++i) {
        const NewPart& p = parts[i];
        if (p.device >= ids.size()) return Status::InvalidArgument("device", "no such device");
        ZZ_RETURN_IF_ERROR(
            conn.Prepare("INSERT INTO iot_parts(device_id, part, system_type, system_address, "
                         "part_type, part_address, description) VALUES (?,?,?,?,?,?,?)")
                .Bind(1, ids[p.device])
                .Bind(2, p.part)
                .Bind(3, static_cast<std::int64_t>(p.system_type))
                .Bind(4, static_cast<std::int64_t>(p.system_address))
                .Bind(5, static_cast<std::int64_t>(p.part_type))
                .Bind(6, static_cast<std::int64_t>(p.part_address))
                .Bind(7, p.description)
                .Run());
      }
      return Status::Ok();
    }));
  }
  ZZ_RETURN_IF_ERROR(LoadDevices());
  return RefreshBroker();
}

Result<json> Iot::Get(std::int64_t id) const {
  json out;
  std::optional<std::int64_t> session_person;
  {
    std::lock_guard lock(mu_);
    auto it = devices_.find(id);
    if (it == devices_.end()) return Status::NotFound("no IoT device " + std::to_string(id), "id");
    const Device& d = it->second;
    out = DeviceSummary(d);
    out["values"] = d.latest.is_null() ? json(nullptr) : d.latest;
    json parts = json::object();  // by part; the registered ones are added below
    for (const auto& [key, p] : d.parts) {
      json analogs = json::object();
      for (const auto& [type, value] : p.analogs)
        analogs[std::to_string(type)] = value;
      parts[key] = json{{"part", key},
                        {"system_type", p.system_type},
                        {"system_address", p.system_address},
                        {"part_type", p.part_type},
                        {"part_address", p.part_address},
                        {"description", p.description},
                        {"status", p.status ? json(*p.status) : json(nullptr)},
                        {"flags", p.status ? Flags(*p.status) : json::array()},
                        {"first_seen", OptTime(p.first_seen)},
                        {"last_seen", OptTime(p.last_seen)},
                        {"analogs", analogs}};
    }
    out["parts"] = std::move(parts);
    out["counters"] = {{"messages", d.messages}, {"dropped", d.dropped}};
    if (d.session) session_person = d.session->person_id;
  }
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    // The panel's registered points that have not reported since this server started.
    json& parts = out["parts"];
    auto registered = conn.Prepare(
        "SELECT part, system_type, system_address, part_type, part_address, description, status, "
        "first_seen, last_seen FROM iot_parts WHERE device_id = ? ORDER BY part LIMIT 5000");
    registered.Bind(1, id);
    while (registered.Step()) {
      const std::string key = registered.Text(0);
      if (parts.contains(key)) continue;
      const auto status = registered.OptInt(6);
      parts[key] =
          json{{"part", key},
               {"system_type", registered.Int(1)},
               {"system_address", registered.Int(2)},
               {"part_type", registered.Int(3)},
               {"part_address", registered.Int(4)},
               {"description", registered.Text(5)},
               {"status", status ? json(*status) : json(nullptr)},
               {"flags", status ? Flags(static_cast<std::uint16_t>(*status)) : json::array()},
               {"first_seen", OptTime(registered.OptInt(7).value_or(0))},
               {"last_seen", OptTime(registered.OptInt(8).value_or(0))},
               {"analogs", json::object()}};
    }
    ZZ_RETURN_IF_ERROR(registered.status());
    json list = json::array();
    for (auto& [key, part] : parts.items())
      list.push_back(std::move(part));
    out["parts"] = std::move(list);
    json alarms = json::array();
    auto a = conn.Prepare(std::string("SELECT ") + kAlarmColumns +
                          " FROM iot_alarms WHERE device_id = ? ORDER BY id DESC LIMIT 50");
    a.Bind(1, id);
    while (a.Step())
      alarms.push_back(AlarmJson(a));
    ZZ_RETURN_IF_ERROR(a.status());
    out["alarms"] = std::move(alarms);
    json sessions = json::array();
    json current = nullptr;
    auto s = conn.Prepare(
        "SELECT c.id, c.person_id, p.name, c.started_at, c.ended_at, c.end_reason, c.score "
        "FROM crane_sessions c LEFT JOIN persons p ON p.id = c.person_id WHERE c.device_id = ? "
        "ORDER BY c.id DESC LIMIT 20");
    s.Bind(1, id);
    while (s.Step()) {
      json row = {{"id", s.Int(0)},
                  {"person_id", s.Int(1)},
                  {"name", s.OptText(2).value_or("")},
                  {"started_at", FormatRfc3339(s.Int(3))},
                  {"ended_at", s.IsNull(4) ? json(nullptr) : json(FormatRfc3339(s.Int(4)))},
                  {"end_reason", s.IsNull(5) ? json(nullptr) : json(s.Text(5))},
                  {"score", s.IsNull(6) ? json(nullptr) : json(s.Double(6))}};
      if (s.IsNull(4) && current.is_null()) current = row;
      sessions.push_back(std::move(row));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    out["session"] = current;
    out["sessions"] = std::move(sessions);
    return Status::Ok();
  }));
  return out;
}

Result<json> Iot::List(const DeviceFilter& filter, const store::Page& page,
                       const security::Principal& principal) const {
  std::vector<const Device*> rows;
  json by_state = {{"online", 0}, {"offline", 0}, {"never", 0}};
  json by_kind = json::object();
  std::lock_guard lock(mu_);
  for (const auto& [id, d] : devices_) {
    if (!d.project.empty() ? !principal.MaySeeProject(d.project) : !principal.all_projects)
      continue;
    if (filter.kind && d.kind != *filter.kind) continue;
    if (filter.project && d.project != *filter.project) continue;
    if (filter.q && d.serial.find(*filter.q) == std::string::npos &&
        d.name.find(*filter.q) == std::string::npos &&
        d.address.find(*filter.q) == std::string::npos)
      continue;
    by_kind[d.kind] = by_kind.value(d.kind, 0) + 1;
    if (filter.state && d.state != *filter.state) {
      by_state[d.state] = by_state[d.state].get<int>() + 1;
      continue;
    }
    by_state[d.state] = by_state[d.state].get<int>() + 1;
    if (id > page.after_id) rows.push_back(&d);
  }
  std::sort(rows.begin(), rows.end(),
            [](const Device* a, const Device* b) { return a->id < b->id; });
  json items = json::array();
  json next = nullptr;
  std::size_t total = 0;
  for (const auto& [state, n] : by_state.items())
    total += n.get<std::size_t>();
  for (const Device* d : rows) {
    if (items.size() == static_cast<std::size_t>(page.limit)) {
      next = page.NextCursor(std::to_string(items.back()["id"].get<std::int64_t>()));
      break;
    }
    items.push_back(DeviceSummary(*d));
  }
  return json{{"items", std::move(items)},
              {"next_cursor", next},
              {"counts", {{"total", total}, {"by_state", by_state}, {"by_kind", by_kind}}}};
}

Result<json> Iot::Verdict(std::int64_t alarm, const json& body, const security::Actor& actor) {
  if (!body.is_object()) return Status::InvalidJson("the body is a JSON object");
  JsonFieldReader r(body);
  const std::string verdict = r.Text("verdict", 8);
  const std::string note = r.OptText("note", 500).value_or("");
  ZZ_RETURN_IF_ERROR(r.Finish());
  if (verdict != "real" && verdict != "false")
    return Status::InvalidArgument("verdict", "verdict: real or false");
  const std::int64_t now = options_.clock();
  json out;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    std::optional<std::int64_t> alert;
    {
      auto s = conn.Prepare("SELECT verdict, alert_id FROM iot_alarms WHERE id = ?");
      s.Bind(1, alarm);
      if (!s.Step()) {
        ZZ_RETURN_IF_ERROR(s.status());
        return Status::NotFound("no IoT alarm " + std::to_string(alarm), "id");
      }
      if (!s.IsNull(0))
        return Status::Conflict("invalid_transition", "verdict",
                                "the alarm already has a verdict: " + s.Text(0));
      alert = s.OptInt(1);
    }
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE iot_alarms SET verdict = ?, verdict_by = ?, "
                                    "verdict_at = ?, note = ? WHERE id = ?")
                           .Bind(1, verdict)
                           .Bind(2, actor.name)
                           .Bind(3, now)
                           .Bind(4, note.empty() ? std::optional<std::string>() : note)
                           .Bind(5, alarm)
                           .Run());
    if (alert) {
      bool active = false;
      {
        auto st = conn.Prepare("SELECT status FROM alerts WHERE id = ?");
        st.Bind(1, *alert);
        active = st.Step() && st.Text(0) != "resolved";
        ZZ_RETURN_IF_ERROR(st.status());
      }
      if (active && verdict == "false") {
        ZZ_RETURN_IF_ERROR(
            alerts::AlertBook::Resolve(conn, *alert, actor.name,
                                       "误报 false alarm" + (note.empty() ? "" : "：" + note), now)
                .status());
      } else if (active) {
        ZZ_RETURN_IF_ERROR(alerts::AlertBook::Acknowledge(
                               conn, *alert, actor.name,
                               "确认真实 real alarm" + (note.empty() ? "" : "：" + note), now)
                               .status());
      }
    }
    ZZ_RETURN_IF_ERROR(audit_->Append(conn, actor,
                                      security::AuditRecord{"iot_alarm.verdict",
                                                            "iot_alarm:" + std::to_string(alarm),
                                                            {},
                                                            {{"verdict", verdict}}}));
    auto row =
        conn.Prepare(std::string("SELECT ") + kAlarmColumns + " FROM iot_alarms WHERE id = ?");
    row.Bind(1, alarm);
    if (row.Step()) out = AlarmJson(row);
    return row.status();
  }));
  return out;
}

json Iot::Stats(const security::Principal& principal) const {
  std::lock_guard lock(mu_);
  json by_state = {{"online", 0}, {"offline", 0}, {"never", 0}};
  json by_kind = json::object();
  json open_by_type = json::object();
  int open = 0;
  std::size_t total = 0;
  for (const auto& [id, d] : devices_) {
    if (!d.project.empty() ? !principal.MaySeeProject(d.project) : !principal.all_projects)
      continue;
    ++total;
    by_state[d.state] = by_state[d.state].get<int>() + 1;
    by_kind[d.kind] = by_kind.value(d.kind, 0) + 1;
    for (const std::string& key : d.active) {
      const std::string type = key.substr(0, key.find('|'));
      open_by_type[type] = open_by_type.value(type, 0) + 1;
      ++open;
    }
  }
  return {{"devices", {{"total", total}, {"by_state", by_state}, {"by_kind", by_kind}}},
          {"messages",
           {{"received", messages_.load()},
            {"dropped", dropped_.load()},
            {"dropped_by_code", dropped_by_code_}}},
          {"alarms", {{"open", open}, {"by_type", open_by_type}}}};
}

std::vector<std::string> Iot::HeardSerials() const {
  std::vector<std::pair<std::int64_t, std::string>> heard;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, d] : devices_)
      if (d.state != "never") heard.emplace_back(id, d.serial);
  }
  std::sort(heard.begin(), heard.end());
  std::vector<std::string> out;
  for (auto& [id, serial] : heard)
    out.push_back(std::move(serial));
  return out;
}

Status Iot::CheckScope(const security::Principal& principal, std::int64_t id) const {
  std::lock_guard lock(mu_);
  auto it = devices_.find(id);
  if (it == devices_.end()) return Status::NotFound("no IoT device " + std::to_string(id), "id");
  const Device& d = it->second;
  const bool visible =
      d.project.empty() ? principal.all_projects : principal.MaySeeProject(d.project);
  if (!visible) return Status::NotFound("no IoT device " + std::to_string(id), "id");
  return Status::Ok();
}

Status Iot::CheckAlarmScope(const security::Principal& principal, std::int64_t alarm) const {
  ZZ_ASSIGN_OR_RETURN(std::int64_t device,
                      db_->Read([&](store::Connection& conn) -> Result<std::int64_t> {
                        auto s = conn.Prepare("SELECT device_id FROM iot_alarms WHERE id = ?");
                        s.Bind(1, alarm);
                        if (s.Step()) return s.Int(0);
                        ZZ_RETURN_IF_ERROR(s.status());
                        return Status::NotFound("no IoT alarm " + std::to_string(alarm), "id");
                      }));
  Status scope = CheckScope(principal, device);
  if (!scope.ok()) return Status::NotFound("no IoT alarm " + std::to_string(alarm), "id");
  return scope;
}

}  // namespace zhizhi::iot

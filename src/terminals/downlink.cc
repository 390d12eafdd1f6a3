#include "terminals/downlink.h"

#include <algorithm>
#include <charconv>
#include <future>

#include <spdlog/spdlog.h>

#include <strings.h>
#include "base/base64.h"
#include "base/civil_time.h"
#include "base/thread_name.h"

#include "http/client.h"
#include "http/digest.h"
#include "http/form.h"

namespace zhizhi::terminals {

using nlohmann::json;

namespace {

std::int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Members of a device's JSON answer, of the type expected or a default.
const json* Member(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}
std::int64_t Integer(const json& object, const char* name, std::int64_t otherwise) {
  const json* v = Member(object, name);
  return v != nullptr && v->is_number_integer() ? v->get<std::int64_t>() : otherwise;
}
std::string Text(const json& object, const char* name) {
  const json* v = Member(object, name);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

// A value inside a ZKTeco command: tabs and line breaks would split the command.
std::string ZkValue(std::string_view text) {
  std::string out;
  for (char c : text)
    out.push_back(c == '\t' || c == '\r' || c == '\n' ? ' ' : c);
  return out;
}

// host[:port] of a device address ("http://" allowed); a port that is no number 1–65535 (none
// is registered: gate/devices.cc) leaves the default.
std::pair<std::string, std::uint16_t> HostPort(std::string address, std::uint16_t default_port) {
  if (address.rfind("http://", 0) == 0) address.erase(0, 7);
  std::string host = address, port_text;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    host = address.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < address.size() && address[close + 1] == ':') {
      port_text = address.substr(close + 2);
    }
  } else if (std::count(address.begin(), address.end(), ':') == 1) {
    const size_t colon = address.find(':');
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  std::uint16_t port = default_port;
  unsigned value = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (!port_text.empty() && ec == std::errc() && end == port_text.data() + port_text.size() &&
      value >= 1 && value <= 65535) {
    port = static_cast<std::uint16_t>(value);
  }
  return {host, port};
}

// A client for the device at `address` (its API on `default_port` unless the address says).
http::ClientOptions DeviceClient(const std::string& address, std::uint16_t default_port,
                                 std::chrono::milliseconds timeout) {
  const auto [host, port] = HostPort(address, default_port);
  http::ClientOptions o;
  o.host = host;
  o.port = port;
  o.timeout = timeout;
  return o;
}

// One call of a Uface device's LAN API: a form post answered {"result":1,"success":true,…}.
// `tolerated` names error codes that mean the wanted state holds already.
struct UfaceCall {
  http::Client* client;
  std::string password;

  Result<json> Post(const std::string& path, http::FormFields fields) {
    fields.insert(fields.begin(), {"pass", password});
    http::ClientResponse r =
        client->Send("POST", path, {{"Content-Type", "application/x-www-form-urlencoded"}},
                     http::EncodeForm(fields));
    if (r.status == 0) return Status::Unavailable("device unreachable: " + r.error);
    json answer = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (r.status != 200 || !answer.is_object()) {
      return Status::Unavailable("device answered " + std::to_string(r.status) + " to " + path);
    }
    return answer;
  }
  static bool Succeeded(const json& answer) {
    auto result = answer.find("result");
    auto success = answer.find("success");
    return (result != answer.end() && result->is_number_integer() && *result == 1) ||
           (success != answer.end() && success->is_boolean() && success->get<bool>());
  }
  static std::string Code(const json& answer) {
    auto code = answer.find("code");
    return code != answer.end() && code->is_string() ? code->get<std::string>() : "";
  }
};

}  // namespace

Downlink::Downlink(store::Database* db, gate::Gate* gate, const security::FieldCipher* cipher,
                   DownlinkOptions options)
    : db_(db), gate_(gate), cipher_(cipher), options_(options) {
  // Command ids unique across restarts (a late result of a command sent before one never
  // confirms a new command), within the 31 bits devices keep.
  next_command_ = (NowUnixMs() / 1000) % 1'000'000 * 1000 + 1;
}

Downlink::~Downlink() {
  Stop();
}

void Downlink::Start() {
  thread_ = std::thread([this] {
    NameThisThread("zz-downlink");
    Loop();
  });
}

void Downlink::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Downlink::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Downlink::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.tick, [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    lock.unlock();
    auto devices = UfaceDevices(std::nullopt);
    if (!devices.ok()) {
      spdlog::warn("event=downlink_list_failed error=\"{}\"", devices.status().message());
    } else {
      for (const DeviceRow& d : *devices) {
        {
          std::lock_guard guard(mu_);
          if (stopping_) break;
          auto next = next_try_.find(d.id);
          if (next != next_try_.end() && next->second > SteadyMs()) continue;
        }
        try {
          SyncUface(d.id).IgnoreError();  // recorded on the device (sync_error) and logged
        } catch (const std::exception& e) {
          // Whatever a device answers must not end the thread (nor the process).
          Failed(d.id, std::string("unexpected answer: ") + e.what()).IgnoreError();
        }
      }
    }
    // Hikvision: the devices' own event logs, for pushes that were lost.
    if (terminals_ != nullptr) {
      auto hik = db_->Read([&](store::Connection& conn) -> Result<std::vector<std::int64_t>> {
        auto q = conn.Prepare(
            "SELECT id FROM devices WHERE vendor = 'hikvision' AND disabled_at IS NULL AND "
            "downlink_address IS NOT NULL ORDER BY id");
        std::vector<std::int64_t> ids;
        while (q.Step())
          ids.push_back(q.Int(0));
        ZZ_RETURN_IF_ERROR(q.status());
        return ids;
      });
      for (std::int64_t id : hik.ok() ? *hik : std::vector<std::int64_t>()) {
        {
          std::lock_guard guard(mu_);
          if (stopping_) break;
          auto due = next_search_.find(id);
          if (due != next_search_.end() && due->second > SteadyMs()) continue;
          next_search_[id] = SteadyMs() + options_.catchup_every.count();
        }
        Result<int> found = Status::Internal("no search");
        try {
          found = CatchUpHikvision(id);
        } catch (const std::exception& e) {
          found = Status::Unavailable(std::string("unexpected answer: ") + e.what());
        }
        if (!found.ok()) {
          spdlog::warn("event=catchup_failed vendor=hikvision device_id={} error=\"{}\"", id,
                       found.status().message());
        }
      }
    }
    lock.lock();
  }
}

Result<std::vector<Downlink::DeviceRow>> Downlink::UfaceDevices(
    std::optional<std::int64_t> only) const {
  return db_->Read([&](store::Connection& conn) -> Result<std::vector<DeviceRow>> {
    // Only devices behind on their project's roster.
    auto s = conn.Prepare(
        "SELECT d.id, d.project_code, d.vendor, d.serial, d.downlink_address, "
        "d.downlink_password, d.roster_synced, d.sync_failures, d.downlink_username FROM devices d "
        "WHERE d.vendor IN ('uface', 'hikvision') AND d.disabled_at IS NULL "
        "AND d.downlink_address IS NOT NULL "
        "AND (? IS NULL OR d.id = ?) AND EXISTS (SELECT 1 FROM roster_changes c WHERE "
        "c.project_code = d.project_code AND c.version > d.roster_synced) ORDER BY d.id");
    s.Bind(1, only).Bind(2, only);
    std::vector<DeviceRow> rows;
    while (s.Step()) {
      DeviceRow d;
      d.id = s.Int(0);
      d.project = s.Text(1);
      d.vendor = s.Text(2);
      d.serial = s.Text(3);
      d.address = s.Text(4);
      if (!s.IsNull(5)) {
        ZZ_ASSIGN_OR_RETURN(d.password, cipher_->Unseal(s.Blob(5)));
      }
      d.synced = s.Int(6);
      d.failures = static_cast<int>(s.Int(7));
      d.username = s.OptText(8).value_or("admin");
      rows.push_back(std::move(d));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return rows;
  });
}

Result<json> Downlink::Changes(const DeviceRow& device) const {
  return gate_->Roster(DevicePrincipal(device.id, device.project, device.serial), device.synced);
}

Status Downlink::Synced(std::int64_t device_id, std::int64_t version) {
  {
    std::lock_guard lock(mu_);
    next_try_.erase(device_id);
  }
  return db_->Write([&](store::Connection& conn) -> Status {
    return conn
        .Prepare(
            "UPDATE devices SET roster_synced = MAX(roster_synced, ?), sync_error = NULL, "
            "sync_failures = 0, synced_at = ? WHERE id = ?")
        .Bind(1, version)
        .Bind(2, NowUnixMs())
        .Bind(3, device_id)
        .Run();
  });
}

Status Downlink::Failed(std::int64_t device_id, const std::string& error) {
  int failures = 0;
  Status written = db_->Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE devices SET sync_error = ?, sync_failures = "
                                    "sync_failures + 1 WHERE id = ?")
                           .Bind(1, error.substr(0, 300))
                           .Bind(2, device_id)
                           .Run());
    ZZ_ASSIGN_OR_RETURN(std::int64_t n,
                        store::QueryInt(conn, "SELECT sync_failures FROM devices WHERE id = " +
                                                  std::to_string(device_id)));
    failures = static_cast<int>(n);
    return Status::Ok();
  });
  const std::int64_t backoff = std::min<std::int64_t>(
      options_.max_backoff.count(), 1000LL << std::min(failures > 0 ? failures - 1 : 0, 16));
  {
    std::lock_guard lock(mu_);
    next_try_[device_id] = SteadyMs() + backoff;
  }
  spdlog::warn("event=downlink_failed device_id={} failures={} retry_in_ms={} error=\"{}\"",
               device_id, failures, backoff, error);
  return written;
}

Status Downlink::SyncUface(std::int64_t device_id) {
  ZZ_ASSIGN_OR_RETURN(auto rows, UfaceDevices(device_id));
  if (rows.empty()) return Status::Ok();  // up to date (or no pushed-to device with an address)
  const DeviceRow& d = rows.front();
  auto changes = Changes(d);
  if (!changes.ok()) {
    Failed(d.id, changes.status().message()).IgnoreError();  // logged there
    return changes.status();
  }
  if (d.vendor == "hikvision") return SyncHikvision(d, *changes);
  http::Client client(DeviceClient(d.address, 8090, options_.timeout));
  UfaceCall call{&client, d.password.value_or("")};

  auto fail = [&](const std::string& what) {
    Status status = Status::Unavailable(what);
    Failed(d.id, what).IgnoreError();  // its own failure is logged there
    return status;
  };
  size_t done = 0;
  for (const json& item : (*changes)["allowed"]) {
    const std::int64_t person = item.value("person_id", std::int64_t{0});
    const std::string id = std::to_string(person);
    const json person_json = {{"id", id}, {"name", item.value("name", "")}, {"idcardNum", ""}};
    auto created = call.Post("/person/create", {{"person", person_json.dump()}});
    if (!created.ok()) return fail(created.status().message());
    if (!UfaceCall::Succeeded(*created)) {
      // Already on the device: update it instead.
      auto updated = call.Post("/person/update", {{"person", person_json.dump()}});
      if (!updated.ok()) return fail(updated.status().message());
      if (!UfaceCall::Succeeded(*updated)) {
        return fail("person/update " + id + ": " + UfaceCall::Code(*updated));
      }
    }
    if (photos_) {
      auto photo = photos_(person);
      if (!photo.ok()) return fail(photo.status().message());
      if (*photo) {
        const http::FormFields face = {
            {"personId", id}, {"faceId", id + "-1"}, {"imgBase64", EncodeBase64(**photo)}};
        auto made = call.Post("/face/create", face);
        if (!made.ok()) return fail(made.status().message());
        if (!UfaceCall::Succeeded(*made)) {
          auto updated = call.Post("/face/update", face);
          if (!updated.ok()) return fail(updated.status().message());
          if (!UfaceCall::Succeeded(*updated)) {
            return fail("face/update " + id + ": " + UfaceCall::Code(*updated));
          }
        }
      }
    }
    ++done;
  }
  for (const json& item : (*changes)["revoked"]) {
    const std::string id = std::to_string(item.value("person_id", std::int64_t{0}));
    auto deleted = call.Post("/person/delete", {{"id", id}});
    if (!deleted.ok()) return fail(deleted.status().message());
    // A person the device does not hold is gone already.
    if (!UfaceCall::Succeeded(*deleted) && UfaceCall::Code(*deleted) != "LAN_EXP-3009") {
      return fail("person/delete " + id + ": " + UfaceCall::Code(*deleted));
    }
    ++done;
  }
  const std::int64_t version = (*changes)["version"].get<std::int64_t>();
  spdlog::info("event=downlink_synced vendor=uface device_id={} serial={} version={} changes={}",
               d.id, d.serial, version, done);
  return Synced(d.id, version);
}

namespace {

// One call of a Hikvision terminal's ISAPI with digest authentication: the first request of a
// client meets a 401 and its challenge, then every request answers it (nc counting up).
struct IsapiCall {
  http::Client* client;
  std::string user, password;
  std::optional<http::DigestChallenge> challenge;
  std::uint32_t nc = 0;

  // The answer's status and JSON ({} when it is not JSON); Unavailable without an answer.
  Result<std::pair<int, json>> Send(const std::string& method, const std::string& target,
                                    const std::string& content_type, const std::string& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      http::HeaderList headers = {{"Content-Type", content_type}};
      if (challenge) {
        ++nc;
        const std::string cnonce = http::Md5Hex(std::to_string(nc) + target).substr(0, 16);
        headers.emplace_back(
            "Authorization",
            http::DigestAuthorization(*challenge, method, target, user, password, nc, cnonce));
      }
      http::ClientResponse r = client->Send(method, target, headers, body);
      if (r.status == 0) return Status::Unavailable("device unreachable: " + r.error);
      if (r.status == 401 && attempt == 0) {
        std::string www;
        for (const auto& [name, value] : r.headers) {
          if (name.size() == 16 && strcasecmp(name.c_str(), "WWW-Authenticate") == 0) www = value;
        }
        challenge = http::ParseDigestChallenge(www);
        nc = 0;
        if (!challenge) return Status::Unavailable("device wants an authentication it cannot get");
        continue;
      }
      if (r.status == 401) return Status::Unavailable("device refused the username or password");
      json answer = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
      if (!answer.is_object()) answer = json::object();
      return std::pair<int, json>(r.status, std::move(answer));
    }
    return Status::Unavailable("device refused the username or password");
  }
  static std::string Sub(const json& answer) {
    auto sub = answer.find("subStatusCode");
    return sub != answer.end() && sub->is_string() ? sub->get<std::string>() : "";
  }
};

// The FaceDataRecord multipart: the record's JSON and the picture (part `img`).
std::string FaceRecordBody(const std::string& employee, const std::string& jpeg) {
  const std::string record =
      json{{"faceLibType", "blackFD"}, {"FDID", "1"}, {"FPID", employee}}.dump();
  return "--zhizhiFaceBoundary\r\nContent-Disposition: form-data; name=\"FaceDataRecord\"\r\n"
         "Content-Type: application/json\r\n\r\n" +
         record +
         "\r\n--zhizhiFaceBoundary\r\nContent-Disposition: form-data; name=\"img\"; "
         "filename=\"face.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
         jpeg + "\r\n--zhizhiFaceBoundary--\r\n";
}

}  // namespace

Status Downlink::SyncHikvision(const DeviceRow& d, const json& changes) {
  http::Client client(DeviceClient(d.address, 80, options_.timeout));
  IsapiCall call{&client, d.username, d.password.value_or(""), std::nullopt, 0};
  auto fail = [&](const std::string& what) {
    Status status = Status::Unavailable(what);
    Failed(d.id, what).IgnoreError();  // its own failure is logged there
    return status;
  };
  const std::string json_type = "application/json";
  size_t done = 0;
  for (const json& item : changes.at("allowed")) {
    const std::string id = std::to_string(item.value("person_id", std::int64_t{0}));
    std::string name = item.value("name", "");
    const json user = {{"UserInfo",
                        {{"employeeNo", id},
                         {"name", name},
                         {"userType", "normal"},
                         {"Valid",
                          {{"enable", true},
                           {"beginTime", "2000-01-01T00:00:00"},
                           {"endTime", "2037-12-31T23:59:59"},
                           {"timeType", "local"}}},
                         {"doorRight", "1"},
                         {"RightPlan", json::array({{{"doorNo", 1}, {"planTemplateNo", "1"}}})}}}};
    auto added = call.Send("POST", "/ISAPI/AccessControl/UserInfo/Record?format=json", json_type,
                           user.dump());
    if (!added.ok()) return fail(added.status().message());
    if (added->first != 200) {
      if (IsapiCall::Sub(added->second).find("AlreadyExist") == std::string::npos) {
        return fail("UserInfo/Record " + id + ": " + IsapiCall::Sub(added->second));
      }
      auto modified = call.Send("PUT", "/ISAPI/AccessControl/UserInfo/Modify?format=json",
                                json_type, user.dump());
      if (!modified.ok()) return fail(modified.status().message());
      if (modified->first != 200) {
        return fail("UserInfo/Modify " + id + ": " + IsapiCall::Sub(modified->second));
      }
    }
    if (photos_) {
      auto photo = photos_(item.value("person_id", std::int64_t{0}));
      if (!photo.ok()) return fail(photo.status().message());
      if (*photo) {
        const std::string type = "multipart/form-data; boundary=zhizhiFaceBoundary";
        auto face = call.Send("POST", "/ISAPI/Intelligent/FDLib/FaceDataRecord?format=json", type,
                              FaceRecordBody(id, **photo));
        if (!face.ok()) return fail(face.status().message());
        if (face->first != 200) {
          auto modified = call.Send("PUT", "/ISAPI/Intelligent/FDLib/FDModify?format=json", type,
                                    FaceRecordBody(id, **photo));
          if (!modified.ok()) return fail(modified.status().message());
          if (modified->first != 200) {
            return fail("FaceDataRecord " + id + ": " + IsapiCall::Sub(modified->second));
          }
        }
      }
    }
    ++done;
  }
  json employees = json::array();
  for (const json& item : changes.at("revoked")) {
    employees.push_back({{"employeeNo", std::to_string(item.value("person_id", std::int64_t{0}))}});
  }
  if (!employees.empty()) {
    const json del = {{"UserInfoDelCond", {{"EmployeeNoList", employees}}}};
    auto deleted =
        call.Send("PUT", "/ISAPI/AccessControl/UserInfo/Delete?format=json", json_type, del.dump());
    if (!deleted.ok()) return fail(deleted.status().message());
    // A user the device does not hold is gone already.
    if (deleted->first != 200 &&
        IsapiCall::Sub(deleted->second).find("NotExist") == std::string::npos) {
      return fail("UserInfo/Delete: " + IsapiCall::Sub(deleted->second));
    }
    done += employees.size();
  }
  const std::int64_t version = changes.at("version").get<std::int64_t>();
  spdlog::info(
      "event=downlink_synced vendor=hikvision device_id={} serial={} version={} changes={}", d.id,
      d.serial, version, done);
  return Synced(d.id, version);
}

Result<int> Downlink::CatchUpHikvision(std::int64_t device_id) {
  if (terminals_ == nullptr) return 0;
  struct Row {
    VendorDevice device;
    std::string address, username;
    std::optional<std::string> password;
  };
  ZZ_ASSIGN_OR_RETURN(Row row, db_->Read([&](store::Connection& conn) -> Result<Row> {
    auto q = conn.Prepare(
        "SELECT id, project_code, vendor, serial, direction, clock_offset_ms, downlink_address, "
        "downlink_username, downlink_password FROM devices WHERE id = ? AND vendor = 'hikvision' "
        "AND downlink_address IS NOT NULL");
    q.Bind(1, device_id);
    if (!q.Step()) {
      ZZ_RETURN_IF_ERROR(q.status());
      return Status::NotFound("no Hikvision device " + std::to_string(device_id));
    }
    Row r;
    r.device.id = q.Int(0);
    r.device.project = q.Text(1);
    r.device.vendor = q.Text(2);
    r.device.serial = q.Text(3);
    r.device.direction = q.Text(4);
    r.device.clock_offset_ms = q.OptInt(5);
    r.address = q.Text(6);
    r.username = q.OptText(7).value_or("admin");
    if (!q.IsNull(8)) {
      ZZ_ASSIGN_OR_RETURN(r.password, cipher_->Unseal(q.Blob(8)));
    }
    return r;
  }));
  const std::int64_t now = NowUnixMs();
  std::int64_t from = now - options_.catchup_window.count();
  {
    std::lock_guard lock(mu_);
    if (auto it = searched_to_.find(device_id); it != searched_to_.end()) {
      from = it->second - 60'000;  // a minute's overlap: events stored late on the device
    }
  }
  http::Client client(DeviceClient(row.address, 80, options_.timeout));
  IsapiCall call{&client, row.username, row.password.value_or(""), std::nullopt, 0};
  const std::string search_id = "zhizhi-" + std::to_string(now);
  int position = 0, found = 0;
  for (int page = 0; page < 1000; ++page) {  // bounded: 1000 pages of up to 30
    const json cond = {{"AcsEventCond",
                        {{"searchID", search_id},
                         {"searchResultPosition", position},
                         {"maxResults", 30},
                         {"major", 5},
                         {"minor", 0},
                         {"startTime", FormatRfc3339(from / 1000 * 1000)},
                         {"endTime", FormatRfc3339(now / 1000 * 1000)}}}};
    ZZ_ASSIGN_OR_RETURN(auto answer, call.Send("POST", "/ISAPI/AccessControl/AcsEvent?format=json",
                                               "application/json", cond.dump()));
    if (answer.first != 200) {
      return Status::Unavailable("AcsEvent answered " + std::to_string(answer.first) + " " +
                                 IsapiCall::Sub(answer.second));
    }
    // What a device answers is read member by member, of the type expected or not at all.
    const json* search = Member(answer.second, "AcsEvent");
    const json* list = search != nullptr ? Member(*search, "InfoList") : nullptr;
    for (const json& item : list != nullptr && list->is_array() ? *list : json::array()) {
      if (!item.is_object()) continue;
      // Each item as the push would have carried it.
      json pushed = {{"eventType", "AccessControllerEvent"},
                     {"dateTime", Text(item, "time")},
                     {"AccessControllerEvent",
                      {{"majorEventType", Integer(item, "major", 0)},
                       {"subEventType", Integer(item, "minor", 0)},
                       {"employeeNoString", Text(item, "employeeNoString")},
                       {"serialNo", Integer(item, "serialNo", -1)},
                       {"currentVerifyMode", Text(item, "currentVerifyMode")},
                       {"attendanceStatus", Text(item, "attendanceStatus")}}}};
      auto event = ParseHikPush("application/json", pushed.dump());
      if (!event.ok()) {
        spdlog::warn("event=catchup_event_skipped device_id={} error=\"{}\"", device_id,
                     event.status().message());
        continue;
      }
      std::promise<Status> stored;
      auto done = stored.get_future();
      terminals_->SubmitHikvision(row.device, std::move(event).value(), row.address,
                                  [&stored](Status s) { stored.set_value(std::move(s)); });
      Status status = done.get();
      if (!status.ok() &&
          (status.kind() == StatusKind::kInternal || status.kind() == StatusKind::kUnavailable)) {
        return status;  // the next search starts from the same place
      }
      ++found;
    }
    const std::int64_t matches = search != nullptr ? Integer(*search, "numOfMatches", 0) : 0;
    position += static_cast<int>(std::clamp<std::int64_t>(matches, 0, 1000));
    if (search == nullptr || Text(*search, "responseStatusStrg") != "MORE" || matches <= 0) {
      break;
    }
  }
  {
    std::lock_guard lock(mu_);
    searched_to_[device_id] = now;
  }
  spdlog::info("event=catchup vendor=hikvision device_id={} events={}", device_id, found);
  return found;
}

Result<std::string> Downlink::ZkCommands(const VendorDevice& device) {
  const std::int64_t now = SteadyMs();
  {
    std::lock_guard lock(mu_);
    auto round = rounds_.find(device.id);
    if (round != rounds_.end()) {
      // Results still missing: wait for them, or send the round again when they are overdue.
      if (now - round->second.sent_ms < options_.resend_after.count()) return std::string("OK\n");
      rounds_.erase(round);
    }
  }
  ZZ_ASSIGN_OR_RETURN(const std::int64_t synced,
                      db_->Read([&](store::Connection& conn) -> Result<std::int64_t> {
                        return store::QueryInt(conn,
                                               "SELECT roster_synced FROM devices WHERE "
                                               "id = " +
                                                   std::to_string(device.id));
                      }));
  DeviceRow row;
  row.id = device.id;
  row.project = device.project;
  row.synced = synced;
  ZZ_ASSIGN_OR_RETURN(json changes, Changes(row));
  const std::int64_t version = changes["version"].get<std::int64_t>();
  if (version <= synced) return std::string("OK\n");
  // The commands, numbered from ids taken under the lock; photos are read outside it.
  std::vector<std::string> commands;
  for (const json& item : changes["allowed"]) {
    const std::string pin = std::to_string(item.value("person_id", std::int64_t{0}));
    std::string user = "DATA UPDATE USERINFO PIN=" + pin +
                       "\tName=" + ZkValue(item.value("name", "")) + "\tPri=0\tPasswd=\tGrp=1";
    if (item.contains("card_no") && item["card_no"].is_string()) {
      user += "\tCard=" + ZkValue(item["card_no"].get<std::string>());
    }
    commands.push_back(std::move(user));
    if (photos_) {
      auto photo = photos_(item.value("person_id", std::int64_t{0}));
      if (!photo.ok()) return photo.status();
      if (*photo) {
        const std::string content = EncodeBase64(**photo);
        commands.push_back("DATA UPDATE BIOPHOTO PIN=" + pin + "\tType=9\tNo=0\tIndex=0\tSize=" +
                           std::to_string(content.size()) + "\tContent=" + content + "\tFormat=0");
      }
    }
  }
  for (const json& item : changes["revoked"]) {
    commands.push_back("DATA DELETE USERINFO PIN=" +
                       std::to_string(item.value("person_id", std::int64_t{0})));
  }
  if (commands.empty()) {
    // Only changes that cancel out: nothing to tell the device, the cursor moves at once.
    ZZ_RETURN_IF_ERROR(Synced(device.id, version));
    return std::string("OK\n");
  }
  std::string out;
  Round round;
  round.version = version;
  round.sent_ms = now;
  std::lock_guard lock(mu_);
  for (const std::string& text : commands) {
    const std::int64_t id = next_command_++;
    round.waiting[id] = false;
    out += ZkCommand(id, text);
  }
  rounds_[device.id] = std::move(round);
  return out;
}

Status Downlink::ZkResults(const VendorDevice& device,
                           const std::vector<ZkCommandResult>& results) {
  std::optional<std::int64_t> version;
  std::string error;
  {
    std::lock_guard lock(mu_);
    auto round = rounds_.find(device.id);
    if (round == rounds_.end()) return Status::Ok();  // results of a round already given up
    for (const ZkCommandResult& r : results) {
      auto it = round->second.waiting.find(r.id);
      if (it == round->second.waiting.end()) continue;
      it->second = true;
      // A delete of a user the device does not hold (-1) leaves the state wanted; anything
      // else negative is the device's error, kept for the device list.
      if (r.return_code < 0 && !(r.return_code == -1 && r.command == "DATA")) {
        round->second.error = "command " + std::to_string(r.id) + " (" + r.command + ") returned " +
                              std::to_string(r.return_code);
      }
    }
    const bool all = std::all_of(round->second.waiting.begin(), round->second.waiting.end(),
                                 [](const auto& w) { return w.second; });
    if (!all) return Status::Ok();
    version = round->second.version;
    error = round->second.error;
    rounds_.erase(round);
  }
  if (!error.empty()) {
    // The round is over; what failed is reported, and not sent again until it changes.
    ZZ_RETURN_IF_ERROR(Failed(device.id, error));
    return db_->Write([&](store::Connection& conn) -> Status {
      return conn.Prepare("UPDATE devices SET roster_synced = MAX(roster_synced, ?) WHERE id = ?")
          .Bind(1, *version)
          .Bind(2, device.id)
          .Run();
    });
  }
  spdlog::info("event=downlink_synced vendor=zkteco device_id={} serial={} version={}", device.id,
               device.serial, *version);
  return Synced(device.id, *version);
}

}  // namespace zhizhi::terminals

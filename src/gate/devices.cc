// The gate's devices: registration with a token, listing with their health, enabling and
// disabling, and heartbeats (clock offset, firmware, counts).
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "base/civil_time.h"
#include "base/field_reader.h"
#include "gate/gate.h"
#include "security/token_authenticator.h"

namespace zhizhi::gate {

using nlohmann::json;

namespace {

bool IsSerial(const std::string& serial) {
  return !serial.empty() && serial.size() <= 64 &&
         std::all_of(serial.begin(), serial.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
         });
}

// A downlink address: host[:port] or an http:// URL of one, nothing else (no path, no user
// info): the server connects there, so it must not be made to connect anywhere else.
bool IsDeviceAddress(const std::string& address) {
  std::string_view a = address;
  if (a.rfind("http://", 0) == 0) a.remove_prefix(7);
  if (a.empty() || a.size() > 100) return false;
  std::string_view host = a, port;
  if (a.front() == '[') {  // [IPv6]:port
    const size_t close = a.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    host = a.substr(1, close - 1);
    if (close + 1 < a.size()) {
      if (a[close + 1] != ':') return false;
      port = a.substr(close + 2);
      if (port.empty()) return false;
    }
  } else if (const size_t colon = a.find(':'); colon != std::string_view::npos) {
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
    if (port.empty() || port.find(':') != std::string_view::npos) return false;
  }
  if (host.empty()) return false;
  if (!std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == ':';
      })) {
    return false;
  }
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return false;
    }
    const int n = std::atoi(std::string(port).c_str());
    if (n < 1 || n > 65535) return false;
  }
  return true;
}

}  // namespace

bool IsVendor(std::string_view vendor) {
  return std::find(std::begin(kVendors), std::end(kVendors), vendor) != std::end(kVendors);
}

std::string CallbackPath(std::string_view vendor, std::string_view secret) {
  return "/api/v1/terminals/" + std::string(vendor) + "/" + std::string(secret);
}

Result<json> Gate::RegisterDevice(const std::string& project, const DeviceDraft& d,
                                  const AlsoWrite& also) {
  if (!IsSerial(d.serial)) {
    return Status::InvalidArgument("serial", "serial must be 1–64 of [A-Za-z0-9._:-]");
  }
  if (d.vendor == "zkteco" &&
      (d.serial.size() > 32 || !std::all_of(d.serial.begin(), d.serial.end(), [](char c) {
         return std::isalnum(static_cast<unsigned char>(c));
       }))) {
    return Status::InvalidArgument("serial", "a ZKTeco SN is 1–32 letters and digits");
  }
  if (d.direction != "in" && d.direction != "out" && d.direction != "both") {
    return Status::InvalidArgument("direction", "direction must be in, out or both");
  }
  if (!IsVendor(d.vendor)) {
    return Status::InvalidArgument("vendor", "vendor must be zhizhi, uface, hikvision or zkteco");
  }
  const bool native = d.vendor == "zhizhi";
  if (native && (d.address || d.username || d.password)) {
    return Status::InvalidArgument(d.address    ? "address"
                                   : d.username ? "username"
                                                : "password",
                                   "address, username and password are for other vendors' "
                                   "terminals; a zhizhi terminal calls the API with its token");
  }
  if (d.address && !IsDeviceAddress(*d.address)) {
    return Status::InvalidArgument("address", "address must be host[:port] (or http://host:port)");
  }
  if (d.vendor == "uface" && d.direction == "both") {
    return Status::InvalidArgument("direction",
                                   "a Uface terminal does not say which way a person went: "
                                   "register it as in or out");
  }
  // A ZKTeco terminal is bound to the address it speaks from: the one given, else its first.
  std::optional<std::string> bound;
  if (d.vendor == "zkteco" && d.address) {
    std::string host = *d.address;
    if (host.rfind("http://", 0) == 0) host.erase(0, 7);
    if (host.front() == '[') {
      host = host.substr(1, host.find(']') - 1);
    } else if (std::count(host.begin(), host.end(), ':') == 1) {
      host.erase(host.find(':'));
    }
    bound = host;
  }
  // A zhizhi terminal gets a bearer token; Uface and Hikvision terminals post to a callback
  // path that carries a secret of their own; a ZKTeco terminal is known by its SN and address.
  std::string token, secret;
  if (native) {
    ZZ_ASSIGN_OR_RETURN(token, security::TokenAuthenticator::NewToken());
  } else if (d.vendor != "zkteco") {
    ZZ_ASSIGN_OR_RETURN(secret, security::TokenAuthenticator::NewToken());
  }
  json out;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    std::string project_name, project_status;
    {
      auto s = conn.Prepare("SELECT name, status FROM projects WHERE code = ?");
      s.Bind(1, project);
      if (!s.Step()) {
        ZZ_RETURN_IF_ERROR(s.status());
        return Status::NotFound("no project " + project);
      }
      project_name = s.Text(0);
      project_status = s.Text(1);
    }
    auto insert = conn.Prepare(
        "INSERT INTO devices(project_code, serial, direction, zone, created_at, vendor, "
        "downlink_address, downlink_username, downlink_password, callback_secret_hash, "
        "bound_address) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(serial) DO NOTHING");
    insert.Bind(1, project)
        .Bind(2, d.serial)
        .Bind(3, d.direction)
        .Bind(4, d.zone)
        .Bind(5, NowUnixMs())
        .Bind(6, d.vendor)
        .Bind(7, d.address)
        .Bind(8, d.username);
    if (d.password) {
      insert.BindBlob(9, cipher_->Seal(*d.password));
    } else {
      insert.BindNull(9);
    }
    if (!secret.empty()) {
      insert.BindBlob(10, security::TokenAuthenticator::HashToken(secret));
    } else {
      insert.BindNull(10);
    }
    insert.Bind(11, bound);
    ZZ_RETURN_IF_ERROR(insert.Run());
    if (conn.Changes() == 0) {
      return Status::AlreadyExists("serial", "a device with serial " + d.serial + " is registered");
    }
    const std::int64_t id = conn.LastInsertRowId();
    if (native) {
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO api_tokens(name, role, pii, token_hash, created_at, device_id) "
                       "VALUES (?, 'device', 0, ?, ?, ?)")
              .Bind(1, "device:" + d.serial)
              .BindBlob(2, security::TokenAuthenticator::HashToken(token))
              .Bind(3, NowUnixMs())
              .Bind(4, id)
              .Run());
    }
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    state_.SetDevice(conn, id,
                     DeviceFact{project, d.serial, d.direction, d.zone.value_or(""), false});
    state_.EnsureProject(conn, project, project_name, project_status);
    out = {{"id", id},
           {"project_code", project},
           {"serial", d.serial},
           {"direction", d.direction},
           {"zone", d.zone ? json(*d.zone) : json()},
           {"vendor", d.vendor}};
    if (native) out["token"] = token;
    if (!secret.empty()) out["callback_url"] = CallbackPath(d.vendor, secret);
    if (d.address) out["address"] = *d.address;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<json> Gate::ListDevices(const std::string& project) const {
  const std::int64_t now = NowUnixMs();
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(const bool known,
                        store::RowExists(conn, "SELECT 1 FROM projects WHERE code = ?", project));
    if (!known) return Status::NotFound("no project " + project);
    auto s = conn.Prepare(
        "SELECT id, serial, direction, zone, created_at, disabled_at, last_seen_at, "
        "clock_offset_ms, firmware, person_count, face_count, vendor, downlink_address, "
        "bound_address, roster_synced, sync_error, sync_failures, synced_at, "
        "(SELECT COUNT(*) FROM roster_changes c WHERE c.project_code = devices.project_code AND "
        "c.version > devices.roster_synced) FROM devices WHERE project_code = ? ORDER BY id");
    s.Bind(1, project);
    json items = json::array();
    while (s.Step()) {
      const auto last_seen = s.OptInt(6);
      const auto offset = s.OptInt(7);
      items.push_back({{"id", s.Int(0)},
                       {"serial", s.Text(1)},
                       {"direction", s.Text(2)},
                       {"zone", s.OptText(3) ? json(*s.OptText(3)) : json()},
                       {"created_at", FormatRfc3339(s.Int(4))},
                       {"enabled", s.IsNull(5)},
                       {"last_seen_at", last_seen ? json(FormatRfc3339(*last_seen)) : json()},
                       {"online", last_seen && now - *last_seen <= options_.offline_after_ms},
                       {"clock_offset_ms", offset ? json(*offset) : json()},
                       {"clock_skew", offset && std::llabs(*offset) > options_.clock_skew_ms},
                       {"firmware", s.OptText(8) ? json(*s.OptText(8)) : json()},
                       {"person_count", s.OptInt(9) ? json(*s.OptInt(9)) : json()},
                       {"face_count", s.OptInt(10) ? json(*s.OptInt(10)) : json()},
                       {"vendor", s.Text(11)},
                       {"address", s.OptText(12) ? json(*s.OptText(12)) : json()},
                       {"bound_address", s.OptText(13) ? json(*s.OptText(13)) : json()}});
      // The roster a terminal of another maker holds (terminals/downlink.h); zhizhi's own
      // terminals pull theirs.
      if (items.back()["vendor"] != "zhizhi") {
        items.back()["sync"] = {
            {"version", s.Int(14)},
            {"pending", s.Int(18)},
            {"error", s.OptText(15) ? json(*s.OptText(15)) : json()},
            {"failures", s.Int(16)},
            {"synced_at", s.OptInt(17) ? json(FormatRfc3339(*s.OptInt(17))) : json()}};
      }
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return json{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Status Gate::DeviceChanged(store::Connection& conn, std::int64_t device_id) {
  if (device_listeners_.empty()) return Status::Ok();
  auto s = conn.Prepare("SELECT project_code FROM devices WHERE id = ?");
  s.Bind(1, device_id);
  if (!s.Step()) return s.status();
  const std::string project = s.Text(0);
  for (const auto& listener : device_listeners_)
    ZZ_RETURN_IF_ERROR(listener(conn, project));
  return Status::Ok();
}

Result<std::string> Gate::DeviceProject(std::int64_t device_id) const {
  auto lock = state_.ReadLock();
  const DeviceFact* d = state_.device(device_id);
  if (d == nullptr) return Status::NotFound("no device " + std::to_string(device_id));
  return d->project;
}

Result<json> Gate::SetDeviceEnabled(std::int64_t device_id, bool enabled, const AlsoWrite& also) {
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("UPDATE devices SET disabled_at = ? WHERE id = ?");
    if (enabled) {
      s.BindNull(1);
    } else {
      s.Bind(1, NowUnixMs());
    }
    s.Bind(2, device_id);
    ZZ_RETURN_IF_ERROR(s.Run());
    if (conn.Changes() == 0) return Status::NotFound("no device " + std::to_string(device_id));
    ZZ_RETURN_IF_ERROR(DeviceChanged(conn, device_id));
    if (also) ZZ_RETURN_IF_ERROR(also(conn));
    state_.SetDeviceDisabled(conn, device_id, !enabled);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return json{{"id", device_id}, {"enabled", enabled}};
}

Result<json> Gate::Heartbeat(const security::Principal& device, const json& body) {
  JsonFieldReader in(body);
  auto person_count = in.OptInteger("person_count");
  auto face_count = in.OptInteger("face_count");
  auto firmware = in.OptText("firmware", 64);
  auto device_time = in.OptText("device_time", 40);
  ZZ_RETURN_IF_ERROR(in.Finish());
  const std::int64_t now = NowUnixMs();
  std::optional<std::int64_t> offset;
  if (device_time) {
    ZZ_ASSIGN_OR_RETURN(auto t, Timestamp::ParseRfc3339(*device_time, "device_time"));
    offset = t.unix_ms - now;
  }
  if ((person_count && *person_count < 0) || (face_count && *face_count < 0)) {
    return Status::InvalidArgument(
        person_count && *person_count < 0 ? "person_count" : "face_count",
        "counts cannot be negative");
  }
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("UPDATE devices SET last_seen_at = ?, clock_offset_ms = IFNULL(?, "
                     "clock_offset_ms), "
                     "firmware = IFNULL(?, firmware), person_count = IFNULL(?, person_count), "
                     "face_count = IFNULL(?, face_count) WHERE id = ?")
            .Bind(1, now)
            .Bind(2, offset)
            .Bind(3, firmware)
            .Bind(4, person_count)
            .Bind(5, face_count)
            .Bind(6, device.device_id)
            .Run());
    return DeviceChanged(conn, device.device_id);
  }));
  json out = {{"server_time", FormatRfc3339(now)},
              {"clock_offset_ms", offset ? json(*offset) : json()},
              {"clock_skew", offset && std::llabs(*offset) > options_.clock_skew_ms}};
  return out;
}

}  // namespace zhizhi::gate

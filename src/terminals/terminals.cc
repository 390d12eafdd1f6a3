#include "terminals/terminals.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>

#include <spdlog/spdlog.h>

#include "base/civil_time.h"
#include "security/token_authenticator.h"

namespace zhizhi::terminals {

using nlohmann::json;

namespace {

constexpr size_t kBatch = 1000;  // Gate::SubmitBatch's limit

security::Principal DevicePrincipal(const VendorDevice& device) {
  return terminals::DevicePrincipal(device.id, device.project, device.serial);
}

std::optional<std::int64_t> PositiveId(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0 || text[0] == '0') {
    return std::nullopt;
  }
  return v;
}

}  // namespace

security::Principal DevicePrincipal(std::int64_t device_id, const std::string& project,
                                    const std::string& serial) {
  security::Principal p;
  p.device_id = device_id;
  p.name = "device:" + serial;
  p.role = "device";
  p.projects = {project};
  return p;
}

std::int64_t ServerInstant(std::int64_t device_ms, const std::optional<std::int64_t>& offset_ms) {
  if (!offset_ms || std::llabs(*offset_ms) < 1000) return device_ms;
  return device_ms - *offset_ms;
}

Terminals::Terminals(store::Database* db, gate::Gate* gate) : db_(db), gate_(gate) {}

Result<VendorDevice> Terminals::Load(store::Connection& conn, const char* where,
                                     std::string_view key) {
  auto s = conn.Prepare(std::string("SELECT id, project_code, vendor, serial, direction, "
                                    "bound_address, clock_offset_ms FROM devices WHERE ") +
                        where);
  if (std::string_view(where).rfind("callback_secret_hash", 0) == 0) {
    s.BindBlob(1, key);  // a hash is bytes
  } else {
    s.Bind(1, std::string(key));
  }
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no such terminal");
  }
  VendorDevice d;
  d.id = s.Int(0);
  d.project = s.Text(1);
  d.vendor = s.Text(2);
  d.serial = s.Text(3);
  d.direction = s.Text(4);
  d.bound_address = s.OptText(5);
  d.clock_offset_ms = s.OptInt(6);
  return d;
}

Result<VendorDevice> Terminals::Cached(const std::string& key,
                                       const std::function<Result<VendorDevice>()>& load) {
  const std::int64_t now = NowUnixMs();
  {
    std::lock_guard lock(cache_mu_);
    auto hit = cache_.find(key);
    if (hit != cache_.end() && hit->second.second > now) return hit->second.first;
  }
  auto device = load();
  if (device.ok()) {
    std::lock_guard lock(cache_mu_);
    if (cache_.size() > 100'000) cache_.clear();  // bounded: a cache, not a registry
    cache_[key] = {*device, now + kCacheMs};
  }
  return device;
}

Result<VendorDevice> Terminals::ByCallback(std::string_view vendor, std::string_view secret) {
  if (secret.empty() || secret.size() > 128) return Status::NotFound("no such terminal");
  const std::string hash = security::TokenAuthenticator::HashToken(secret);
  auto device = Cached("cb:" + hash, [&] {
    return db_->Read(
        [&](store::Connection& conn) { return Load(conn, "callback_secret_hash = ?", hash); });
  });
  if (!device.ok() || device->vendor != vendor) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    if (!device.ok() && device.status().kind() != StatusKind::kNotFound) return device.status();
    return Status::NotFound("no such terminal");
  }
  return device;
}

Result<VendorDevice> Terminals::ZkDevice(std::string_view sn, std::string_view remote_ip) {
  if (!IsZkSerial(sn)) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return Status::InvalidArgument("SN", "SN must be 1–32 letters and digits");
  }
  const std::string key = "zk:" + std::string(sn);
  auto device = Cached(key, [&] {
    return db_->Read([&](store::Connection& conn) {
      return Load(conn, "serial = ? AND vendor = 'zkteco'", sn);
    });
  });
  if (!device.ok()) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    if (device.status().kind() == StatusKind::kNotFound) {
      Unregistered(sn, remote_ip);
      return Status::Unauthenticated("no ZKTeco terminal with SN " + std::string(sn) +
                                     " is registered");
    }
    return device.status();
  }
  if (device->bound_address && *device->bound_address == remote_ip) return device;
  if (!device->bound_address) {
    // Trust on first use: the first address it speaks from is the one it keeps.
    Status bound = db_->Write([&](store::Connection& conn) -> Status {
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE devices SET bound_address = ? WHERE id = ? AND "
                                      "bound_address IS NULL")
                             .Bind(1, std::string(remote_ip))
                             .Bind(2, device->id)
                             .Run());
      return Status::Ok();
    });
    if (!bound.ok()) return bound;
    {
      std::lock_guard lock(cache_mu_);
      cache_.erase(key);
    }
    // Another request may have bound it first: read again.
    auto again = db_->Read([&](store::Connection& conn) {
      return Load(conn, "serial = ? AND vendor = 'zkteco'", sn);
    });
    if (!again.ok()) return again.status();
    device = std::move(again);
    if (device->bound_address && *device->bound_address == remote_ip) {
      spdlog::info("event=terminal_bound vendor=zkteco sn={} device_id={} address={}", sn,
                   device->id, remote_ip);
      return device;
    }
  }
  // A known SN from another address.
  const Impersonation seen{device->id,
                           device->project,
                           device->vendor,
                           device->serial,
                           device->bound_address.value_or(""),
                           std::string(remote_ip),
                           "",
                           NowUnixMs()};
  Impersonated(seen);
  // The bound address stays in the log and the alert: the caller is not told where to come from.
  return Status::PermissionDenied("terminal " + std::string(sn) +
                                  " is not accepted from this address");
}

void Terminals::Unregistered(std::string_view sn, std::string_view remote_ip) {
  // Told once per SN and address in 10 minutes: a terminal polls every few seconds, and a
  // scanner trying SNs must not turn into a write per request.
  const std::int64_t now = NowUnixMs();
  const std::string key = std::string(sn) + "@" + std::string(remote_ip);
  {
    std::lock_guard lock(cache_mu_);
    if (unregistered_.size() > 10'000) unregistered_.clear();
    auto [it, fresh] = unregistered_.emplace(key, now);
    if (!fresh && now - it->second < 600'000) return;
    it->second = now;
  }
  spdlog::warn("event=terminal_unregistered vendor=zkteco sn={} from={}", sn, remote_ip);
  if (!impersonation_) return;
  Impersonation seen;
  seen.vendor = "zkteco";
  seen.serial = std::string(sn);
  seen.from_address = std::string(remote_ip);
  seen.unregistered = true;
  seen.time_ms = now;
  Status told =
      db_->Write([&](store::Connection& conn) -> Status { return impersonation_(conn, seen); });
  if (!told.ok()) spdlog::error("event=unregistered_alert_failed error=\"{}\"", told.message());
}

void Terminals::Impersonated(const Impersonation& seen) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  impersonations_.fetch_add(1, std::memory_order_relaxed);
  // Told (a write) once per device and source address in 10 minutes: every refusal is counted
  // and refused, but a flood must not become a write per request.
  {
    const std::int64_t now = NowUnixMs();
    std::lock_guard lock(cache_mu_);
    if (unregistered_.size() > 10'000) unregistered_.clear();
    auto [it, fresh] = unregistered_.emplace(
        "misuse:" + std::to_string(seen.device_id) + "@" + seen.from_address, now);
    if (!fresh && now - it->second < 600'000) return;
    it->second = now;
  }
  spdlog::warn(
      "event=terminal_impersonation vendor={} serial={} device_id={} bound=\"{}\" "
      "from={}",
      seen.vendor, seen.serial, seen.device_id, seen.bound_address, seen.from_address);
  if (!impersonation_) return;
  Status told =
      db_->Write([&](store::Connection& conn) -> Status { return impersonation_(conn, seen); });
  if (!told.ok()) spdlog::error("event=impersonation_alert_failed error=\"{}\"", told.message());
}

Status Terminals::Mismatch(const VendorDevice& device, std::string_view claimed,
                           std::string_view from_ip) {
  Impersonated(Impersonation{device.id, device.project, device.vendor, device.serial, "",
                             std::string(from_ip), std::string(claimed), NowUnixMs()});
  return Status::PermissionDenied("this callback path belongs to another terminal");
}

gate::GateEventInput Terminals::UfaceEvent(const VendorDevice& device, const UfaceRecognition& r) {
  gate::GateEventInput e;
  e.event_id = "uface-" + (r.person_id ? std::to_string(*r.person_id) : std::string("stranger")) +
               "-" + std::to_string(r.time_ms);
  e.time.unix_ms = ServerInstant(r.time_ms, device.clock_offset_ms);
  e.time.offset_minutes = kChinaUtcOffsetMinutes;
  e.person_id = r.person_id;
  e.stranger = !r.person_id;
  if (r.search_score && r.person_id) e.score = *r.search_score / 100.0;
  e.pass_mode = UfacePassMode(r.mode);
  e.terminal_opened = r.opened();
  return e;
}

Result<gate::GateEventInput> Terminals::AttlogEvent(const VendorDevice& device,
                                                    const AttlogLine& line) {
  gate::GateEventInput e;
  // (device, user, device time): ZKTeco resends whole batches, and has no serial of its own.
  std::string compact;
  for (char c : line.local_time)
    if (c >= '0' && c <= '9') compact.push_back(c);
  e.event_id = "zk-" + line.pin + "-" + compact;
  ZZ_ASSIGN_OR_RETURN(const Timestamp local,
                      Timestamp::ParseRfc3339(line.local_time + "+08:00", "time"));
  e.time.unix_ms = ServerInstant(local.unix_ms, device.clock_offset_ms);
  e.time.offset_minutes = kChinaUtcOffsetMinutes;
  if (auto id = PositiveId(line.pin)) {
    e.person_id = *id;
  } else {
    e.stranger = true;  // a user the site enrolled on the device by hand
  }
  if (device.direction == "both") {
    e.direction = ZkDirection(line.status);
    if (!e.direction) {
      return Status::InvalidArgument("status",
                                     "punch state " + std::to_string(line.status) +
                                         " says no direction, and this terminal passes both ways");
    }
  }
  e.pass_mode = ZkPassMode(line.verify);
  e.terminal_opened = true;  // a punch in the log is a user the terminal verified
  return e;
}

void Terminals::SubmitUface(const VendorDevice& device, UfaceRecognition recognition,
                            std::function<void(Status)> done) {
  gate::GateEventInput event = UfaceEvent(device, recognition);
  uface_events_.fetch_add(1, std::memory_order_relaxed);
  SubmitStranger(device, std::move(event), std::move(recognition.photo), std::move(done));
}

void Terminals::SubmitStranger(const VendorDevice& device, gate::GateEventInput event,
                               std::optional<std::string> photo, std::function<void(Status)> done) {
  auto answered = [done](Result<std::string> answer) {
    done(answer.ok() ? Status::Ok() : answer.status());
  };
  if (!event.stranger || !photo || !gate_->recognises_faces()) {
    return gate_->SubmitEvent(DevicePrincipal(device), std::move(event), answered);
  }
  // The snapshot of someone the terminal did not know, recognised by the server. The pass
  // happened whatever the photo is: one the server cannot use (unreadable, no face) leaves a
  // stranger's pass, as if it had not come.
  gate::GateEventInput with_face = event;
  with_face.stranger = false;
  with_face.face_jpeg = std::move(photo);
  gate_->SubmitEvent(
      DevicePrincipal(device), std::move(with_face),
      [this, device, event = std::move(event), answered](Result<std::string> answer) mutable {
        if (answer.ok() || answer.status().field() != "face_image") {
          return answered(std::move(answer));
        }
        gate_->SubmitEvent(DevicePrincipal(device), std::move(event), answered);
      });
}

Result<std::optional<gate::GateEventInput>> Terminals::HikvisionEvent(const VendorDevice& device,
                                                                      const HikEvent& h) {
  const std::optional<bool> opened = HikDoorOpened(h.major, h.minor);
  if (!opened) return std::optional<gate::GateEventInput>();  // not a pass
  gate::GateEventInput e;
  if (!h.serial_no) return Status::InvalidArgument("serialNo", "an access event needs serialNo");
  e.event_id = "hik-" + std::to_string(*h.serial_no);
  if (h.time) {
    e.time = *h.time;  // an instant with the device's offset
  } else {
    std::string local = *h.local_time;
    local[10] = ' ';
    ZZ_ASSIGN_OR_RETURN(const Timestamp t, Timestamp::ParseRfc3339(local + "+08:00", "dateTime"));
    e.time.unix_ms = ServerInstant(t.unix_ms, device.clock_offset_ms);
    e.time.offset_minutes = kChinaUtcOffsetMinutes;
  }
  if (h.employee) {
    if (auto id = PositiveId(*h.employee)) {
      e.person_id = *id;
    } else {
      e.stranger = true;
    }
  } else {
    e.stranger = true;
  }
  if (device.direction == "both") {
    e.direction = HikDirection(h.attendance);
    if (!e.direction) {
      return Status::InvalidArgument("attendanceStatus",
                                     "this terminal passes both ways and the event says no "
                                     "direction (attendanceStatus " +
                                         (h.attendance.empty() ? "missing" : h.attendance) + ")");
    }
  }
  e.pass_mode = HikPassMode(h.verify_mode);
  e.terminal_opened = *opened;
  return std::optional<gate::GateEventInput>(std::move(e));
}

void Terminals::SubmitHikvision(const VendorDevice& device, HikEvent h, std::string_view from_ip,
                                std::function<void(Status)> done) {
  // The body names its device: by MAC, or by the short serial at the end of the full one.
  auto lower = [](std::string text) {
    for (auto& c : text)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  const std::string serial = lower(device.serial);
  const std::string short_serial = lower(h.short_serial);
  const bool named = !h.mac.empty() || !short_serial.empty();
  const bool ours =
      serial == h.mac ||
      (!short_serial.empty() && serial.size() >= short_serial.size() &&
       serial.compare(serial.size() - short_serial.size(), short_serial.size(), short_serial) == 0);
  if (named && !ours) {
    return done(Mismatch(device, h.short_serial.empty() ? h.mac : h.short_serial, from_ip));
  }
  if (h.heartbeat) {
    json body = json::object();
    if (h.time) body["device_time"] = h.time->ToRfc3339();
    return done(Beat(device, body));
  }
  auto event = HikvisionEvent(device, h);
  if (!event.ok()) return done(event.status());
  if (!*event) return done(Status::Ok());  // a door state, an alarm: acknowledged, not a pass
  hikvision_events_.fetch_add(1, std::memory_order_relaxed);
  SubmitStranger(device, std::move(**event), std::move(h.picture), std::move(done));
}

Status Terminals::Beat(const VendorDevice& device, const json& body) {
  auto answer = gate_->Heartbeat(DevicePrincipal(device), body);
  return answer.ok() ? Status::Ok() : answer.status();
}

Status Terminals::UfaceHeartbeat(const VendorDevice& device, const terminals::UfaceHeartbeat& b) {
  json body = json::object();
  if (b.person_count) body["person_count"] = *b.person_count;
  if (b.face_count) body["face_count"] = *b.face_count;
  if (b.version) body["firmware"] = *b.version;
  if (b.time_ms) body["device_time"] = FormatRfc3339(*b.time_ms);
  return Beat(device, body);
}

Result<std::int64_t> Terminals::ZkHandshake(const VendorDevice& device) {
  ZZ_RETURN_IF_ERROR(Beat(device, json::object()));
  {
    std::lock_guard lock(cache_mu_);
    if (auto kept = stamps_.find(device.id); kept != stamps_.end()) return kept->second.stamp;
  }
  return db_->Read([&](store::Connection& conn) -> Result<std::int64_t> {
    auto s = conn.Prepare("SELECT attlog_stamp FROM devices WHERE id = ?");
    s.Bind(1, device.id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no such terminal");
    }
    std::int64_t stamp = 0;
    if (auto text = s.OptText(0)) {
      const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), stamp);
      if (ec != std::errc() || end != text->data() + text->size() || stamp < 0) stamp = 0;
    }
    return stamp;
  });
}

Status Terminals::ZkPoll(const VendorDevice& device, const ZkInfo& info) {
  json body = json::object();
  if (info.users) body["person_count"] = *info.users;
  if (info.faces) body["face_count"] = *info.faces;
  if (info.firmware) body["firmware"] = *info.firmware;
  return Beat(device, body);
}

// One ATTLOG upload on its way through the gate: its batches go one after the other, in the
// device's order.
struct Terminals::Upload {
  AttlogOutcome outcome;
  std::vector<std::vector<Result<gate::GateEventInput>>> chunks;
  size_t next = 0;
  std::function<void(Result<AttlogOutcome>)> done;
  security::Principal principal;
  std::string serial;
  std::int64_t device_id = 0;
  std::optional<std::int64_t> stamp;
};

void Terminals::SubmitAttlog(const VendorDevice& device, AttlogBatch batch,
                             std::optional<std::string> stamp,
                             std::function<void(Result<AttlogOutcome>)> done) {
  auto upload = std::make_shared<Upload>();
  upload->device_id = device.id;
  if (stamp && !stamp->empty() && stamp->size() <= 18 &&
      std::all_of(stamp->begin(), stamp->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    upload->stamp = std::stoll(*stamp);
  }
  upload->done = std::move(done);
  upload->principal = DevicePrincipal(device);
  upload->serial = device.serial;
  upload->outcome.lines = static_cast<int>(batch.lines.size() + batch.errors.size());
  upload->outcome.skipped = static_cast<int>(batch.errors.size());
  for (const auto& [line, status] : batch.errors) {
    spdlog::warn("event=attlog_line_skipped sn={} line={} error=\"{}\"", device.serial, line,
                 status.message());
  }
  for (const AttlogLine& line : batch.lines) {
    if (upload->chunks.empty() || upload->chunks.back().size() == kBatch) {
      upload->chunks.emplace_back();
    }
    upload->chunks.back().push_back(AttlogEvent(device, line));
  }
  zkteco_lines_.fetch_add(batch.lines.size(), std::memory_order_relaxed);
  NextChunk(std::move(upload));
}

void Terminals::NextChunk(std::shared_ptr<Upload> upload) {
  if (upload->next == upload->chunks.size()) {
    if (!upload->stamp) return upload->done(upload->outcome);
    // Every punch of the upload is stored: the next handshake asks only for what came after.
    // The stamp is kept in memory and written at most every 10 s a device — a stamp lost in a
    // crash only makes the device send again what is stored already (replays change nothing),
    // and a write per upload would cost the real-time mode a second job per punch.
    const std::int64_t now = NowUnixMs();
    bool persist = false;
    {
      std::lock_guard lock(cache_mu_);
      Stamp& kept = stamps_[upload->device_id];
      kept.stamp = std::max(kept.stamp, *upload->stamp);
      persist = now - kept.written_ms >= kStampWriteMs;
      if (persist) kept.written_ms = now;
    }
    if (!persist) return upload->done(upload->outcome);
    return db_->WriteAsync(
        [upload](store::Connection& conn) -> Status {
          return conn.Prepare("UPDATE devices SET attlog_stamp = ? WHERE id = ?")
              .Bind(1, std::to_string(*upload->stamp))
              .Bind(2, upload->device_id)
              .Run();
        },
        [upload](const Status& status) {
          if (!status.ok()) return upload->done(status);
          upload->done(upload->outcome);
        });
  }
  auto chunk = std::move(upload->chunks[upload->next++]);
  if (chunk.size() == 1) {
    // One punch (a terminal in real-time mode): the single-event path, without a batch's
    // savepoint per event and its answers as JSON.
    gate_->SubmitEvent(upload->principal, std::move(chunk.front()),
                       [this, upload](Result<std::string> answer) {
                         if (!answer.ok() && (answer.status().kind() == StatusKind::kInternal ||
                                              answer.status().kind() == StatusKind::kUnavailable)) {
                           return upload->done(answer.status());  // the device sends it again
                         }
                         if (!answer.ok()) {
                           ++upload->outcome.skipped;
                           spdlog::warn("event=attlog_event_refused sn={} error=\"{}\"",
                                        upload->serial, answer.status().message());
                         } else if (answer->find("\"replayed\":true") != std::string::npos) {
                           ++upload->outcome.replayed;
                         } else {
                           ++upload->outcome.recorded;
                         }
                         NextChunk(upload);
                       });
    return;
  }
  security::Principal principal = upload->principal;
  gate_->SubmitBatch(principal, std::move(chunk), [this, upload](Result<json> result) {
    if (!result.ok()) return upload->done(result.status());
    for (const json& r : (*result)["results"]) {
      if (r.contains("error")) {
        ++upload->outcome.skipped;
        spdlog::warn("event=attlog_event_refused sn={} event_id={} error={}", upload->serial,
                     r.value("event_id", ""), r["error"].dump());
      } else if (r.value("replayed", false)) {
        ++upload->outcome.replayed;
      } else {
        ++upload->outcome.recorded;
      }
    }
    NextChunk(upload);
  });
}

Terminals::Counts Terminals::counts() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return Counts{uface_events_.load(kRelaxed), zkteco_lines_.load(kRelaxed),
                hikvision_events_.load(kRelaxed), refused_.load(kRelaxed),
                impersonations_.load(kRelaxed)};
}

}  // namespace zhizhi::terminals

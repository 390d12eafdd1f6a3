#include "sim/terminal_simulator.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/file.h"
#include "base/thread_name.h"
#include "http/client.h"
#include "http/digest.h"
#include "http/form.h"
#include "sim/loopback_client.h"

namespace zhizhi::sim {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// What the device holds: its users (id → name), which of them have a face, and counters.
class DeviceState {
 public:
  explicit DeviceState(std::string file) : file_(std::move(file)) {}

  void Upsert(const std::string& id, const std::string& name) {
    std::lock_guard lock(mu_);
    users_[id] = name;
    Save();
  }
  bool Has(const std::string& id) {
    std::lock_guard lock(mu_);
    return users_.count(id) != 0;
  }
  bool Erase(const std::string& id) {
    std::lock_guard lock(mu_);
    faces_.erase(id);
    const bool had = users_.erase(id) != 0;
    Save();
    return had;
  }
  void Face(const std::string& id) {
    std::lock_guard lock(mu_);
    faces_[id] = true;
    Save();
  }
  std::vector<std::string> Users() {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (const auto& [id, name] : users_)
      ids.push_back(id);
    return ids;
  }
  size_t user_count() {
    std::lock_guard lock(mu_);
    return users_.size();
  }
  size_t face_count() {
    std::lock_guard lock(mu_);
    return faces_.size();
  }
  void Count(const std::string& what, int n = 1) {
    std::lock_guard lock(mu_);
    counters_[what] = counters_.value(what, 0) + n;
    Save();
  }
  json Counters() {
    std::lock_guard lock(mu_);
    return counters_;
  }

 private:
  void Save() {
    if (file_.empty()) return;
    json users = json::object();
    for (const auto& [id, name] : users_)
      users[id] = {{"name", name}, {"face", faces_.count(id) != 0}};
    // Written whole and renamed into place: a reader never sees half a file.
    WriteFileDurably(file_, json{{"users", users}, {"counters", counters_}}.dump())
        .IgnoreError();  // the state file is for observers; the device goes on without it
  }

  std::string file_;
  std::mutex mu_;
  std::map<std::string, std::string> users_;
  std::map<std::string, bool> faces_;
  json counters_ = json::object();
};

// A device's own HTTP server on loopback (a Uface LAN API, a Hikvision ISAPI): one request a
// connection (the answer says Connection: close), so that no kept-alive connection holds its
// thread in a read when it is told to stop.
struct DeviceReply {
  DeviceReply(int status_code, std::string text) : status(status_code), body(std::move(text)) {}
  int status = 200;
  std::string body;
  std::string content_type = "application/json;charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
};
using DeviceHandler = std::function<DeviceReply(const bhttp::request<bhttp::string_body>&)>;

class DeviceServer {
 public:
  DeviceServer(std::uint16_t port, DeviceHandler handler)
      : handler_(std::move(handler)), acceptor_(io_) {
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      NameThisThread("zz-device-lan");
      Serve();
    });
  }
  ~DeviceServer() {
    stopping_ = true;
    // Wakes the blocking accept (Linux: accept on a shut-down listening socket fails).
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    beast::error_code ignored;
    acceptor_.close(ignored);
  }
  std::uint16_t port() const { return port_; }

 private:
  void Serve() {
    while (!stopping_) {
      net::ip::tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) return;
        continue;
      }
      beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> request;
      bhttp::read(socket, buffer, request, ec);
      if (!ec) {
        const DeviceReply reply = handler_(request);
        bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(reply.status),
                                                     request.version()};
        response.set(bhttp::field::content_type, reply.content_type);
        for (const auto& [name, value] : reply.headers)
          response.set(name, value);
        response.body() = reply.body;
        response.keep_alive(false);
        response.prepare_payload();
        bhttp::write(socket, response, ec);
      }
      socket.shutdown(net::ip::tcp::socket::shutdown_both, ec);
    }
  }

  DeviceHandler handler_;
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::string UfaceAnswer(bool ok, const std::string& code, const std::string& msg) {
  return json{{"result", ok ? 1 : 0}, {"success", ok}, {"code", code}, {"msg", msg}}.dump();
}

// The Uface device's LAN API: form posts with the password in `pass`, answered in the LAN
// envelope {"result","success","code","msg","data"}.
std::string UfaceLan(DeviceState* state_, const std::string& password_, const std::string& target,
                     const std::string& body) {
  auto fields = http::ParseUrlEncodedForm(body);
  if (!fields.ok()) return UfaceAnswer(false, "LAN_EXP-1002", "bad parameters");
  auto field = [&](const char* name) {
    return std::string(http::FormValue(*fields, name).value_or(""));
  };
  if (field("pass") != password_) return UfaceAnswer(false, "LAN_EXP-1001", "wrong password");
  if (target == "/person/create" || target == "/person/update") {
    const json person = json::parse(field("person"), nullptr, false);
    if (!person.is_object() || !person.contains("id") || !person["id"].is_string()) {
      return UfaceAnswer(false, "LAN_EXP-3001", "person must be JSON with an id");
    }
    const std::string id = person["id"];
    const bool exists = state_->Has(id);
    if (target == "/person/create" && exists) {
      return UfaceAnswer(false, "LAN_EXP-3005", "person id exists");
    }
    if (target == "/person/update" && !exists) {
      return UfaceAnswer(false, "LAN_EXP-3009", "person id does not exist");
    }
    state_->Upsert(id, person.value("name", ""));
    state_->Count(target == "/person/create" ? "person_created" : "person_updated");
    return UfaceAnswer(true, "LAN_SUS-0", "ok");
  }
  if (target == "/person/delete") {
    bool any = false;
    std::string ids = field("id");
    size_t pos = 0;
    while (pos <= ids.size()) {
      const size_t comma = ids.find(',', pos);
      any = state_->Erase(ids.substr(pos, comma - pos)) || any;
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (!any) return UfaceAnswer(false, "LAN_EXP-3009", "person id does not exist");
    state_->Count("person_deleted");
    return UfaceAnswer(true, "LAN_SUS-0", "ok");
  }
  if (target == "/face/create" || target == "/face/update") {
    const std::string id = field("personId");
    if (!state_->Has(id)) return UfaceAnswer(false, "LAN_EXP-4009", "person does not exist");
    if (field("imgBase64").empty()) return UfaceAnswer(false, "LAN_EXP-4003", "no image");
    state_->Face(id);
    state_->Count("face_stored");
    return UfaceAnswer(true, "LAN_SUS-0", "ok");
  }
  if (target == "/person/find") {
    json data = json::array();
    for (const std::string& id : state_->Users())
      data.push_back({{"id", id}});
    return json{{"result", 1}, {"success", true}, {"code", "LAN_SUS-0"}, {"data", data}}.dump();
  }
  return UfaceAnswer(false, "LAN_EXP-1006", "unknown interface");
}

// The Hikvision terminal's ISAPI (access control): digest authentication (a 401 with a challenge
// first), users (UserInfo/Record, Modify, Delete) and faces (FaceDataRecord, FDModify), answered
// with ISAPI's ResponseStatus as JSON.
class HikIsapi {
 public:
  HikIsapi(DeviceState* state, std::string user, std::string password)
      : state_(state), user_(std::move(user)), password_(std::move(password)) {}

  DeviceReply Handle(const bhttp::request<bhttp::string_body>& request) {
    const std::string method(request.method_string());
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    if (!http::DigestVerifies(request[bhttp::field::authorization], method, kRealm, kNonce, user_,
                              password_)) {
      state_->Count("digest_challenges");
      DeviceReply r{401, Status("notAuthorized")};
      r.headers.emplace_back("WWW-Authenticate", std::string("Digest qop=\"auth\", realm=\"") +
                                                     kRealm + "\", nonce=\"" + kNonce +
                                                     "\", stale=\"FALSE\"");
      return r;
    }
    if (path == "/ISAPI/AccessControl/UserInfo/Record" ||
        path == "/ISAPI/AccessControl/UserInfo/Modify") {
      const json doc = json::parse(request.body(), nullptr, false);
      if (!doc.is_object() || !doc.contains("UserInfo") || !doc["UserInfo"].is_object()) {
        return {400, Status("badJsonFormat")};
      }
      const json& user = doc["UserInfo"];
      const std::string id = user.value("employeeNo", "");
      if (id.empty()) return {400, Status("badParameters")};
      const bool exists = state_->Has(id);
      if (path.ends_with("Record") && exists) return {400, Status("employeeNoAlreadyExist")};
      if (path.ends_with("Modify") && !exists) return {400, Status("employeeNoNotExist")};
      state_->Upsert(id, user.value("name", ""));
      state_->Count(path.ends_with("Record") ? "user_added" : "user_modified");
      return {200, Status("ok")};
    }
    if (path == "/ISAPI/AccessControl/UserInfo/Delete") {
      const json doc = json::parse(request.body(), nullptr, false);
      const json list =
          doc.is_object()
              ? doc.value(json::json_pointer("/UserInfoDelCond/EmployeeNoList"), json::array())
              : json::array();
      for (const json& item : list) {
        if (item.is_object()) state_->Erase(item.value("employeeNo", ""));
      }
      state_->Count("user_deleted");
      return {200, Status("ok")};
    }
    if (path == "/ISAPI/Intelligent/FDLib/FaceDataRecord" ||
        path == "/ISAPI/Intelligent/FDLib/FDModify") {
      auto parts = http::ParseMultipart(request[bhttp::field::content_type], request.body());
      if (!parts.ok()) return {400, Status("badParameters")};
      std::string id;
      bool image = false;
      for (const auto& part : *parts) {
        if (part.name == "FaceDataRecord") {
          const json record = json::parse(part.body, nullptr, false);
          if (record.is_object()) id = record.value("FPID", "");
        } else if (!part.body.empty()) {
          image = true;
        }
      }
      if (id.empty() || !image) return {400, Status("badParameters")};
      if (!state_->Has(id)) return {400, Status("employeeNoNotExist")};
      state_->Face(id);
      state_->Count("face_stored");
      return {200, Status("ok")};
    }
    if (path == "/ISAPI/AccessControl/AcsEvent") return Search(request.body());
    return {404, Status("notSupport")};
  }

  // Keeps an access event in the device's own log (what AcsEvent searches).
  void Log(json item) {
    std::lock_guard lock(mu_);
    log_.push_back(std::move(item));
  }

 private:
  // AcsEvent: the log between startTime and endTime, a page at a time — at most 10, fewer than
  // asked for, as real devices answer (the caller pages on numOfMatches while MORE).
  DeviceReply Search(const std::string& body) {
    const json doc = json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("AcsEventCond")) return {400, Status("badJsonFormat")};
    const json& cond = doc["AcsEventCond"];
    auto instant = [](const json& value) -> std::optional<std::int64_t> {
      if (!value.is_string()) return std::nullopt;
      auto t = Timestamp::ParseRfc3339(value.get<std::string>(), "time");
      return t.ok() ? std::optional<std::int64_t>(t->unix_ms) : std::nullopt;
    };
    const auto from = instant(cond.value("startTime", json()));
    const auto to = instant(cond.value("endTime", json()));
    std::vector<json> matching;
    {
      std::lock_guard lock(mu_);
      for (const json& item : log_) {
        const auto at = instant(item["time"]);
        if (at && ((from && *at < *from) || (to && *at > *to))) continue;
        matching.push_back(item);
      }
    }
    const size_t position = cond.value("searchResultPosition", 0);
    const size_t count =
        std::min<size_t>(std::min<size_t>(cond.value("maxResults", 30), 10),
                         position < matching.size() ? matching.size() - position : 0);
    json list = json::array();
    for (size_t i = 0; i < count; ++i)
      list.push_back(matching[position + i]);
    const bool more = position + count < matching.size();
    state_->Count("searches");
    json out = {{"AcsEvent",
                 {{"searchID", cond.value("searchID", "")},
                  {"totalMatches", matching.size()},
                  {"responseStatusStrg", matching.empty() ? "NO MATCH"
                                         : more           ? "MORE"
                                                          : "OK"},
                  {"numOfMatches", count}}}};
    if (count > 0) out["AcsEvent"]["InfoList"] = list;
    return {200, out.dump()};
  }

  static constexpr const char* kRealm = "DS-K1T671";
  static constexpr const char* kNonce = "4e6a6b7a5a6d3d3d";
  static std::string Status(const std::string& sub) {
    const bool ok = sub == "ok";
    return json{{"statusCode", ok ? 1 : 4},
                {"statusString", ok ? "OK" : "Invalid Operation"},
                {"subStatusCode", sub}}
        .dump();
  }

  DeviceState* state_;
  std::string user_, password_;
  std::mutex mu_;
  std::vector<json> log_;
};

bool Stopped(const TerminalSimOptions& o) {
  if (o.stop != nullptr && o.stop->load()) return true;
  return !o.stop_file.empty() && std::filesystem::exists(o.stop_file);
}

// Sleeps `ms`, a tenth of a second at a time, waking early when told to stop.
void Pause(const TerminalSimOptions& o, int ms) {
  for (int slept = 0; slept < ms && !Stopped(o); slept += 100)
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, ms - slept)));
}

// "YYYY-MM-DD HH:MM:SS" in China: a ZKTeco device's clock.
std::string WallTime(std::int64_t unix_ms) {
  std::string t = FormatRfc3339(unix_ms / 1000 * 1000);
  t[10] = ' ';
  return t.substr(0, 19);
}

http::ClientOptions ClientTo(const LoopbackUrl& url) {
  http::ClientOptions o;
  o.host = url.address;
  o.port = url.port;
  o.timeout = std::chrono::seconds(10);
  o.user_agent = "iClock Proxy/1.09";
  return o;
}

int RunUface(const TerminalSimOptions& o, const LoopbackUrl& url, DeviceState& state) {
  if (o.callback.rfind("/", 0) != 0) {
    std::fprintf(stderr,
                 "zhizhi simulate terminal: --callback must be the device's callback_url "
                 "path\n");
    return 2;
  }
  DeviceHandler handler = [&](const bhttp::request<bhttp::string_body>& request) {
    const std::string target(request.target());
    return DeviceReply{
        200, UfaceLan(&state, o.password, target.substr(0, target.find('?')), request.body())};
  };
  std::unique_ptr<DeviceServer> server;
  try {
    server = std::make_unique<DeviceServer>(static_cast<std::uint16_t>(o.device_port), handler);
  } catch (const std::exception& e) {
    if (o.device_port == 0) throw;
    // The port is taken (another simulator): serve elsewhere — passes and heartbeats still
    // flow; the server's downlink to the registered address shows the failure.
    std::fprintf(stderr, "zhizhi simulate terminal: port %d: %s; serving on another\n",
                 o.device_port, e.what());
    server = std::make_unique<DeviceServer>(0, handler);
  }
  DeviceServer& lan = *server;
  if (!o.quiet) {
    std::printf("{\"event\":\"device_listening\",\"port\":%u}\n", lan.port());
    std::fflush(stdout);
  }
  http::ClientOptions options = ClientTo(url);
  options.user_agent = "Uface";
  http::Client client(options);
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(o.seconds * 1000));
  auto post = [&](const std::string& path, const http::FormFields& fields) {
    const http::ClientResponse r =
        client.Send("POST", path, {{"Content-Type", "application/x-www-form-urlencoded"}},
                    http::EncodeForm(fields));
    const json answer = json::parse(r.body, nullptr, false);
    return r.status == 200 && answer.is_object() && answer.value("result", 0) == 1;
  };
  auto beat = [&] {
    const bool ok =
        post(o.callback + "/heartbeat", {{"deviceKey", o.serial},
                                         {"personCount", std::to_string(state.user_count())},
                                         {"faceCount", std::to_string(state.face_count())},
                                         {"version", "GD-V1.3.2-sim"},
                                         {"time", std::to_string(NowUnixMs())},
                                         {"ip", "127.0.0.1"}});
    state.Count(ok ? "heartbeats" : "heartbeats_failed");
  };
  beat();
  std::mt19937 rng(7);
  int sent = 0;
  auto last_beat = Clock::now();
  while (Clock::now() < deadline && !Stopped(o)) {
    Pause(o, sent < o.passes ? o.interval_ms : 100);
    if (Clock::now() - last_beat > std::chrono::seconds(10)) {
      beat();
      last_beat = Clock::now();
    }
    if (sent >= o.passes) continue;  // only the downlink now
    const bool stranger = o.stranger_every > 0 && (sent + 1) % o.stranger_every == 0;
    const auto users = state.Users();
    if (!stranger && users.empty()) continue;  // nobody on the roster yet
    http::FormFields fields = {{"deviceKey", o.serial}, {"time", std::to_string(NowUnixMs())}};
    if (stranger) {
      fields.emplace_back("personId", "STRANGERBABY");
      fields.emplace_back("type", "face_2");
    } else {
      fields.emplace_back("personId", users[rng() % users.size()]);
      fields.emplace_back("type", "face_0");
      fields.emplace_back("searchScore", std::to_string(90 + rng() % 10));
      fields.emplace_back("livenessScore", std::to_string(85 + rng() % 15));
    }
    fields.emplace_back("ip", "127.0.0.1");
    state.Count(post(o.callback, fields) ? "passes_recorded" : "passes_failed");
    ++sent;
  }
  return 0;
}

// A Hikvision access event pushed as the firmware does: multipart, the JSON and a picture.
std::string HikMultipart(const json& event) {
  const std::string text = event.dump();
  return "--MIME_boundary\r\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\r\n"
         "Content-Type: application/json\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text +
         "\r\n--MIME_boundary\r\nContent-Disposition: form-data; name=\"Picture\"; "
         "filename=\"Picture.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\xD9\r\n"
         "--MIME_boundary--\r\n";
}

int RunHikvision(const TerminalSimOptions& o, const LoopbackUrl& url, DeviceState& state) {
  if (o.callback.rfind("/", 0) != 0) {
    std::fprintf(stderr,
                 "zhizhi simulate terminal: --callback must be the device's callback_url path\n");
    return 2;
  }
  HikIsapi isapi(&state, o.username, o.password);
  DeviceServer lan(
      static_cast<std::uint16_t>(o.device_port),
      [&](const bhttp::request<bhttp::string_body>& request) { return isapi.Handle(request); });
  std::printf("{\"event\":\"device_listening\",\"port\":%u}\n", lan.port());
  std::fflush(stdout);
  http::Client client(ClientTo(url));
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(o.seconds * 1000));
  auto push = [&](const std::string& body, const char* type) {
    const http::ClientResponse r = client.Send("POST", o.callback, {{"Content-Type", type}}, body);
    const json answer = json::parse(r.body, nullptr, false);
    return r.status == 200 && answer.is_object() && answer.value("statusCode", 0) == 1;
  };
  const json envelope = {
      {"ipAddress", "127.0.0.1"},
      {"portNo", lan.port()},
      {"protocol", "HTTP"},
      {"macAddress", "88:de:39:00:00:01"},
      {"shortSerialNumber", o.serial.substr(o.serial.size() > 9 ? o.serial.size() - 9 : 0)},
      {"channelID", 1},
      {"activePostCount", 1},
      {"eventState", "active"}};
  auto beat = [&] {
    json event = envelope;
    event["dateTime"] = FormatRfc3339(NowUnixMs() / 1000 * 1000);
    event["eventType"] = "heartBeat";
    state.Count(push(event.dump(), "application/json") ? "heartbeats" : "heartbeats_failed");
  };
  beat();
  std::mt19937 rng(13);
  std::map<std::string, bool> inside;
  std::int64_t serial_no = 1;
  int sent = 0;
  auto last_beat = Clock::now();
  while (Clock::now() < deadline && !Stopped(o)) {
    Pause(o, sent < o.passes ? o.interval_ms : 100);
    if (Clock::now() - last_beat > std::chrono::seconds(10)) {
      beat();
      last_beat = Clock::now();
    }
    if (sent >= o.passes) continue;
    const auto users = state.Users();
    if (users.empty()) continue;
    const std::string& id = users[rng() % users.size()];
    json event = envelope;
    event["dateTime"] = FormatRfc3339(NowUnixMs() / 1000 * 1000);
    event["eventType"] = "AccessControllerEvent";
    event["eventDescription"] = "Access Controller Event";
    event["AccessControllerEvent"] = {{"deviceName", "Access Controller"},
                                      {"majorEventType", 5},
                                      {"subEventType", 75},
                                      {"employeeNoString", id},
                                      {"cardReaderNo", 1},
                                      {"serialNo", serial_no++},
                                      {"currentVerifyMode", "cardOrFace"},
                                      {"attendanceStatus", inside[id] ? "checkOut" : "checkIn"},
                                      {"picturesNumber", 1}};
    inside[id] = !inside[id];
    const json& access = event["AccessControllerEvent"];
    isapi.Log({{"major", 5},
               {"minor", 75},
               {"time", event["dateTime"]},
               {"employeeNoString", id},
               {"serialNo", access["serialNo"]},
               {"currentVerifyMode", access["currentVerifyMode"]},
               {"attendanceStatus", access["attendanceStatus"]},
               {"type", 0}});
    ++sent;
    if (sent <= o.offline_passes) {
      state.Count("passes_offline");  // kept on the device, never pushed: for the search
      continue;
    }
    state.Count(push(HikMultipart(event), "multipart/form-data; boundary=MIME_boundary")
                    ? "passes_recorded"
                    : "passes_failed");
  }
  return 0;
}

int RunZkteco(const TerminalSimOptions& o, const LoopbackUrl& url, DeviceState& state) {
  http::Client client(ClientTo(url));
  const std::string sn = "?SN=" + o.serial;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(o.seconds * 1000));
  auto text = [&](const char* method, const std::string& target, std::string body = {}) {
    return client.Send(method, target, {{"Content-Type", "text/plain"}}, std::move(body));
  };
  http::ClientResponse r = text("GET", "/iclock/cdata" + sn + "&options=all&pushver=2.4.1");
  if (r.status != 200) {
    std::fprintf(stderr, "zhizhi simulate terminal: handshake answered %d %s\n", r.status,
                 r.body.c_str());
    return 1;
  }
  std::int64_t stamp = 0;
  if (auto at = r.body.find("ATTLOGStamp="); at != std::string::npos) {
    stamp = std::atoll(r.body.c_str() + at + 12);
  }
  std::mt19937 rng(11);
  std::map<std::string, int> direction;  // the next punch state of each user: 0 in, 1 out
  std::string last_batch;
  int sent = 0;
  auto last_punch = Clock::now();
  while (Clock::now() < deadline && !Stopped(o)) {
    // Commands: apply, then answer their results.
    const std::string info = "Ver%208.0.4.7-sim," + std::to_string(state.user_count()) + ",0," +
                             std::to_string(sent) + ",127.0.0.1,10,7," +
                             std::to_string(state.face_count()) + "," +
                             std::to_string(state.face_count()) + ",111";
    r = text("GET", "/iclock/getrequest" + sn + "&INFO=" + info);
    std::string results;
    size_t pos = 0;
    while (r.status == 200 && pos < r.body.size()) {
      const size_t nl = r.body.find('\n', pos);
      const std::string line = r.body.substr(pos, nl - pos);
      pos = nl == std::string::npos ? r.body.size() : nl + 1;
      if (line.rfind("C:", 0) != 0) continue;
      const size_t colon = line.find(':', 2);
      const std::string id = line.substr(2, colon - 2);
      const std::string command = line.substr(colon + 1);
      auto value = [&](const std::string& key) {
        const size_t at = command.find(key + "=");
        if (at == std::string::npos) return std::string();
        const size_t end = command.find('\t', at);
        return command.substr(at + key.size() + 1, end == std::string::npos
                                                       ? std::string::npos
                                                       : end - at - key.size() - 1);
      };
      int code = 0;
      if (command.rfind("DATA UPDATE USERINFO ", 0) == 0) {
        state.Upsert(value("PIN"), value("Name"));
      } else if (command.rfind("DATA DELETE USERINFO ", 0) == 0) {
        code = state.Erase(value("PIN")) ? 0 : -1;
      } else if (command.rfind("DATA UPDATE BIOPHOTO ", 0) == 0) {
        if (state.Has(value("PIN")) && !value("Content").empty()) {
          state.Face(value("PIN"));
        } else {
          code = -1002;
        }
      } else {
        code = -1002;
      }
      state.Count("commands");
      results += "ID=" + id + "&Return=" + std::to_string(code) + "&CMD=DATA\n";
    }
    if (!results.empty()) {
      r = text("POST", "/iclock/devicecmd" + sn, results);
      state.Count(r.status == 200 ? "results_sent" : "results_failed");
    }
    // Punches of its users, one batch per interval.
    const auto users = state.Users();
    if (sent < o.passes && !users.empty() &&
        Clock::now() - last_punch >= std::chrono::milliseconds(o.interval_ms)) {
      last_punch = Clock::now();
      const std::string& pin = users[rng() % users.size()];
      const int status = direction[pin];
      direction[pin] = 1 - status;
      last_batch =
          pin + "\t" + WallTime(NowUnixMs()) + "\t" + std::to_string(status) + "\t15\t0\t0\t0\n";
      ++stamp;
      r = text("POST", "/iclock/cdata" + sn + "&table=ATTLOG&Stamp=" + std::to_string(stamp),
               last_batch);
      state.Count(r.status == 200 && r.body.rfind("OK", 0) == 0 ? "punches_sent"
                                                                : "punches_failed");
      ++sent;
      if (o.replay) {
        r = text("POST", "/iclock/cdata" + sn + "&table=ATTLOG&Stamp=" + std::to_string(stamp),
                 last_batch);
        state.Count(r.status == 200 ? "punches_replayed" : "punches_failed");
      }
    }
    Pause(o, o.poll_ms);
  }
  return 0;
}

}  // namespace

void AddTerminalSimFlags(CLI::App& cmd, TerminalSimOptions& o) {
  cmd.add_option("--vendor", o.vendor, "uface, hikvision or zkteco")
      ->required()
      ->check(CLI::IsMember({"uface", "hikvision", "zkteco"}));
  cmd.add_option("--url", o.url, "server base URL, loopback only")->capture_default_str();
  cmd.add_option("--serial", o.serial,
                 "the device's deviceKey (uface), serial (hikvision) or SN (zkteco)")
      ->required();
  cmd.add_option("--callback", o.callback,
                 "uface, hikvision: the callback_url path the server gave");
  cmd.add_option("--device-port", o.device_port,
                 "uface, hikvision: the device API's port (0: any free one)")
      ->check(CLI::Range(0, 65535));
  cmd.add_option("--password", o.password, "uface, hikvision: the device API's password")
      ->capture_default_str();
  cmd.add_option("--username", o.username, "hikvision: the ISAPI user")->capture_default_str();
  cmd.add_option("--state", o.state_file, "write the device's users and counters here (JSON)");
  cmd.add_option("--passes", o.passes, "passes to send, then stop (0: only serve the roster)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000));
  cmd.add_option("--stranger-every", o.stranger_every, "uface: every Nth pass a stranger")
      ->check(CLI::Range(0, 1'000'000));
  cmd.add_option("--seconds", o.seconds, "stop after this long in any case")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 86400.0));
  cmd.add_option("--interval-ms", o.interval_ms, "between passes")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  cmd.add_option("--poll-ms", o.poll_ms, "zkteco: between command polls")
      ->capture_default_str()
      ->check(CLI::Range(10, 600'000));
  cmd.add_flag("--replay", o.replay, "zkteco: send each ATTLOG batch twice");
  cmd.add_option("--offline-passes", o.offline_passes,
                 "hikvision: the first N passes are only logged on the device (a lost push), "
                 "for the server's search to find")
      ->check(CLI::Range(0, 1'000'000));
  cmd.add_option("--stop-file", o.stop_file, "stop as soon as this file exists");
}

int RunTerminalSimulator(const TerminalSimOptions& o) {
  auto url = ParseLoopbackUrl(o.url);
  if (!url.ok()) {
    std::fprintf(stderr, "zhizhi simulate terminal: %s\n", url.status().ToString().c_str());
    return 2;
  }
  DeviceState state(o.state_file);
  state.Count("started", 0);
  int code = 0;
  try {
    code = o.vendor == "uface"       ? RunUface(o, *url, state)
           : o.vendor == "hikvision" ? RunHikvision(o, *url, state)
                                     : RunZkteco(o, *url, state);
  } catch (const std::exception& e) {  // the LAN API's port taken, …
    std::fprintf(stderr, "zhizhi simulate terminal: %s\n", e.what());
    return 1;
  }
  json summary = state.Counters();
  summary["users"] = state.user_count();
  summary["faces"] = state.face_count();
  if (!o.quiet) std::printf("%s\n", summary.dump().c_str());
  return code;
}

}  // namespace zhizhi::sim

// End-to-end tests of other makers' terminals against the real server: a Uface terminal's
// recognition callbacks and heartbeats, a ZKTeco terminal's handshake, ATTLOG uploads (naive
// local times, replays, bad lines), command polls, and identities used from where they do not
// belong. Each pass must land on the gate's one path: the same decisions, the same event log,
// the same head-count as a zhizhi terminal's.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api_district.h"
#include "base/civil_time.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;

constexpr std::int64_t kMinute = 60'000;

// "YYYY-MM-DD HH:MM:SS" in China Standard Time: what a ZKTeco terminal writes.
std::string ChinaWallTime(std::int64_t unix_ms) {
  std::string t = FormatRfc3339(unix_ms / 1000 * 1000);  // 2026-12-07T08:01:02+08:00
  t[10] = ' ';
  return t.substr(0, 19);
}

// A form body from name/value pairs (values percent-encoded as a browser would).
std::string Form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + '=';
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        out += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      }
    }
  }
  return out;
}

// A loopback port nobody listens on (for a while).
std::uint16_t FreePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// `zhizhi simulate terminal …` on a thread of its own, stopped through its --stop-file.
class Simulator {
 public:
  Simulator(const std::string& dir, std::vector<std::string> args)
      : state_(dir + "/device.json"), stop_(dir + "/stop") {
    std::filesystem::remove(stop_);
    args.insert(args.begin(), {"simulate", "terminal"});
    args.insert(args.end(), {"--state", state_, "--stop-file", stop_, "--seconds", "90"});
    thread_ = std::thread([this, args] { result_ = RunZhizhi(args, std::chrono::seconds(120)); });
  }
  ~Simulator() { Stop(); }
  // The device's users (person ids) as its state file has them.
  std::set<std::string> Users() const {
    const json state = json::parse(ReadFileBytes(state_), nullptr, false);
    std::set<std::string> ids;
    if (state.is_object() && state.contains("users")) {
      for (const auto& [id, user] : state["users"].items())
        ids.insert(id);
    }
    return ids;
  }
  json Counters() const {
    const json state = json::parse(ReadFileBytes(state_), nullptr, false);
    return state.is_object() ? state.value("counters", json::object()) : json::object();
  }
  const ProcessResult& Stop() {
    if (thread_.joinable()) {
      std::ofstream(stop_) << "stop\n";
      thread_.join();
    }
    return result_;
  }

 private:
  std::string state_, stop_;
  ProcessResult result_;
  std::thread thread_;
};

const Headers kFormHeaders = {{"Content-Type", "application/x-www-form-urlencoded"}};
const Headers kTextHeaders = {{"Content-Type", "text/plain"}};

class TerminalsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    district_.Project("P1");
  }

  // POSTs a Uface form to `path` (no token: terminals have none).
  HttpResponse Uface(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& fields) {
    return server_.Request("POST", path, Form(fields), std::nullopt, kFormHeaders);
  }
  HttpResponse Zk(const std::string& method, const std::string& target, std::string body = {}) {
    return server_.Request(method, target, std::move(body), std::nullopt, kTextHeaders);
  }
  std::string EventsWhere(const std::string& where, const std::string& column = "COUNT(*)") {
    return server_.Query("SELECT " + column + " FROM gate_events WHERE " + where).value_or("");
  }

  TestServer server_;
  District district_{server_};
};

TEST_F(TerminalsTest, AUfaceTerminalsPassesLandOnTheGatesOnePath) {
  const std::int64_t worker = district_.GoodWorker("张三", {"P1"});
  const std::int64_t leaver = district_.GoodWorker("李四", {"P1"});
  const std::int64_t night = district_.GoodWorker("孙七", {"P1"});
  district_.Exit("P1", leaver);
  const json device = district_.Post(
      "/api/v1/projects/P1/devices",
      {{"serial", "84E0F42001"}, {"direction", "in"}, {"vendor", "uface"}, {"zone", "东门"}});
  ASSERT_TRUE(device.contains("callback_url")) << device.dump();
  EXPECT_FALSE(device.contains("token")) << "a Uface terminal has no bearer token";
  const std::string path = device["callback_url"];
  ASSERT_EQ(path.rfind("/api/v1/terminals/uface/", 0), 0u) << path;
  const std::string secret = path.substr(path.rfind('/') + 1);
  ASSERT_GE(secret.size(), 32u);

  const std::int64_t t = (NowUnixMs() - 30 * kMinute) / 1000 * 1000;
  auto pass = [&](std::int64_t person, std::int64_t time, const std::string& type) {
    return Uface(path, {{"deviceKey", "84E0F42001"},
                        {"personId", std::to_string(person)},
                        {"time", std::to_string(time)},
                        {"type", type},
                        {"searchScore", "93.2"},
                        {"livenessScore", "90"},
                        {"ip", "10.1.2.3"}});
  };
  // A recognised worker passes: one event, the same as a zhizhi terminal's, and on site.
  HttpResponse r = pass(worker, t, "face_0");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body, R"({"result":1,"success":true})");
  EXPECT_EQ(EventsWhere("person_id = " + std::to_string(worker),
                        "decision || ',' || identified_by "
                        "|| ',' || pass_mode || ',' || "
                        "direction || ',' || time_ms"),
            "allow,terminal,1,in," + std::to_string(t));
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/P1/onsite").json.value("count", -1), 1);
  // The device resends it (Uface retries callbacks): nothing new.
  r = pass(worker, t, "face_0");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("person_id = " + std::to_string(worker)), "1");

  // A stranger: refused at the door, recorded as such.
  r = Uface(path, {{"deviceKey", "84E0F42001"},
                   {"personId", "STRANGERBABY"},
                   {"time", std::to_string(t + kMinute)},
                   {"type", "face_2"}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("person_id IS NULL AND device_id = " +
                            std::to_string(device["id"].get<std::int64_t>()),
                        "decision || ' ' || reasons"),
            R"(deny ["unknown_person","terminal_refused"])");

  // Known, but the terminal's own rules kept the door shut (face_1): a deny, not a pass.
  r = pass(night, t + 2 * kMinute, "face_1");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("person_id = " + std::to_string(night), "decision || ' ' || reasons"),
            R"(deny ["terminal_refused"])");

  // The terminal still opens for a worker who left (its roster is behind): recorded as the
  // server's deny, flagged that the door opened.
  r = pass(leaver, t + 3 * kMinute, "face_0");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("person_id = " + std::to_string(leaver),
                        "decision || ' ' || reasons || ' ' || (flags & 16)"),
            R"(deny ["exited"] 16)");
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/P1/onsite").json.value("count", -1), 1);

  // Heartbeat: counts, firmware, clock.
  r = Uface(path + "/heartbeat", {{"deviceKey", "84E0F42001"},
                                  {"personCount", "57"},
                                  {"faceCount", "55"},
                                  {"version", "GD-V1.3.2"},
                                  {"time", std::to_string(NowUnixMs() + 120'000)}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json devices = server_.Api("GET", "/api/v1/projects/P1/devices").json;
  ASSERT_EQ(devices["items"].size(), 1u);
  const json& d = devices["items"][0];
  EXPECT_EQ(d["vendor"], "uface");
  EXPECT_EQ(d["person_count"], 57);
  EXPECT_EQ(d["face_count"], 55);
  EXPECT_EQ(d["firmware"], "GD-V1.3.2");
  EXPECT_TRUE(d["online"].get<bool>());
  EXPECT_NEAR(d["clock_offset_ms"].get<double>(), 120'000, 10'000);
  EXPECT_TRUE(d["clock_skew"].get<bool>() == false) << "2 minutes is within the 5 allowed";

  // Some firmware posts JSON.
  r = server_.Request("POST", path,
                      json{{"deviceKey", "84E0F42001"},
                           {"personId", std::to_string(worker)},
                           {"time", t + 10 * kMinute},
                           {"type", "face_0"}}
                          .dump(),
                      std::nullopt);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("person_id = " + std::to_string(worker)), "2");

  // The secret is never written to the log.
  EXPECT_FALSE(Contains(server_.Log(), secret));
}

TEST_F(TerminalsTest, UfaceRefusalsWriteNothing) {
  const std::int64_t worker = district_.GoodWorker("张三", {"P1"});
  const json a = district_.Post("/api/v1/projects/P1/devices",
                                {{"serial", "UFACEA"}, {"direction", "in"}, {"vendor", "uface"}});
  district_.Post("/api/v1/projects/P1/devices",
                 {{"serial", "UFACEB"}, {"direction", "out"}, {"vendor", "uface"}});
  district_.Post("/api/v1/projects/P1/devices",
                 {{"serial", "UFACEC"}, {"direction", "both"}, {"vendor", "uface"}}, 400);
  const std::string path = a["callback_url"];
  const std::string now = std::to_string(NowUnixMs() - kMinute);
  const std::vector<std::pair<std::string, std::string>> good = {
      {"deviceKey", "UFACEA"},
      {"personId", std::to_string(worker)},
      {"time", now},
      {"type", "face_0"}};
  auto with = [&](const std::string& name, const std::string& value) {
    auto f = good;
    for (auto& [n, v] : f)
      if (n == name) v = value;
    return f;
  };

  // An unknown secret is no terminal.
  HttpResponse r = Uface("/api/v1/terminals/uface/not-a-secret", good);
  EXPECT_EQ(r.status, 404) << r.Describe();
  EXPECT_EQ(r.json.value("result", -1), 0);
  // Malformed fields: 400 in the device's own answer shape.
  r = Uface(path, with("time", "yesterday"));
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(r.json.value("success", true), false);
  EXPECT_EQ(r.json.value("code", ""), "invalid_argument");
  EXPECT_EQ(Uface(path, with("type", "face")).status, 400);
  EXPECT_EQ(Uface(path, with("personId", "-3")).status, 400);
  r = server_.Request("POST", path, "deviceKey=UFACEA&personId=%ZZ", std::nullopt, kFormHeaders);
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(r.json.value("code", ""), "invalid_form");
  // Too old for the replay window, a time far ahead: the gate's own refusals.
  r = Uface(path, with("time", std::to_string(NowUnixMs() - 40LL * 24 * 60 * kMinute)));
  EXPECT_EQ(r.status, 422) << r.Describe();
  EXPECT_EQ(r.json.value("code", ""), "time_too_old");
  // A body bigger than the server takes.
  auto big = good;
  big.emplace_back("imgBase64", std::string(1 << 20, 'A'));
  r = Uface(path, big);
  EXPECT_EQ(r.status, 413) << r.Describe();
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events"), 0);

  // Device A's path with device B's deviceKey: refused, and an alert that someone misuses it.
  r = Uface(path, with("deviceKey", "UFACEB"));
  EXPECT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events"), 0);
  const json alerts = server_.Api("GET", "/api/v1/alerts?type=terminal_impersonation").json;
  ASSERT_EQ(alerts["items"].size(), 1u) << alerts.dump();
  EXPECT_EQ(alerts["items"][0]["severity"], "red");
  EXPECT_EQ(alerts["items"][0]["project_code"], "P1");
  EXPECT_EQ(alerts["items"][0]["detail"]["claimed_serial"], "UFACEB");
}

TEST_F(TerminalsTest, AZktecoTerminalsPunchesLandAtTheRightInstants) {
  const std::int64_t worker = district_.GoodWorker("王五", {"P1"});
  const json device =
      district_.Post("/api/v1/projects/P1/devices",
                     {{"serial", "CJDE193560303"}, {"direction", "both"}, {"vendor", "zkteco"}});
  EXPECT_FALSE(device.contains("token"));
  EXPECT_FALSE(device.contains("callback_url"));
  const std::string sn = "?SN=CJDE193560303";

  // The handshake: options, the clock (Date), and the binding to this address.
  HttpResponse r = Zk("GET", "/iclock/cdata" + sn + "&options=all&pushver=2.4.1&language=69");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body.rfind("GET OPTION FROM: CJDE193560303\n", 0), 0u) << r.body;
  EXPECT_TRUE(Contains(r.body, "ATTLOGStamp=0\n"));
  EXPECT_TRUE(Contains(r.Header("Content-Type"), "text/plain"));
  EXPECT_TRUE(Contains(r.Header("Date"), " GMT"));
  EXPECT_EQ(server_.Query("SELECT bound_address FROM devices WHERE serial = 'CJDE193560303'"),
            "127.0.0.1");

  // Punches in the device's local time, no zone: in, a 255 (no direction on a two-way
  // device: skipped), a bad line (skipped), then out. Each line stands alone.
  const std::int64_t in = (NowUnixMs() - 50 * kMinute) / 1000 * 1000;
  const std::int64_t out = in + 20 * kMinute;
  const std::string w = std::to_string(worker);
  const std::string body = w + "\t" + ChinaWallTime(in) + "\t0\t15\t0\t0\t0\r\n" + w + "\t" +
                           ChinaWallTime(in + kMinute) + "\t255\t15\t0\t0\t0\r\n" +
                           "garbage line\r\n" + w + "\t" + ChinaWallTime(out) + "\t1\t15\t\t\r\n";
  r = Zk("POST", "/iclock/cdata" + sn + "&table=ATTLOG&Stamp=9001", body);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body, "OK: 4\n");
  EXPECT_EQ(EventsWhere("person_id = " + w, "group_concat(direction || '@' || time_ms, ' ')"),
            "in@" + std::to_string(in) + " out@" + std::to_string(out));
  EXPECT_EQ(EventsWhere("person_id = " + w + " AND decision = 'allow'"), "2");
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/P1/onsite").json.value("count", -1), 0);

  // ZKTeco resends whole batches: the replay changes nothing.
  const std::string before = DatabaseFingerprint(server_.db_path());
  r = Zk("POST", "/iclock/cdata" + sn + "&table=ATTLOG&Stamp=9001", body);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body, "OK: 4\n");
  EXPECT_EQ(EventsWhere("person_id = " + w), "2");
  // The next handshake asks only for what came after the stored upload.
  r = Zk("GET", "/iclock/cdata" + sn + "&options=all");
  EXPECT_TRUE(Contains(r.body, "ATTLOGStamp=9001\n")) << r.body;

  // Operation logs are acknowledged by count; command polls are heartbeats.
  r = Zk("POST", "/iclock/cdata" + sn + "&table=OPERLOG&Stamp=1",
         "USER PIN=1\tName=x\tPri=0\nOPLOG 4\t0\t2026-12-07 08:00:00\t0\t0\t0\t0\n");
  EXPECT_EQ(r.body, "OK: 2\n");
  r = Zk("GET", "/iclock/getrequest" + sn +
                    "&INFO=Ver%208.0.4.7-20230403,31,20,1000,192.168.1.201,10,7,12,29,111");
  ASSERT_EQ(r.status, 200) << r.Describe();
  // The poll is answered with the roster the device lacks: the worker, as a command.
  EXPECT_EQ(r.body.rfind("C:", 0), 0u) << r.body;
  EXPECT_TRUE(Contains(r.body, ":DATA UPDATE USERINFO PIN=" + w + "\tName=王五\t")) << r.body;
  const json d = server_.Api("GET", "/api/v1/projects/P1/devices").json["items"][0];
  EXPECT_EQ(d["vendor"], "zkteco");
  EXPECT_EQ(d["firmware"], "Ver 8.0.4.7-20230403");
  EXPECT_EQ(d["person_count"], 31);
  EXPECT_EQ(d["face_count"], 29);
  EXPECT_EQ(d["bound_address"], "127.0.0.1");
  EXPECT_TRUE(d["online"].get<bool>());
  r = Zk("POST", "/iclock/devicecmd" + sn, "ID=1&Return=0&CMD=DATA\n");
  EXPECT_EQ(r.body, "OK\n");
  r = Zk("POST", "/iclock/devicecmd" + sn, "Return=0\n");
  EXPECT_EQ(r.status, 400) << r.Describe();
  // eSSL firmware's paths.
  r = Zk("GET", "/iclock/getrequest.aspx" + sn);
  EXPECT_EQ(r.body, "OK\n");
}

TEST_F(TerminalsTest, ZktecoIdentitiesAreBoundToTheirAddress) {
  const std::int64_t worker = district_.GoodWorker("赵六", {"P1"});
  // Registered as speaking from 10.9.8.7: this test's requests come from 127.0.0.1.
  district_.Post(
      "/api/v1/projects/P1/devices",
      {{"serial", "ZKFAR1"}, {"direction", "in"}, {"vendor", "zkteco"}, {"address", "10.9.8.7"}});
  const std::string line =
      std::to_string(worker) + "\t" + ChinaWallTime(NowUnixMs() - 5 * kMinute) + "\t0\t15\n";
  HttpResponse r = Zk("POST", "/iclock/cdata?SN=ZKFAR1&table=ATTLOG&Stamp=1", line);
  EXPECT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(r.body.rfind("ERROR: permission_denied", 0), 0u) << r.body;
  r = Zk("POST", "/iclock/cdata?SN=NOSUCH1&table=ATTLOG&Stamp=1", line);
  EXPECT_EQ(r.status, 401) << r.Describe();
  r = Zk("GET", "/iclock/getrequest?SN=NOSUCH1");  // it polls on: told once
  EXPECT_EQ(r.status, 401) << r.Describe();
  const json unknown = server_.Api("GET", "/api/v1/alerts?type=terminal_unregistered").json;
  ASSERT_EQ(unknown["items"].size(), 1u) << unknown.dump();
  EXPECT_EQ(unknown["items"][0]["detail"]["serial"], "NOSUCH1");
  EXPECT_EQ(unknown["items"][0]["severity"], "yellow");
  r = Zk("POST", "/iclock/cdata?table=ATTLOG", line);
  EXPECT_EQ(r.status, 400) << r.Describe();
  r = Zk("GET", "/iclock/getrequest?SN=bad-sn!");
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events"), 0);
  const json alerts = server_.Api("GET", "/api/v1/alerts?type=terminal_impersonation").json;
  ASSERT_EQ(alerts["items"].size(), 1u) << alerts.dump();
  EXPECT_EQ(alerts["items"][0]["detail"]["bound_address"], "10.9.8.7");
  EXPECT_EQ(alerts["items"][0]["detail"]["from_address"], "127.0.0.1");
  // Too many lines for one upload.
  std::string huge;
  for (int i = 0; i < 20001; ++i)
    huge += "1\t2026-12-07 08:00:00\n";
  district_.Post("/api/v1/projects/P1/devices",
                 {{"serial", "ZKNEAR1"}, {"direction", "in"}, {"vendor", "zkteco"}});
  r = Zk("POST", "/iclock/cdata?SN=ZKNEAR1&table=ATTLOG&Stamp=1", huge);
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_TRUE(Contains(r.body, "invalid_attlog")) << r.body;
}

// A Hikvision push as the firmware sends it: the event JSON and its picture as multipart.
std::string HikPush(const json& event, const std::string& picture = "\xFF\xD8\xFF\xD9") {
  const std::string text = event.dump(1, '\t');  // some firmware indents with tabs
  return "--MIME_boundary\r\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\r\n"
         "Content-Type: application/json\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text +
         "\r\n--MIME_boundary\r\nContent-Disposition: form-data; name=\"Picture\"; "
         "filename=\"Picture.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
         picture + "\r\n--MIME_boundary--\r\n";
}

json HikEventJson(std::int64_t serial_no, const std::string& employee, int minor,
                  std::int64_t time_ms, const std::string& attendance,
                  const std::string& short_serial = "GS7020902") {
  return {{"ipAddress", "10.70.18.20"},
          {"portNo", 80},
          {"protocol", "HTTP"},
          {"macAddress", "88:de:39:7a:22:cf"},
          {"channelID", 1},
          {"dateTime", FormatRfc3339(time_ms / 1000 * 1000)},
          {"activePostCount", 1},
          {"eventType", "AccessControllerEvent"},
          {"eventState", "active"},
          {"eventDescription", "Access Controller Event"},
          {"shortSerialNumber", short_serial},
          {"AccessControllerEvent",
           {{"deviceName", "Access Controller"},
            {"majorEventType", 5},
            {"subEventType", minor},
            {"employeeNoString", employee},
            {"cardReaderNo", 1},
            {"serialNo", serial_no},
            {"currentVerifyMode", "cardOrFace"},
            {"attendanceStatus", attendance},
            {"picturesNumber", 1}}}};
}

TEST_F(TerminalsTest, AHikvisionTerminalsPushesLandOnTheGatesOnePath) {
  const std::int64_t worker = district_.GoodWorker("钱六", {"P1"});
  const json device = district_.Post("/api/v1/projects/P1/devices",
                                     {{"serial", "DS-K1T671M0120201020V030235ENGS7020902"},
                                      {"direction", "both"},
                                      {"vendor", "hikvision"}});
  const std::string path = device["callback_url"];
  ASSERT_EQ(path.rfind("/api/v1/terminals/hikvision/", 0), 0u) << path;
  const std::string id = std::to_string(device["id"].get<std::int64_t>());
  const Headers multipart = {{"Content-Type", "multipart/form-data; boundary=MIME_boundary"}};
  auto push = [&](const json& event) {
    return server_.Request("POST", path, HikPush(event), std::nullopt, multipart);
  };
  const std::int64_t t = NowUnixMs() - 40 * kMinute;

  // The worker checks in by face: a pass of this device, on site.
  HttpResponse r = push(HikEventJson(501, std::to_string(worker), 75, t, "checkIn"));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json.value("statusString", ""), "OK");
  EXPECT_EQ(EventsWhere("device_id = " + id, "decision || ' ' || direction || ' ' || pass_mode"),
            "allow in 1");
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/P1/onsite").json.value("count", -1), 1);
  // The device pushes it again (its serialNo is the event): nothing new.
  r = push(HikEventJson(501, std::to_string(worker), 75, t, "checkIn"));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("device_id = " + id), "1");
  // A face it refused, of nobody it knows.
  r = push(HikEventJson(502, "", 76, t + kMinute, "checkIn"));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("device_id = " + id + " AND person_id IS NULL", "reasons"),
            R"(["unknown_person","terminal_refused"])");
  // The worker checks out.
  r = push(HikEventJson(503, std::to_string(worker), 75, t + 10 * kMinute, "checkOut"));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/P1/onsite").json.value("count", -1), 0);
  // A door state is no pass: acknowledged, nothing stored.
  r = push(HikEventJson(504, "", 22, t + 11 * kMinute, "undefined"));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(EventsWhere("device_id = " + id), "3");

  // A heartbeat: the device is seen, its clock measured.
  r = server_.Request("POST", path,
                      json{{"ipAddress", "10.70.18.20"},
                           {"dateTime", FormatRfc3339(NowUnixMs() - 7 * kMinute)},
                           {"activePostCount", 1},
                           {"eventType", "heartBeat"},
                           {"eventState", "active"}}
                          .dump(),
                      std::nullopt);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json d = server_.Api("GET", "/api/v1/projects/P1/devices").json["items"][0];
  EXPECT_TRUE(d["online"].get<bool>());
  EXPECT_TRUE(d["clock_skew"].get<bool>()) << "7 minutes slow: " << d.dump();

  // Refusals write nothing: a two-way device's event without a direction, malformed bodies,
  // another device's serial in the body (and its alert).
  r = push(HikEventJson(505, std::to_string(worker), 75, t + 12 * kMinute, "undefined"));
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(r.json.value("subStatusCode", ""), "invalid_argument");
  r = server_.Request("POST", path, "--MIME_boundary\r\nno headers end", std::nullopt, multipart);
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(r.json.value("subStatusCode", ""), "invalid_multipart");
  r = server_.Request("POST", path, "<EventNotificationAlert/>", std::nullopt,
                      {{"Content-Type", "application/xml"}});
  EXPECT_EQ(r.status, 415) << r.Describe();
  r = push(HikEventJson(506, std::to_string(worker), 75, t + 13 * kMinute, "checkIn", "XX0000001"));
  EXPECT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(EventsWhere("device_id = " + id), "3");
  const json alerts = server_.Api("GET", "/api/v1/alerts?type=terminal_impersonation").json;
  ASSERT_EQ(alerts["items"].size(), 1u) << alerts.dump();
  EXPECT_EQ(alerts["items"][0]["detail"]["claimed_serial"], "XX0000001");
}

TEST_F(TerminalsTest, AUfaceTerminalHoldsTheRosterAndLosesWhoLeaves) {
  using namespace std::chrono_literals;
  const std::int64_t a = district_.GoodWorker("周一", {"P1"});
  const std::int64_t b = district_.GoodWorker("吴二", {"P1"});
  const std::uint16_t port = FreePort();
  const json device = district_.Post("/api/v1/projects/P1/devices",
                                     {{"serial", "UFSIM1"},
                                      {"direction", "in"},
                                      {"vendor", "uface"},
                                      {"address", "127.0.0.1:" + std::to_string(port)},
                                      {"password", "pw-7781"}});
  const std::string id = std::to_string(device["id"].get<std::int64_t>());
  Simulator sim(server_.root(),
                {"--vendor", "uface", "--url", "http://127.0.0.1:" + std::to_string(server_.port()),
                 "--serial", "UFSIM1", "--callback", device["callback_url"], "--device-port",
                 std::to_string(port), "--password", "pw-7781", "--passes", "4", "--interval-ms",
                 "300", "--stranger-every", "4"});
  const std::set<std::string> both = {std::to_string(a), std::to_string(b)};
  ASSERT_TRUE(WaitUntil([&] { return sim.Users() == both; }, 30s))
      << "the roster never reached the device; server log:\n"
      << server_.Log();
  // Its recognitions land as passes of this device: people from its roster, and a stranger.
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters().value("passes_recorded", 0) == 4; }, 30s))
      << sim.Counters().dump();
  EXPECT_EQ(EventsWhere("device_id = " + id), "4");
  EXPECT_GE(std::stoi(EventsWhere("device_id = " + id + " AND decision = 'allow'")), 1);
  EXPECT_EQ(EventsWhere("device_id = " + id + " AND person_id IS NULL"), "1");

  // A worker leaves: gone from the device within a minute (here: within seconds).
  const auto left = std::chrono::steady_clock::now();
  district_.Exit("P1", b);
  ASSERT_TRUE(
      WaitUntil([&] { return sim.Users() == std::set<std::string>{std::to_string(a)}; }, 60s))
      << "the exited worker is still on the device";
  EXPECT_LT(std::chrono::steady_clock::now() - left, 60s);
  // The cursor moves once the device has answered every call of the round.
  json d;
  EXPECT_TRUE(WaitUntil(
      [&] {
        d = server_.Api("GET", "/api/v1/projects/P1/devices").json["items"][0];
        return d["sync"]["pending"] == 0;
      },
      10s))
      << d.dump();
  EXPECT_TRUE(d["sync"]["error"].is_null()) << d.dump();
  EXPECT_GT(d["sync"]["version"].get<std::int64_t>(), 0);
  EXPECT_EQ(sim.Stop().exit_code, 0) << sim.Stop().err;
}

TEST_F(TerminalsTest, AHikvisionTerminalHoldsTheRosterThroughDigestAuthentication) {
  using namespace std::chrono_literals;
  const std::int64_t a = district_.GoodWorker("褚七", {"P1"});
  const std::int64_t b = district_.GoodWorker("卫八", {"P1"});
  const std::uint16_t port = FreePort();
  const json device = district_.Post("/api/v1/projects/P1/devices",
                                     {{"serial", "DS-K1T671M0120201020V030235ENSIM0001"},
                                      {"direction", "both"},
                                      {"vendor", "hikvision"},
                                      {"address", "127.0.0.1:" + std::to_string(port)},
                                      {"username", "admin"},
                                      {"password", "Hik-12345"}});
  const std::string id = std::to_string(device["id"].get<std::int64_t>());
  Simulator sim(
      server_.root(),
      {"--vendor", "hikvision", "--url", "http://127.0.0.1:" + std::to_string(server_.port()),
       "--serial", "DS-K1T671M0120201020V030235ENSIM0001", "--callback", device["callback_url"],
       "--device-port", std::to_string(port), "--username", "admin", "--password", "Hik-12345",
       "--passes", "4", "--interval-ms", "300"});
  const std::set<std::string> both = {std::to_string(a), std::to_string(b)};
  ASSERT_TRUE(WaitUntil([&] { return sim.Users() == both; }, 30s))
      << "the roster never reached the device; server log:\n"
      << server_.Log();
  EXPECT_GE(sim.Counters().value("digest_challenges", 0), 1) << "asked to authenticate first";
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters().value("passes_recorded", 0) == 4; }, 30s))
      << sim.Counters().dump();
  EXPECT_EQ(EventsWhere("device_id = " + id + " AND decision = 'allow'"), "4")
      << "checkIn and checkOut in turn, each person";

  district_.Exit("P1", a);
  ASSERT_TRUE(
      WaitUntil([&] { return sim.Users() == std::set<std::string>{std::to_string(b)}; }, 60s))
      << "the exited worker is still on the device";
  EXPECT_EQ(sim.Stop().exit_code, 0) << sim.Stop().err;
}

TEST_F(TerminalsTest, PassesWhosePushWasLostAreFoundInTheHikvisionTerminalsLog) {
  using namespace std::chrono_literals;
  // Searched every second here (every 10 minutes by default).
  ASSERT_EQ(server_.Stop(), 0);
  ASSERT_TRUE(server_.Start({"--terminal-catchup-seconds", "1"}));
  const std::int64_t a = district_.GoodWorker("蒋九", {"P1"});
  const std::uint16_t port = FreePort();
  const json device = district_.Post("/api/v1/projects/P1/devices",
                                     {{"serial", "DS-K1T671M0120201020V030235ENSIM0002"},
                                      {"direction", "both"},
                                      {"vendor", "hikvision"},
                                      {"address", "127.0.0.1:" + std::to_string(port)},
                                      {"username", "admin"},
                                      {"password", "Hik-2"}});
  const std::string id = std::to_string(device["id"].get<std::int64_t>());
  // Every pass is only logged on the device: the pushes were lost.
  Simulator sim(
      server_.root(),
      {"--vendor", "hikvision", "--url", "http://127.0.0.1:" + std::to_string(server_.port()),
       "--serial", "DS-K1T671M0120201020V030235ENSIM0002", "--callback", device["callback_url"],
       "--device-port", std::to_string(port), "--password", "Hik-2", "--passes", "3",
       "--offline-passes", "3", "--interval-ms", "1100"});
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters().value("passes_offline", 0) == 3; }, 30s))
      << sim.Counters().dump();
  ASSERT_TRUE(WaitUntil([&] { return EventsWhere("device_id = " + id) == "3"; }, 30s))
      << "the search never found the lost passes; " << sim.Counters().dump();
  EXPECT_EQ(EventsWhere("device_id = " + id + " AND person_id = " + std::to_string(a) +
                        " AND decision = 'allow'"),
            "3");
  EXPECT_EQ(sim.Counters().value("passes_recorded", 0), 0) << "nothing was pushed";
  // Searched again and again: still three.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(EventsWhere("device_id = " + id), "3");
  EXPECT_GE(sim.Counters().value("searches", 0), 2);
  EXPECT_EQ(sim.Stop().exit_code, 0) << sim.Stop().err;
}

TEST_F(TerminalsTest, AUfaceTerminalThatIsDownIsRetriedAndShowsWhy) {
  using namespace std::chrono_literals;
  district_.GoodWorker("郑三", {"P1"});
  const std::uint16_t port = FreePort();  // nobody answers there
  district_.Post("/api/v1/projects/P1/devices", {{"serial", "UFDOWN1"},
                                                 {"direction", "in"},
                                                 {"vendor", "uface"},
                                                 {"address", "127.0.0.1:" + std::to_string(port)}});
  json d;
  ASSERT_TRUE(WaitUntil(
      [&] {
        d = server_.Api("GET", "/api/v1/projects/P1/devices").json["items"][0];
        return d["sync"]["failures"].get<int>() >= 1;
      },
      30s));
  EXPECT_TRUE(d["sync"]["error"].is_string()) << d.dump();
  EXPECT_TRUE(Contains(d["sync"]["error"].get<std::string>(), "unreachable")) << d.dump();
  EXPECT_GE(d["sync"]["pending"].get<int>(), 1);
  EXPECT_EQ(d["sync"]["version"], 0);
}

TEST_F(TerminalsTest, AZktecoTerminalPullsTheRosterAndPunches) {
  using namespace std::chrono_literals;
  const std::int64_t a = district_.GoodWorker("冯四", {"P1"});
  const std::int64_t b = district_.GoodWorker("陈五", {"P1"});
  const json device =
      district_.Post("/api/v1/projects/P1/devices",
                     {{"serial", "ZKSIM1"}, {"direction", "both"}, {"vendor", "zkteco"}});
  const std::string id = std::to_string(device["id"].get<std::int64_t>());
  // Punches a second apart at least: a ZKTeco time has seconds, and (user, time) is the pass.
  Simulator sim(server_.root(),
                {"--vendor", "zkteco", "--url",
                 "http://127.0.0.1:" + std::to_string(server_.port()), "--serial", "ZKSIM1",
                 "--passes", "4", "--interval-ms", "1100", "--poll-ms", "200", "--replay"});
  const std::set<std::string> both = {std::to_string(a), std::to_string(b)};
  ASSERT_TRUE(WaitUntil([&] { return sim.Users() == both; }, 30s))
      << "the roster never reached the device; server log:\n"
      << server_.Log();
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters().value("punches_replayed", 0) == 4; }, 30s))
      << sim.Counters().dump();
  EXPECT_EQ(sim.Counters().value("punches_sent", 0), 4);
  EXPECT_EQ(EventsWhere("device_id = " + id), "4") << "each batch was sent twice, stored once";

  const auto left = std::chrono::steady_clock::now();
  district_.Exit("P1", a);
  ASSERT_TRUE(
      WaitUntil([&] { return sim.Users() == std::set<std::string>{std::to_string(b)}; }, 60s))
      << "the exited worker is still on the device";
  EXPECT_LT(std::chrono::steady_clock::now() - left, 60s);
  json d;
  EXPECT_TRUE(WaitUntil(
      [&] {
        d = server_.Api("GET", "/api/v1/projects/P1/devices").json["items"][0];
        return d["sync"]["pending"] == 0;
      },
      10s))
      << d.dump();
  EXPECT_EQ(d["firmware"], "Ver 8.0.4.7-sim");
  EXPECT_EQ(sim.Stop().exit_code, 0) << sim.Stop().err;
}

}  // namespace
}  // namespace zhizhi::e2e

// IoT end to end with the real broker: `zhizhi serve` starts its own Mosquitto; devices are
// registered through the API and publish with libmosquitto clients (iot/mqtt_client.h) using
// the credentials the registration gave them.
//
//   - a GB/T 26875.3 fire-alarm frame becomes a fire_alarm alert with the part and the address,
//     the device gets its confirm (same serial) on its down topic, the recovery is recorded, the
//     alert waits for the verdict of the person on duty, and a false alarm resolves it;
//   - a crane moment of 105 % gives crane_overload; a person without a valid tower-crane
//     certificate in the cab gives crane_unauthorised_operator and no session; a certified one
//     gets a session;
//   - a device publishing on another device's topic is refused by the broker;
//   - truncated frames, bad checksums, lengths over 1,024, unknown types and broken JSON are
//     counted by code and dropped, and the server goes on;
//   - silence makes iot_offline, a message clears it; after a restart the credentials still work
//     and an alarm already raised is not raised twice.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api_district.h"
#include "iot/gbt26875.h"
#include "iot/mqtt_client.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace gbt = iot::gbt26875;

// A device: connected with its registration's credentials, recording what it gets on `down`.
class DeviceClient {
 public:
  // `ca_file`: over the broker's TLS listener, trusting that certificate.
  explicit DeviceClient(const json& registration, const std::string& ca_file = "") {
    const json& m = registration.at("mqtt");
    iot::MqttOptions o;
    o.port = m.at(ca_file.empty() ? "port" : "tls_port").get<std::uint16_t>();
    o.ca_file = ca_file;
    o.username = m.at("username").get<std::string>();
    o.password = m.at("password").get<std::string>();
    up_ = m.at("topic_up").get<std::string>();
    client_ = std::make_unique<iot::MqttClient>(o);
    client_->Subscribe(m.at("topic_down").get<std::string>(), 1);
    client_->OnMessage([this](std::string_view, std::string_view payload) {
      std::lock_guard lock(mu_);
      down_.emplace_back(payload);
    });
  }
  Status Connect(int timeout_ms = 10'000) { return client_->Connect(timeout_ms); }
  bool Publish(std::string_view payload) { return client_->Publish(up_, payload, 1); }
  bool PublishOn(const std::string& topic, std::string_view payload) {
    return client_->Publish(topic, payload, 1);
  }
  std::vector<std::string> Down() {
    std::lock_guard lock(mu_);
    return down_;
  }

 private:
  std::string up_;
  std::unique_ptr<iot::MqttClient> client_;
  std::mutex mu_;
  std::vector<std::string> down_;
};

// A loopback port nobody listens on now.
std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

gbt::DeviceTime Now() {
  return gbt::DeviceTime{5, 31, 7, 2, 3, 2026};
}

// A send-data frame with one part status (type 2).
std::string PartFrame(std::uint16_t serial, std::uint16_t status, std::uint32_t part_address,
                      const std::string& description) {
  gbt::AppData data;
  data.type = 2;
  gbt::PartStatus p;
  p.system_type = 1;
  p.system_address = 1;
  p.part_type = 21;  // 感烟火灾探测器
  p.part_address = part_address;
  p.status = status;
  p.description = description;
  p.time = Now();
  data.parts.push_back(p);
  gbt::Frame f;
  f.serial = serial;
  f.time = Now();
  f.source = {1, 2, 3, 4, 5, 6};
  f.command = gbt::Command::kSendData;
  f.app_data = *gbt::EncodeAppData(data);
  return gbt::EncodeFrame(f);
}

class IotTest : public ::testing::Test {
 protected:
  json Register(const json& body) {
    const HttpResponse r = server_.Api("POST", "/api/v1/iot/devices", body.dump());
    EXPECT_EQ(r.status, 201) << r.Describe();
    return r.json;
  }
  json Alerts(const std::string& type) {
    return server_.Api("GET", "/api/v1/alerts?status=active&type=" + type).json;
  }
  json Device(std::int64_t id) {
    return server_.Api("GET", "/api/v1/iot/devices/" + std::to_string(id)).json;
  }
  json Stats() { return server_.Api("GET", "/api/v1/iot/stats").json; }

  TestServer server_;
};

TEST_F(IotTest, AFireAlarmFrameBecomesAnAlertAndIsConfirmedAfterItsCommit) {
  ASSERT_TRUE(server_.Start({"--no-faces"}));
  const std::string address = "浙江省杭州市钱塘区下沙街道学源街18号";
  const json uitd = Register({{"kind", "uitd"}, {"serial", "UITD-0001"}, {"address", address}});
  ASSERT_TRUE(uitd.contains("mqtt")) << uitd.dump();
  EXPECT_EQ(uitd["mqtt"]["topic_up"], "zz/dev/UITD-0001/up");
  EXPECT_EQ(uitd["state"], "never");
  // The password is shown once: the device's page has no trace of it.
  EXPECT_EQ(Device(uitd["id"]).dump().find(uitd["mqtt"]["password"].get<std::string>()),
            std::string::npos);

  DeviceClient device(uitd);
  ASSERT_TRUE(device.Connect().ok());
  ASSERT_TRUE(device.Publish(
      PartFrame(0x1234, gbt::kRunning | gbt::kFireAlarm, 305, "3号楼2层走廊感烟探测器")));

  ASSERT_TRUE(WaitUntil([&] { return Alerts("fire_alarm")["counts"]["total"] == 1; }, 10s))
      << Alerts("fire_alarm").dump() << server_.Log();
  const json alert = Alerts("fire_alarm")["items"][0];
  EXPECT_EQ(alert["severity"], "red");
  EXPECT_EQ(alert["device_id"], uitd["id"]);
  EXPECT_EQ(alert["subject_kind"], "iot_device");
  EXPECT_EQ(alert["detail"]["serial"], "UITD-0001");
  EXPECT_EQ(alert["detail"]["part"], "1-1-21-305");
  EXPECT_EQ(alert["detail"]["address"], address);
  EXPECT_TRUE(Contains(alert["message"].get<std::string>(), "3号楼2层走廊感烟探测器"));

  // The confirm: command 3, the frame's serial, the addresses swapped.
  ASSERT_TRUE(WaitUntil([&] { return !device.Down().empty(); }, 10s));
  auto confirm = gbt::DecodeFrame(device.Down()[0]);
  ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
  EXPECT_EQ(confirm->command, gbt::Command::kConfirm);
  EXPECT_EQ(confirm->serial, 0x1234);
  EXPECT_EQ(confirm->destination, (gbt::Address{1, 2, 3, 4, 5, 6}));

  // The same state again (the device repeats it): no second alert, no second alarm.
  ASSERT_TRUE(device.Publish(PartFrame(0x1235, gbt::kRunning | gbt::kFireAlarm, 305, "")));
  ASSERT_TRUE(WaitUntil([&] { return device.Down().size() == 2; }, 10s));
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM alerts WHERE type = 'fire_alarm'"), 1);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM iot_alarms"), 1);

  // The panel recovers: recorded, but a fire alarm waits for a person's verdict.
  ASSERT_TRUE(device.Publish(PartFrame(0x1236, gbt::kRunning, 305, "")));
  ASSERT_TRUE(WaitUntil([&] { return device.Down().size() == 3; }, 10s));
  json page = Device(uitd["id"]);
  ASSERT_EQ(page["alarms"].size(), 1u) << page.dump();
  EXPECT_FALSE(page["alarms"][0]["recovered_at"].is_null());
  EXPECT_EQ(page["parts"][0]["description"], "3号楼2层走廊感烟探测器");
  EXPECT_EQ(page["parts"][0]["flags"], json::array({"running"}));
  EXPECT_EQ(page["state"], "online");
  EXPECT_EQ(Alerts("fire_alarm")["counts"]["total"], 1);

  // A second fire at the same point before anyone decided on the first: an alert of its own.
  ASSERT_TRUE(device.Publish(PartFrame(0x1237, gbt::kRunning | gbt::kFireAlarm, 305, "")));
  ASSERT_TRUE(WaitUntil([&] { return Alerts("fire_alarm")["counts"]["total"] == 2; }, 10s));
  EXPECT_EQ(server_.Count("SELECT COUNT(DISTINCT alert_id) FROM iot_alarms"), 2);

  // The person on duty: a false alarm resolves its own alert only; a second verdict is refused.
  const std::string verdict =
      "/api/v1/iot/alarms/" + std::to_string(page["alarms"][0]["id"].get<int>()) + "/verdict";
  HttpResponse r = server_.Api("POST", verdict, R"({"verdict":"false","note":"厨房油烟"})");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json["verdict"], "false");
  EXPECT_EQ(Alerts("fire_alarm")["counts"]["total"], 1);
  EXPECT_EQ(server_.Api("POST", verdict, R"({"verdict":"real"})").status, 409);
  EXPECT_EQ(server_.Api("POST", verdict, R"({"verdict":"maybe"})").status, 400);
  EXPECT_EQ(server_.Api("POST", "/api/v1/iot/alarms/999/verdict", R"({"verdict":"real"})").status,
            404);
}

TEST_F(IotTest, CranesAlarmOnOverloadAndOnlyACertifiedEnrolledOperatorGetsASession) {
  ASSERT_TRUE(server_.Start({"--no-faces"}));
  District d(server_);
  d.Project("QT-CRANE");
  const std::int64_t driver = d.GoodWorker("王师傅", {"QT-CRANE"});
  d.Cert(driver, "special_operation", "05");
  const std::int64_t stranger = d.GoodWorker("李某", {"QT-CRANE"});  // no crane certificate
  const json crane = Register(
      {{"kind", "tower_crane"}, {"serial", "TC-01"}, {"project", "QT-CRANE"}, {"model", "QTZ80"}});
  ASSERT_TRUE(crane.contains("id"));
  DeviceClient cab(crane);
  ASSERT_TRUE(cab.Connect().ok());

  // Someone not certified logs in at the cab: refused, alarmed, no session.
  ASSERT_TRUE(
      cab.Publish(json{{"time", "2026-03-02T07:31:05+08:00"},
                       {"operator", {{"person_id", stranger}, {"score", 0.93}, {"liveness", true}}}}
                      .dump()));
  ASSERT_TRUE(
      WaitUntil([&] { return Alerts("crane_unauthorised_operator")["counts"]["total"] == 1; }, 10s))
      << server_.Log();
  json alert = Alerts("crane_unauthorised_operator")["items"][0];
  EXPECT_EQ(alert["project_code"], "QT-CRANE");
  EXPECT_EQ(alert["person_id"], stranger);
  EXPECT_EQ(alert["detail"]["reasons"], json::array({"certificate_missing"}));
  ASSERT_TRUE(WaitUntil([&] { return !cab.Down().empty(); }, 10s));
  EXPECT_EQ(json::parse(cab.Down()[0])["allow"], false);
  EXPECT_TRUE(Device(crane["id"])["session"].is_null());
  // An idle reading does not clear the refused log-in; liveness is required at the cab.
  ASSERT_TRUE(cab.Publish(json{{"time", "2026-03-02T07:31:35+08:00"},
                               {"values", {{"load_t", 0.0}, {"moment_ratio", 0.01}}}}
                              .dump()));
  ASSERT_TRUE(cab.Publish(json{{"time", "2026-03-02T07:31:40+08:00"},
                               {"operator", {{"person_id", driver}, {"score", 0.93}}}}
                              .dump()));
  ASSERT_TRUE(WaitUntil([&] { return Stats()["messages"]["received"] == 3; }, 10s));
  EXPECT_EQ(Stats()["messages"]["dropped_by_code"].value("invalid_argument", 0), 1);
  EXPECT_EQ(Alerts("crane_unauthorised_operator")["counts"]["total"], 1);

  // The certified driver: a session, the alarm cleared.
  ASSERT_TRUE(
      cab.Publish(json{{"time", "2026-03-02T07:32:05+08:00"},
                       {"operator", {{"person_id", driver}, {"score", 0.91}, {"liveness", true}}}}
                      .dump()));
  ASSERT_TRUE(WaitUntil([&] { return !Device(crane["id"])["session"].is_null(); }, 10s));
  json page = Device(crane["id"]);
  EXPECT_EQ(page["session"]["person_id"], driver);
  EXPECT_EQ(page["session"]["name"], "王师傅");
  EXPECT_EQ(Alerts("crane_unauthorised_operator")["counts"]["total"], 0);
  ASSERT_TRUE(WaitUntil([&] { return cab.Down().size() == 2; }, 10s));
  EXPECT_EQ(json::parse(cab.Down().back())["allow"], true) << cab.Down().back();

  // A moment of 105 % of rated: crane_overload as an alarm.
  ASSERT_TRUE(cab.Publish(
      json{{"time", "2026-03-02T07:33:05+08:00"},
           {"values",
            {{"load_t", 4.0}, {"radius_m", 20.0}, {"moment_ratio", 1.05}, {"wind_speed_ms", 6.0}}}}
          .dump()));
  ASSERT_TRUE(WaitUntil([&] { return Alerts("crane_overload")["counts"]["total"] == 1; }, 10s));
  alert = Alerts("crane_overload")["items"][0];
  EXPECT_EQ(alert["severity"], "red");
  EXPECT_EQ(alert["detail"]["level"], "alarm");
  EXPECT_EQ(alert["detail"]["measure"], "moment_ratio");
  EXPECT_EQ(alert["detail"]["serial"], "TC-01");
  // The load comes off: the overload clears by itself.
  ASSERT_TRUE(cab.Publish(json{{"time", "2026-03-02T07:33:35+08:00"},
                               {"values", {{"load_t", 0.0}, {"moment_ratio", 0.1}}}}
                              .dump()));
  ASSERT_TRUE(WaitUntil([&] { return Alerts("crane_overload")["counts"]["total"] == 0; }, 10s));

  // The driver logs out and the crane lifts again: working without a session.
  ASSERT_TRUE(
      cab.Publish(json{{"time", "2026-03-02T07:40:00+08:00"}, {"operator", nullptr}}.dump()));
  ASSERT_TRUE(cab.Publish(json{{"time", "2026-03-02T07:41:00+08:00"},
                               {"values", {{"load_t", 2.0}, {"moment_ratio", 0.4}}}}
                              .dump()));
  ASSERT_TRUE(WaitUntil(
      [&] { return Alerts("crane_unauthorised_operator")["counts"]["total"] == 1; }, 10s));
  EXPECT_EQ(Alerts("crane_unauthorised_operator")["items"][0]["detail"]["reason"], "no_session");
  page = Device(crane["id"]);
  ASSERT_EQ(page["sessions"].size(), 1u);
  EXPECT_EQ(page["sessions"][0]["end_reason"], "logout");
}

TEST_F(IotTest, TheBrokerRefusesAnotherDevicesTopicAndHostileMessagesAreCountedAndDropped) {
  ASSERT_TRUE(server_.Start({"--no-faces"}));
  const json a = Register({{"kind", "uitd"}, {"serial", "A-1"}, {"address", "钱塘区下沙街道1号"}});
  const json b = Register({{"kind", "uitd"}, {"serial", "B-1"}, {"address", "钱塘区下沙街道2号"}});
  DeviceClient device(a);
  ASSERT_TRUE(device.Connect().ok());
  // A's fire alarm on B's topic: the broker drops it (A may write only its own topic).
  ASSERT_TRUE(
      device.PublishOn("zz/dev/B-1/up", PartFrame(1, gbt::kRunning | gbt::kFireAlarm, 9, "")));
  // Hostile frames on its own topic.
  const std::string good = PartFrame(2, gbt::kRunning, 9, "");
  std::string bad_checksum = good;
  bad_checksum[bad_checksum.size() - 3] ^= 0x55;
  std::string too_long = good;
  too_long[24] = static_cast<char>(0xff);  // app data length low byte
  too_long[25] = static_cast<char>(0x7f);
  std::string unknown_type = good;
  unknown_type[27] = static_cast<char>(99);  // the app data's type, and the checksum again
  unsigned sum = 0;
  for (std::size_t i = 2; i + 3 < unknown_type.size(); ++i)
    sum += static_cast<unsigned char>(unknown_type[i]);
  unknown_type[unknown_type.size() - 3] = static_cast<char>(sum & 0xff);
  for (const std::string& payload :
       {good.substr(0, 20), bad_checksum, too_long, unknown_type, std::string("{\"time\":"),
        std::string("\x01\x02garbage", 9)}) {
    ASSERT_TRUE(device.Publish(payload));
  }
  ASSERT_TRUE(device.Publish(good));  // and a good one after them
  ASSERT_TRUE(WaitUntil([&] { return Stats()["messages"]["received"] == 7; }, 10s))
      << Stats().dump();
  const json stats = Stats();
  EXPECT_EQ(stats["messages"]["dropped"], 6) << stats.dump();
  const json codes = stats["messages"]["dropped_by_code"];
  EXPECT_EQ(codes.value("truncated", 0), 1) << codes.dump();
  EXPECT_EQ(codes.value("bad_checksum", 0), 1) << codes.dump();
  EXPECT_EQ(codes.value("unknown_type", 0), 1) << codes.dump();
  EXPECT_GE(codes.value("length_too_large", 0) + codes.value("truncated", 0), 2) << codes.dump();
  EXPECT_EQ(codes.value("unknown_payload", 0), 1) << codes.dump();
  EXPECT_EQ(Device(b["id"])["state"], "never");
  EXPECT_EQ(Alerts("fire_alarm")["counts"]["total"], 0);
  EXPECT_EQ(Device(a["id"])["parts"].size(), 1u);
  EXPECT_TRUE(Contains(server_.Log(), "event=iot_message_dropped"));

  // Bad registrations change nothing.
  const std::int64_t devices = server_.Count("SELECT COUNT(*) FROM iot_devices");
  EXPECT_EQ(
      server_.Api("POST", "/api/v1/iot/devices", R"({"kind":"uitd","serial":"A-1","address":"x"})")
          .status,
      409);
  EXPECT_EQ(
      server_
          .Api("POST", "/api/v1/iot/devices", R"({"kind":"toaster","serial":"T-1","address":"x"})")
          .status,
      400);
  EXPECT_EQ(
      server_.Api("POST", "/api/v1/iot/devices", R"({"kind":"uitd","serial":"a/b#","address":"x"})")
          .status,
      400);
  EXPECT_EQ(server_
                .Api("POST", "/api/v1/iot/devices",
                     R"({"kind":"tower_crane","serial":"TC-9","address":"x"})")
                .status,
            400);
  EXPECT_EQ(server_
                .Api("POST", "/api/v1/iot/devices",
                     R"({"kind":"uitd","serial":"zhizhi-core","address":"x"})")
                .status,
            400);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM iot_devices"), devices);
}

TEST_F(IotTest, SilenceIsOfflineAndARestartKeepsCredentialsAndAlarms) {
  ASSERT_TRUE(server_.Start({"--no-faces", "--iot-offline-seconds", "2"}));
  const json reg =
      Register({{"kind", "uitd"}, {"serial", "U-9"}, {"address", "钱塘区下沙街道9号"}});
  {
    DeviceClient device(reg);
    ASSERT_TRUE(device.Connect().ok());
    ASSERT_TRUE(device.Publish(PartFrame(1, gbt::kRunning | gbt::kFireAlarm, 7, "仓库感烟")));
    ASSERT_TRUE(WaitUntil([&] { return Alerts("fire_alarm")["counts"]["total"] == 1; }, 10s));
    // Silent for more than two seconds: offline.
    ASSERT_TRUE(WaitUntil([&] { return Alerts("iot_offline")["counts"]["total"] == 1; }, 10s))
        << server_.Log();
    EXPECT_EQ(Device(reg["id"])["state"], "offline");
    ASSERT_TRUE(device.Publish(PartFrame(2, gbt::kRunning | gbt::kFireAlarm, 7, "")));
    ASSERT_TRUE(WaitUntil([&] { return Alerts("iot_offline")["counts"]["total"] == 0; }, 10s));
    EXPECT_EQ(Device(reg["id"])["state"], "online");
  }
  ASSERT_TRUE(server_.Restart());
  DeviceClient device(reg);  // the same credentials, a new broker process
  ASSERT_TRUE(device.Connect().ok());
  ASSERT_TRUE(device.Publish(PartFrame(3, gbt::kRunning | gbt::kFireAlarm, 7, "")));
  ASSERT_TRUE(WaitUntil([&] { return !device.Down().empty(); }, 10s));
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM alerts WHERE type = 'fire_alarm'"), 1);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM iot_alarms WHERE type = 'fire_alarm'"), 1);
  EXPECT_EQ(Device(reg["id"])["parts"][0]["description"], "仓库感烟");
}

TEST_F(IotTest, DevicesElsewhereConnectOverTlsWithTheSameCredentials) {
  ASSERT_TRUE(MakeCertificate(server_.root(), "mqtt")) << "openssl req failed";
  ASSERT_TRUE(MakeCertificate(server_.root(), "stranger"));
  const std::uint16_t tls_port = FreePort();
  ASSERT_TRUE(
      server_.Start({"--no-faces", "--mqtt-tls-port", std::to_string(tls_port), "--mqtt-tls-bind",
                     "127.0.0.1", "--mqtt-tls-cert", server_.root() + "/mqtt.crt", "--mqtt-tls-key",
                     server_.root() + "/mqtt.key"}));
  const json reg =
      Register({{"kind", "uitd"}, {"serial", "TLS-1"}, {"address", "钱塘区下沙街道5号"}});
  ASSERT_EQ(reg["mqtt"]["tls_port"], tls_port) << reg.dump();
  DeviceClient device(reg, server_.root() + "/mqtt.crt");
  ASSERT_TRUE(device.Connect().ok());
  ASSERT_TRUE(device.Publish(PartFrame(9, gbt::kRunning | gbt::kFireAlarm, 3, "TLS")));
  ASSERT_TRUE(WaitUntil([&] { return !device.Down().empty(); }, 10s));
  EXPECT_EQ(gbt::DecodeFrame(device.Down()[0])->command, gbt::Command::kConfirm);
  EXPECT_EQ(Alerts("fire_alarm")["counts"]["total"], 1);
  // A client that trusts another certificate never gets through; nor does a wrong password.
  DeviceClient wrong_ca(reg, server_.root() + "/stranger.crt");
  EXPECT_FALSE(wrong_ca.Connect(2'000).ok());
  json forged = reg;
  forged["mqtt"]["password"] = "not-the-password";
  DeviceClient wrong_password(forged, server_.root() + "/mqtt.crt");
  EXPECT_FALSE(wrong_password.Connect(2'000).ok());
}

}  // namespace
}  // namespace zhizhi::e2e

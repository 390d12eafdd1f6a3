// Residence registration end to end through the real binary and a police endpoint on loopback
// (the reference receiver of the wire format, in this process): a submission committed before a
// kill -9 is delivered after the restart, exactly once.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api_case.h"
#include "residence/police_endpoint.h"
#include "security/field_cipher.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;
using residence::EndpointOptions;
using residence::PoliceEndpoint;
using residence::WireKey;
using namespace std::chrono_literals;

constexpr const char* kPath = "/floating-population/v1/messages";

WireKey KeyOf(unsigned char first) {
  WireKey k{};
  for (size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<unsigned char>(first + i);
  return k;
}

std::string Hex(const WireKey& k) {
  return security::ToHex(std::string(reinterpret_cast<const char*>(k.data()), k.size()));
}

EndpointOptions Police() {
  EndpointOptions o;
  o.path = kPath;
  o.hmac_key = KeyOf(1);
  o.id_key = KeyOf(101);
  return o;
}

// A port nobody listens on (for a while).
std::uint16_t FreePort() {
  PoliceEndpoint probe(Police());
  auto port = probe.Start();
  EXPECT_TRUE(port.ok());
  probe.Stop();
  return port.ok() ? *port : 0;
}

class ResidenceE2eTest : public ::testing::Test {
 protected:
  // Writes the police configuration (mode 0600) for `port` and returns the serve flags.
  std::vector<std::string> Flags(std::uint16_t port, std::int64_t timeout_ms) {
    const std::string file = server_.root() + "/police.json";
    const json config = {{"url", "http://127.0.0.1:" + std::to_string(port) + kPath},
                         {"client_id", "330114-zz"},
                         {"key_id", "2026-1"},
                         {"hmac_key", Hex(KeyOf(1))},
                         {"id_key", Hex(KeyOf(101))},
                         {"timeout_ms", timeout_ms},
                         {"retry", {{"base_ms", 100}, {"max_ms", 300}, {"max_attempts", 1000}}}};
    WriteFileBytes(file, config.dump(2));
    ::chmod(file.c_str(), 0600);
    return {"--police-config", file, "--sync-poll-ms", "50"};
  }

  void Ok(const HttpResponse& r, int status = 201) { ASSERT_EQ(r.status, status) << r.Describe(); }

  // A worker with everything a registration needs, face verified, enrolled with a dormitory;
  // a pass at the gate (the arrival) completes the registration, which is then submitted.
  void RegisterWorker() {
    Ok(server_.Api("POST", "/api/v1/corps", R"({"uscc":"91331122MA2A0M9B7N","name":"丽水劳务"})"));
    Ok(server_.Api("POST", "/api/v1/projects",
                   R"({"code":"R1","name":"一号工地","region_code":"330114","status":"active"})"));
    Ok(server_.Api("POST", "/api/v1/projects/R1/corps",
                   R"({"uscc":"91331122MA2A0M9B7N","corp_type":"006"})"));
    auto person =
        server_.Api("POST", "/api/v1/persons",
                    R"({"id_type":"01","id_number":"11010519491231002X","name":"张三",)"
                    R"("nation":"汉族","phone":"13800138000","id_address":"北京市东城区"})");
    Ok(person);
    person_ = person.json["id"];
    const std::string p = std::to_string(person_);
    Ok(server_.Api("POST", "/api/v1/persons/" + p + "/certificates",
                   R"({"kind":"post","type_code":"safety_training","number":"T-1",)"
                   R"("valid_from":")" +
                       ChinaDate(-30) + R"(","valid_to":")" + ChinaDate(300) + R"("})"));
    // The face module's verification: the ID card's chip photo, then a live face matched to it.
    for (const auto& [source, crop] : {std::pair{"id_card", "sample3.jpg:560,300,280,350:102x126"},
                                       std::pair{"live", "sample3.jpg:520,250,340,430"}}) {
      std::string error;
      const std::string image = FacePhotoBase64(crop, &error);
      ASSERT_TRUE(error.empty()) << error;
      Ok(server_.Api("POST", "/api/v1/persons/" + p + "/faces",
                     nlohmann::json{{"source", source}, {"image", image}}.dump()));
    }
    Ok(server_.Api("POST", "/api/v1/projects/R1/workers",
                   R"({"person_id":)" + p +
                       R"(,"uscc":"91331122MA2A0M9B7N","work_role":"20",)"
                       R"("work_type":"020","entry_date":")" +
                       ChinaDate(-1) + R"(","dorm_address":"钱塘区建设者之家 3 幢 201"})"));
    auto device =
        server_.Api("POST", "/api/v1/projects/R1/devices", R"({"serial":"R1-G","direction":"in"})");
    Ok(device);
    const std::string token = device.json["token"];
    const auto pass = server_.Request("POST", "/api/v1/gate/events",
                                      R"({"event_id":"e1","time":")" + ChinaDate(-1) +
                                          R"(T08:00:00+08:00","person_id":)" + p + "}",
                                      token);
    ASSERT_EQ(pass.status, 200) << pass.Describe();
    ASSERT_EQ(pass.json["decision"], "allow") << pass.Describe();
    // The pass's job committed the submission and its outbox row together.
    EXPECT_EQ(server_.Query("SELECT status FROM residence_registrations"), "submitted");
    EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending'"), 1);
  }

  json Registration() {
    auto r =
        server_.Api("GET", "/api/v1/residence-registrations?person_id=" + std::to_string(person_));
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.json["items"].empty() ? json() : r.json["items"][0];
  }

  // Waits (bounded) until the registration is answered.
  json WaitAnswered() {
    json r;
    const bool answered = WaitUntil(
        [&] {
          r = Registration();
          return r.is_object() && r["status"] != "submitted";
        },
        30s, 50ms);
    if (!answered) ADD_FAILURE() << "not answered within 30 s; log:\n" << server_.Log();
    return r;
  }

  TestServer server_;
  std::int64_t person_ = 0;
};

// A row waiting for the daily export holds no sealed number: after `keys rotate` the export
// unseals the person's number under the new key and the file carries it in full.
TEST_F(ResidenceE2eTest, APendingExportSurvivesAKeyRotation) {
  ASSERT_TRUE(server_.Start({"--export-hour", "24"}));  // no export file by itself
  RegisterWorker();
  ASSERT_EQ(server_.Stop(), 0);
  ASSERT_EQ(server_.Query("SELECT state FROM sync_outbox"), "pending");
  const ProcessResult rotate = RunZhizhi({"keys", "rotate", "--data", server_.data_dir()});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.out << rotate.err;
  const std::string dir = server_.root() + "/exports";
  const ProcessResult exported =
      RunZhizhi({"residence", "export", "--data", server_.data_dir(), "--dir", dir});
  ASSERT_EQ(exported.exit_code, 0) << exported.out << exported.err;
  EXPECT_TRUE(Contains(exported.out, "1 rows written")) << exported.out;
  const std::string file = exported.out.substr(exported.out.find(dir));
  EXPECT_TRUE(Contains(ReadFileBytes(file.substr(0, file.find('\n'))), "'11010519491231002X"));
  EXPECT_EQ(server_.Query("SELECT state FROM sync_outbox"), "sent");
}

// The submission is committed, the police are unreachable (nothing sent yet), the server dies
// with kill -9: after the restart the message goes out and is registered once.
TEST_F(ResidenceE2eTest, ACrashBetweenTheStateChangeAndTheSendLosesNothing) {
  const std::uint16_t port = FreePort();
  const auto flags = Flags(port, 2'000);
  ASSERT_TRUE(server_.Start(flags));
  RegisterWorker();
  // Attempts fail (connection refused) and are retried; none can have reached the police.
  EXPECT_TRUE(
      WaitUntil([&] { return server_.Count("SELECT attempts FROM sync_outbox") >= 2; }, 10s))
      << "fewer than two attempts within 10 s; log:\n"
      << server_.Log();
  server_.Kill();
  EXPECT_EQ(server_.Query("SELECT status FROM residence_registrations"), "submitted");
  EXPECT_EQ(server_.Query("SELECT state FROM sync_outbox"), "pending");

  PoliceEndpoint police(Police());
  ASSERT_TRUE(police.Start("127.0.0.1", port).ok());
  ASSERT_TRUE(server_.Start(flags));
  const json r = WaitAnswered();
  EXPECT_EQ(r["status"], "accepted");
  const auto messages = police.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(r["receipt_no"], messages[0].answer["receipt_no"]);
  EXPECT_EQ(messages[0].id_number, "11010519491231002X");  // decrypted at the other end
  EXPECT_EQ(messages[0].idempotency_key, "330114-zz:" + r["id"].dump() + ":1");
  EXPECT_EQ(police.bad_signatures(), 0);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM sync_outbox"), 1);
  // The sync status says so.
  auto status = server_.Api("GET", "/api/v1/sync/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.json["targets"][0]["target"], "police");
  EXPECT_EQ(status.json["targets"][0]["sent"], 1);
  EXPECT_EQ(status.json["targets"][0]["pending"], 0);
  EXPECT_NE(status.json["targets"][0]["last_error"].get<std::string>().find("connect"),
            std::string::npos);
  EXPECT_EQ(server_.Stop(), 0);
  police.Stop();
}

// The police have registered the message but their answer has not come back when the server
// dies: after the restart the same message (same key) is sent again and the first answer comes
// back; the police hold one registration.
TEST_F(ResidenceE2eTest, ACrashWhileThePoliceHoldTheRequestRegistersOnce) {
  EndpointOptions options = Police();
  options.slow_first = 1;
  options.slow_ms = 60'000;  // the answer never arrives before the crash
  PoliceEndpoint police(options);
  auto port = police.Start();
  ASSERT_TRUE(port.ok());
  const auto flags = Flags(*port, 30'000);
  ASSERT_TRUE(server_.Start(flags));
  RegisterWorker();
  ASSERT_TRUE(WaitUntil([&] { return !police.messages().empty(); }, 10s))
      << "the police got no message within 10 s; log:\n"
      << server_.Log();
  ASSERT_EQ(police.messages().size(), 1u);
  server_.Kill();
  EXPECT_EQ(server_.Query("SELECT status FROM residence_registrations"), "submitted");

  ASSERT_TRUE(server_.Start(flags));
  const json r = WaitAnswered();
  EXPECT_EQ(r["status"], "accepted");
  EXPECT_EQ(police.messages().size(), 1u);
  EXPECT_GE(police.duplicates(), 1);
  EXPECT_EQ(r["receipt_no"], police.messages()[0].answer["receipt_no"]);
  const auto history = server_.Api("GET", "/api/v1/residence-registrations/" + r["id"].dump());
  int accepted = 0;
  for (const json& h : history.json["history"])
    accepted += h["action"] == "accepted";
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(server_.Stop(), 0);
  police.Stop();
}

// A police system that never answers does not hold up a SIGTERM: the attempt is abandoned (not
// counted, not applied) and the message goes out again after the restart.
TEST_F(ResidenceE2eTest, StoppingDoesNotWaitForASlowPoliceSystem) {
  EndpointOptions options = Police();
  options.slow_first = 1;
  options.slow_ms = 120'000;
  PoliceEndpoint police(options);
  auto port = police.Start();
  ASSERT_TRUE(port.ok());
  const auto flags = Flags(*port, 60'000);  // a generous deadline: only the stop can cut it short
  ASSERT_TRUE(server_.Start(flags));
  RegisterWorker();
  ASSERT_TRUE(WaitUntil([&] { return police.requests() > 0; }, 10s))
      << "the police got no request within 10 s; log:\n"
      << server_.Log();
  ASSERT_EQ(police.requests(), 1);
  EXPECT_EQ(server_.Stop(), 0);  // within the harness's bound, far below the 60 s deadline
  EXPECT_EQ(server_.Query("SELECT state || '/' || attempts FROM sync_outbox"), "pending/0");
  ASSERT_TRUE(server_.Start(flags));
  EXPECT_EQ(WaitAnswered()["status"], "accepted");
  EXPECT_EQ(police.messages().size(), 1u);
  EXPECT_EQ(server_.Stop(), 0);
  police.Stop();
}

TEST_F(ResidenceE2eTest, APoliceConfigReadableByOthersIsRefused) {
  const std::string file = server_.root() + "/police.json";
  WriteFileBytes(file, "{}");
  ::chmod(file.c_str(), 0644);
  const ProcessResult r =
      RunZhizhi({"serve", "--data", server_.data_dir(), "--port", "0", "--police-config", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("must not be readable by group or others"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace zhizhi::e2e

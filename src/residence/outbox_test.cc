// The outbox against a real HTTP endpoint on loopback (the reference receiver, police_endpoint.h)
// that fails, answers too late, drops connections after doing the work and answers twice.
#include "residence/outbox_sender.h"

#include <gtest/gtest.h>

#include "base/resident_id.h"
#include "residence/police_endpoint.h"
#include "testkit/test_district.h"

namespace zhizhi::residence {
namespace {

using nlohmann::json;

constexpr const char* kNow = "2026-03-16T10:00:00+08:00";
constexpr const char* kPath = "/floating-population/v1/messages";

WireKey KeyOf(unsigned char first) {
  WireKey k{};
  for (size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<unsigned char>(first + i);
  return k;
}

security::Principal Admin() {
  security::Principal p;
  p.name = "admin";
  p.rights = ~0u;
  p.all_projects = true;
  return p;
}

class OutboxTest : public ::testing::Test {
 protected:
  // An endpoint with `faults`, and a district whose submissions go to it.
  void Start(EndpointOptions faults, int max_attempts = 10, std::int64_t timeout_ms = 2'000,
             WireKey sender_hmac = KeyOf(1)) {
    ASSERT_TRUE(security::InitSodium().ok());
    faults.path = kPath;
    faults.hmac_key = KeyOf(1);
    faults.id_key = KeyOf(101);
    endpoint_ = std::make_unique<PoliceEndpoint>(faults);
    auto port = endpoint_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    Configure(*port, max_attempts, timeout_ms, sender_hmac);
  }

  void Configure(std::uint16_t port, int max_attempts, std::int64_t timeout_ms,
                 WireKey sender_hmac) {
    const WireKey id_key = KeyOf(101);
    auto hex = [](const WireKey& k) {
      return security::ToHex(std::string(reinterpret_cast<const char*>(k.data()), k.size()));
    };
    json doc = {{"url", "http://127.0.0.1:" + std::to_string(port) + kPath},
                {"client_id", "330114-zz"},
                {"key_id", "k1"},
                {"hmac_key", hex(sender_hmac)},
                {"id_key", hex(id_key)},
                {"timeout_ms", timeout_ms},
                {"retry", {{"base_ms", 1000}, {"max_ms", 8000}, {"max_attempts", max_attempts}}}};
    auto config = PoliceConfig::FromJson(doc, "test");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    adapter_ = std::make_unique<PoliceAdapter>(*config);
    d_ = std::make_unique<testkit::TestDistrict>(::testing::TempDir(), kNow, true, adapter_.get());
    sender_ = std::make_unique<OutboxSender>(&d_->db(), &d_->residence(), &d_->cipher());
    auto gc = d_->Corp("总包公司");
    ASSERT_TRUE(gc.ok());
    gc_ = *gc;
    ASSERT_TRUE(d_->Project("P1", "active", d_->Day(-100)).ok());
    ASSERT_TRUE(d_->ProjectCorp("P1", gc_, "009").ok());
  }

  void TearDown() override {
    sender_.reset();
    if (endpoint_) endpoint_->Stop();
    d_.reset();
  }

  // A worker whose registration is complete and submitted (the arrival was the last piece).
  std::int64_t SubmittedWorker(const std::string& dorm = "钱塘区建设者之家 3 幢 201") {
    auto w = d_->Person("王海涛");
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE(d_->CompletePerson(*w).ok());
    EXPECT_TRUE(d_->VerifyFace(*w).ok());
    EXPECT_TRUE(d_->Enrol("P1", *w, gc_, "20", "020", std::nullopt, d_->Day(-1), dorm).ok());
    EXPECT_TRUE(d_->Pass("P1", *w, d_->Day(0)).ok());
    return *w;
  }

  // Rounds of the sender, each after every back-off has passed.
  void Drain(int rounds) {
    for (int i = 0; i < rounds; ++i) {
      auto sent = sender_->SendDue();
      ASSERT_TRUE(sent.ok()) << sent.status().ToString();
      d_->Advance(60'000);
    }
  }

  json Records(std::int64_t person) {
    auto r = d_->db().Read([&](store::Connection& conn) {
      RegistrationFilter f;
      f.person_id = person;
      store::Page page;
      return d_->residence().List(conn, f, page, Admin());
    });
    EXPECT_TRUE(r.ok());
    return r.ok() ? (*r)["items"] : json::array();
  }

  json Get(std::int64_t id) {
    auto r = d_->db().Read(
        [&](store::Connection& conn) { return d_->residence().Get(conn, id, Admin()); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : json();
  }

  std::unique_ptr<PoliceEndpoint> endpoint_;
  std::unique_ptr<PoliceAdapter> adapter_;
  std::unique_ptr<testkit::TestDistrict> d_;
  std::unique_ptr<OutboxSender> sender_;
  std::string gc_;
};

TEST_F(OutboxTest, ExactlyOnceThroughFailuresLateAnswersDropsAndDoubleAnswers) {
  EndpointOptions faults;
  faults.fail_first = 2;  // 503, 503
  faults.slow_first = 1;  // registered, but the answer comes after our deadline
  faults.slow_ms = 1'500;
  faults.drop_first = 1;  // the duplicate is recognised, then the connection drops
  faults.answer_twice = true;
  Start(faults, /*max_attempts=*/10, /*timeout_ms=*/300);
  const std::int64_t w = SubmittedWorker();
  const json before = Records(w)[0];
  ASSERT_EQ(before["status"], "submitted");

  Drain(6);
  const json r = Records(w)[0];
  EXPECT_EQ(r["status"], "accepted");
  // The police registered it once and said so to every retry.
  EXPECT_EQ(endpoint_->requests(), 5);
  EXPECT_EQ(endpoint_->duplicates(), 2);
  const auto messages = endpoint_->messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(r["receipt_no"], messages[0].answer["receipt_no"]);
  EXPECT_EQ(messages[0].idempotency_key, r["sync"]["idempotency_key"]);
  EXPECT_EQ(messages[0].message_type, "registration");
  // The ID number arrived encrypted and opened at the other end.
  EXPECT_EQ(messages[0].id_number, MakeResidentIdNumber("411421", Date{1985, 5, 1}, 2));
  EXPECT_EQ(messages[0].body["applicant"]["id_number_masked"],
            "411421********" + messages[0].id_number.substr(14));
  EXPECT_FALSE(messages[0].body["applicant"].contains("id_number"));
  EXPECT_EQ(r["sync"]["state"], "sent");
  EXPECT_EQ(r["sync"]["attempts"], 5);
  int accepted = 0;
  const json full = Get(r["id"]);
  for (const json& h : full["history"])
    accepted += h["action"] == "accepted";
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(endpoint_->bad_signatures(), 0);
}

TEST_F(OutboxTest, OnePersonsMessagesLeaveInOrder) {
  Start({});
  const std::int64_t w = SubmittedWorker();
  // He leaves before the police answered: the deregistration waits behind the registration.
  ASSERT_TRUE(d_->Exit("P1", w, d_->Day(0)).ok());
  json records = Records(w);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["kind"], "deregistration");
  EXPECT_EQ(records[1]["status"], "submitted");
  const std::int64_t other = SubmittedWorker("钱塘区宿舍 9 幢");

  auto sent = sender_->SendDue();
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 3);  // one round per answer that unblocks the next message
  const auto messages = endpoint_->messages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].message_type, "registration");
  EXPECT_EQ(messages[1].message_type, "registration");  // the other worker's, not blocked
  EXPECT_EQ(messages[2].message_type, "deregistration");
  EXPECT_EQ(messages[2].registration_ref, messages[0].registration_ref);
  records = Records(w);
  EXPECT_EQ(records[0]["status"], "deregistered");
  EXPECT_EQ(records[1]["status"], "accepted");
  EXPECT_EQ(Records(other)[0]["status"], "accepted");
}

TEST_F(OutboxTest, RejectionsComeBackWithTheirReason) {
  EndpointOptions options;
  options.reject = [](const json& m) -> std::optional<std::string> {
    if (m["residence"]["address"].get<std::string>().find("无此地址") == std::string::npos) {
      return std::nullopt;
    }
    return "居住地址无法核实";
  };
  Start(options);
  const std::int64_t w = SubmittedWorker("无此地址 1 号");
  Drain(1);
  const json r = Records(w)[0];
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_EQ(r["reject_reason"], "居住地址无法核实");
  EXPECT_EQ(r["receipt_no"], nullptr);
}

TEST_F(OutboxTest, ABadSignatureFailsForGoodAndShowsInTheSyncCounts) {
  Start({}, 10, 2'000, /*sender_hmac=*/KeyOf(50));
  const std::int64_t w = SubmittedWorker();
  Drain(2);
  EXPECT_EQ(endpoint_->bad_signatures(), 1);  // 401 is not retried: a configuration problem
  const json r = Records(w)[0];
  EXPECT_EQ(r["status"], "submitted");
  EXPECT_EQ(r["sync"]["state"], "failed");
  EXPECT_NE(r["sync"]["last_error"].get<std::string>().find("HTTP 401"), std::string::npos);
  auto counts =
      d_->db().Read([&](store::Connection& conn) { return d_->residence().SyncCounts(conn); });
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)["police"]["failed"], 1);
  EXPECT_EQ((*counts)["police"]["pending"], 0);
  EXPECT_NE((*counts)["police"]["last_error"].get<std::string>().find("bad signature"),
            std::string::npos);
  EXPECT_EQ(Get(r["id"])["history"].back()["action"], "delivery_failed");
}

TEST_F(OutboxTest, AnUnreachableEndpointIsRetriedWithGrowingBackOffThenGivenUp) {
  Start({}, /*max_attempts=*/3);
  endpoint_->Stop();  // nobody listens any more: connection refused
  const std::int64_t w = SubmittedWorker();
  std::vector<std::int64_t> gaps;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sender_->SendDue().ok());
    const json r = Records(w)[0];
    EXPECT_EQ(r["sync"]["attempts"], i + 1);
    if (r["sync"]["state"] == "pending") {
      auto next = Timestamp::ParseRfc3339(r["sync"]["next_attempt_at"].get<std::string>(), "t");
      ASSERT_TRUE(next.ok());
      gaps.push_back(next->unix_ms);
    }
    d_->Advance(60'000);
  }
  EXPECT_EQ(Records(w)[0]["sync"]["state"], "failed");
  EXPECT_EQ(gaps.size(), 2u);
  // base × 2^(n−1) with jitter in [0.5, 1], capped.
  for (int n = 1; n <= 8; ++n) {
    const std::int64_t full = std::min<std::int64_t>(8000, 1000LL << (n - 1));
    const std::int64_t b = sender_->Backoff(n);
    EXPECT_GE(b, full / 2) << n;
    EXPECT_LE(b, full) << n;
  }
}

}  // namespace
}  // namespace zhizhi::residence

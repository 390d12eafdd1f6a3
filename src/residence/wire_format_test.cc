#include "residence/wire_format.h"

#include <gtest/gtest.h>

#include "residence/police_adapter.h"
#include "security/field_cipher.h"

namespace zhizhi::residence {
namespace {

WireKey KeyOf(unsigned char first) {
  WireKey k{};
  for (size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<unsigned char>(first + i);
  return k;
}

// The documented canonical form, and its signature computed independently (Python's hmac and
// hashlib over the same bytes), so the sender and the documentation cannot drift apart.
TEST(WireFormatTest, CanonicalFormAndSignatureMatchAnIndependentComputation) {
  ASSERT_TRUE(security::InitSodium().ok());
  CanonicalRequest r;
  r.path = "/floating-population/v1/messages";
  r.client_id = "330114-zhizhi";
  r.key_id = "k1";
  r.timestamp_ms = 1773626400000;
  r.idempotency_key = "zhizhi:1:1";
  r.body_sha256_hex = Sha256Hex(R"({"a":1})");
  EXPECT_EQ(r.body_sha256_hex, "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  EXPECT_EQ(CanonicalString(r),
            "ZZ1-HMAC-SHA256\nPOST\n/floating-population/v1/messages\n330114-zhizhi\nk1\n"
            "1773626400000\nzhizhi:1:1\n"
            "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  const std::string signature = HmacSha256Hex(KeyOf(1), CanonicalString(r));
  EXPECT_EQ(signature, "a24aecd0c7c532a7132b1c4cf6630a8af3783ce45a55506c8960c4d1d4a1a287");
  EXPECT_TRUE(SignatureMatches(KeyOf(1), CanonicalString(r), signature));
  EXPECT_FALSE(SignatureMatches(KeyOf(2), CanonicalString(r), signature));
  r.idempotency_key = "zhizhi:1:2";  // any field changed: the signature no longer matches
  EXPECT_FALSE(SignatureMatches(KeyOf(1), CanonicalString(r), signature));
  EXPECT_FALSE(SignatureMatches(KeyOf(1), CanonicalString(r), "not hex"));
  EXPECT_FALSE(SignatureMatches(KeyOf(1), CanonicalString(r), "abcd"));
}

TEST(WireFormatTest, IdNumbersOpenOnlyUnderTheKeyAndInTheirMessage) {
  ASSERT_TRUE(security::InitSodium().ok());
  const std::string field = EncryptField(KeyOf(7), "11010519491231002X", "zhizhi:9:1");
  ASSERT_TRUE(field.starts_with("xc20p1:"));
  EXPECT_EQ(field.find("11010519491231002X"), std::string::npos);
  auto opened = DecryptField(KeyOf(7), field, "zhizhi:9:1");
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(*opened, "11010519491231002X");
  // A fresh nonce each time: the same number never gives the same text.
  EXPECT_NE(EncryptField(KeyOf(7), "11010519491231002X", "zhizhi:9:1"), field);
  EXPECT_FALSE(DecryptField(KeyOf(8), field, "zhizhi:9:1").ok());   // another key
  EXPECT_FALSE(DecryptField(KeyOf(7), field, "zhizhi:10:1").ok());  // copied into another message
  std::string tampered = field;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(DecryptField(KeyOf(7), tampered, "zhizhi:9:1").ok());
  EXPECT_FALSE(DecryptField(KeyOf(7), "xc20p1:!!", "zhizhi:9:1").ok());
  EXPECT_FALSE(DecryptField(KeyOf(7), "plain", "zhizhi:9:1").ok());
}

TEST(WireFormatTest, PoliceConfigIsCheckedField_by_field) {
  const std::string hmac(64, 'a'), id(64, 'b');
  auto ok = PoliceConfig::FromJson({{"url", "http://127.0.0.1:18510/fp/v1/messages"},
                                    {"client_id", "330114-zhizhi"},
                                    {"hmac_key", hmac},
                                    {"id_key", id},
                                    {"retry", {{"base_ms", 100}, {"max_attempts", 3}}}},
                                   "t.json");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->host, "127.0.0.1");
  EXPECT_EQ(ok->port, 18510);
  EXPECT_EQ(ok->path, "/fp/v1/messages");
  EXPECT_EQ(ok->retry.base_ms, 100);
  EXPECT_EQ(ok->retry.max_attempts, 3);
  EXPECT_EQ(ok->timeout_ms, 10'000);

  auto bad = [&](nlohmann::json doc) { return PoliceConfig::FromJson(doc, "t.json").ok(); };
  const nlohmann::json base = {
      {"url", "http://h/p"}, {"client_id", "c"}, {"hmac_key", hmac}, {"id_key", id}};
  EXPECT_TRUE(bad(base));
  for (const char* drop : {"url", "client_id", "hmac_key", "id_key"}) {
    auto doc = base;
    doc.erase(drop);
    EXPECT_FALSE(bad(doc)) << drop;
  }
  auto with = [&](const char* key, nlohmann::json value) {
    auto doc = base;
    doc[key] = std::move(value);
    return bad(doc);
  };
  EXPECT_FALSE(with("url", "https://h/p"));  // no TLS in the adapter: a proxy does it
  EXPECT_FALSE(with("url", "http://h:99999/p"));
  EXPECT_FALSE(with("hmac_key", "abc"));
  EXPECT_FALSE(with("id_key", hmac));  // the same key for both uses
  EXPECT_FALSE(with("timeout_ms", 1));
  EXPECT_FALSE(with("surprise", 1));
}

TEST(WireFormatTest, AnswersAreClassified) {
  using K = Delivery::Kind;
  EXPECT_EQ(PoliceAdapter::Interpret(200, R"({"result":"accepted","receipt_no":"R1"})", "").kind,
            K::kAccepted);
  EXPECT_EQ(
      PoliceAdapter::Interpret(200, R"({"result":"accepted","receipt_no":"R1"})", "").receipt_no,
      "R1");
  EXPECT_EQ(PoliceAdapter::Interpret(409, R"({"result":"accepted","receipt_no":"R1"})", "").kind,
            K::kAccepted);  // a duplicate: the first answer again
  const Delivery rejected =
      PoliceAdapter::Interpret(200, R"({"result":"rejected","reason":"地址不存在"})", "");
  EXPECT_EQ(rejected.kind, K::kRejected);
  EXPECT_EQ(rejected.reason, "地址不存在");
  EXPECT_EQ(PoliceAdapter::Interpret(200, R"({"result":"accepted"})", "").kind, K::kRetry);
  EXPECT_EQ(PoliceAdapter::Interpret(200, "<html>", "").kind, K::kRetry);
  EXPECT_EQ(PoliceAdapter::Interpret(0, "", "connect: refused").kind, K::kRetry);
  EXPECT_EQ(PoliceAdapter::Interpret(0, "", "connect: refused").reason, "connect: refused");
  for (int status : {408, 429, 500, 502, 503}) {
    EXPECT_EQ(PoliceAdapter::Interpret(status, "", "").kind, K::kRetry) << status;
  }
  for (int status : {400, 401, 403, 404, 413}) {
    EXPECT_EQ(PoliceAdapter::Interpret(status, "{}", "").kind, K::kFailed) << status;
  }
}

}  // namespace
}  // namespace zhizhi::residence

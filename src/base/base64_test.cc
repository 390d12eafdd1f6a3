#include "base/base64.h"

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

TEST(Base64Test, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    bytes.push_back(static_cast<char>(n * 37 + 200));
    const std::string encoded = EncodeBase64(bytes);
    EXPECT_EQ(encoded.size() % 4, 0u);
    auto decoded = DecodeBase64(encoded, "image");
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64Test, KnownValues) {
  EXPECT_EQ(EncodeBase64("Man"), "TWFu");
  EXPECT_EQ(EncodeBase64("Ma"), "TWE=");
  EXPECT_EQ(EncodeBase64("M"), "TQ==");
  EXPECT_EQ(DecodeBase64("TWE", "x").value(), "Ma");  // padding optional
  EXPECT_EQ(DecodeBase64("TW\nFu\r\n", "x").value(), "Man");
  EXPECT_EQ(DecodeBase64("data:image/jpeg;base64,TWFu", "x").value(), "Man");
  EXPECT_EQ(DecodeBase64("", "x").value(), "");
}

TEST(Base64Test, RejectsWhatIsNotBase64) {
  for (const char* bad : {"TW-u", "TWFu!", "T", "TWFuT", "TQ=x", "TQ===", "=TQ=", "TWE=TWE="}) {
    auto r = DecodeBase64(bad, "image");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "invalid_argument");
    EXPECT_EQ(r.status().field(), "image");
  }
}

}  // namespace
}  // namespace zhizhi

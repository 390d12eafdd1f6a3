#include "http/digest.h"

#include <gtest/gtest.h>

namespace zhizhi::http {
namespace {

TEST(DigestTest, TheRfc2617Example) {
  auto c = ParseDigestChallenge(
      R"(Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->realm, "testrealm@host.com");
  EXPECT_EQ(c->qop, "auth");
  const std::string header =
      DigestAuthorization(*c, "GET", "/dir/index.html", "Mufasa", "Circle Of Life", 1, "0a4f113b");
  EXPECT_NE(header.find(R"(response="6629fae49393a05397450978507c4ef1")"), std::string::npos)
      << header;
  EXPECT_NE(header.find("nc=00000001"), std::string::npos);
  EXPECT_TRUE(DigestVerifies(header, "GET", "testrealm@host.com",
                             "dcd98b7102dd2f0e8b11d0f600bfb0c093", "Mufasa", "Circle Of Life"));
  EXPECT_FALSE(DigestVerifies(header, "GET", "testrealm@host.com",
                              "dcd98b7102dd2f0e8b11d0f600bfb0c093", "Mufasa", "wrong"));
  EXPECT_FALSE(DigestVerifies(header, "PUT", "testrealm@host.com",
                              "dcd98b7102dd2f0e8b11d0f600bfb0c093", "Mufasa", "Circle Of Life"))
      << "the method is part of the answer";
  EXPECT_FALSE(ParseDigestChallenge(R"(Basic realm="x")"));
  EXPECT_FALSE(ParseDigestChallenge(R"(Digest realm="x", nonce="n", algorithm=SHA-256)"));
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
}  // namespace zhizhi::http

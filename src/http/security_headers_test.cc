#include <gtest/gtest.h>

#include "http/server.h"

namespace zhizhi::http {
namespace {

std::string HeaderOf(const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(SecurityHeadersTest, HtmlGetsAStrictSameOriginPolicy) {
  const auto html = SecurityHeaders("text/html; charset=utf-8");
  const std::string csp = HeaderOf(html, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("object-src 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << "no inline scripts or styles";
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(HeaderOf(html, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderOf(html, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(html, "Referrer-Policy"), "no-referrer");
}

TEST(SecurityHeadersTest, EverythingElseMayLoadNothing) {
  for (const char* type : {"application/json", "text/plain; version=0.0.4", "text/css"}) {
    EXPECT_EQ(HeaderOf(SecurityHeaders(type), "Content-Security-Policy"),
              "default-src 'none'; frame-ancestors 'none'")
        << type;
  }
}

}  // namespace
}  // namespace zhizhi::http

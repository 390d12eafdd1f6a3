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
  // No inline scripts; inline styles only (ECharts' tooltips are HTML with style attributes).
  const size_t style = csp.find("style-src 'self' 'unsafe-inline';");
  ASSERT_NE(style, std::string::npos) << csp;
  const size_t inline_at = csp.find("'unsafe-inline'");
  EXPECT_EQ(inline_at, csp.find("'unsafe-inline'", style)) << csp;
  EXPECT_EQ(csp.find("'unsafe-inline'", inline_at + 1), std::string::npos) << csp;
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

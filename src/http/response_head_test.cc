#include <gtest/gtest.h>

#include "http/server.h"

namespace zhizhi::http {
namespace {

std::string Head(const Response& response, bool keep_alive = true, bool tls = false) {
  std::string out = "left over from the last response";
  WriteResponseHead(response, "req-1", keep_alive, tls, out);
  return out;
}

// How often `text` holds `part`.
int Count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

TEST(ResponseHeadTest, StatusLineServerHeadersAndLength) {
  const std::string head = Head(Response::Text(200, R"({"ok":true})", "application/json"));
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_EQ(Count(head, "\r\n\r\n"), 1);
  for (const char* line :
       {"Server: zhizhi\r\n", "Content-Type: application/json\r\n", "X-Request-Id: req-1\r\n",
        "X-Content-Type-Options: nosniff\r\n", "X-Frame-Options: DENY\r\n",
        "Cache-Control: no-store\r\n", "Content-Length: 11\r\n"}) {
    EXPECT_EQ(Count(head, line), 1) << line << " in\n" << head;
  }
  EXPECT_EQ(Count(head, "Connection:"), 0) << head;  // HTTP/1.1 keeps the connection
  EXPECT_EQ(Count(head, "Strict-Transport-Security"), 0) << head;
  EXPECT_EQ(Count(head, "left over"), 0);
}

TEST(ResponseHeadTest, ReasonPhrasesAndClose) {
  EXPECT_EQ(Head(Response::Error(Status::Rule("time_too_old", "time", "old")), false)
                .rfind("HTTP/1.1 422 Unprocessable Entity\r\n", 0),
            0u);
  const std::string head = Head(Response::Error(Status::NotFound("no such thing")), false);
  EXPECT_EQ(head.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << head;
  EXPECT_EQ(Count(head, "Connection: close\r\n"), 1) << head;
  EXPECT_EQ(Count(Head(Response::Text(200, "", "text/plain"), true, /*tls=*/true),
                  "Strict-Transport-Security: max-age=31536000\r\n"),
            1);
}

TEST(ResponseHeadTest, NoLengthWhereThereIsNoBody) {
  Response not_modified = Response::Text(304, "", "text/html");
  not_modified.headers.emplace_back("ETag", "\"abc\"");
  const std::string head = Head(not_modified);
  EXPECT_EQ(head.rfind("HTTP/1.1 304 Not Modified\r\n", 0), 0u) << head;
  EXPECT_EQ(Count(head, "Content-Length"), 0) << head;
  EXPECT_EQ(Count(head, "ETag: \"abc\"\r\n"), 1) << head;
  EXPECT_EQ(Count(Head(Response::Text(204, "", "text/plain")), "Content-Length"), 0);
  EXPECT_FALSE(ResponseMayHaveBody(101));
  EXPECT_FALSE(ResponseMayHaveBody(204));
  EXPECT_FALSE(ResponseMayHaveBody(304));
  EXPECT_TRUE(ResponseMayHaveBody(200));
  EXPECT_TRUE(ResponseMayHaveBody(404));
}

TEST(ResponseHeadTest, HandlerHeadersReplaceTheServersAndTheLastOneWins) {
  Response r = Response::Text(200, "body", "text/css");
  r.headers.emplace_back("cache-control", "public, max-age=60");
  r.headers.emplace_back("Retry-After", "1");
  r.headers.emplace_back("Retry-After", "2");
  const std::string head = Head(r);
  EXPECT_EQ(Count(head, "no-store"), 0) << head;
  EXPECT_EQ(Count(head, "cache-control: public, max-age=60\r\n"), 1) << head;
  EXPECT_EQ(Count(head, "Retry-After"), 1) << head;
  EXPECT_EQ(Count(head, "Retry-After: 2\r\n"), 1) << head;
}

TEST(ResponseHeadTest, LineBreaksInValuesCannotAddHeaders) {
  Response r = Response::Text(200, "", "text/plain");
  r.headers.emplace_back("Location", "/x\r\nSet-Cookie: stolen=1\r\n\r\n<html>");
  const std::string head = Head(r);
  EXPECT_EQ(Count(head, "\r\nSet-Cookie"), 0) << head;
  EXPECT_EQ(Count(head, "Location: /x  Set-Cookie: stolen=1    <html>\r\n"), 1) << head;
  EXPECT_EQ(Count(head, "\r\n\r\n"), 1) << head;
}

}  // namespace
}  // namespace zhizhi::http

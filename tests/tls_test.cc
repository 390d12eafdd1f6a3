// HTTPS served directly (Beast + OpenSSL, `serve --tls-cert --tls-key`): a client that trusts the
// certificate gets the API with Strict-Transport-Security; one that does not cannot connect;
// plain HTTP to the TLS port gets nothing and leaves the server well; a key that does not fit the
// certificate is refused at start. The certificate is made for the test with `openssl req`.
#include <cstdlib>
#include <memory>
#include <optional>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "test_server.h"

namespace zhizhi::e2e {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using namespace std::chrono_literals;

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

struct TlsResult {
  std::string error;  // empty on success
  int status = 0;
  std::string hsts;
  std::string body;
};

// GET `targets` in order on one TLS connection that trusts `ca_file` and checks the host name.
std::vector<TlsResult> TlsGet(std::uint16_t port, const std::string& ca_file,
                              const std::vector<std::string>& targets, const std::string& token) {
  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  stream.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
  std::vector<TlsResult> results;
  beast::error_code failure;
  beast::flat_buffer buffer;
  auto request = std::make_shared<bhttp::request<bhttp::empty_body>>();
  auto response = std::make_shared<bhttp::response<bhttp::string_body>>();
  size_t next = 0;
  std::function<void()> send = [&] {
    if (next == targets.size()) return;
    *request = {bhttp::verb::get, targets[next], 11};
    request->set(bhttp::field::host, "127.0.0.1");
    request->set(bhttp::field::authorization, "Bearer " + token);
    bhttp::async_write(stream, *request, [&](beast::error_code ec, std::size_t) {
      if (ec) return void(failure = ec);
      *response = {};
      bhttp::async_read(stream, buffer, *response, [&](beast::error_code ec, std::size_t) {
        if (ec) return void(failure = ec);
        TlsResult r;
        r.status = response->result_int();
        r.hsts = std::string((*response)[bhttp::field::strict_transport_security]);
        r.body = response->body();
        results.push_back(std::move(r));
        ++next;
        send();
      });
    });
  };
  beast::get_lowest_layer(stream).async_connect(
      net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return void(failure = ec);
        stream.async_handshake(net::ssl::stream_base::client, [&](beast::error_code ec) {
          if (ec) return void(failure = ec);
          send();
        });
      });
  ioc.run_for(10s);
  if (results.size() < targets.size()) {
    TlsResult r;
    r.error = failure ? failure.message() : "timed out";
    results.push_back(r);
  }
  return results;
}

TEST(TlsTest, ServesHttpsDirectly) {
  TestServer server;
  ASSERT_TRUE(MakeCertificate(server.root(), "server")) << "openssl req failed";
  ASSERT_TRUE(MakeCertificate(server.root(), "stranger"));
  ASSERT_TRUE(server.Start(
      {"--tls-cert", server.root() + "/server.crt", "--tls-key", server.root() + "/server.key"}));
  ASSERT_TRUE(server.tls());
  EXPECT_TRUE(Contains(server.Log(), "address=https://127.0.0.1:"));

  // One kept-alive TLS connection, several requests, authenticated as usual.
  const auto results = TlsGet(server.port(), server.root() + "/server.crt",
                              {"/healthz", "/api/v1/projects", "/api/v1/nope"}, server.token());
  ASSERT_EQ(results.size(), 3u) << results.back().error;
  EXPECT_EQ(results[0].status, 200);
  EXPECT_EQ(results[0].body, R"({"status":"ok"})");
  EXPECT_EQ(results[0].hsts, "max-age=31536000");
  EXPECT_EQ(results[1].status, 200) << results[1].body;
  EXPECT_EQ(results[2].status, 404);

  // A client that does not trust this certificate gets no connection.
  const auto stranger =
      TlsGet(server.port(), server.root() + "/stranger.crt", {"/healthz"}, server.token());
  ASSERT_EQ(stranger.size(), 1u);
  EXPECT_FALSE(stranger[0].error.empty()) << "connected without trusting the certificate";

  // Plain HTTP to the TLS port: no answer, and the server is unharmed.
  HttpClient plain(server.port(), 5s);
  EXPECT_NE(plain.Request("GET", "/healthz").status, 200);
  const auto again = TlsGet(server.port(), server.root() + "/server.crt", {"/healthz"}, "");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].status, 200) << again[0].error;
  EXPECT_EQ(server.Stop(), 0);
}

// Opens the district live feed over TLS (wss://); the error, or "" when the upgrade succeeded.
std::string OpenLiveFeed(std::uint16_t port, const std::string& ca_file, const std::string& token) {
  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(net::ssl::verify_peer);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
  beast::error_code failure;
  bool open = false;
  beast::get_lowest_layer(ws).async_connect(
      net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return void(failure = ec);
        ws.next_layer().async_handshake(net::ssl::stream_base::client, [&](beast::error_code ec) {
          if (ec) return void(failure = ec);
          ws.async_handshake("127.0.0.1", "/api/v1/live?access_token=" + token,
                             [&](beast::error_code ec) {
                               if (ec) return void(failure = ec);
                               open = true;
                             });
        });
      });
  ioc.run_for(10s);
  if (open) return "";
  return failure ? failure.message() : "timed out";
}

TEST(TlsTest, LiveFeedOverTls) {
  TestServer server;
  ASSERT_TRUE(MakeCertificate(server.root(), "server"));
  ASSERT_TRUE(server.Start(
      {"--tls-cert", server.root() + "/server.crt", "--tls-key", server.root() + "/server.key"}));
  EXPECT_EQ(OpenLiveFeed(server.port(), server.root() + "/server.crt", server.token()), "");
  EXPECT_NE(OpenLiveFeed(server.port(), server.root() + "/server.crt", std::string(64, 'b')), "")
      << "an unknown token opened the feed";
  EXPECT_EQ(server.Stop(), 0);
}

TEST(TlsTest, AKeyThatDoesNotFitTheCertificateIsRefused) {
  TestServer server;
  ASSERT_TRUE(MakeCertificate(server.root(), "a"));
  ASSERT_TRUE(MakeCertificate(server.root(), "b"));
  const ProcessResult r =
      RunZhizhi({"serve", "--data", server.data_dir(), "--port", "0", "--tls-cert",
                 server.root() + "/a.crt", "--tls-key", server.root() + "/b.key"},
                20s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, "field tls-key")) << r.err;
  const ProcessResult half = RunZhizhi(
      {"serve", "--data", server.data_dir(), "--port", "0", "--tls-cert", server.root() + "/a.crt"},
      20s);
  EXPECT_NE(half.exit_code, 0) << "--tls-cert without --tls-key";
}

}  // namespace
}  // namespace zhizhi::e2e

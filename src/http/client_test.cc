#include "http/client.h"

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace zhizhi::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// What the server does with a request it has read.
enum class Then {
  kAnswer,        // answer (200, the body echoed), keep the connection as the request asks
  kAnswerHangUp,  // answer as if keeping the connection, then close it (an idle timeout)
  kDrop,          // close the connection without an answer
  kStall,         // never answer
};

struct SeenRequest {
  int connection = 0;  // 1 for the first connection accepted
  std::string method;
  std::string target;
  HeaderList headers;
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (beast::iequals(key, name)) return value;
    }
    return {};
  }
};

// An HTTP/1.1 server on a loopback port, one connection at a time, that does with the n-th
// request (from 0) what `script(n)` says and remembers what it read.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<Then(int)> script) : script_(std::move(script)) {
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (open_fd_ >= 0) ::shutdown(open_fd_, SHUT_RDWR);
    }
    stalled_.notify_all();
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // ends the blocking accept
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::vector<SeenRequest> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void Serve() {
    for (int connection = 1;; ++connection) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      {
        std::lock_guard lock(mu_);
        if (ec || stopping_) return;
        open_fd_ = socket.native_handle();
      }
      ServeConnection(socket, connection);
      std::lock_guard lock(mu_);
      open_fd_ = -1;
    }
  }

  void ServeConnection(tcp::socket& socket, int connection) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> request;
      beast::error_code ec;
      bhttp::read(socket, buffer, request, ec);
      if (ec) return;
      SeenRequest seen{connection,
                       std::string(request.method_string()),
                       std::string(request.target()),
                       {},
                       request.body()};
      for (const auto& field : request) {
        seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      int n = 0;
      {
        std::lock_guard lock(mu_);
        n = static_cast<int>(seen_.size());
        seen_.push_back(std::move(seen));
      }
      const Then then = script_(n);
      if (then == Then::kDrop) return;
      if (then == Then::kStall) {
        std::unique_lock lock(mu_);
        stalled_.wait(lock, [this] { return stopping_; });
        return;
      }
      bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
      response.set("X-Target", request.target());
      response.body() = request.body();
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      bhttp::write(socket, response, ec);
      if (ec || then == Then::kAnswerHangUp || !request.keep_alive()) return;
    }
  }

  const std::function<Then(int)> script_;
  net::io_context ioc_;
  tcp::acceptor acceptor_{ioc_, {net::ip::make_address("127.0.0.1"), 0}};
  mutable std::mutex mu_;
  std::condition_variable stalled_;
  bool stopping_ = false;
  int open_fd_ = -1;
  std::vector<SeenRequest> seen_;
  std::thread thread_;
};

Then AlwaysAnswer(int) {
  return Then::kAnswer;
}

TEST(ClientTest, KeepsOneConnectionAliveAndSendsWhatItIsGiven) {
  ScriptedServer server(AlwaysAnswer);
  Client client({.port = server.port(), .user_agent = "zhizhi-test"});
  const ClientResponse posted = client.Send("POST", "/a?x=1", {{"X-Thing", "1"}}, "hello");
  ASSERT_EQ(posted.status, 200) << posted.error;
  EXPECT_EQ(posted.body, "hello");
  EXPECT_EQ(posted.failed_step, ClientStep::kNone);
  EXPECT_TRUE(posted.error.empty());
  bool echoed_target = false;
  for (const auto& [name, value] : posted.headers)
    echoed_target = echoed_target || (name == "X-Target" && value == "/a?x=1");
  EXPECT_TRUE(echoed_target);
  EXPECT_EQ(client.Send("GET", "/b").status, 200);
  EXPECT_EQ(client.Send("PURGE", "/c").status, 200);  // any method token
  EXPECT_EQ(client.connections_opened(), 1);
  EXPECT_TRUE(client.connected());

  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].Header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].Header("User-Agent"), "zhizhi-test");
  EXPECT_EQ(seen[0].Header("X-Thing"), "1");
  EXPECT_EQ(seen[0].Header("Content-Length"), "5");
  EXPECT_EQ(seen[0].body, "hello");
  EXPECT_EQ(seen[1].Header("Connection"), "");
  EXPECT_EQ(seen[2].method, "PURGE");
  EXPECT_EQ(seen[2].connection, 1);
}

TEST(ClientTest, SendsAgainOnANewConnectionWhenTheServerClosedTheIdleOne) {
  ScriptedServer server([](int n) { return n == 0 ? Then::kAnswerHangUp : Then::kAnswer; });
  Client client({.port = server.port()});
  ASSERT_EQ(client.Send("GET", "/first").status, 200);
  std::this_thread::sleep_for(50ms);  // the server hangs up meanwhile
  const ClientResponse second = client.Send("GET", "/second");
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(client.connections_opened(), 2);
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].target, "/second");
  EXPECT_EQ(seen[1].connection, 2);
}

TEST(ClientTest, ARequestTheServerDroppedIsNotSentAThirdTime) {
  ScriptedServer server([](int n) { return n == 0 ? Then::kAnswer : Then::kDrop; });
  Client client({.port = server.port()});
  ASSERT_EQ(client.Send("GET", "/").status, 200);
  const ClientResponse dropped = client.Send("POST", "/x", {}, "body");
  EXPECT_EQ(dropped.status, 0);
  EXPECT_EQ(dropped.failed_step, ClientStep::kRead);
  EXPECT_FALSE(dropped.timed_out);
  EXPECT_EQ(dropped.error.rfind("read: ", 0), 0u) << dropped.error;
  EXPECT_EQ(server.seen().size(), 3u);  // once on the kept-alive connection, once on a new one
  EXPECT_EQ(client.connections_opened(), 2);
  EXPECT_FALSE(client.connected());
}

TEST(ClientTest, ATimeoutEndsTheRequestAndIsNotRetried) {
  ScriptedServer server([](int n) { return n == 0 ? Then::kAnswer : Then::kStall; });
  Client client({.port = server.port(), .timeout = 300ms});
  ASSERT_EQ(client.Send("GET", "/").status, 200);
  const auto start = std::chrono::steady_clock::now();
  const ClientResponse stalled = client.Send("GET", "/slow");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(stalled.status, 0);
  EXPECT_EQ(stalled.failed_step, ClientStep::kRead);
  EXPECT_TRUE(stalled.timed_out);
  EXPECT_EQ(stalled.error.rfind("read: ", 0), 0u) << stalled.error;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(client.connections_opened(), 1);  // not sent again on a new connection
  EXPECT_FALSE(client.connected());
}

TEST(ClientTest, ARefusedConnectionSaysWhere) {
  std::uint16_t port = 0;
  {
    net::io_context ioc;
    tcp::acceptor closed(ioc, {net::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }
  Client client({.port = port});
  const ClientResponse refused = client.Send("GET", "/");
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(refused.failed_step, ClientStep::kConnect);
  EXPECT_FALSE(refused.timed_out);
  EXPECT_EQ(refused.error,
            "connect to 127.0.0.1:" + std::to_string(port) + ": " + refused.step_error);
  EXPECT_EQ(refused.step_error, "Connection refused");
  EXPECT_EQ(client.connections_opened(), 0);
}

TEST(ClientTest, ACancelFlagAbandonsTheWait) {
  ScriptedServer server([](int) { return Then::kStall; });
  std::atomic<bool> cancel{false};
  Client client({.port = server.port(), .timeout = 10s, .cancel = &cancel});
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  const ClientResponse abandoned = client.Send("POST", "/", {}, "{}");
  const auto took = std::chrono::steady_clock::now() - start;
  canceller.join();
  EXPECT_EQ(abandoned.status, 0);
  EXPECT_EQ(abandoned.failed_step, ClientStep::kCancelled);
  EXPECT_LT(took, 2s);
  EXPECT_FALSE(client.connected());
}

TEST(ClientTest, WithoutKeepAliveEveryRequestHasItsOwnConnection) {
  ScriptedServer server(AlwaysAnswer);
  Client client({.host = "localhost", .port = server.port(), .keep_alive = false});
  EXPECT_EQ(client.Send("POST", "/one", {}, "1").status, 200);
  EXPECT_EQ(client.Send("POST", "/two", {}, "2").status, 200);
  EXPECT_EQ(client.connections_opened(), 2);
  EXPECT_FALSE(client.connected());
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].Header("Connection"), "close");
  EXPECT_EQ(seen[0].Header("Host"), "localhost:" + std::to_string(server.port()));
  EXPECT_EQ(seen[1].connection, 2);
}

}  // namespace
}  // namespace zhizhi::http

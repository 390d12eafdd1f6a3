#include "sim/loopback_client.h"

#include <charconv>
#include <optional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace zhizhi::sim {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

}  // namespace

Result<LoopbackUrl> ParseLoopbackUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("url", "the URL must start with http:// (plain HTTP)");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("url", "give the server's base URL, without a path");
  }
  std::string_view host = rest;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8080
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("url", "unclosed [");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return Status::InvalidArgument("url", "bad port");
      port_text = rest.substr(close + 2);
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  LoopbackUrl out;
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Status::InvalidArgument("url", "the port must be 1–65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  if (host == "localhost") {
    out.address = "127.0.0.1";
    return out;
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(std::string(host), ec);
  if (ec || !address.is_loopback()) {
    return Status::InvalidArgument(
        "url", "the simulator only talks to a server on this machine (localhost, 127.0.0.1, ::1)");
  }
  out.address = address.to_string();
  return out;
}

nlohmann::json HttpReply::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string HttpReply::Describe() const {
  if (status == 0) return "transport error: " + error;
  std::string text = std::to_string(status) + " " + body.substr(0, 300);
  if (body.size() > 300) text += "…";
  return text;
}

class LoopbackClient::Impl {
 public:
  Impl(LoopbackUrl url, std::chrono::milliseconds timeout)
      : endpoint_(net::ip::make_address(url.address), url.port),
        host_header_(url.address + ":" + std::to_string(url.port)),
        timeout_(timeout) {}

  ~Impl() { Close(); }

  HttpReply Request(std::string_view method, std::string_view target, std::string_view token,
                    std::string body) {
    bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method), target, 11);
    request.set(bhttp::field::host, host_header_);
    request.set(bhttp::field::user_agent, "zhizhi-simulate");
    request.keep_alive(true);
    if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + std::string(token));
    if (!body.empty()) request.set(bhttp::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();

    for (int attempt = 0;; ++attempt) {
      const bool reused = stream_.has_value();
      if (!reused) {
        if (std::string error = Connect(); !error.empty()) return HttpReply{0, error, {}};
      }
      bool fresh_failure = false;
      HttpReply reply = Exchange(request, &fresh_failure);
      // A kept-alive connection the server closed meanwhile fails before any response byte:
      // try once more on a new connection (gate events are idempotent on event_id anyway).
      if (reply.status == 0 && reused && fresh_failure && attempt == 0) continue;
      return reply;
    }
  }

  int connections_opened() const { return connections_opened_; }

 private:
  void Close() {
    if (!stream_) return;
    beast::error_code ignored;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_->socket().close(ignored);
    stream_.reset();
    buffer_.clear();
  }

  std::string Connect() {
    Close();
    stream_.emplace(ioc_);
    stream_->expires_after(timeout_);
    beast::error_code result = net::error::timed_out;
    stream_->async_connect(endpoint_, [&result](beast::error_code ec) { result = ec; });
    RunIo();
    if (result) {
      Close();
      return "connect to " + host_header_ + ": " + result.message();
    }
    ++connections_opened_;
    stream_->socket().set_option(tcp::no_delay(true));
    return {};
  }

  // One exchange. Write and read run together so that an early answer (413) is still read.
  HttpReply Exchange(const bhttp::request<bhttp::string_body>& request, bool* no_response) {
    HttpReply out;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64u << 20);
    beast::error_code write_ec = net::error::timed_out;
    beast::error_code read_ec = net::error::timed_out;
    stream_->expires_after(timeout_);
    bhttp::async_write(*stream_, request,
                       [&write_ec](beast::error_code ec, std::size_t) { write_ec = ec; });
    bhttp::async_read(*stream_, buffer_, parser,
                      [&read_ec](beast::error_code ec, std::size_t) { read_ec = ec; });
    RunIo();
    if (read_ec) {
      *no_response = !parser.got_some() && read_ec != beast::error::timeout;
      out.error = "read: " + read_ec.message() + (write_ec ? "; write: " + write_ec.message() : "");
      Close();
      return out;
    }
    auto& response = parser.get();
    out.status = static_cast<int>(response.result_int());
    out.body = std::move(response.body());
    if (!response.keep_alive() || write_ec) Close();
    return out;
  }

  void RunIo() {
    ioc_.restart();
    ioc_.run_for(timeout_ + std::chrono::seconds(2));
    if (!ioc_.stopped()) {
      // The stream's deadline should have fired; never leave handlers pointing at locals.
      Close();
      ioc_.restart();
      ioc_.run_for(std::chrono::seconds(2));
    }
  }

  net::io_context ioc_{1};
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  const tcp::endpoint endpoint_;
  const std::string host_header_;
  const std::chrono::milliseconds timeout_;
  int connections_opened_ = 0;
};

LoopbackClient::LoopbackClient(LoopbackUrl url, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(url), timeout)) {}

LoopbackClient::~LoopbackClient() = default;

HttpReply LoopbackClient::Request(std::string_view method, std::string_view target,
                                  std::string_view token, std::string body) {
  return impl_->Request(method, target, token, std::move(body));
}

int LoopbackClient::connections_opened() const {
  return impl_->connections_opened();
}

}  // namespace zhizhi::sim

#include "http/client.h"

#include <charconv>

#include <algorithm>
#include <optional>

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
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

using WireRequest = bhttp::request<bhttp::string_body>;

constexpr auto kCancelPoll = 50ms;  // how often a wait looks at the cancel flag
// The stream's deadline ends every operation; should it not, a wait is cut this much later.
constexpr auto kDeadlineMargin = 2s;

}  // namespace

class Client::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)),
        authority_(options_.host + ":" + std::to_string(options_.port)) {}

  ~Impl() { Close(); }

  ClientResponse Send(std::string_view method, std::string_view target, const HeaderList& headers,
                      std::string body) {
    const WireRequest request = MakeRequest(method, target, headers, std::move(body));
    for (int attempt = 0;; ++attempt) {
      const bool reused = connected();
      if (reused) {
        stream_->expires_after(options_.timeout);
      } else if (std::optional<ClientResponse> failed = Connect()) {
        return std::move(*failed);
      }
      bool retry = false;
      ClientResponse response = Exchange(request, reused, retry);
      if (!retry || attempt > 0) return response;
    }
  }

  int connections_opened() const { return connections_opened_; }

  bool connected() const { return stream_.has_value() && stream_->socket().is_open(); }

  void Close() {
    if (!stream_) return;
    beast::error_code ignored;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_->socket().close(ignored);
    stream_.reset();
    buffer_.clear();
  }

 private:
  WireRequest MakeRequest(std::string_view method, std::string_view target,
                          const HeaderList& headers, std::string body) const {
    WireRequest request;
    const bhttp::verb verb = bhttp::string_to_verb(method);
    if (verb == bhttp::verb::unknown) {
      request.method_string(method);
    } else {
      request.method(verb);
    }
    request.target(target);
    request.version(11);
    request.set(bhttp::field::host, authority_);
    request.set(bhttp::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : headers)
      request.insert(name, value);
    request.body() = std::move(body);
    request.keep_alive(options_.keep_alive);
    request.prepare_payload();
    return request;
  }

  // Opens a connection and starts the attempt's deadline; the failure, if it did not open.
  std::optional<ClientResponse> Connect() {
    Close();
    std::vector<tcp::endpoint> endpoints;
    beast::error_code ec;
    const net::ip::address address = net::ip::make_address(options_.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, options_.port);
    } else {
      tcp::resolver resolver(ioc_);
      const auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
      if (ec) return Failure(ClientStep::kResolve, "resolve " + authority_ + ": ", ec);
      for (const auto& entry : results)
        endpoints.push_back(entry.endpoint());
    }
    stream_.emplace(ioc_);
    stream_->expires_after(options_.timeout);
    ec = net::error::timed_out;
    stream_->async_connect(endpoints,
                           [&ec](beast::error_code result, const tcp::endpoint&) { ec = result; });
    if (!RunIo()) return Cancelled();
    if (ec || !stream_) {
      Close();
      return Failure(ClientStep::kConnect, "connect to " + authority_ + ": ", ec);
    }
    ++connections_opened_;
    stream_->socket().set_option(tcp::no_delay(true), ec);
    return std::nullopt;
  }

  // One exchange on the open connection. `retry`: the request may be sent again on a new
  // connection (see the header).
  ClientResponse Exchange(const WireRequest& request, bool reused, bool& retry) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.body_limit);
    if (request.method() == bhttp::verb::head) parser.skip(true);  // no body follows
    beast::error_code write_ec = net::error::timed_out;
    beast::error_code read_ec = net::error::timed_out;
    bhttp::async_write(*stream_, request,
                       [&write_ec](beast::error_code ec, std::size_t) { write_ec = ec; });
    bhttp::async_read(*stream_, buffer_, parser,
                      [&read_ec](beast::error_code ec, std::size_t) { read_ec = ec; });
    if (!RunIo()) return Cancelled();
    if (read_ec) {
      retry = reused && !parser.got_some() && read_ec != beast::error::timeout;
      Close();
      ClientResponse out = write_ec ? Failure(ClientStep::kWrite, "", write_ec)
                                    : Failure(ClientStep::kRead, "", read_ec);
      out.error = "read: " + read_ec.message() + (write_ec ? "; write: " + write_ec.message() : "");
      return out;
    }
    ClientResponse out;
    auto& response = parser.get();
    out.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(response.body());
    if (!options_.keep_alive || !response.keep_alive() || write_ec) Close();
    return out;
  }

  static ClientResponse Failure(ClientStep step, const std::string& prefix,
                                const beast::error_code& ec) {
    ClientResponse out;
    out.failed_step = step;
    out.timed_out = ec == beast::error::timeout;
    out.step_error = ec.message();
    out.error = prefix + out.step_error;
    return out;
  }

  static ClientResponse Cancelled() {
    ClientResponse out;
    out.failed_step = ClientStep::kCancelled;
    out.error = "cancelled";
    return out;
  }

  // Runs the started operations to their end; false when the cancel flag turned true first
  // (the connection is closed then). The stream's deadline ends them; should it not, they are
  // cut after a margin — no handler may outlive the locals it writes to.
  bool RunIo() {
    ioc_.restart();
    const Clock::time_point limit = Clock::now() + options_.timeout + kDeadlineMargin;
    while (!ioc_.stopped()) {
      const Clock::duration left = limit - Clock::now();
      if (left <= Clock::duration::zero()) {
        Abandon();
        return true;
      }
      ioc_.run_for(options_.cancel ? std::min<Clock::duration>(kCancelPoll, left) : left);
      if (!ioc_.stopped() && options_.cancel && options_.cancel->load()) {
        Abandon();
        return false;
      }
    }
    return true;
  }

  // Closes the connection and lets the handlers see it.
  void Abandon() {
    Close();
    ioc_.restart();
    ioc_.run_for(kDeadlineMargin);
  }

  const ClientOptions options_;
  const std::string authority_;  // HOST:PORT, also the Host header
  net::io_context ioc_{1};
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  int connections_opened_ = 0;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() = default;

ClientResponse Client::Send(std::string_view method, std::string_view target,
                            const HeaderList& headers, std::string body) {
  return impl_->Send(method, target, headers, std::move(body));
}

int Client::connections_opened() const {
  return impl_->connections_opened();
}

bool Client::connected() const {
  return impl_->connected();
}

void Client::Close() {
  impl_->Close();
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return Status::InvalidArgument(
        "url",
        "url must be http://HOST[:PORT]/PATH (for https put a TLS-terminating proxy such "
        "as stunnel on loopback in front of the peer)");
  }
  HttpUrl out;
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return Status::InvalidArgument("url", "url has a bad port");
    out.port = static_cast<std::uint16_t>(value);
  }
  if (out.host.empty()) return Status::InvalidArgument("url", "url has no host");
  return out;
}

}  // namespace zhizhi::http

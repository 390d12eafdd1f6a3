#include "http/server.h"

#include <algorithm>
#include <array>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "base/civil_time.h"
#include "base/thread_name.h"
#include "http/rate_limiter.h"

namespace zhizhi::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
// Each connection's operations run on its own strand. The streams name that executor type instead
// of beast::tcp_stream's type-erased any_io_executor: that one allocates when it is copied or
// re-wrapped (every async operation does both), 18 % of the HTTP threads' mallocs under the gate
// load.
using Strand = net::strand<net::io_context::executor_type>;
using StrandSocket = tcp::socket::rebind_executor<Strand>::other;
using PlainStream = beast::basic_stream<tcp, Strand>;
using TlsStream = beast::ssl_stream<PlainStream>;

namespace {

bool IsSafeRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  static const std::uint64_t prefix =
      std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32);
  static std::atomic<std::uint64_t> counter{0};
  // 32-bit prefix, then the counter: 8 hex digits, or more once it passes 2^32. By hand: the
  // printf family cost ~2 % of the HTTP threads under load.
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  int digits = 8;
  while (digits < 16 && (n >> (4 * digits)) != 0)
    ++digits;
  std::string id(8 + digits, '0');
  for (int i = 0; i < 8; ++i)
    id[7 - i] = kHex[(prefix >> (4 * i)) & 0xF];
  for (int i = 0; i < digits; ++i)
    id[8 + digits - 1 - i] = kHex[(n >> (4 * i)) & 0xF];
  return id;
}

// Splits `target` into the path and decoded query pairs; false on a malformed escape.
bool ParseTarget(std::string_view target, Request& request) {
  const size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return true;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), /*form=*/true);
    auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                      /*form=*/true);
    if (!key || !value) return false;
    request.query.emplace_back(std::move(*key), std::move(*value));
  }
  return true;
}

// application/json or application/*+json, with or without parameters.
bool IsJsonMediaType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.pop_back();
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type == "application/json") return true;
  return type.rfind("application/", 0) == 0 && type.size() > 17 &&
         type.compare(type.size() - 5, 5, "+json") == 0;
}

// Whether the media type of `content_type` (parameters dropped, any case) is one of `types`.
bool IsMediaTypeIn(std::string_view content_type, const std::vector<std::string>& types) {
  if (types.empty()) return false;
  if (types.front() == "*") return true;
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.pop_back();
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& SecurityHeaders(
    std::string_view content_type) {
  // Built once: every response of the gate's hot path carries them.
  auto headers = [](const char* csp) {
    return std::vector<std::pair<std::string, std::string>>{
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Content-Security-Policy", csp},
    };
  };
  static const auto html = headers(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      "img-src 'self' data: blob:; "
      "font-src 'self'; connect-src 'self'; media-src 'self' blob:; object-src 'none'; "
      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  static const auto other = headers("default-src 'none'; frame-ancestors 'none'");
  return content_type.rfind("text/html", 0) == 0 ? html : other;
}

bool ResponseMayHaveBody(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

void WriteResponseHead(const Response& response, std::string_view request_id, bool keep_alive,
                       bool tls, std::string& out) {
  auto overridden = [&](std::string_view name) {
    for (const auto& h : response.headers)
      if (beast::iequals(h.first, name)) return true;
    return false;
  };
  auto header = [&](std::string_view name, std::string_view value) {
    out.append(name).append(": ");
    // A value never ends the header early (no response splitting through something a handler
    // copied from a request).
    for (char c : value)
      out.push_back(c == '\r' || c == '\n' ? ' ' : c);
    out.append("\r\n");
  };
  out.clear();
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).push_back(' ');
  out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(response.status)));
  out.append("\r\n");
  if (!overridden("Server")) header("Server", "zhizhi");
  if (!overridden("Content-Type")) header("Content-Type", response.content_type);
  if (!overridden("X-Request-Id")) header("X-Request-Id", request_id);
  for (const auto& [name, value] : SecurityHeaders(response.content_type))
    if (!overridden(name)) header(name, value);
  if (tls && !overridden("Strict-Transport-Security")) {
    header("Strict-Transport-Security", "max-age=31536000");
  }
  if (!overridden("Cache-Control")) header("Cache-Control", "no-store");
  for (size_t i = 0; i < response.headers.size(); ++i) {
    const auto& [name, value] = response.headers[i];
    bool later = false;  // a name set twice: the last wins
    for (size_t j = i + 1; j < response.headers.size() && !later; ++j)
      later = beast::iequals(response.headers[j].first, name);
    if (!later) header(name, value);
  }
  if (ResponseMayHaveBody(response.status)) {
    header("Content-Length", std::to_string(response.body.size()));
  }
  if (!keep_alive) header("Connection", "close");
  out.append("\r\n");
}

class HttpServer::Impl {
 public:
  Impl(ServerOptions options, const Router& router, security::TokenAuthenticator& auth,
       Metrics& metrics)
      : options_(std::move(options)),
        router_(router),
        auth_(auth),
        metrics_(metrics),
        session_limiter_(options_.session_rate, options_.session_burst),
        ioc_(options_.threads),
        acceptor_(net::make_strand(ioc_)),
        signals_(ioc_, SIGINT, SIGTERM) {}

  class SessionBase;
  template <class Stream>
  class Session;

  Result<std::uint16_t> Start() {
    if (!options_.tls_cert.empty() || !options_.tls_key.empty()) {
      ZZ_RETURN_IF_ERROR(SetUpTls());
    }
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.bind, ec);
    if (ec) return Status::InvalidArgument("bind", "not an IP address: " + options_.bind);
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + options_.bind + ":" +
                                 std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    return port_;
  }

  void Run() {
    signals_.async_wait([this](const beast::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("event=signal signal={} action=drain", signal);
      BeginStop();
    });
    std::vector<std::thread> threads;
    for (int i = 1; i < options_.threads; ++i)
      threads.emplace_back([this] {
        NameThisThread("zz-http");
        ioc_.run();
      });
    ioc_.run();
    for (auto& t : threads)
      t.join();
  }

  void BeginStop() {
    net::dispatch(acceptor_.get_executor(), [this] {
      if (stopping_.exchange(true)) return;
      if (options_.on_stop) options_.on_stop();
      beast::error_code ignored;
      acceptor_.close(ignored);
      signals_.cancel(ignored);
      CloseIdleSessions();
      drain_deadline_ = std::chrono::steady_clock::now() + options_.drain_timeout;
      PollDrain();
    });
  }

  bool stopping() const { return stopping_.load(); }

  // Routing, authentication, rights, then the handler. `done` gets the response and the route
  // index (for metrics); it may be called on another thread when the handler is asynchronous.
  // A WebSocket route is reported through `upgrade` instead, with the request authorised.
  void Dispatch(Request& request, std::string_view authorization, std::string_view if_none_match,
                std::string_view content_type, bool wants_upgrade,
                const std::function<void(Response, int)>& done,
                const std::function<void(const Route&, int)>& upgrade) {
    const Router::Match match = router_.Find(request.method, request.path, request);
    if (match.route == nullptr && match.allow.empty() && options_.web &&
        StaticFiles::Wants(request)) {
      return done(options_.web->Serve(request, if_none_match), Metrics::kUnmatched);
    }
    if (match.route == nullptr) {
      Response response = Response::Error(match.status);
      if (!match.allow.empty()) response.headers.emplace_back("Allow", match.allow);
      return done(std::move(response), Metrics::kUnmatched);
    }
    const int index = match.index;
    const Route& route = *match.route;
    if (route.right) {
      std::string header(authorization);
      // Browsers cannot set headers on a WebSocket: accept the token as a query parameter there.
      if (header.empty() && route.websocket) {
        if (auto token = request.Query("access_token")) header = "Bearer " + *token;
      }
      auto principal = auth_.Authenticate(header);
      if (!principal.ok()) {
        Response response = Response::Error(principal.status());
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return done(std::move(response), index);
      }
      request.principal = std::move(principal).value();
      if (!request.principal.Has(*route.right)) {
        if (options_.on_refusal) {
          const bool misuse =
              request.principal.device_id != 0 && *route.right != security::Right::kGateDevice;
          options_.on_refusal(request, route, misuse ? "token_misuse" : "permission_denied");
        }
        return done(
            Response::Error(Status::PermissionDenied(
                "this token lacks the right " + std::string(security::RightName(*route.right)))),
            index);
      }
      if (request.principal.is_session() && session_limiter_.enabled()) {
        if (const std::int64_t wait =
                session_limiter_.Take(std::to_string(request.principal.token_id), NowUnixMs());
            wait > 0) {
          return done(Response::Error(Status(Status::RateLimited(
                                                 "too many requests for this session; slow down"))
                                          .With("retry_after", wait)),
                      index);
        }
      }
      // A project, person, device … outside a scoped caller's projects does not exist for them.
      if (Status scope = router_.CheckScope(index, request); !scope.ok()) {
        if (options_.on_refusal && scope.kind() == StatusKind::kNotFound)
          options_.on_refusal(request, route, "out_of_scope");
        return done(Response::Error(scope), index);
      }
    }
    // Bodies are JSON. Refusing other media types also keeps a browser form on another site
    // (which can only send form or text bodies without asking first) from reaching a handler.
    if (!request.body.empty() && !content_type.empty() && !IsJsonMediaType(content_type) &&
        !IsMediaTypeIn(content_type, route.media_types)) {
      return done(Response::Error(
                      Status::UnsupportedMediaType("request bodies must be application/json, not " +
                                                   std::string(content_type.substr(0, 100)))),
                  index);
    }
    if (route.websocket) {
      if (!wants_upgrade) {
        return done(Response::Error(Status::InvalidArgument(
                        "", "this endpoint is a WebSocket; send an Upgrade request")),
                    index);
      }
      return upgrade(route, index);
    }
    try {
      if (route.async) {
        route.async(request,
                    [done, index](Response response) { done(std::move(response), index); });
        return;
      }
      done(route.handler(request), index);
    } catch (const std::exception& e) {
      spdlog::error("event=handler_exception request_id={} route=\"{}\" what=\"{}\"",
                    request.request_id, route.pattern, e.what());
      done(Response::Error(Status::Internal("internal error; see the server log for request " +
                                            request.request_id)),
           index);
    }
  }

  const ServerOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  const Router& router() const { return router_; }

  void Register(const std::shared_ptr<SessionBase>& session);
  void Unregister(SessionBase* session);

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [this](beast::error_code ec, StrandSocket socket) {
                             if (ec) {
                               if (!stopping_) {
                                 spdlog::warn("event=accept_error error=\"{}\"", ec.message());
                                 Accept();
                               }
                               return;
                             }
                             if (stopping_) return;
                             StartSession(std::move(socket));
                             Accept();
                           });
  }

  void StartSession(StrandSocket socket);
  void CloseIdleSessions();

  // TLS 1.2 or newer with the PEM certificate chain and key of the options.
  Status SetUpTls() {
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    ctx->use_certificate_chain_file(options_.tls_cert, ec);
    if (ec) {
      return Status::InvalidArgument("tls-cert",
                                     "cannot use " + options_.tls_cert + ": " + ec.message());
    }
    ctx->use_private_key_file(options_.tls_key, net::ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("tls-key",
                                     "cannot use " + options_.tls_key + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return Status::InvalidArgument("tls-key", "the key does not match the certificate");
    }
    tls_ = std::move(ctx);
    return Status::Ok();
  }

  void PollDrain() {
    auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(20));
    timer->async_wait([this, timer](const beast::error_code&) {
      size_t open = 0;
      {
        std::lock_guard lock(sessions_mu_);
        open = sessions_.size();
      }
      if (open == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
        if (open != 0) spdlog::warn("event=drain_timeout open_connections={}", open);
        ioc_.stop();
        return;
      }
      CloseIdleSessions();
      PollDrain();
    });
  }

  ServerOptions options_;
  const Router& router_;
  security::TokenAuthenticator& auth_;
  Metrics& metrics_;
  RateLimiter session_limiter_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point drain_deadline_;

  std::unique_ptr<net::ssl::context> tls_;  // set when serving HTTPS

  std::mutex sessions_mu_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
};

class HttpServer::Impl::SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void CloseIfIdle() = 0;
};

// One TCP connection, plain (Stream = PlainStream) or TLS (TlsStream): read a request,
// answer it, repeat while keep-alive.
template <class Stream>
class HttpServer::Impl::Session : public HttpServer::Impl::SessionBase,
                                  public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(Impl* server, Stream stream)
      : server_(server),
        stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        timer_(executor_) {
    beast::error_code ec;
    auto endpoint = Socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }
  ~Session() override { server_->Unregister(this); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        // The handshake must finish within the request timeout, like a request.
        self->SetDeadline(self->server_->options().request_timeout);
        self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Close();
          self->ReadHeader();
        });
      } else {
        self->ReadHeader();
      }
    });
  }

  // Runs on the session's strand: closes the connection unless a request is being handled.
  void CloseIfIdle() override {
    net::dispatch(executor_, [self = this->shared_from_this()] {
      if (!self->busy_ && !self->upgraded_) {
        beast::error_code ignored;
        self->Socket().shutdown(net::socket_base::shutdown_both, ignored);
        self->Socket().close(ignored);
      }
    });
  }

 private:
  void ReadHeader() {
    busy_ = false;
    if (server_->stopping()) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options().header_limit));
    parser_->body_limit(server_->options().body_limit);
    SetDeadline(requests_ == 0 ? server_->options().request_timeout
                               : server_->options().idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    SetDeadline(server_->options().request_timeout);
    auto& req = parser_->get();
    if (const auto length = parser_->content_length();
        length && *length > server_->options().body_limit) {
      return SendError(Status::TooLarge("request body exceeds " +
                                        std::to_string(server_->options().body_limit) + " bytes"),
                       /*keep_alive=*/false);
    }
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       req.version());
      bhttp::async_write(
          stream_, *cont,
          [self = this->shared_from_this(), cont](beast::error_code ec, std::size_t) {
            if (ec) return self->Close();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->OnReadError(ec);
                        self->Handle();
                      });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return SendError(Status::TooLarge("request body exceeds " +
                                        std::to_string(server_->options().body_limit) + " bytes"),
                       false);
    }
    if (ec == bhttp::error::header_limit) {
      return SendError(Status::TooLarge("request headers too large"), false);
    }
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof || ec == net::error::bad_descriptor) {
      return Close();
    }
    // Anything else is a malformed request line/header/chunk: say so, then hang up.
    SendError(Status::InvalidArgument("", "malformed HTTP request: " + ec.message()), false);
  }

  void SendError(const Status& status, bool keep_alive) {
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    Response response = Response::Error(status);
    request_id_ = NewRequestId();
    Send(std::move(response), keep_alive, Metrics::kUnmatched, "-", "-");
  }

  void Handle() {
    ClearDeadline();  // the server's own work is not timed; the answer's write is
    auto& req = parser_->get();
    auto request = std::make_shared<Request>();
    request->method = req.method();
    request->remote = remote_;
    const auto incoming_id = req["X-Request-Id"];
    request->request_id = IsSafeRequestId(incoming_id) ? std::string(incoming_id) : NewRequestId();
    request_id_ = request->request_id;
    const std::string method(req.method_string());
    const bool keep_alive = req.keep_alive();
    if (!ParseTarget(req.target(), *request)) {
      return Send(Response::Error(Status::InvalidArgument("", "malformed percent-escape in URL")),
                  keep_alive, Metrics::kUnmatched, method, request->path);
    }
    request->body = std::move(req.body());
    request->content_type = std::string(req[bhttp::field::content_type]);
    const bool wants_upgrade = websocket::is_upgrade(req);
    auto self = this->shared_from_this();
    server_->Dispatch(
        *request, req[bhttp::field::authorization], req[bhttp::field::if_none_match],
        req[bhttp::field::content_type], wants_upgrade,
        [self, request, method, keep_alive](Response response, int route) {
          // Asynchronous handlers answer from other threads: hop back onto the connection.
          net::dispatch(self->stream_.get_executor(), [self, request, method, keep_alive, route,
                                                       response = std::move(response)]() mutable {
            self->Send(std::move(response), keep_alive, route, method, request->path,
                       request->principal.name);
          });
        },
        [self, request](const Route& route, int index) { self->Upgrade(route, index, request); });
  }

  void Upgrade(const Route& route, int index, std::shared_ptr<Request> request);

  void Send(Response response, bool keep_alive, int route, std::string_view method,
            std::string_view path, std::string_view who = "-") {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    server_->metrics().Observe(route, response.status, seconds);
    const bool keep = keep_alive && !server_->stopping();
    WriteResponseHead(response, request_id_, keep, kTls, head_);
    body_ = std::move(response.body);
    if (method == "HEAD" || !ResponseMayHaveBody(response.status)) body_.clear();
    const auto level = response.status >= 500 ? spdlog::level::err : spdlog::level::info;
    if (spdlog::should_log(level)) {
      // A terminal's callback path carries its secret: log the route's pattern instead.
      if (route >= 0 && server_->router().routes()[route].secret_path) {
        path = server_->router().routes()[route].pattern;
      } else if (route < 0 && path.rfind("/api/v1/terminals/", 0) == 0) {
        path = "/api/v1/terminals/…";  // a callback path (its secret) that matched no route
      }
      spdlog::log(level,
                  "event=request request_id={} remote={} method={} path=\"{}\" route=\"{}\" "
                  "status={} duration_us={} principal={}",
                  request_id_, remote_, method, path,
                  route >= 0 ? server_->router().routes()[route].pattern : "-", response.status,
                  static_cast<long long>(seconds * 1e6), who.empty() ? "-" : who);
    }
    ++requests_;
    SetDeadline(server_->options().request_timeout);
    // One gather write of the head and the body; both stay in the session until it completes.
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this(), keep](beast::error_code ec, std::size_t) {
                       if (ec || !keep) return self->Close();
                       self->ReadHeader();
                     });
  }

  // The connection's deadline, kept by one timer per session instead of Beast's stream timeouts:
  // those re-arm and cancel a timer around every read and write — two timer operations through
  // Asio's scheduler per request, ~10 % of the HTTP threads' CPU under the gate load. Here moving
  // the deadline later is a store; the timer, when it fires early, waits again for the rest.
  // Past the deadline the socket is closed, which fails the pending read or write.
  void SetDeadline(std::chrono::steady_clock::duration timeout) {
    deadline_ = std::chrono::steady_clock::now() + timeout;
    if (!timer_armed_ || deadline_ < timer_.expiry()) ArmTimer();
  }
  void ClearDeadline() { deadline_ = std::chrono::steady_clock::time_point::max(); }

  void ArmTimer() {
    timer_armed_ = true;
    timer_.expires_at(deadline_);  // cancels a wait already pending, which then does nothing
    // A weak reference: a connection's timer does not keep the connection alive.
    timer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (!self || ec == net::error::operation_aborted) return;
      self->timer_armed_ = false;
      if (self->upgraded_) return;  // a WebSocket keeps its own timeouts
      if (self->deadline_ == std::chrono::steady_clock::time_point::max()) return;
      if (std::chrono::steady_clock::now() < self->deadline_) return self->ArmTimer();
      beast::error_code ignored;
      self->Socket().shutdown(net::socket_base::shutdown_both, ignored);
      self->Socket().close(ignored);
    });
  }

  void Close() {
    busy_ = false;
    beast::error_code ignored;
    Socket().shutdown(net::socket_base::shutdown_send, ignored);
    Socket().close(ignored);
  }

  PlainStream& Lowest() { return beast::get_lowest_layer(stream_); }
  StrandSocket& Socket() { return Lowest().socket(); }

  Impl* server_;
  Stream stream_;
  typename Stream::executor_type executor_;
  bool upgraded_ = false;  // the stream now belongs to a WebSocketSession
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_ = "-";
  std::string request_id_;
  std::string head_, body_;  // the response being written
  std::chrono::steady_clock::time_point started_;
  std::uint64_t requests_ = 0;
  bool busy_ = false;
  net::steady_timer timer_;  // on the session's strand
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool timer_armed_ = false;
};

// An upgraded connection: messages queued by Send() from any thread are written in order on the
// connection's strand; incoming messages are read and ignored (the feed is one-way), which also
// notices a close. A peer more than kMaxQueued messages behind is dropped.
template <class Stream>
class WebSocketSession : public WebSocketPeer,
                         public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  static constexpr size_t kMaxQueued = 1024;

  explicit WebSocketSession(Stream&& stream) : ws_(std::move(stream)) {}

  template <typename Body>
  void Accept(bhttp::request<Body> request, std::function<void()> on_open) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(bhttp::field::server, "zhizhi"); }));
    auto req = std::make_shared<bhttp::request<Body>>(std::move(request));
    ws_.async_accept(*req, [self = this->shared_from_this(), req, on_open](beast::error_code ec) {
      if (ec) return;
      self->open_ = true;
      on_open();
      self->Read();
    });
  }

  void Send(std::string text) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(),
                                   text = std::move(text)]() mutable {
      if (!self->open_) return;
      if (self->queue_.size() >= kMaxQueued) {
        self->open_ = false;
        self->ws_.async_close(websocket::close_code::try_again_later, [self](beast::error_code) {});
        return;
      }
      self->queue_.push_back(std::move(text));
      if (self->queue_.size() == 1) self->WriteNext();
    });
  }

  bool open() const override { return open_; }

 private:
  void Read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->open_ = false;
        return;
      }
      self->buffer_.consume(self->buffer_.size());
      self->Read();
    });
  }

  void WriteNext() {
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) {
                        self->open_ = false;
                        self->queue_.clear();
                        return;
                      }
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) self->WriteNext();
                    });
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::atomic<bool> open_{false};
};

template <class Stream>
void HttpServer::Impl::Session<Stream>::Upgrade(const Route& route, int index,
                                                std::shared_ptr<Request> request) {
  server_->metrics().Observe(
      index, 101,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  spdlog::info("event=websocket_open request_id={} remote={} route=\"{}\" principal={}",
               request->request_id, remote_, route.pattern, request->principal.name);
  upgraded_ = true;
  timer_.cancel();  // a WebSocket keeps its own timeouts
  auto ws = std::make_shared<WebSocketSession<Stream>>(std::move(stream_));
  const WebSocketHandler handler = route.websocket;
  ws->Accept(parser_->release(), [ws, handler, request]() { handler(*request, ws); });
}

void HttpServer::Impl::StartSession(StrandSocket socket) {
  if (tls_) {
    auto session = std::make_shared<Session<TlsStream>>(
        this, TlsStream(PlainStream(std::move(socket)), *tls_));
    Register(session);
    session->Start();
    return;
  }
  auto session = std::make_shared<Session<PlainStream>>(this, PlainStream(std::move(socket)));
  Register(session);
  session->Start();
}

void HttpServer::Impl::Register(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.emplace(session.get(), session);
}

void HttpServer::Impl::Unregister(SessionBase* session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.erase(session);
}

void HttpServer::Impl::CloseIdleSessions() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live)
    session->CloseIfIdle();
}

HttpServer::HttpServer(ServerOptions options, const Router& router,
                       security::TokenAuthenticator& auth, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, auth, metrics)) {}

HttpServer::~HttpServer() = default;

Result<std::uint16_t> HttpServer::Start() {
  return impl_->Start();
}

void HttpServer::Run() {
  impl_->Run();
}

void HttpServer::Stop() {
  impl_->BeginStop();
}

}  // namespace zhizhi::http

#include "http/server.h"

#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace zhizhi::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

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
  static const std::uint64_t prefix = std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32);
  static std::atomic<std::uint64_t> counter{0};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08llx%08llx",
                static_cast<unsigned long long>(prefix & 0xffffffffu),
                static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed)));
  return buf;
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
    auto value = PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                               /*form=*/true);
    if (!key || !value) return false;
    request.query.emplace_back(std::move(*key), std::move(*value));
  }
  return true;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(ServerOptions options, const Router& router, security::TokenAuthenticator& auth,
       Metrics& metrics)
      : options_(std::move(options)),
        router_(router),
        auth_(auth),
        metrics_(metrics),
        ioc_(options_.threads),
        acceptor_(net::make_strand(ioc_)),
        signals_(ioc_, SIGINT, SIGTERM) {}

  class Session;

  Result<std::uint16_t> Start() {
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
    for (int i = 1; i < options_.threads; ++i) threads.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : threads) t.join();
  }

  void BeginStop() {
    net::dispatch(acceptor_.get_executor(), [this] {
      if (stopping_.exchange(true)) return;
      beast::error_code ignored;
      acceptor_.close(ignored);
      signals_.cancel(ignored);
      CloseIdleSessions();
      drain_deadline_ = std::chrono::steady_clock::now() + options_.drain_timeout;
      PollDrain();
    });
  }

  bool stopping() const { return stopping_.load(); }

  Response Dispatch(Request& request, std::string_view authorization, int* route_index) {
    *route_index = Metrics::kUnmatched;
    const Router::Match match = router_.Find(request.method, request.path, request);
    if (match.route == nullptr) return Response::Error(match.status);
    *route_index = match.index;
    const Route& route = *match.route;
    if (route.right) {
      auto principal = auth_.Authenticate(authorization);
      if (!principal.ok()) {
        Response response = Response::Error(principal.status());
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
      }
      request.principal = std::move(principal).value();
      if (!request.principal.Has(*route.right)) {
        return Response::Error(Status::PermissionDenied(
            "this token lacks the right " + std::string(security::RightName(*route.right))));
      }
    }
    try {
      return route.handler(request);
    } catch (const std::exception& e) {
      spdlog::error("event=handler_exception request_id={} route=\"{}\" what=\"{}\"",
                    request.request_id, route.pattern, e.what());
      return Response::Error(Status::Internal("internal error; see the server log for request " +
                                              request.request_id));
    }
  }

  const ServerOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  const Router& router() const { return router_; }

  void Register(const std::shared_ptr<Session>& session);
  void Unregister(Session* session);

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
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

  void StartSession(tcp::socket socket);
  void CloseIdleSessions();

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
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point drain_deadline_;

  std::mutex sessions_mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

// One TCP connection: read a request, answer it, repeat while keep-alive.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }
  ~Session() { server_->Unregister(this); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Runs on the session's strand: closes the connection unless a request is being handled.
  void CloseIfIdle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->stream_.socket().close(ignored);
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
    stream_.expires_after(requests_ == 0 ? server_->options().request_timeout
                                         : server_->options().idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    stream_.expires_after(server_->options().request_timeout);
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
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                           if (ec) return self->Close();
                           self->ReadBody();
                         });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
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
    auto& req = parser_->get();
    Request request;
    request.method = req.method();
    request.remote = remote_;
    const auto incoming_id = req["X-Request-Id"];
    request.request_id = IsSafeRequestId(incoming_id) ? std::string(incoming_id) : NewRequestId();
    request_id_ = request.request_id;
    int route = Metrics::kUnmatched;
    Response response;
    if (!ParseTarget(req.target(), request)) {
      response = Response::Error(Status::InvalidArgument("", "malformed percent-escape in URL"));
    } else {
      request.body = std::move(req.body());
      response = server_->Dispatch(request, req[bhttp::field::authorization], &route);
    }
    const std::string method(req.method_string());
    Send(std::move(response), req.keep_alive(), route, method, request.path,
         request.principal.name);
  }

  void Send(Response response, bool keep_alive, int route, std::string_view method,
            std::string_view path, std::string_view who = "-") {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    server_->metrics().Observe(route, response.status, seconds);
    const bool keep = keep_alive && !server_->stopping();
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(response.status));
    res->set(bhttp::field::server, "zhizhi");
    res->set(bhttp::field::content_type, response.content_type);
    res->set("X-Request-Id", request_id_);
    res->set("X-Content-Type-Options", "nosniff");
    res->set(bhttp::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) res->set(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep);
    res->prepare_payload();
    const auto level = response.status >= 500 ? spdlog::level::err : spdlog::level::info;
    if (spdlog::should_log(level)) {
      spdlog::log(level,
                  "event=request request_id={} remote={} method={} path=\"{}\" route=\"{}\" "
                  "status={} duration_us={} principal={}",
                  request_id_, remote_, method, path,
                  route >= 0 ? server_->router().routes()[route].pattern : "-", response.status,
                  static_cast<long long>(seconds * 1e6), who.empty() ? "-" : who);
    }
    ++requests_;
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
                         if (ec || !keep) return self->Close();
                         self->ReadHeader();
                       });
  }

  void Close() {
    busy_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  Impl* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_ = "-";
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;
  std::uint64_t requests_ = 0;
  bool busy_ = false;
};

void HttpServer::Impl::StartSession(tcp::socket socket) {
  auto session = std::make_shared<Session>(this, std::move(socket));
  Register(session);
  session->Start();
}

void HttpServer::Impl::Register(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.emplace(session.get(), session);
}

void HttpServer::Impl::Unregister(Session* session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.erase(session);
}

void HttpServer::Impl::CloseIdleSessions() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->CloseIfIdle();
}

HttpServer::HttpServer(ServerOptions options, const Router& router,
                       security::TokenAuthenticator& auth, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, auth, metrics)) {}

HttpServer::~HttpServer() = default;

Result<std::uint16_t> HttpServer::Start() { return impl_->Start(); }

void HttpServer::Run() { impl_->Run(); }

void HttpServer::Stop() { impl_->BeginStop(); }

Response HttpServer::Dispatch(Request& request, std::string_view authorization, int* route_index) {
  return impl_->Dispatch(request, authorization, route_index);
}

}  // namespace zhizhi::http

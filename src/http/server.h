// HttpServer: HTTP/1.1 over Boost.Beast with keep-alive, a body limit (413 before the body is
// read when Content-Length already says too much), read/idle timeouts, request ids, access logs,
// metrics, bearer authentication, per-route rights and project scope, a rate limit per session,
// JSON-only request bodies (415 otherwise) and security headers on every response
// (SecurityHeaders()).
//
// Handlers run on the server's I/O threads and may block on the database writer; there are more
// threads than cores so that group commit can gather concurrent writes.
//
// Shutdown: Stop() (or SIGTERM/SIGINT inside Run()) closes the listener, lets requests in flight
// finish and closes idle connections; Run() returns when all connections are gone or after the
// drain deadline.
//
// Thread-safety: Start/Run/Stop from the owning thread (Stop may also come from a signal handler
// installed by Run); everything else is internal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/static_files.h"
#include "security/token_authenticator.h"

namespace zhizhi::http {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: pick a free port
  int threads = 8;
  std::size_t body_limit = 1 << 20;
  std::size_t header_limit = 16 << 10;
  // To receive a whole request (from its first byte, or the TLS handshake), and again to write
  // its answer; the handler's own work is not timed. Past it the connection is closed.
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds idle_timeout{75};   // keep-alive wait for the next request
  std::chrono::seconds drain_timeout{10};  // graceful shutdown
  // The command screen's files, answered for GET/HEAD outside /api/ that no route matches;
  // null: none.
  std::shared_ptr<const StaticFiles> web;
  // Called once when the server begins to stop (signal or Stop()), before it drains.
  std::function<void()> on_stop;
  // Called for a call refused to an authenticated caller — its right missing (403; outcome
  // `permission_denied`, or `token_misuse` for a gate device's token on another route) or what
  // it names out of its scope (404, `out_of_scope`) — for the audit trail. Must not block.
  std::function<void(const Request&, const Route&, std::string_view outcome)> on_refusal;
  // Requests per second (and burst) allowed per user session; 0 disables. The administrator
  // token and device tokens are not limited (automation and gate terminals).
  double session_rate = 20;
  double session_burst = 200;
  // HTTPS when both are set: PEM certificate chain and private key (TLS 1.2 or newer; responses
  // then carry Strict-Transport-Security).
  std::string tls_cert;
  std::string tls_key;
};

// The headers every response carries: nosniff, no framing, no referrer, and a Content-Security-
// Policy — same-origin for HTML (the command screen's scripts are files of this origin, never
// inline; style attributes are allowed because ECharts writes its tooltips as HTML with them),
// nothing at all for everything else.
const std::vector<std::pair<std::string, std::string>>& SecurityHeaders(
    std::string_view content_type);

// The status line and headers of `response` (HTTP/1.1), written into `out` (cleared first):
// Server, Content-Type, X-Request-Id, the security headers, Strict-Transport-Security with TLS,
// Cache-Control: no-store — each unless the handler set the same header (case-insensitive) —
// then the handler's headers (a name set twice: the last), Content-Length (the body's size,
// also for HEAD; none for 1xx, 204 and 304) and `Connection: close` when the connection ends.
// CR and LF in values become spaces. Written by hand rather than through Beast's fields and
// serializer, which allocated per header and cost ~5 % of the server's CPU under the gate's
// load (docs/benchmarks.md).
void WriteResponseHead(const Response& response, std::string_view request_id, bool keep_alive,
                       bool tls, std::string& out);
// False for 1xx, 204 and 304, which carry no body.
bool ResponseMayHaveBody(int status);

class HttpServer {
 public:
  HttpServer(ServerOptions options, const Router& router, security::TokenAuthenticator& auth,
             Metrics& metrics);
  ~HttpServer();

  // Binds and listens; returns the port actually bound.
  Result<std::uint16_t> Start();
  // Serves until SIGTERM/SIGINT or Stop(); then drains.
  void Run();
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhizhi::http

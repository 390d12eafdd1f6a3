// LoopbackClient: the simulator's and load generator's side of http::Client (http/client.h). It
// talks to a zhizhi server on this machine only (loopback addresses), with the API's bearer token
// and JSON bodies; the client keeps its connection alive between requests, reconnects when the
// server closed an idle connection, and puts a deadline on every exchange.
//
// Thread-safety: one client per thread; a client is not synchronised.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "http/client.h"

namespace zhizhi::sim {

struct LoopbackUrl {
  std::string address;  // numeric loopback address, e.g. 127.0.0.1 or ::1
  std::uint16_t port = 8080;
};

// Parses `http://HOST[:PORT][/]`; HOST must be localhost or a loopback address (127.0.0.0/8,
// ::1) — the simulator never sends passes anywhere else.
Result<LoopbackUrl> ParseLoopbackUrl(std::string_view url);

struct HttpReply {
  int status = 0;     // 0 when the exchange failed at the transport level (see error)
  std::string error;  // transport error, empty on success
  std::string body;

  bool transport_error() const { return status == 0; }
  // The parsed body; discarded() when it is not JSON.
  nlohmann::json Json() const;
  // "STATUS body" (or the transport error), shortened, for messages.
  std::string Describe() const;
};

class LoopbackClient {
 public:
  explicit LoopbackClient(LoopbackUrl url,
                          std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // `method` is GET, POST, PUT or DELETE; a non-empty `token` is sent as a bearer token and a
  // non-empty body as application/json. A request on a kept-alive connection that the server
  // closed meanwhile is retried once on a new connection (gate events are idempotent on
  // event_id).
  HttpReply Request(std::string_view method, std::string_view target, std::string_view token,
                    std::string body = {});

  // A POST without a token, with a body of `content_type`: what terminals of other makers send.
  HttpReply PostAs(std::string_view target, std::string_view content_type, std::string body);

  // TCP connections opened so far: 1 after any number of requests on one kept-alive connection.
  int connections_opened() const { return client_.connections_opened(); }

 private:
  http::Client client_;
};

}  // namespace zhizhi::sim

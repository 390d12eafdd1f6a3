// Client: a blocking HTTP/1.1 client over Boost.Beast, plain HTTP only (no TLS). The simulator
// and the end-to-end tests talk through it to a zhizhi server on loopback; the residence sender
// posts its signed messages to the police endpoint with it.
//
// A request is one attempt under one deadline (`timeout`): the connect, when no connection is
// open, and the exchange. The request is written while the answer is read, so an answer the
// server sends early (413 before the whole body went out) is still received. The connection is
// kept alive between requests (unless `keep_alive` is false); a request on a kept-alive
// connection that failed before any byte of an answer came back — the server had closed the idle
// connection — is sent once more on a new connection, but not after a timeout (the server may be
// working on it). A host that is not a numeric address is resolved at each connect, outside the
// deadline.
//
// Thread-safety: one client per thread; a client is not synchronised.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace zhizhi::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  std::string host = "127.0.0.1";  // a numeric address, or a name resolved at each connect
  std::uint16_t port = 80;
  std::chrono::milliseconds timeout{15'000};  // connect and exchange of one attempt together
  std::string user_agent = "zhizhi";
  bool keep_alive = true;  // false: `Connection: close`, a new connection for every request
  std::uint64_t body_limit = 64u << 20;  // the largest answer body read
  // When it turns true, a request in progress is abandoned (checked every 50 ms).
  const std::atomic<bool>* cancel = nullptr;
};

// An http://HOST[:PORT]/PATH address, read strictly (no https: a TLS-terminating proxy on
// loopback goes in front of such peers). Errors are messages for the caller to place.
struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string path = "/";  // with the query, if any
};
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// The step at which a request that got no answer failed.
enum class ClientStep { kNone, kResolve, kConnect, kWrite, kRead, kCancelled };

struct ClientResponse {
  int status = 0;  // 0: no answer, see `error`
  HeaderList headers;
  std::string body;

  // Why there was no answer, for messages: "connect to 127.0.0.1:8080: Connection refused",
  // "read: end of stream", "read: …; write: Broken pipe", "cancelled". Empty with an answer.
  std::string error;
  // The same in parts, for callers that word it themselves: the step that failed, whether the
  // deadline ran out there, and the system's words for that step's failure.
  ClientStep failed_step = ClientStep::kNone;
  bool timed_out = false;
  std::string step_error;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `method` (any token, GET, POST, …) for `target` with Host and User-Agent, then
  // `headers` as given, and `body` with its Content-Length. The answer of a HEAD has no body.
  ClientResponse Send(std::string_view method, std::string_view target,
                      const HeaderList& headers = {}, std::string body = {});

  // TCP connections opened so far: 1 after any number of requests on one kept-alive connection.
  int connections_opened() const;
  bool connected() const;
  void Close();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhizhi::http

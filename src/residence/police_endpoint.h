// PoliceEndpoint: a reference implementation of the receiving side of the police adapter's wire
// format (docs/residence.md). It checks what the police system must check — the body's SHA-256,
// the HMAC signature over the canonical form, the idempotency key — opens the encrypted ID
// number, validates it, and answers accepted with a receipt number (or rejected with a reason).
// The same idempotency key always gets the first answer back, so a message delivered twice is
// registered once.
//
// It exists to prove the wire format from the other end: the outbox tests run the real sender
// against it on loopback, with faults injected (503s, answers that come too late, connections
// dropped after the work was done, every answer written twice), and `zhizhi police-endpoint`
// runs it for demonstrations. It is not the police system.
//
// Thread-safety: Start()/Stop() from one thread; the accessors are thread-safe. Each connection
// is served on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "residence/wire_format.h"

namespace zhizhi::residence {

struct EndpointOptions {
  std::string path = "/floating-population/v1/messages";
  WireKey hmac_key{};
  WireKey id_key{};
  // Faults, counted over requests that reach the path:
  int fail_first = 0;  // answer 503 before doing anything
  int slow_first = 0;  // do the work, then answer only after `slow_ms`
  int slow_ms = 0;
  int drop_first = 0;         // do the work, then close the connection without an answer
  bool answer_twice = false;  // write every answer twice on the connection
  // A reason to reject a message (e.g. an address the police cannot find), or nullopt.
  std::function<std::optional<std::string>(const nlohmann::json& message)> reject;
  std::string receipt_prefix = "ZJ330114";
};

struct ReceivedMessage {
  std::string idempotency_key;
  std::string message_type;
  std::string registration_ref;
  std::string id_number;  // decrypted
  nlohmann::json body;
  nlohmann::json answer;
};

class PoliceEndpoint {
 public:
  explicit PoliceEndpoint(EndpointOptions options);
  ~PoliceEndpoint();
  PoliceEndpoint(const PoliceEndpoint&) = delete;
  PoliceEndpoint& operator=(const PoliceEndpoint&) = delete;

  // Listens on bind:port (0 = a free port); returns the port.
  Result<std::uint16_t> Start(const std::string& bind = "127.0.0.1", std::uint16_t port = 0);
  void Stop();

  int requests() const { return requests_; }      // HTTP requests to the path
  int duplicates() const { return duplicates_; }  // requests for a key already answered
  int bad_signatures() const { return bad_signatures_; }
  // Every message processed once (distinct idempotency keys), in arrival order.
  std::vector<ReceivedMessage> messages() const;
  // Called for each processed message (logging in `zhizhi police-endpoint`).
  void SetObserver(std::function<void(const ReceivedMessage&)> observer) {
    observer_ = std::move(observer);
  }

  struct Reply {
    int status = 200;
    nlohmann::json body;
    enum class Mode { kNormal, kSlow, kDrop } mode = Mode::kNormal;
  };
  // Handles one request (exposed for unit tests of the checks).
  Reply Handle(const std::string& target, const std::map<std::string, std::string>& headers,
               const std::string& body);

 private:
  void AcceptLoop();
  void Serve(std::shared_ptr<void> socket);

  EndpointOptions options_;
  std::function<void(const ReceivedMessage&)> observer_;
  std::atomic<int> requests_{0}, duplicates_{0}, bad_signatures_{0};
  std::atomic<bool> stopping_{false};
  std::uint16_t port_ = 0;

  mutable std::mutex mu_;
  std::vector<ReceivedMessage> messages_;
  std::map<std::string, nlohmann::json> answers_;  // idempotency key -> first answer
  int receipts_ = 0;
  std::vector<std::thread> connections_;
  std::vector<std::weak_ptr<void>> sockets_;

  struct Acceptor;
  std::unique_ptr<Acceptor> acceptor_;
  std::thread accept_thread_;
};

}  // namespace zhizhi::residence

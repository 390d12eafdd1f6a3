// PoliceAdapter: the platform's side of the police system's floating-population interface.
//
// It builds one message per submission — the application as JSON with the ID number encrypted
// for the police (wire_format.h), signed with HMAC-SHA256 at the moment it is queued — and later
// delivers it: one HTTP POST (http/client.h) with the signature headers and the message's
// idempotency key, under a deadline. It never decides what an answer means for a registration;
// it classifies the HTTP exchange (accepted with a receipt number, rejected with a reason, retry
// later, or failed for good) and the outbox sender (outbox_sender.h) applies that in a writer job.
//
// Configuration is a JSON file with the endpoint and the keys (docs/residence.md); it must not be
// readable by group or others. Without one, submissions go to the daily export file instead.
//
// Thread-safety: immutable after construction; Build() and Deliver() are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "residence/application.h"
#include "residence/wire_format.h"

namespace zhizhi::residence {

// Upstream targets of the sync outbox.
inline constexpr const char* kPoliceTarget = "police";
inline constexpr const char* kExportTarget = "police_export";

struct RetryPolicy {
  std::int64_t base_ms = 2'000;     // first retry after about this long
  std::int64_t max_ms = 3'600'000;  // back-off cap
  int max_attempts = 20;            // then the message is "failed" until resubmitted
};

struct PoliceConfig {
  std::string url;   // http://HOST[:PORT]/PATH
  std::string host;  // parsed from url
  std::uint16_t port = 80;
  std::string path;
  std::string client_id;
  std::string key_id = "1";
  WireKey hmac_key{};
  WireKey id_key{};
  std::int64_t timeout_ms = 10'000;
  RetryPolicy retry;
  std::string label;  // what the receiver is, for the screen (the demo's stand-in says so)

  // Reads and checks a configuration file (mode must not allow group/other access).
  static Result<PoliceConfig> Load(const std::string& path);
  static Result<PoliceConfig> FromJson(const nlohmann::json& doc, const std::string& origin);
};

// One message ready for the outbox.
struct OutboxMessage {
  std::string target;
  std::string message_type;
  std::string idempotency_key;
  std::string payload;  // the exact request body
  std::optional<std::string> signature, key_id;
  std::optional<std::int64_t> signed_at;
};

// What the message refers to besides its application.
struct MessageContext {
  std::string registration_ref;  // our registration (the chain's root), e.g. "330114-zz:R42"
  std::optional<std::string> previous_receipt_no;
  std::int64_t created_at_ms = 0;
};

// The outcome of one delivery attempt.
struct Delivery {
  enum class Kind { kAccepted, kRejected, kRetry, kFailed };
  Kind kind = Kind::kRetry;
  std::string receipt_no;   // accepted
  std::string reason;       // rejected: the police's reason; retry/failed: what went wrong
  int http_status = 0;      // 0: no HTTP answer (connection, timeout)
  nlohmann::json response;  // the parsed answer, when there was one
};

class PoliceAdapter {
 public:
  explicit PoliceAdapter(PoliceConfig config) : config_(std::move(config)) {}
  const PoliceConfig& config() const { return config_; }

  // Encrypts `id_number`, builds the body and signs it at `now_ms`.
  OutboxMessage Build(const Application& application, std::string_view id_number,
                      const std::string& idempotency_key, const MessageContext& context,
                      std::int64_t now_ms) const;
  // The signature of a stored body (re-signing after a key change).
  std::string Sign(std::string_view body, const std::string& idempotency_key,
                   std::int64_t timestamp_ms) const;

  // One POST of a stored message under the configured deadline. When `*cancel` turns true the
  // exchange is abandoned (kRetry, "cancelled"): the caller must not apply it.
  Delivery Deliver(const std::string& idempotency_key, const std::string& payload,
                   const std::string& signature, std::int64_t signed_at,
                   const std::atomic<bool>* cancel = nullptr) const;

  // Classifies an HTTP answer (status 0 = no answer, `error` says why).
  static Delivery Interpret(int http_status, std::string_view body, const std::string& error);

 private:
  const PoliceConfig config_;
};

// The body of a message (shared by the HTTP adapter and the export): the application with the
// given applicant ID fields merged in.
nlohmann::json MessageBody(const Application& application, const std::string& idempotency_key,
                           const MessageContext& context, nlohmann::json id_fields);

}  // namespace zhizhi::residence

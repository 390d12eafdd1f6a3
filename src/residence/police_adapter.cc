#include "residence/police_adapter.h"

#include <sys/stat.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "base/civil_time.h"
#include "http/client.h"

namespace zhizhi::residence {

using nlohmann::json;

namespace {

Status ConfigError(const std::string& origin, const std::string& what) {
  return Status::InvalidArgument("police_config", origin + ": " + what);
}

Result<std::string> TextField(const json& doc, const char* key, const std::string& origin,
                              bool required = true, std::string fallback = {}) {
  auto it = doc.find(key);
  if (it == doc.end()) {
    if (required) return ConfigError(origin, std::string("missing \"") + key + "\"");
    return fallback;
  }
  if (!it->is_string() || it->get<std::string>().empty()) {
    return ConfigError(origin, std::string("\"") + key + "\" must be a non-empty string");
  }
  return it->get<std::string>();
}

Result<std::int64_t> IntField(const json& doc, const char* key, const std::string& origin,
                              std::int64_t fallback, std::int64_t min, std::int64_t max) {
  auto it = doc.find(key);
  if (it == doc.end()) return fallback;
  if (!it->is_number_integer() || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max) {
    return ConfigError(origin, std::string("\"") + key + "\" must be an integer in " +
                                   std::to_string(min) + ".." + std::to_string(max));
  }
  return it->get<std::int64_t>();
}

// Why a delivery got no answer, by the step it failed at: "connect: Connection refused",
// "answer: timed out after 10000 ms" ("" when there was an answer).
std::string NoAnswerReason(const http::ClientResponse& answer, std::int64_t timeout_ms) {
  using Step = http::ClientStep;
  const Step failed = answer.failed_step;
  if (failed == Step::kNone) return {};
  if (failed == Step::kCancelled) return "cancelled: the server is stopping";
  const char* step = failed == Step::kResolve   ? "resolve"
                     : failed == Step::kConnect ? "connect"
                     : failed == Step::kWrite   ? "send"
                                                : "answer";
  return std::string(step) + ": " +
         (answer.timed_out ? "timed out after " + std::to_string(timeout_ms) + " ms"
                           : answer.step_error);
}

}  // namespace

Result<PoliceConfig> PoliceConfig::Load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::InvalidArgument("police_config", "cannot read police config " + path);
  }
  if ((st.st_mode & 077) != 0) {
    return Status::InvalidArgument("police_config",
                                   path +
                                       " holds keys and must not be readable by group or others "
                                       "(chmod 600 " +
                                       path + ")");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return ConfigError(path, "not a JSON object");
  return FromJson(doc, path);
}

Result<PoliceConfig> PoliceConfig::FromJson(const json& doc, const std::string& origin) {
  static const std::set<std::string> kKnown = {
      "url", "client_id", "key_id", "hmac_key", "id_key", "timeout_ms", "retry", "note", "label"};
  for (const auto& [key, value] : doc.items()) {
    if (!kKnown.count(key)) return ConfigError(origin, "unknown field \"" + key + "\"");
  }
  PoliceConfig c;
  ZZ_ASSIGN_OR_RETURN(c.url, TextField(doc, "url", origin));
  auto url = http::ParseHttpUrl(c.url);
  if (!url.ok()) return ConfigError(origin, url.status().message());
  c.host = url->host;
  c.port = url->port;
  c.path = url->path;
  ZZ_ASSIGN_OR_RETURN(c.client_id, TextField(doc, "client_id", origin));
  ZZ_ASSIGN_OR_RETURN(c.key_id, TextField(doc, "key_id", origin, false, "1"));
  ZZ_ASSIGN_OR_RETURN(std::string hmac, TextField(doc, "hmac_key", origin));
  ZZ_ASSIGN_OR_RETURN(std::string id, TextField(doc, "id_key", origin));
  auto hmac_key = ParseWireKey(hmac, "hmac_key");
  if (!hmac_key.ok()) return ConfigError(origin, hmac_key.status().message());
  auto id_key = ParseWireKey(id, "id_key");
  if (!id_key.ok()) return ConfigError(origin, id_key.status().message());
  c.hmac_key = *hmac_key;
  c.id_key = *id_key;
  if (c.hmac_key == c.id_key) {
    return ConfigError(origin, "hmac_key and id_key must be different keys");
  }
  ZZ_ASSIGN_OR_RETURN(c.label, TextField(doc, "label", origin, false, ""));
  ZZ_ASSIGN_OR_RETURN(c.timeout_ms, IntField(doc, "timeout_ms", origin, 10'000, 50, 600'000));
  if (auto retry = doc.find("retry"); retry != doc.end()) {
    if (!retry->is_object()) return ConfigError(origin, "\"retry\" must be an object");
    ZZ_ASSIGN_OR_RETURN(c.retry.base_ms, IntField(*retry, "base_ms", origin, 2'000, 10, 3'600'000));
    ZZ_ASSIGN_OR_RETURN(c.retry.max_ms,
                        IntField(*retry, "max_ms", origin, 3'600'000, 10, 86'400'000));
    ZZ_ASSIGN_OR_RETURN(std::int64_t attempts,
                        IntField(*retry, "max_attempts", origin, 20, 1, 1000));
    c.retry.max_attempts = static_cast<int>(attempts);
  }
  return c;
}

json MessageBody(const Application& a, const std::string& idempotency_key,
                 const MessageContext& context, json id_fields) {
  json body = a.ToJson();
  json& applicant = body["applicant"];
  applicant.erase("person_id");  // our internal id means nothing upstream
  for (auto& [key, value] : id_fields.items())
    applicant[key] = std::move(value);
  body["version"] = "zz-residence/1";
  body["message_type"] = a.kind;
  body["idempotency_key"] = idempotency_key;
  body["registration_ref"] = context.registration_ref;
  body["previous_receipt_no"] =
      context.previous_receipt_no ? json(*context.previous_receipt_no) : json();
  body["created_at"] = FormatRfc3339(context.created_at_ms);
  return body;
}

OutboxMessage PoliceAdapter::Build(const Application& a, std::string_view id_number,
                                   const std::string& idempotency_key,
                                   const MessageContext& context, std::int64_t now_ms) const {
  OutboxMessage m;
  m.target = kPoliceTarget;
  m.message_type = a.kind;
  m.idempotency_key = idempotency_key;
  json id_fields = json::object();
  id_fields["id_number_enc"] = EncryptField(config_.id_key, id_number, idempotency_key);
  id_fields["id_number_masked"] = a.id_masked;
  m.payload = MessageBody(a, idempotency_key, context, std::move(id_fields)).dump();
  m.signature = Sign(m.payload, idempotency_key, now_ms);
  m.key_id = config_.key_id;
  m.signed_at = now_ms;
  return m;
}

std::string PoliceAdapter::Sign(std::string_view body, const std::string& idempotency_key,
                                std::int64_t timestamp_ms) const {
  CanonicalRequest r;
  r.path = config_.path;
  r.client_id = config_.client_id;
  r.key_id = config_.key_id;
  r.timestamp_ms = timestamp_ms;
  r.idempotency_key = idempotency_key;
  r.body_sha256_hex = Sha256Hex(body);
  return HmacSha256Hex(config_.hmac_key, CanonicalString(r));
}

Delivery PoliceAdapter::Deliver(const std::string& idempotency_key, const std::string& payload,
                                const std::string& signature, std::int64_t signed_at,
                                const std::atomic<bool>* cancel) const {
  http::ClientOptions options;
  options.host = config_.host;
  options.port = config_.port;
  options.timeout = std::chrono::milliseconds(config_.timeout_ms);
  options.user_agent = "zhizhi-residence/1";
  options.keep_alive = false;
  options.body_limit = 1 << 20;
  options.cancel = cancel;
  http::Client client(options);
  const http::ClientResponse answer =
      client.Send("POST", config_.path,
                  {{"Content-Type", "application/json; charset=utf-8"},
                   {kHeaderClient, config_.client_id},
                   {kHeaderKeyId, config_.key_id},
                   {kHeaderTimestamp, std::to_string(signed_at)},
                   {kHeaderIdempotency, idempotency_key},
                   {kHeaderContentSha256, Sha256Hex(payload)},
                   {kHeaderSignature, signature}},
                  payload);
  return Interpret(answer.status, answer.body, NoAnswerReason(answer, config_.timeout_ms));
}

Delivery PoliceAdapter::Interpret(int http_status, std::string_view body,
                                  const std::string& error) {
  Delivery d;
  d.http_status = http_status;
  if (http_status == 0) {
    d.kind = Delivery::Kind::kRetry;
    d.reason = error.empty() ? "no answer" : error;
    return d;
  }
  json answer = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_discarded()) d.response = answer;
  auto text = [&](const char* key) {
    return answer.is_object() && answer.contains(key) && answer[key].is_string()
               ? answer[key].get<std::string>()
               : std::string();
  };
  const std::string short_body(body.substr(0, 200));
  // 2xx, and 409 for a message the police already hold (their first answer comes back).
  if ((http_status >= 200 && http_status < 300) || http_status == 409) {
    const std::string result = text("result");
    if (result == "accepted" && !text("receipt_no").empty()) {
      d.kind = Delivery::Kind::kAccepted;
      d.receipt_no = text("receipt_no");
      return d;
    }
    if (result == "rejected") {
      d.kind = Delivery::Kind::kRejected;
      d.reason = text("reason").empty() ? "rejected without a reason" : text("reason");
      return d;
    }
    d.kind = Delivery::Kind::kRetry;
    d.reason = "HTTP " + std::to_string(http_status) + " without a result: " + short_body;
    return d;
  }
  d.reason = "HTTP " + std::to_string(http_status) + ": " + short_body;
  const bool transient =
      http_status == 408 || http_status == 425 || http_status == 429 || http_status >= 500;
  d.kind = transient ? Delivery::Kind::kRetry : Delivery::Kind::kFailed;
  return d;
}

}  // namespace zhizhi::residence

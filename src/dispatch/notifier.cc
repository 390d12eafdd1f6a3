#include "dispatch/notifier.h"

#include <sodium.h>

#include <spdlog/spdlog.h>

#include "base/base64.h"
#include "base/civil_time.h"
#include "base/text.h"
#include "base/thread_name.h"
#include "http/form.h"

namespace zhizhi::dispatch {

using nlohmann::json;

std::string WebhookNotifier::SignedQuery(const std::string& secret, std::int64_t timestamp_ms) {
  const std::string message = std::to_string(timestamp_ms) + "\n" + secret;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  const std::string sign =
      EncodeBase64(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
  return http::EncodeForm({{"timestamp", std::to_string(timestamp_ms)}, {"sign", sign}});
}

Result<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(const std::string& url,
                                                                 std::string secret, Clock clock) {
  ZZ_ASSIGN_OR_RETURN(http::HttpUrl parsed, http::ParseHttpUrl(url));
  if (secret.empty())
    return Status::InvalidArgument("secret", "the webhook's signing secret is empty");
  return std::unique_ptr<WebhookNotifier>(
      new WebhookNotifier(std::move(parsed), std::move(secret), std::move(clock)));
}

WebhookNotifier::WebhookNotifier(http::HttpUrl url, std::string secret, Clock clock)
    : url_(std::move(url)), secret_(std::move(secret)), clock_(std::move(clock)) {
  http::ClientOptions options;
  options.host = url_.host;
  options.port = url_.port;
  options.timeout = std::chrono::milliseconds(10'000);
  client_ = std::make_unique<http::Client>(options);
}

Status WebhookNotifier::Send(const Notification& n) {
  const std::string target = url_.path + (url_.path.find('?') == std::string::npos ? "?" : "&") +
                             SignedQuery(secret_, clock_());
  json body = {{"msgtype", "text"},
               {"text", {{"content", n.text}}},
               {"at", {{"atUserIds", json::array({n.recipient})}}}};
  http::ClientResponse r = client_->Send(
      "POST", target, {{"Content-Type", "application/json; charset=utf-8"}}, body.dump());
  if (r.status == 0) return Status::Unavailable("webhook: " + r.error);
  if (r.status != 200) return Status::Unavailable("webhook answered " + std::to_string(r.status));
  const json answer = json::parse(r.body, nullptr, false);
  if (!answer.is_object() || answer.value("errcode", -1) != 0)
    return Status::Rule("notification_refused", "",
                        "webhook refused the message: " + QuoteForMessage(r.body, 200));
  return Status::Ok();
}

Status MemoryNotifier::Send(const Notification& n) {
  std::lock_guard lock(mu_);
  sent_.push_back(n);
  return Status::Ok();
}

std::vector<Notification> MemoryNotifier::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

NotificationSender::NotificationSender(store::Database* db, Notifier* notifier, int poll_ms)
    : db_(db), notifier_(notifier), poll_ms_(poll_ms) {}

NotificationSender::~NotificationSender() {
  Stop();
}

void NotificationSender::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void NotificationSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NotificationSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void NotificationSender::Loop() {
  NameThisThread("zz-notify");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (NowUnixMs() >= retry_at_) {
      if (auto sent = SendPending(); !sent.ok()) {
        backoff_ms_ = std::min<std::int64_t>(backoff_ms_ == 0 ? 1000 : backoff_ms_ * 2, 300'000);
        retry_at_ = NowUnixMs() + backoff_ms_;
        spdlog::warn("event=notification_failed retry_in_ms={} error=\"{}\"", backoff_ms_,
                     sent.status().ToString());
      } else {
        backoff_ms_ = 0;
      }
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

Result<int> NotificationSender::SendPending() {
  std::vector<Notification> pending;
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT id, COALESCE(order_id, 0), recipient, kind, text FROM notifications "
        "WHERE sent_at IS NULL ORDER BY id LIMIT 100");
    while (s.Step())
      pending.push_back({s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4)});
    return s.status();
  }));
  int sent = 0;
  Status first_refusal;
  for (const Notification& n : pending) {
    const Status status = notifier_->Send(n);
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      auto s = conn.Prepare(
          "UPDATE notifications SET attempts = attempts + 1, sent_at = ?, last_error = ? "
          "WHERE id = ?");
      if (status.ok()) {
        s.Bind(1, NowUnixMs()).BindNull(2);
      } else {
        s.BindNull(1).Bind(2, status.message());
      }
      return s.Bind(3, n.id).Run();
    }));
    if (status.ok()) {
      ++sent;
    } else if (status.kind() == StatusKind::kUnavailable) {
      return status;  // the robot is unreachable: the rest would fail the same way
    } else if (first_refusal.ok()) {
      first_refusal = status;  // this one refused: the others may still go
    }
  }
  if (!first_refusal.ok()) return first_refusal;
  return sent;
}

}  // namespace zhizhi::dispatch

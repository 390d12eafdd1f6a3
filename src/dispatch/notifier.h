// Notifications of work orders — a new order for a grid worker, supervision, an overdue order
// for the command centre — are rows of the notifications outbox, written in the write job of the
// change; a sender thread hands each to a Notifier and marks it sent, retrying with back-off.
//
// Notifiers:
//   - WebhookNotifier: a DingTalk-style group robot. POST {"msgtype":"text","text":{"content"},
//     "at":{"atUserIds":[recipient]}} to URL&timestamp=T&sign=S, where S is
//     base64(HMAC-SHA256(secret, T + "\n" + secret)), percent-encoded, T in unix ms. The peer
//     answers {"errcode":0} when it took the message. Plain http:// (a TLS proxy goes in front).
//   - MemoryNotifier: keeps what it was given, for tests (the local fake).
//
// Thread-safety: Notifier::Send is called from the sender thread only; MemoryNotifier's reads
// are synchronised.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "http/client.h"
#include "store/database.h"

namespace zhizhi::dispatch {

struct Notification {
  std::int64_t id = 0;
  std::int64_t order_id = 0;
  std::string recipient;  // a user name, or "dispatch" (the command centre on duty)
  std::string kind;       // assigned, unassigned, supervised, finished, escalated
  std::string text;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual Status Send(const Notification& notification) = 0;
};

class WebhookNotifier : public Notifier {
 public:
  // `url`: http://HOST[:PORT]/PATH?access_token=…; `secret`: the robot's signing secret.
  static Result<std::unique_ptr<WebhookNotifier>> Create(const std::string& url, std::string secret,
                                                         Clock clock = SystemClock());
  Status Send(const Notification& notification) override;
  // The signed query suffix for `timestamp_ms` ("timestamp=…&sign=…"), for tests.
  static std::string SignedQuery(const std::string& secret, std::int64_t timestamp_ms);

 private:
  WebhookNotifier(http::HttpUrl url, std::string secret, Clock clock);
  http::HttpUrl url_;
  std::string secret_;
  Clock clock_;
  std::unique_ptr<http::Client> client_;
};

class MemoryNotifier : public Notifier {
 public:
  Status Send(const Notification& notification) override;
  std::vector<Notification> sent() const;

 private:
  mutable std::mutex mu_;
  std::vector<Notification> sent_;
};

// Sends the outbox's pending rows, oldest first; a failure is recorded on the row (attempts,
// last_error) and retried after 1 s, doubling up to 5 min. A message the robot refuses does not
// hold back the others; an unreachable robot ends the round.
class NotificationSender {
 public:
  NotificationSender(store::Database* db, Notifier* notifier, int poll_ms = 1000);
  ~NotificationSender();
  void Start();
  void Stop();
  void Wake();
  // One round now: sends what is due; returns how many were sent.
  Result<int> SendPending();

 private:
  void Loop();
  store::Database* db_;
  Notifier* notifier_;
  int poll_ms_;
  std::int64_t backoff_ms_ = 0, retry_at_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace zhizhi::dispatch

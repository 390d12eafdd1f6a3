#include "residence/outbox_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "base/thread_name.h"

namespace zhizhi::residence {

OutboxSender::OutboxSender(store::Database* db, Residence* residence,
                           const security::FieldCipher* cipher, SenderOptions options)
    : db_(db), residence_(residence), cipher_(cipher), options_(std::move(options)) {}

OutboxSender::~OutboxSender() {
  Stop();
}

void OutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxSender::Start() {
  thread_ = std::thread([this] {
    NameThisThread("zz-outbox");
    Loop();
  });
}

void OutboxSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::int64_t OutboxSender::Backoff(int attempts) {
  const PoliceAdapter* adapter = residence_->options().adapter;
  const RetryPolicy policy = adapter ? adapter->config().retry : RetryPolicy{};
  const int exponent = std::clamp(attempts - 1, 0, 40);
  const double full = std::min<double>(
      static_cast<double>(policy.max_ms),
      static_cast<double>(policy.base_ms) * static_cast<double>(1ULL << std::min(exponent, 40)));
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  std::lock_guard lock(mu_);
  return static_cast<std::int64_t>(full * jitter(rng_));
}

Result<int> OutboxSender::SendDue() {
  const PoliceAdapter* adapter = residence_->options().adapter;
  if (!adapter) return 0;
  struct Row {
    std::int64_t id;
    std::string key, payload, signature, key_id;
    std::int64_t signed_at;
    int attempts;
  };
  int attempted = 0;
  while (true) {
    const std::int64_t now = residence_->options().clock();
    std::vector<Row> rows;
    ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
      // Oldest first; a person's message waits for every earlier one of theirs to be answered.
      auto s = conn.Prepare(
          "SELECT o.id, o.idempotency_key, o.payload, o.signature, o.key_id, o.signed_at, "
          "o.attempts FROM sync_outbox o WHERE o.target = 'police' AND o.state = 'pending' AND "
          "o.next_attempt_at <= ? AND NOT EXISTS (SELECT 1 FROM sync_outbox e WHERE "
          "e.person_id = o.person_id AND e.id < o.id AND e.state != 'sent') "
          "ORDER BY o.id LIMIT ?");
      s.Bind(1, now).Bind(2, options_.batch);
      while (s.Step()) {
        rows.push_back(Row{s.Int(0), s.Text(1), s.Text(2), s.OptText(3).value_or(""),
                           s.OptText(4).value_or(""), s.OptInt(5).value_or(now),
                           static_cast<int>(s.Int(6))});
      }
      return s.status();
    }));
    if (rows.empty()) return attempted;
    bool answered = false;
    for (const Row& row : rows) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return attempted;
      }
      // A message signed under a key that has since been rotated is signed again.
      const std::string signature = row.key_id == adapter->config().key_id && !row.signature.empty()
                                        ? row.signature
                                        : adapter->Sign(row.payload, row.key, row.signed_at);
      const Delivery d = adapter->Deliver(row.key, row.payload, signature, row.signed_at, &cancel_);
      // Stopping mid-attempt: not applied; the row is sent again after the restart, as after a
      // crash.
      if (cancel_) return attempted;
      ++attempted;
      const bool give_up = row.attempts + 1 >= adapter->config().retry.max_attempts;
      const std::int64_t next = residence_->options().clock() + Backoff(row.attempts + 1);
      ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) {
        return residence_->ApplyDelivery(conn, row.id, d, next, give_up);
      }));
      switch (d.kind) {
        case Delivery::Kind::kAccepted:
        case Delivery::Kind::kRejected:
          answered = true;
          spdlog::info("event=residence_delivered outbox_id={} key={} result={} http={}", row.id,
                       row.key, d.kind == Delivery::Kind::kAccepted ? "accepted" : "rejected",
                       d.http_status);
          break;
        default:
          spdlog::warn(
              "event=residence_delivery_failed outbox_id={} key={} attempt={} http={} "
              "give_up={} error=\"{}\"",
              row.id, row.key, row.attempts + 1, d.http_status,
              give_up || d.kind == Delivery::Kind::kFailed, d.reason);
      }
    }
    if (!answered) return attempted;  // only an answer can unblock a person's next message
  }
}

Result<ExportReport> OutboxSender::ExportNow() {
  return WriteDailyExport(*db_, *residence_, *cipher_, options_.export_options,
                          residence_->options().clock());
}

void OutboxSender::Loop() {
  if (options_.reconcile_first) {
    auto changed = residence_->ReconcileAll();
    if (!changed.ok()) {
      spdlog::error("event=residence_reconcile_failed error=\"{}\"", changed.status().ToString());
    } else {
      spdlog::info("event=residence_reconciled persons_changed={}", *changed);
    }
  }
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto sent = SendDue();
    if (!sent.ok()) {
      spdlog::error("event=residence_sender_failed error=\"{}\"", sent.status().ToString());
    }
    // The daily export, once a day after the export hour (China time).
    const std::int64_t now = residence_->options().clock();
    const Date today = DateInChina(now);
    const std::int64_t hour = (now - StartOfDayInChina(today)) / 3'600'000;
    if (hour >= options_.export_hour && last_export_day_ != today.DaysSinceEpoch()) {
      auto report = ExportNow();
      if (!report.ok()) {
        spdlog::error("event=residence_export_failed error=\"{}\"", report.status().ToString());
      } else {
        last_export_day_ = today.DaysSinceEpoch();
        if (report->rows > 0) {
          spdlog::info("event=residence_exported file={} rows={}", report->file, report->rows);
        }
      }
    }
    lock.lock();
    if (stopping_) break;
    if (!woken_) {
      cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                   [this] { return stopping_ || woken_; });
    }
    if (woken_) {
      // The job that queued the message commits a moment after it woke us.
      woken_ = false;
      cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; });
    }
  }
}

}  // namespace zhizhi::residence

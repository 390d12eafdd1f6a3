// OutboxSender: the background thread that empties the sync outbox.
//
// Police messages (target `police`) are delivered through the PoliceAdapter, oldest first, one
// person's messages strictly in order (a change never overtakes its registration, a
// deregistration never its change). Each attempt happens outside any transaction; its outcome
// is applied in a writer job that first checks the row is still pending, so an answer takes
// effect exactly once even when the police answer twice or a retry crosses a late answer.
// Failures are retried with exponential back-off and jitter (base × 2^(attempt−1), capped) and
// after `max_attempts` the row is `failed` until someone resubmits it. A crash at any point
// loses nothing: the row was committed with the state change, and an unanswered row is simply
// sent again under the same idempotency key.
//
// Without an adapter, submissions are rows of target `police_export`: once a day after
// `export_hour` (China time) they are written to a CSV file for manual upload (daily_export.h).
//
// Thread-safety: Start()/the destructor own the thread; Wake(), SendDue() and ExportNow() may be
// called from any thread (tests call SendDue() directly instead of starting the thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "residence/daily_export.h"
#include "residence/residence.h"
#include "security/field_cipher.h"
#include "store/database.h"

namespace zhizhi::residence {

struct SenderOptions {
  int poll_ms = 1000;    // look for due messages at least this often
  int batch = 50;        // messages per look
  int export_hour = 17;  // China time after which the day's export file is written; 24: never
  ExportOptions export_options;
  // Bring every person's records up to date before the first round (serve: after an import or
  // a stop, drafts may be due and complete drafts unsent).
  bool reconcile_first = false;
};

class OutboxSender {
 public:
  OutboxSender(store::Database* db, Residence* residence, const security::FieldCipher* cipher,
               SenderOptions options = {});
  ~OutboxSender();  // Stop()
  // Stops the thread (an attempt in flight finishes first); idempotent.
  void Stop();

  void Start();
  // A job queued a message: look again soon (after its commit).
  void Wake();

  // Sends every due police message once (rounds repeat while answers unblock more); returns the
  // number of attempts made.
  Result<int> SendDue();
  // Writes every pending export row to a new file now.
  Result<ExportReport> ExportNow();

  // The delay before attempt `attempts + 1` after `attempts` failed ones (with jitter).
  std::int64_t Backoff(int attempts);

 private:
  void Loop();

  store::Database* db_;
  Residence* residence_;
  const security::FieldCipher* cipher_;
  const SenderOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // abandons a delivery in flight when stopping
  bool woken_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
  std::int64_t last_export_day_ = -1;
  std::thread thread_;
};

}  // namespace zhizhi::residence

// Clock: where code that keeps time windows (session expiry, lock-outs, rate limits) reads "now",
// in milliseconds since 1970-01-01T00:00:00Z, so that a test can move time instead of sleeping.
// A component takes one in its options, defaulting to SystemClock(); the server always runs on
// the system clock. It is the type the residence and alerts options already call `clock`.
//
//   ManualClock time(1'767'225'600'000);            // a test's clock
//   AccountOptions options;
//   options.clock = time.AsClock();
//   time.Advance(16 * 60'000);                      // the lock-out has run out
//
// Thread-safety: SystemClock() may be read from any thread. A ManualClock's time is atomic: the
// test may Set or Advance it while the code under test reads it on other threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace zhizhi {

using Clock = std::function<std::int64_t()>;

// Reads the system clock (NowUnixMs, base/civil_time.h).
Clock SystemClock();

// A clock that stands still until the test moves it.
class ManualClock {
 public:
  explicit ManualClock(std::int64_t now_ms) : now_ms_(now_ms) {}
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  std::int64_t now_ms() const { return now_ms_.load(); }
  void Set(std::int64_t now_ms) { now_ms_.store(now_ms); }
  void Advance(std::int64_t ms) { now_ms_.fetch_add(ms); }

  // A Clock that reads this one; it must not outlive it.
  Clock AsClock() const {
    return [this] { return now_ms(); };
  }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace zhizhi

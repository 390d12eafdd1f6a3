// A token-bucket rate limiter keyed by a string (an IP address, a token id): each key may make
// `burst` requests at once and `per_second` on average. Used for logins per client address and
// for API calls per session token; a refused request gets 429 with Retry-After.
//
// Memory is bounded: past 50,000 keys, the keys whose buckets are full again are forgotten.
//
// Thread-safety: Take() may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace zhizhi::http {

class RateLimiter {
 public:
  // per_second <= 0 disables the limiter (every Take succeeds).
  RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

  // 0 when the request may go ahead (and is counted), else the whole seconds to wait (≥ 1).
  std::int64_t Take(const std::string& key, std::int64_t now_ms);

  bool enabled() const { return per_second_ > 0; }

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t at_ms = 0;
  };

  const double per_second_;
  const double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace zhizhi::http

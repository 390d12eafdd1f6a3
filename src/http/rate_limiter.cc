#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace zhizhi::http {

namespace {
constexpr size_t kMaxKeys = 50'000;
}

std::int64_t RateLimiter::Take(const std::string& key, std::int64_t now_ms) {
  if (per_second_ <= 0) return 0;
  std::lock_guard lock(mu_);
  if (buckets_.size() >= kMaxKeys && buckets_.find(key) == buckets_.end()) {
    std::erase_if(buckets_, [&](const auto& entry) {
      const Bucket& b = entry.second;
      return b.tokens + (now_ms - b.at_ms) / 1000.0 * per_second_ >= burst_;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::max<std::int64_t>(0, now_ms - b.at_ms) / 1000.0;
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.at_ms = now_ms;
  }
  if (b.tokens >= 1.0 - 1e-9) {  // tolerate rounding in the refill arithmetic
    b.tokens = std::max(0.0, b.tokens - 1.0);
    return 0;
  }
  const double wait = (1.0 - b.tokens) / per_second_;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait - 1e-6)));
}

}  // namespace zhizhi::http

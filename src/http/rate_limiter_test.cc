#include "http/rate_limiter.h"

#include <gtest/gtest.h>

namespace zhizhi::http {
namespace {

TEST(RateLimiterTest, BurstThenRefillAtTheRate) {
  RateLimiter limiter(/*per_second=*/2, /*burst=*/3);
  const std::int64_t t0 = 1'000'000;
  EXPECT_EQ(limiter.Take("a", t0), 0);
  EXPECT_EQ(limiter.Take("a", t0), 0);
  EXPECT_EQ(limiter.Take("a", t0), 0);
  EXPECT_EQ(limiter.Take("a", t0), 1) << "the burst is spent";
  EXPECT_EQ(limiter.Take("b", t0), 0) << "keys are independent";
  EXPECT_EQ(limiter.Take("a", t0 + 499), 1);
  EXPECT_EQ(limiter.Take("a", t0 + 500), 0) << "one token after half a second at 2/s";
  EXPECT_EQ(limiter.Take("a", t0 + 500), 1);
  EXPECT_EQ(limiter.Take("a", t0 + 60'000), 0);
}

TEST(RateLimiterTest, RetryAfterCoversTheWait) {
  RateLimiter limiter(/*per_second=*/1.0 / 60, /*burst=*/1);  // one a minute
  EXPECT_EQ(limiter.Take("ip", 0), 0);
  EXPECT_EQ(limiter.Take("ip", 0), 60);
  EXPECT_EQ(limiter.Take("ip", 30'000), 30);
  EXPECT_EQ(limiter.Take("ip", 60'000), 0);
}

TEST(RateLimiterTest, DisabledLetsEverythingThrough) {
  RateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(limiter.Take("x", 0), 0);
}

}  // namespace
}  // namespace zhizhi::http

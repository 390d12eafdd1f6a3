// The offline wheel against the plain definition — a device is offline once silent for its
// timeout, reported once, back when heard from — over single devices and over 20,000 devices
// with random messages checked second by second against a brute-force scan.
#include "iot/offline_wheel.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace zhizhi::iot {
namespace {

using Ids = std::vector<std::uint64_t>;

TEST(OfflineWheel, ADeviceGoesOfflineOnceAtItsTimeoutAndComesBack) {
  OfflineWheel wheel(0);
  EXPECT_FALSE(wheel.Seen(7, 0, 90'000));
  EXPECT_EQ(wheel.Advance(89'999), Ids{});
  EXPECT_EQ(wheel.Advance(90'000), Ids{7});
  EXPECT_EQ(wheel.offline(), 1u);
  EXPECT_EQ(wheel.Advance(120'000), Ids{});     // reported once
  EXPECT_TRUE(wheel.Seen(7, 125'000, 90'000));  // came back
  EXPECT_EQ(wheel.offline(), 0u);
  EXPECT_EQ(wheel.Advance(214'999), Ids{});
  EXPECT_EQ(wheel.Advance(215'000), Ids{7});
}

TEST(OfflineWheel, ADeviceThatKeepsTalkingStaysOnline) {
  OfflineWheel wheel(0);
  for (std::int64_t t = 0; t <= 600'000; t += 1000) {
    if (t % 30'000 == 0) wheel.Seen(1, t, 90'000);
    ASSERT_EQ(wheel.Advance(t), Ids{}) << t;
  }
  EXPECT_EQ(wheel.Advance(600'000 + 90'000), Ids{1});
}

TEST(OfflineWheel, TimeoutsLongerThanTheWheelWaitWholeTurns) {
  OfflineWheel wheel(0, /*slots=*/60);
  wheel.Seen(3, 500, 200'000);
  for (std::int64_t t = 1000; t < 201'000; t += 1000)
    ASSERT_EQ(wheel.Advance(t), Ids{}) << t;
  EXPECT_EQ(wheel.Advance(201'000), Ids{3});  // silent from 0.5 s: offline at 200.5 s
}

TEST(OfflineWheel, RemovedAndAddedAgainLeavesOneEntry) {
  OfflineWheel wheel(0, /*slots=*/60);
  for (int round = 0; round < 5; ++round) {
    wheel.Seen(9, round * 1000, 10'000);
    wheel.Remove(9);
  }
  wheel.Seen(9, 5000, 10'000);
  EXPECT_EQ(wheel.Advance(14'999), Ids{});
  EXPECT_EQ(wheel.Advance(15'000), Ids{9});
  // No stale entry comes round to report it again a turn later.
  EXPECT_EQ(wheel.Advance(200'000), Ids{});
}

TEST(OfflineWheel, ARemovedDeviceIsNeverReported) {
  OfflineWheel wheel(0);
  wheel.Seen(1, 0, 10'000);
  wheel.Seen(2, 0, 10'000);
  wheel.Remove(1);
  EXPECT_EQ(wheel.Advance(60'000), Ids{2});
  EXPECT_EQ(wheel.devices(), 1u);
}

TEST(OfflineWheel, AgreesWithABruteForceScanSecondBySecond) {
  std::mt19937_64 rng(26875);
  OfflineWheel wheel(0, /*slots=*/300);
  struct Model {
    std::int64_t last = 0, timeout = 0;
    bool offline = false;
  };
  std::map<std::uint64_t, Model> model;
  const std::int64_t timeouts[] = {30'000, 90'000,
                                   600'000};  // one shorter than the wheel, one longer
  for (std::uint64_t id = 1; id <= 20'000; ++id) {
    const std::int64_t timeout = timeouts[rng() % 3];
    wheel.Seen(id, 0, timeout);
    model[id] = {0, timeout, false};
  }
  for (std::int64_t second = 1; second <= 1200; ++second) {
    const std::int64_t now = second * 1000;
    // Messages from some devices during this second.
    for (int k = 0; k < 400; ++k) {
      const std::uint64_t id = 1 + rng() % 20'000;
      const std::int64_t at = now - static_cast<std::int64_t>(rng() % 1000);
      Model& m = model[id];
      const bool back = wheel.Seen(id, at, m.timeout);
      ASSERT_EQ(back, m.offline) << id;
      m.offline = false;
      m.last = std::max(m.last, at);
    }
    Ids got = wheel.Advance(now);
    std::sort(got.begin(), got.end());
    Ids want;
    for (auto& [id, m] : model) {
      if (!m.offline && m.last + m.timeout <= now) {
        m.offline = true;
        want.push_back(id);
      }
    }
    ASSERT_EQ(got, want) << "second " << second;
  }
}

}  // namespace
}  // namespace zhizhi::iot

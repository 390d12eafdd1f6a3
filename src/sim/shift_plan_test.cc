#include "sim/shift_plan.h"

#include <map>

#include <gtest/gtest.h>

#include "sim/latency.h"
#include "sim/loopback_client.h"

namespace zhizhi::sim {
namespace {

std::vector<SimSite> TwoSites() {
  std::vector<SimSite> sites(2);
  for (int s = 0; s < 2; ++s) {
    sites[s].project = s == 0 ? "QT2025001" : "QT2025002";
    for (int i = 0; i < 300; ++i) {
      SimWorker w;
      w.person_id = 1000 * (s + 1) + i;
      w.manager = i < 5;
      w.may_pass = i % 40 != 39;  // a few lapsed certificates
      w.inside_at_start = i == 7;
      if (i % 9 == 0) w.id_number = "11010519491231002X";
      sites[s].workers.push_back(w);
    }
    sites[s].exited = {5000 + s, 6000 + s, 7000 + s};
  }
  return sites;
}

const Date kDay{2026, 3, 2};

TEST(ShiftPlanTest, PassesStayInsideTheWindowInOrder) {
  const ShiftPlan plan = PlanShiftDay(TwoSites(), kDay, false, 7);
  ASSERT_FALSE(plan.passes.empty());
  EXPECT_EQ(plan.begin_ms, LocalMinuteToUnixMs(kDay, 6 * 60));
  for (size_t i = 0; i < plan.passes.size(); ++i) {
    EXPECT_GE(plan.passes[i].time_ms, plan.begin_ms);
    EXPECT_LE(plan.passes[i].time_ms, plan.end_ms);
    if (i > 0) {
      EXPECT_LE(plan.passes[i - 1].time_ms, plan.passes[i].time_ms);
    }
  }
}

TEST(ShiftPlanTest, AllowedPassesAlternateInAndOutPerPerson) {
  const ShiftPlan plan = PlanShiftDay(TwoSites(), kDay, false, 11);
  std::map<std::int64_t, bool> inside;
  for (const PlannedPass& p : plan.passes) {
    if (p.kind != PassKind::kWorker) continue;
    ASSERT_TRUE(p.expect_allow);
    EXPECT_NE(inside[p.person_id], p.entering) << "person " << p.person_id;
    inside[p.person_id] = p.entering;
  }
}

TEST(ShiftPlanTest, MorningBurstAroundSeven) {
  const ShiftPlan plan = PlanShiftDay(TwoSites(), kDay, false, 3);
  int entries = 0, burst = 0;
  for (const PlannedPass& p : plan.passes) {
    if (p.kind != PassKind::kWorker || !p.entering) continue;
    if (p.time_ms >= LocalMinuteToUnixMs(kDay, 11 * 60)) continue;  // lunch returns
    ++entries;
    if (p.time_ms >= LocalMinuteToUnixMs(kDay, 6 * 60 + 30) &&
        p.time_ms <= LocalMinuteToUnixMs(kDay, 7 * 60 + 30)) {
      ++burst;
    }
  }
  EXPECT_GT(burst, entries * 3 / 4) << burst << " of " << entries;
}

TEST(ShiftPlanTest, DeniedKindsCarryTheirReason) {
  const ShiftPlan plan = PlanShiftDay(TwoSites(), kDay, false, 5);
  std::map<PassKind, int> kinds;
  for (const PlannedPass& p : plan.passes) {
    ++kinds[p.kind];
    switch (p.kind) {
      case PassKind::kStranger:
        EXPECT_GE(p.person_id, kStrangerIdBase);
        EXPECT_EQ(p.expect_reason, "unknown_person");
        break;
      case PassKind::kExited:
        EXPECT_EQ(p.expect_reason, "exited");
        break;
      case PassKind::kLowScore:
        EXPECT_LT(p.score, 0.5);
        EXPECT_FALSE(p.expect_allow);
        break;
      case PassKind::kNotOnRoster:
        EXPECT_FALSE(p.expect_allow);
        break;
      case PassKind::kRescan:
      case PassKind::kWorker:
        EXPECT_TRUE(p.expect_allow);
        break;
    }
  }
  EXPECT_EQ(kinds[PassKind::kExited], 4);
  EXPECT_EQ(kinds[PassKind::kStranger], 6);
  EXPECT_GT(kinds[PassKind::kNotOnRoster], 0);
}

TEST(ShiftPlanTest, OutageBuffersOnlyTheOfflineTerminal) {
  const ShiftPlan plan = PlanShiftDay(TwoSites(), kDay, true, 9);
  ASSERT_TRUE(plan.outage.has_value());
  int buffered = 0;
  for (const PlannedPass& p : plan.passes) {
    if (!p.buffered) continue;
    ++buffered;
    EXPECT_EQ(p.site, plan.outage->site);
    EXPECT_TRUE(p.entering);
    EXPECT_GE(p.time_ms, plan.outage->from_ms);
    EXPECT_LT(p.time_ms, plan.outage->to_ms);
  }
  EXPECT_GT(buffered, 10);  // the lunch returns
}

TEST(ShiftPlanTest, ExpectedInsideKeepsThoseAlreadyInside) {
  const std::vector<SimSite> sites = TwoSites();
  const ShiftPlan plan = PlanShiftDay(sites, kDay, false, 13);
  ASSERT_EQ(plan.expected_inside.size(), 2u);
  EXPECT_TRUE(plan.expected_inside[0].count(1007));
  EXPECT_TRUE(plan.expected_inside[1].count(2007));
  EXPECT_LT(plan.expected_inside[0].size(), 30u);  // most have gone home
}

TEST(ShiftPlanTest, SameSeedSamePlan) {
  const ShiftPlan a = PlanShiftDay(TwoSites(), kDay, true, 42);
  const ShiftPlan b = PlanShiftDay(TwoSites(), kDay, true, 42);
  ASSERT_EQ(a.passes.size(), b.passes.size());
  for (size_t i = 0; i < a.passes.size(); ++i) {
    EXPECT_EQ(a.passes[i].time_ms, b.passes[i].time_ms);
    EXPECT_EQ(a.passes[i].person_id, b.passes[i].person_id);
  }
}

TEST(ShiftPlanTest, LatestCompleteShiftDayIsNeverInTheFuture) {
  // 2026-03-02 10:00 +08:00 → the shift of 03-01 is the latest one over.
  const std::int64_t morning = LocalMinuteToUnixMs(kDay, 10 * 60);
  EXPECT_EQ(LatestCompleteShiftDay(morning), (Date{2026, 3, 1}));
  const std::int64_t night = LocalMinuteToUnixMs(kDay, 21 * 60);
  EXPECT_EQ(LatestCompleteShiftDay(night), kDay);
  EXPECT_LE(LocalMinuteToUnixMs(LatestCompleteShiftDay(morning), kShiftEndMinute), morning);
}

TEST(LoopbackUrlTest, AcceptsOnlyLoopback) {
  auto url = ParseLoopbackUrl("http://127.0.0.1:18300");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->address, "127.0.0.1");
  EXPECT_EQ(url->port, 18300);
  EXPECT_EQ(ParseLoopbackUrl("http://localhost/")->port, 8080);
  EXPECT_EQ(ParseLoopbackUrl("http://[::1]:9000")->address, "::1");
  EXPECT_FALSE(ParseLoopbackUrl("http://10.0.0.5:8080").ok());
  EXPECT_FALSE(ParseLoopbackUrl("http://example.com:8080").ok());
  EXPECT_FALSE(ParseLoopbackUrl("https://127.0.0.1:8080").ok());
  EXPECT_FALSE(ParseLoopbackUrl("http://127.0.0.1:99999").ok());
  EXPECT_FALSE(ParseLoopbackUrl("http://127.0.0.1:8080/api").ok());
}

TEST(LatencyTest, NearestRankPercentiles) {
  std::vector<std::uint32_t> micros;
  for (std::uint32_t i = 100; i >= 1; --i)
    micros.push_back(i * 1000);
  const LatencySummary s = SummariseLatencies(micros);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
}

}  // namespace
}  // namespace zhizhi::sim

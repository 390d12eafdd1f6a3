// Each residence and trajectory warning fires and clears, through the incremental hooks, and the
// full scan agrees with them.
#include "alerts/residence_detectors.h"

#include <gtest/gtest.h>

#include "testkit/test_district.h"

namespace zhizhi::alerts {
namespace {
using testkit::TestDistrict;

#define ASSERT_OK(expr)                    \
  do {                                     \
    auto _s = (expr);                      \
    ASSERT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)

using nlohmann::json;

// Monday 2026-03-16, 10:00 in Hangzhou.
constexpr const char* kNow = "2026-03-16T10:00:00+08:00";

class ResidenceAlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = std::make_unique<TestDistrict>(::testing::TempDir(), kNow);
    gc_ = *d_->Corp("总包公司");
    // Two sites in Qiantang about 1.1 km apart, and one in Xiaoshan about 22 km away.
    ASSERT_OK(d_->Project("QT1", "active", d_->Day(-100), 30.3050, 120.3440));
    ASSERT_OK(d_->Project("QT2", "active", d_->Day(-100), 30.3100, 120.3540));
    ASSERT_OK(d_->Project("XS1", "active", d_->Day(-100), 30.1500, 120.2000));
    ASSERT_OK(d_->Project("NOGPS", "active", d_->Day(-100)));
    for (const char* p : {"QT1", "QT2", "XS1", "NOGPS"})
      ASSERT_OK(d_->ProjectCorp(p, gc_, "009"));
  }

  std::int64_t Worker(bool complete = true, bool face = true) {
    auto id = d_->Worker("赵小龙", complete, face);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  Status Enrol(const std::string& project, std::int64_t person, int entry_day,
               std::optional<std::string> dorm = "钱塘区建设者之家 1 幢") {
    return d_->Enrol(project, person, gc_, "20", "020", std::nullopt, d_->Day(entry_day), dorm)
        .status();
  }

  std::vector<std::string> Of(const std::string& type) {
    std::vector<std::string> out;
    for (const auto& a : d_->ActiveAlerts()) {
      if (a.rfind(type + "|", 0) == 0) out.push_back(a);
    }
    return out;
  }

  // The detail JSON of the only active alert of `type`.
  json Detail(const std::string& type) {
    auto alerts = Of(type);
    EXPECT_EQ(alerts.size(), 1u) << ::testing::PrintToString(alerts);
    if (alerts.size() != 1) return json();
    // type|key|severity|message|detail|evidence
    std::vector<std::string> parts;
    size_t start = 0;
    for (int i = 0; i < 5; ++i) {
      const size_t bar = alerts[0].find('|', start);
      parts.push_back(alerts[0].substr(start, bar - start));
      start = bar + 1;
    }
    return json::parse(parts[4]);
  }

  // A full scan changes nothing the hooks did.
  void ExpectScanAgrees() {
    const auto before = d_->ActiveAlerts();
    auto report = d_->engine().ScanAll();
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->counts.opened, 0);
    EXPECT_EQ(report->counts.refreshed, 0);
    EXPECT_EQ(report->counts.resolved, 0);
    EXPECT_EQ(d_->ActiveAlerts(), before);
  }

  std::int64_t At(int day, int hour, int minute = 0) {
    return StartOfDayInChina(d_->Day(day)) + hour * 3'600'000LL + minute * 60'000LL;
  }

  std::unique_ptr<TestDistrict> d_;
  std::string gc_;
};

TEST_F(ResidenceAlertsTest, OverdueFiresPastTheDueDateAndClearsWhenAccepted) {
  const std::int64_t w = Worker(/*complete=*/true, /*face=*/false);
  ASSERT_OK(Enrol("QT1", w, -10));
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-3)));  // arrival; due today
  EXPECT_TRUE(Of("residence_overdue").empty());
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(0)));
  d_->set_now("2026-03-17T08:00:00+08:00");
  ASSERT_TRUE(d_->engine().ScanAll().ok());  // time alone makes it late
  ASSERT_EQ(Of("residence_overdue").size(), 1u);
  json detail = Detail("residence_overdue");
  EXPECT_EQ(detail["status"], "draft");
  EXPECT_EQ(detail["due_date"], "2026-03-16");
  EXPECT_EQ(Of("residence_overdue")[0].find("|orange|") != std::string::npos, true);
  // The face verification completes it: submitted at once, still not accepted, still late.
  ASSERT_OK(d_->VerifyFace(w));
  EXPECT_EQ(Detail("residence_overdue")["status"], "submitted");
  ExpectScanAgrees();
  // The police accept it: cleared in the same job as the answer.
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  EXPECT_TRUE(Of("residence_overdue").empty());
  ExpectScanAgrees();
}

TEST_F(ResidenceAlertsTest, OverdueClearsWhenTheWorkerLeaves) {
  const std::int64_t w = Worker(true, false);
  ASSERT_OK(Enrol("QT1", w, -10));
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-8)));
  ASSERT_EQ(Of("residence_overdue").size(), 1u);
  ASSERT_OK(d_->Exit("QT1", w, d_->Day(0)));
  EXPECT_TRUE(Of("residence_overdue").empty());
  ExpectScanAgrees();
}

TEST_F(ResidenceAlertsTest, UnregisteredPresenceAfterThreeDaysWithoutAnyRegistration) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -10, std::nullopt));  // no dormitory: nothing can be drafted
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-2)));
  EXPECT_TRUE(Of("unregistered_presence").empty());  // arrived two days ago: within 3 days
  d_->set_now("2026-03-18T10:00:00+08:00");
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(0)));  // the incremental hook raises it with the pass
  ASSERT_EQ(Of("unregistered_presence").size(), 1u);
  EXPECT_NE(Of("unregistered_presence")[0].find("unregistered_presence:QT1:"), std::string::npos);
  ExpectScanAgrees();
  // A manager is not required to register (rulebook residence.required_roles).
  auto m = d_->Person("项目经理");
  ASSERT_OK(d_->GiveManagerCertificates(*m));
  ASSERT_OK(d_->Enrol("QT1", *m, gc_, "10", "900", "technical_lead", d_->Day(-10)).status());
  ASSERT_OK(d_->Pass("QT1", *m, d_->Day(-5)));
  ASSERT_OK(d_->Pass("QT1", *m, d_->Day(0)));
  EXPECT_EQ(Of("unregistered_presence").size(), 1u);
  // Recording his dormitory drafts a registration: the warning clears (overdue takes over).
  ASSERT_OK(d_->MoveDorm("QT1", w, "钱塘区建设者之家 2 幢", d_->Day(0)));
  EXPECT_TRUE(Of("unregistered_presence").empty());
  EXPECT_EQ(Of("residence_overdue").size(), 1u);
  ExpectScanAgrees();
}

// The pass hook remembers that a worker is registered; the memo must not outlive the
// registration.
TEST_F(ResidenceAlertsTest, UnregisteredPresenceAfterTheRegistrationEndedIsSeenByThePass) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -30));
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-2)));  // registered (a draft): remembered
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  EXPECT_TRUE(Of("unregistered_presence").empty());
  ASSERT_OK(d_->Exit("QT1", w, d_->Day(-1)));
  ASSERT_TRUE(d_->AnswerPolice(true).ok());      // deregistered: no live registration any more
  ASSERT_OK(Enrol("QT2", w, -6, std::nullopt));  // no dormitory: nothing to register
  ASSERT_OK(d_->Pass("QT2", w, d_->Day(-5)));    // arrived five days ago, unregistered
  ASSERT_EQ(Of("unregistered_presence").size(), 1u);
  ExpectScanAgrees();
}

// Passes judged from the memo (the newest pass so far) and from the database (a late replay)
// find the same pairs as the full scan.
TEST_F(ResidenceAlertsTest, ImpossibleTravelFromTheMemoAgreesWithTheScan) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -30));
  ASSERT_OK(d_->PassAt("XS1", w, At(-3, 7, 0)).status());
  ASSERT_OK(d_->PassAt("NOGPS", w, At(-3, 7, 5)).status());  // unlocated: XS1 stays the one before
  ASSERT_OK(d_->PassAt("QT1", w, At(-3, 7, 15)).status());   // 22 km in 15 min after XS1
  ASSERT_EQ(Of("impossible_travel").size(), 1u);
  EXPECT_EQ(Detail("impossible_travel")["from_project"], "XS1");
  ExpectScanAgrees();
}

TEST_F(ResidenceAlertsTest, UnregisteredPresenceEndsWhenThePassesStop) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -20, std::nullopt));
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-15)));
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-1)));
  ASSERT_EQ(Of("unregistered_presence").size(), 1u);
  d_->set_now("2026-03-24T10:00:00+08:00");  // no pass for more than a week
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_TRUE(Of("unregistered_presence").empty());
}

TEST_F(ResidenceAlertsTest, NotDeregisteredAfterAnExitUntilTheDeregistrationIsAccepted) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -30));
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-30)));
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  ASSERT_OK(d_->Exit("QT1", w, d_->Day(-5)));  // recorded late: already past the 3 days
  ASSERT_EQ(Of("residence_not_deregistered").size(), 1u);
  const json detail = Detail("residence_not_deregistered");
  EXPECT_EQ(detail["reason"], "exited");
  EXPECT_EQ(detail["deadline"], d_->Day(-2).ToString());
  ExpectScanAgrees();
  ASSERT_TRUE(d_->AnswerPolice(true).ok());  // the deregistration the exit queued
  EXPECT_TRUE(Of("residence_not_deregistered").empty());
  ExpectScanAgrees();
}

TEST_F(ResidenceAlertsTest, NotDeregisteredWhenUnseenForThirtyDaysAndClearedByAPass) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -60));
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-60)));
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(-31)));
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  ASSERT_EQ(Of("residence_not_deregistered").size(), 1u);
  EXPECT_EQ(Detail("residence_not_deregistered")["reason"], "unseen");
  EXPECT_EQ(Detail("residence_not_deregistered")["last_pass_date"], d_->Day(-31).ToString());
  // He is back at the gate: the pass clears it in its own job.
  ASSERT_OK(d_->Pass("XS1", w, d_->Day(0), /*allowed=*/false));  // refused: not presence
  EXPECT_EQ(Of("residence_not_deregistered").size(), 1u);
  ASSERT_OK(d_->Pass("QT1", w, d_->Day(0)));
  EXPECT_TRUE(Of("residence_not_deregistered").empty());
  ExpectScanAgrees();
}

TEST_F(ResidenceAlertsTest, ImpossibleTravelBetweenDistantSitesAndNotBetweenNeighbours) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -30));
  ASSERT_OK(d_->PassAt("QT1", w, At(-1, 7, 0)).status());
  ASSERT_OK(d_->PassAt("QT2", w, At(-1, 7, 5)).status());           // 1.1 km in 5 minutes: fine
  ASSERT_OK(d_->PassAt("NOGPS", w, At(-1, 7, 6), false).status());  // no coordinates: ignored
  EXPECT_TRUE(Of("impossible_travel").empty());
  auto far = d_->PassAt("XS1", w, At(-1, 7, 20));  // 23 km in 15 minutes: about 92 km/h
  ASSERT_TRUE(far.ok());
  ASSERT_EQ(Of("impossible_travel").size(), 1u);
  const json detail = Detail("impossible_travel");
  EXPECT_EQ(detail["from_project"], "QT2");
  EXPECT_EQ(detail["to_project"], "XS1");
  EXPECT_EQ(detail["minutes"], 15.0);
  EXPECT_GT(detail["distance_km"].get<double>(), 20.0);
  EXPECT_GT(detail["speed_kmh"].get<int>(), 80);
  EXPECT_NE(Of("impossible_travel")[0].find("|red|"), std::string::npos);
  ExpectScanAgrees();
  // An hour later back at QT1 is possible (22 km in 60 minutes).
  ASSERT_OK(d_->PassAt("QT1", w, At(-1, 8, 20)).status());
  EXPECT_EQ(Of("impossible_travel").size(), 1u);
  ExpectScanAgrees();
}

TEST_F(ResidenceAlertsTest, ImpossibleTravelSeenFromALateReplayAndExplainedForGood) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("QT1", w, -30));
  ASSERT_OK(d_->PassAt("QT1", w, At(-2, 7, 0)).status());
  ASSERT_OK(d_->PassAt("QT1", w, At(-2, 18, 0)).status());
  // An offline terminal in Xiaoshan replays a pass in between: the card was in two places.
  ASSERT_OK(d_->PassAt("XS1", w, At(-2, 7, 10)).status());
  ASSERT_EQ(Of("impossible_travel").size(), 1u);
  ExpectScanAgrees();
  // Explained by a person (the card was lent and is now blocked): resolved, never raised again.
  std::int64_t id = 0;
  ASSERT_OK(d_->db().Read([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(id, store::QueryInt(conn,
                                            "SELECT id FROM alerts WHERE type = "
                                            "'impossible_travel' AND status = 'open'"));
    return Status::Ok();
  }));
  ASSERT_OK(d_->db().Write([&](store::Connection& conn) {
    return AlertBook::Resolve(conn, id, "inspector", "借卡，已收回", d_->clock().now_ms).status();
  }));
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_TRUE(Of("impossible_travel").empty());
  // It ages out of the window too: a new pair a week later is a new alert, then gone.
  ASSERT_OK(d_->PassAt("XS1", w, At(0, 7, 0)).status());
  ASSERT_OK(d_->PassAt("QT2", w, At(0, 7, 1)).status());
  EXPECT_EQ(Of("impossible_travel").size(), 1u);
  d_->set_now("2026-03-24T10:00:00+08:00");
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_TRUE(Of("impossible_travel").empty());
}

TEST(ResidenceDistanceTest, HaversineAgreesWithKnownDistances) {
  // Hangzhou East railway station to Xiaoshan airport: about 22 km.
  EXPECT_NEAR(DistanceKm(30.2905, 120.2128, 30.2295, 120.4344), 22.4, 0.5);
  EXPECT_NEAR(DistanceKm(30.0, 120.0, 31.0, 120.0), 111.2, 0.1);  // one degree of latitude
  EXPECT_EQ(DistanceKm(30.0, 120.0, 30.0, 120.0), 0.0);
}

}  // namespace
}  // namespace zhizhi::alerts

#include "alerts/detectors.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "testkit/planted_district.h"
#include "testkit/test_district.h"

namespace zhizhi::alerts {
namespace {
using testkit::GeneratePlantedDistrict;
using testkit::PlantedOptions;
using testkit::TestDistrict;

#define ASSERT_OK(expr)                   \
  do {                                    \
    auto _s = (expr);                     \
    ASSERT_TRUE(_s.ok()) << _s.message(); \
  } while (0)

// Monday 2026-03-16, 10:00 in Hangzhou.
constexpr const char* kNow = "2026-03-16T10:00:00+08:00";

class DetectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = std::make_unique<TestDistrict>(::testing::TempDir(), kNow);
    auto gc = d_->Corp("总包公司");
    auto sv = d_->Corp("监理公司");
    ASSERT_TRUE(gc.ok() && sv.ok());
    gc_ = *gc;
    sv_ = *sv;
  }
  void TearDown() override { d_.reset(); }

  // An active project started 100 days ago with the general contractor taking part.
  void LiveProject(const std::string& code, const std::string& status = "active") {
    ASSERT_OK(d_->Project(code, status, d_->Day(-100)));
    ASSERT_OK(d_->ProjectCorp(code, gc_, "009"));
  }

  std::int64_t Manager(const std::string& name) {
    auto id = d_->Person(name);
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(d_->GiveManagerCertificates(*id).ok());
    return *id;
  }

  // Every weekday of the last month present, so presence is not what a test is about.
  void Present(const std::string& project, std::int64_t person) {
    for (int day = -30; day <= 0; ++day) {
      ASSERT_OK(d_->Pass(project, person, d_->Day(day)));
    }
  }

  // Active alerts ("type|key|severity|message|detail|evidence") of one type.
  std::vector<std::string> Of(const std::string& type) {
    std::vector<std::string> out;
    for (const auto& a : d_->ActiveAlerts()) {
      if (a.rfind(type + "|", 0) == 0) out.push_back(a);
    }
    return out;
  }

  int Count(const std::string& type) {
    int n = 0;
    for (const auto& key : d_->ActiveKeys())
      n += key == type || key.rfind(type + ":", 0) == 0;
    return n;
  }

  std::unique_ptr<TestDistrict> d_;
  std::string gc_, sv_;
};

TEST_F(DetectorsTest, PostConflictOnTwoLiveProjectsResolvesWhenOneEnds) {
  LiveProject("QT1");
  LiveProject("QT2");
  const auto pm = Manager("王建国");
  ASSERT_TRUE(d_->Enrol("QT1", pm, gc_, "10", "900", "project_manager", d_->Day(-60)).ok());
  EXPECT_EQ(Count("post_conflict"), 0);
  ASSERT_TRUE(d_->Enrol("QT2", pm, gc_, "10", "900", "project_manager", d_->Day(-20)).ok());
  // One alert per assignment, so each project's list shows it.
  const auto keys = d_->ActiveKeys();
  EXPECT_TRUE(std::count(keys.begin(), keys.end(), "post_conflict:QT1:" + std::to_string(pm)) == 1);
  EXPECT_TRUE(std::count(keys.begin(), keys.end(), "post_conflict:QT2:" + std::to_string(pm)) == 1);

  ASSERT_OK(d_->Exit("QT2", pm, d_->Day(0)));
  EXPECT_EQ(Count("post_conflict"), 0);
  // Resolved by the system, kept as history.
  auto resolved = d_->db().Read([](store::Connection& conn) {
    return store::QueryInt(conn,
                           "SELECT COUNT(*) FROM alerts WHERE type = 'post_conflict' AND "
                           "status = 'resolved' AND resolution = 'auto'");
  });
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, 2);
}

TEST_F(DetectorsTest, PostConflictExceptions) {
  LiveProject("QT1");
  LiveProject("QT2");
  ASSERT_OK(d_->Project("QT3", "completed", d_->Day(-900)));
  ASSERT_OK(d_->ProjectCorp("QT3", gc_, "009"));
  const auto pm = Manager("李四");
  ASSERT_TRUE(d_->Enrol("QT1", pm, gc_, "10", "900", "project_manager", d_->Day(-60)).ok());
  // A completed project is not live: no conflict.
  auto enrol_completed = d_->Enrol("QT3", pm, gc_, "10", "900", "project_manager", d_->Day(-60));
  EXPECT_EQ(Count("post_conflict"), 0);
  // A non-key post (质量员) on a second project is no conflict either.
  const auto qo = Manager("质量员甲");
  ASSERT_TRUE(d_->Certificate(qo, "post", "quality_officer", d_->Day(-10), d_->Day(700)).ok());
  ASSERT_TRUE(d_->Enrol("QT1", qo, gc_, "10", "900", "quality_officer", d_->Day(-9)).ok());
  ASSERT_TRUE(d_->Enrol("QT2", qo, gc_, "10", "900", "quality_officer", d_->Day(-9)).ok());
  EXPECT_EQ(Count("post_conflict"), 0);

  // Adjacent sections of one project: an approved exemption clears the conflict…
  ASSERT_TRUE(d_->Enrol("QT2", pm, gc_, "10", "900", "project_manager", d_->Day(-5)).ok());
  EXPECT_EQ(Count("post_conflict"), 2);
  ASSERT_OK(d_->Exempt(pm, "QT2", "adjacent_sections"));
  EXPECT_EQ(Count("post_conflict"), 0);
  (void)enrol_completed;
}

TEST_F(DetectorsTest, PostUncertifiedForWorkTypeAndPost) {
  LiveProject("QT1");
  auto electrician = d_->Person("电工张");
  ASSERT_TRUE(electrician.ok());
  ASSERT_TRUE(d_->Enrol("QT1", *electrician, gc_, "20", "130", std::nullopt, d_->Day(-3)).ok());
  EXPECT_EQ(Count("post_uncertified"), 1);
  // An expired electrician certificate does not help; a valid one clears the alert.
  ASSERT_TRUE(
      d_->Certificate(*electrician, "special_operation", "01", d_->Day(-800), d_->Day(-70)).ok());
  EXPECT_EQ(Count("post_uncertified"), 1);
  auto cert = d_->Certificate(*electrician, "special_operation", "01", d_->Day(-60), d_->Day(600));
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(Count("post_uncertified"), 0);
  // Revocation brings it back.
  ASSERT_OK(d_->Revoke(*cert));
  EXPECT_EQ(Count("post_uncertified"), 1);

  // A safety officer without the C certificate.
  auto safety = d_->Person("安全员");
  ASSERT_TRUE(safety.ok());
  ASSERT_TRUE(d_->Enrol("QT1", *safety, gc_, "10", "900", "safety_officer", d_->Day(-3)).ok());
  EXPECT_EQ(Count("post_uncertified"), 2);
  // A worker type that needs nothing raises nothing.
  auto mason = d_->Person("砌筑工");
  ASSERT_TRUE(d_->Enrol("QT1", *mason, gc_, "20", "010", std::nullopt, d_->Day(-3)).ok());
  EXPECT_EQ(Count("post_uncertified"), 2);
}

TEST_F(DetectorsTest, PostVacantAfterTheGracePeriod) {
  LiveProject("QT1");
  ASSERT_OK(d_->ProjectCorp("QT1", sv_, "007"));
  // General contractor: PM, technical lead, safety officer; supervisor: chief supervisor.
  EXPECT_EQ(Count("post_vacant"), 4);
  const auto pm = Manager("项目经理");
  ASSERT_TRUE(d_->Enrol("QT1", pm, gc_, "10", "900", "project_manager", d_->Day(-1)).ok());
  EXPECT_EQ(Count("post_vacant"), 3);
  // The post must be held by the corp that owes it.
  const auto chief = Manager("总监");
  ASSERT_TRUE(
      d_->Enrol("QT1", chief, gc_, "10", "900", "chief_supervising_engineer", d_->Day(-1)).ok());
  EXPECT_EQ(Count("post_vacant"), 3);

  // A project that started 3 days ago is inside the 7-day grace period.
  ASSERT_OK(d_->Project("QT2", "active", d_->Day(-3)));
  ASSERT_OK(d_->ProjectCorp("QT2", gc_, "009"));
  EXPECT_EQ(Count("post_vacant:QT2"), 0);
  d_->set_now("2026-03-21T10:00:00+08:00");
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_EQ(Count("post_vacant:QT2"), 3);
}

TEST_F(DetectorsTest, CertificateExpiryStagesAndRenewal) {
  LiveProject("QT1");
  auto p = d_->Person("架子工");
  ASSERT_TRUE(p.ok());
  auto old_cert = d_->Certificate(*p, "special_operation", "02", d_->Day(-600), d_->Day(75));
  ASSERT_TRUE(old_cert.ok());
  ASSERT_TRUE(d_->Enrol("QT1", *p, gc_, "20", "030", std::nullopt, d_->Day(-3)).ok());
  auto alerts = Of("certificate_expiring");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].find("\"stage_days\":90"), std::string::npos);
  EXPECT_NE(alerts[0].find("|yellow|"), std::string::npos);

  // 50 days later it is in the 30-day stage: the same alert, changed, not a second one.
  d_->set_now("2026-05-05T10:00:00+08:00");
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  alerts = Of("certificate_expiring");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].find("\"stage_days\":30"), std::string::npos);

  // After valid_to: expired (and uncertified for the work type).
  d_->set_now("2026-06-10T10:00:00+08:00");
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_EQ(Count("certificate_expired"), 1);
  EXPECT_EQ(Count("certificate_expiring"), 0);
  EXPECT_EQ(Count("post_uncertified"), 1);

  // Renewal: the new certificate supersedes the old one, everything clears.
  ASSERT_TRUE(
      d_->Certificate(*p, "special_operation", "02", Date{2026, 5, 30}, Date{2028, 5, 29}).ok());
  EXPECT_EQ(
      Count("certificate_expired") + Count("certificate_expiring") + Count("post_uncertified"), 0);
}

TEST_F(DetectorsTest, KeyPersonPresenceWithLeaveAndHolidays) {
  LiveProject("QT1");
  const auto pm = Manager("经理");
  ASSERT_TRUE(d_->Enrol("QT1", pm, gc_, "10", "900", "project_manager", d_->Day(-90)).ok());
  // Present only Mondays and Tuesdays: about 40% of working days.
  for (int day = -30; day < 0; ++day) {
    const Date date = d_->Day(day);
    const int weekday = ((date.DaysSinceEpoch() % 7) + 10) % 7;  // 0 = Monday
    if (weekday <= 1) ASSERT_OK(d_->Pass("QT1", pm, date));
  }
  EXPECT_EQ(Count("key_person_absent"), 1);
  auto alerts = Of("key_person_absent");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].find("orange"), std::string::npos) << alerts[0];

  // Approved leave counts neither as present nor as absent.
  const auto other = Manager("技术负责人");
  ASSERT_TRUE(d_->Enrol("QT1", other, gc_, "10", "900", "technical_lead", d_->Day(-90)).ok());
  for (int day = -30; day < 0; ++day) {
    const Date date = d_->Day(day);
    if (date < Date{2026, 3, 9}) ASSERT_OK(d_->Pass("QT1", other, date));
  }
  // Absent since 2026-03-09 (Monday): five working days without a pass → red.
  EXPECT_EQ(Count("key_person_absent:QT1:" + std::to_string(other)), 1);
  // Leave 9–13 March (5 working days) explains it.
  ASSERT_OK(d_->Leave(other, Date{2026, 3, 9}, Date{2026, 3, 13}));
  EXPECT_EQ(Count("key_person_absent:QT1:" + std::to_string(other)), 0);
  // More than 6 working days of leave in a month is refused.
  auto too_much = d_->Leave(other, Date{2026, 3, 2}, Date{2026, 3, 4});
  EXPECT_EQ(too_much.code(), "leave_limit_exceeded");
}

TEST_F(DetectorsTest, WorkingDayCalendar) {
  const auto& rules = registry::Rulebook::Default();
  EXPECT_TRUE(rules.IsWorkingDay(Date{2026, 3, 16}));   // Monday
  EXPECT_FALSE(rules.IsWorkingDay(Date{2026, 3, 15}));  // Sunday
  EXPECT_FALSE(rules.IsWorkingDay(Date{2026, 10, 1}));  // National Day
  EXPECT_FALSE(rules.IsWorkingDay(Date{2026, 2, 17}));  // Spring Festival
  EXPECT_TRUE(rules.IsWorkingDay(Date{2026, 2, 14}));   // Saturday, make-up working day
  EXPECT_TRUE(rules.IsWorkingDay(Date{2025, 9, 28}));   // Sunday, make-up working day
}

TEST_F(DetectorsTest, WorkerUnseenClearsOnPassAndExitedButSeen) {
  LiveProject("QT1");
  auto w = d_->Person("钢筋工");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(d_->Enrol("QT1", *w, gc_, "20", "020", std::nullopt, d_->Day(-10)).ok());
  EXPECT_EQ(Count("worker_unseen"), 1);
  // A refused pass is not presence; an allowed one is.
  ASSERT_OK(d_->Pass("QT1", *w, d_->Day(0), /*allowed=*/false));
  EXPECT_EQ(Count("worker_unseen"), 1);
  ASSERT_OK(d_->Pass("QT1", *w, d_->Day(0)));
  EXPECT_EQ(Count("worker_unseen"), 0);

  // Exit, then seen at the gate two days later.
  ASSERT_OK(d_->Exit("QT1", *w, d_->Day(0)));
  EXPECT_EQ(Count("exited_but_seen"), 0);  // passes on the exit day itself are expected
  d_->set_now("2026-03-18T10:00:00+08:00");
  ASSERT_OK(d_->Pass("QT1", *w, d_->Day(0), /*allowed=*/false));
  EXPECT_EQ(Count("exited_but_seen"), 1);
  // It ages out after the configured 30 days.
  d_->set_now("2026-04-20T10:00:00+08:00");
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_EQ(Count("exited_but_seen"), 0) << ::testing::PrintToString(d_->ActiveAlerts());
}

TEST_F(DetectorsTest, DevicesOfflineAndClockSkew) {
  LiveProject("QT1");
  const std::int64_t now = d_->clock().now_ms;
  ASSERT_OK(d_->db().Write([&](store::Connection& conn) {
    auto insert = [&](const char* serial, std::optional<std::int64_t> seen,
                      std::optional<std::int64_t> offset) {
      return conn
          .Prepare(
              "INSERT INTO devices(project_code, serial, direction, created_at, "
              "last_seen_at, clock_offset_ms) VALUES ('QT1', ?, 'in', ?, ?, ?)")
          .Bind(1, serial)
          .Bind(2, now - 86'400'000)
          .Bind(3, seen)
          .Bind(4, offset)
          .Run();
    };
    ZZ_RETURN_IF_ERROR(insert("ok", now - 60'000, 1'000));
    ZZ_RETURN_IF_ERROR(insert("silent", now - 3'600'000, 0));
    ZZ_RETURN_IF_ERROR(insert("never", std::nullopt, std::nullopt));
    return insert("skewed", now - 30'000, -420'000);
  }));
  ASSERT_TRUE(d_->engine().ScanAll(/*persons=*/false).ok());
  EXPECT_EQ(Count("device_offline"), 2);
  EXPECT_EQ(Count("clock_skew"), 1);
}

TEST_F(DetectorsTest, LifeCycleAcknowledgeResolveAndNoDuplicates) {
  LiveProject("QT1");
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_EQ(Count("post_vacant"), 3);  // scanning again adds nothing
  std::int64_t id = 0;
  ASSERT_OK(d_->db().Read([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(id, store::QueryInt(conn, "SELECT MIN(id) FROM alerts"));
    return Status::Ok();
  }));
  ASSERT_OK(d_->db().Write([&](store::Connection& conn) {
    return AlertBook::Acknowledge(conn, id, "inspector", "on my list", 1).status();
  }));
  ASSERT_OK(d_->db().Write([&](store::Connection& conn) {
    return AlertBook::Resolve(conn, id, "inspector", "called the contractor", 2).status();
  }));
  auto again = d_->db().Write([&](store::Connection& conn) {
    return AlertBook::Resolve(conn, id, "inspector", "twice", 3).status();
  });
  EXPECT_EQ(again.code(), "invalid_transition");
  // The vacancy persists, so the next scan opens a new alert for it; history stays.
  ASSERT_TRUE(d_->engine().ScanAll().ok());
  EXPECT_EQ(Count("post_vacant"), 3);
  auto alert = d_->db().Read(
      [&](store::Connection& conn) { return AlertBook::Get(conn, id, /*with_history=*/true); });
  ASSERT_TRUE(alert.ok());
  EXPECT_EQ((*alert)["status"], "resolved");
  EXPECT_EQ((*alert)["resolution"], "manual");
  ASSERT_EQ((*alert)["history"].size(), 3u);
  EXPECT_EQ((*alert)["history"][1]["action"], "acknowledged");
  EXPECT_EQ((*alert)["history"][2]["note"], "called the contractor");
}

// Property: on random districts built through the incremental hooks, a full scan finds exactly
// the alerts the incremental path already holds (nothing to open, change or resolve), and a
// scan from scratch builds the same set.
TEST_F(DetectorsTest, FullScanAgreesWithIncrementalOnRandomDistricts) {
  std::map<std::string, int> seen;
  for (int seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    d_ = std::make_unique<TestDistrict>(::testing::TempDir(), kNow);
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    std::vector<std::string> corps;
    for (int i = 0; i < 3; ++i)
      corps.push_back(*d_->Corp("公司" + std::to_string(i)));
    const char* statuses[] = {"active", "active", "active", "suspended", "completed", "planned"};
    const char* corp_types[] = {"009", "007", "001"};
    std::vector<std::string> projects;
    for (int i = 0; i < 6; ++i) {
      const std::string code = "QT" + std::to_string(seed) + std::to_string(i);
      // Sites scattered over about 40 km, one without coordinates.
      std::optional<double> lat, lng;
      if (i != 5) {
        lat = 30.15 + 0.3 * pick(1000) / 1000.0;
        lng = 120.15 + 0.3 * pick(1000) / 1000.0;
      }
      ASSERT_OK(d_->Project(code, statuses[pick(6)], d_->Day(-pick(60)), lat, lng));
      for (int c = 0; c < 3; ++c) {
        if (pick(3) > 0) (void)d_->ProjectCorp(code, corps[c], corp_types[c]);
      }
      projects.push_back(code);
    }
    std::vector<std::int64_t> persons;
    for (int i = 0; i < 30; ++i)
      persons.push_back(*d_->Person("人" + std::to_string(i)));
    const char* posts[] = {"project_manager", "technical_lead", "safety_officer",
                           "chief_supervising_engineer", "quality_officer"};
    const char* work_types[] = {"130", "030", "010", "270", "020"};
    const std::pair<const char*, const char*> certs[] = {{"registered", "constructor_1"},
                                                         {"safety_post", "B"},
                                                         {"safety_post", "C"},
                                                         {"special_operation", "01"},
                                                         {"special_operation", "02"},
                                                         {"post", "quality_officer"},
                                                         {"registered", "supervising_engineer"}};
    std::vector<std::int64_t> certificates;
    const char* dorms[] = {"建设者之家 1 幢", "建设者之家 2 幢", "白杨街道宿舍"};
    for (int op = 0; op < 900; ++op) {
      const auto person = persons[pick(30)];
      const auto& project = projects[pick(6)];
      switch (pick(14)) {
        case 0:
        case 1: {
          const bool manager = pick(2) == 0;
          (void)d_->Enrol(project, person, corps[pick(3)], manager ? "10" : "20",
                          manager ? "900" : work_types[pick(5)],
                          manager ? std::optional<std::string>(posts[pick(5)]) : std::nullopt,
                          d_->Day(-pick(50)),
                          pick(2) > 0 ? std::optional<std::string>(dorms[pick(3)]) : std::nullopt);
          break;
        }
        case 9:
          (void)d_->VerifyFace(person);
          break;
        case 10:
          (void)d_->CompletePerson(person);
          break;
        case 11:
          (void)d_->MoveDorm(project, person, dorms[pick(3)], d_->Day(-pick(5)));
          break;
        case 12:
          (void)d_->AnswerPolice(pick(3) > 0, "地址不规范");
          break;
        case 13: {
          // A morning at two sites minutes apart: sometimes too far apart to be real.
          const std::int64_t t =
              StartOfChinaDay(d_->Day(-pick(10))) + (6 * 60 + pick(180)) * 60'000LL;
          (void)d_->PassAt(project, person, t, pick(5) > 0);
          (void)d_->PassAt(projects[pick(6)], person, t + pick(40) * 60'000LL, pick(5) > 0);
          break;
        }
        case 2:
          (void)d_->Exit(project, person, d_->Day(-pick(8)));
          break;
        case 3: {
          const auto& [kind, type] = certs[pick(7)];
          auto id =
              d_->Certificate(person, kind, type, d_->Day(-pick(700)), d_->Day(pick(200) - 60));
          if (id.ok()) certificates.push_back(*id);
          break;
        }
        case 4:
          if (!certificates.empty()) (void)d_->Revoke(certificates[pick(certificates.size())]);
          break;
        case 5:
        case 6:
        case 7:
          (void)d_->Pass(project, person, d_->Day(-pick(30)), pick(5) > 0);
          break;
        case 8:
          if (pick(2)) {
            (void)d_->Leave(person, d_->Day(-pick(20)), d_->Day(-pick(3)));
          } else {
            (void)d_->Exempt(person, project, "adjacent_sections");
          }
          break;
      }
    }
    // The residence module's records are what a reconciliation of everyone would make.
    auto reconciled = d_->residence().ReconcileAll(7);
    ASSERT_TRUE(reconciled.ok());
    EXPECT_EQ(*reconciled, 0);
    const auto incremental = d_->ActiveAlerts();
    EXPECT_GT(incremental.size(), 10u);
    // (residence_not_deregistered needs a month of absence or an exit the police ignored: its
    // own tests in residence_detectors_test.cc check both paths agree.)
    for (const char* t : {"residence_overdue", "unregistered_presence", "impossible_travel"}) {
      seen[t] += Count(t);
    }
    auto report = d_->engine().ScanAll();
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->counts.opened, 0);
    EXPECT_EQ(report->counts.refreshed, 0);
    EXPECT_EQ(report->counts.resolved, 0);
    EXPECT_EQ(d_->ActiveAlerts(), incremental);

    ASSERT_OK(d_->db().Write([](store::Connection& conn) {
      return conn.Exec("DELETE FROM alert_history; DELETE FROM alerts;");
    }));
    ASSERT_TRUE(d_->engine().ScanAll().ok());
    EXPECT_EQ(d_->ActiveAlerts(), incremental);
  }
  // The residence and trajectory warnings came up, so the property covers them.
  for (const auto& [type, n] : seen)
    EXPECT_GT(n, 0) << type << " never came up in the random districts";
}

TEST(RulebookTest, DefaultParsesAndBadFilesAreRefusedWithTheirPath) {
  const auto& rules = registry::Rulebook::Default();
  EXPECT_EQ(rules.name(), "zhejiang");
  ASSERT_NE(rules.FindPost("project_manager"), nullptr);
  EXPECT_TRUE(rules.FindPost("project_manager")->key);
  EXPECT_EQ(rules.RequiredPosts("009").size(), 3u);
  EXPECT_EQ(rules.expiry_stages(), (std::vector<int>{90, 60, 30}));
  EXPECT_EQ(rules.Severity("post_conflict"), "red");

  auto bad = registry::Rulebook::Parse(R"({"rulebook":"x","version":"1","posts":[
      {"code":"p","name":"P","key":true,"required":[[{"kind":"registered","type":"nope"}]]}]})",
                                       "bad.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.json: posts[0].required"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(registry::Rulebook::Parse("[1,2]", "x.json").ok());
  EXPECT_FALSE(registry::Rulebook::Parse("{", "x.json").ok());
}

}  // namespace
}  // namespace zhizhi::alerts

namespace zhizhi::alerts {
namespace {
using testkit::GeneratePlantedDistrict;
using testkit::PlantedOptions;
using testkit::TestDistrict;

// A generated district (hundreds of projects, tens of thousands of people) with anomalies of
// every kind planted: the scan finds every one of them and nothing else.
TEST(PlantedDistrictTest, ScanFindsEveryPlantedAnomalyAndNothingElse) {
  // A bulk load, as an import: no hooks run, the scan is what is tested.
  TestDistrict d(::testing::TempDir(), "2026-03-16T10:00:00+08:00", /*incremental=*/false);
  PlantedOptions options;
  options.projects = 200;
  options.workers_per_project = 100;
  auto planted = GeneratePlantedDistrict(d.db(), d.registry(), options, d.clock());
  ASSERT_TRUE(planted.ok()) << planted.status().message();
  EXPECT_GE(planted->persons, 20'000);
  for (const char* t :
       {type::kPostConflict, type::kPostUncertified, type::kPostVacant, type::kCertificateExpiring,
        type::kCertificateExpired, type::kKeyPersonAbsent, type::kWorkerUnseen,
        type::kExitedButSeen, type::kDeviceOffline, type::kClockSkew, type::kResidenceOverdue,
        type::kUnregisteredPresence, type::kResidenceNotDeregistered, type::kImpossibleTravel}) {
    EXPECT_EQ(planted->planted[t], options.plants_per_kind) << t;
  }
  auto report = d.engine().ScanAll();
  ASSERT_TRUE(report.ok());
  const auto found = d.ActiveKeys();
  const std::vector<std::string> expected(planted->expected_keys.begin(),
                                          planted->expected_keys.end());
  std::vector<std::string> missed, extra;
  std::set_difference(expected.begin(), expected.end(), found.begin(), found.end(),
                      std::back_inserter(missed));
  std::set_difference(found.begin(), found.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  EXPECT_TRUE(missed.empty()) << "missed: " << ::testing::PrintToString(missed);
  EXPECT_TRUE(extra.empty()) << "false positives: " << ::testing::PrintToString(extra);
  EXPECT_EQ(report->active, static_cast<std::int64_t>(expected.size()));
}

}  // namespace
}  // namespace zhizhi::alerts

namespace zhizhi::alerts {
namespace {
using testkit::GeneratePlantedDistrict;
using testkit::PlantedOptions;
using testkit::TestDistrict;

// A face stored as a duplicate of another person's (the face module's verdict) is a
// duplicate_identity alert, raised in the same job and agreed by the scan; removing it clears.
TEST(DuplicateIdentityTest, FromTheFacesTable) {
  TestDistrict d(::testing::TempDir(), "2026-03-16T10:00:00+08:00");
  auto first = d.Person("张三");
  auto second = d.Person("张三丰");
  ASSERT_TRUE(first.ok() && second.ok());
  auto store_face = [&](const char* status) {
    return d.db().Write([&](store::Connection& conn) -> Status {
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO faces(person_id, source, status, model, embedding, quality, "
                       "duplicate_of, duplicate_score, created_at) "
                       "VALUES (?, 'live', ?, 'test', x'00', '{}', ?, 0.91, 1)")
              .Bind(1, *second)
              .Bind(2, status)
              .Bind(3, *first)
              .Run());
      return d.engine().OnPersonChanged(conn, *second);
    });
  };
  ASSERT_TRUE(store_face("duplicate").ok());
  auto keys = d.ActiveKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].rfind("duplicate_identity:" + std::to_string(*second) + ":", 0), 0u);
  EXPECT_NE(d.ActiveAlerts()[0].find("|red|"), std::string::npos);
  auto scan = d.engine().ScanAll();
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->counts.opened + scan->counts.resolved + scan->counts.refreshed, 0);

  ASSERT_TRUE(d.db()
                  .Write([&](store::Connection& conn) -> Status {
                    ZZ_RETURN_IF_ERROR(conn.Exec(
                        "UPDATE faces SET status = 'removed' WHERE status = 'duplicate'"));
                    return d.engine().OnPersonChanged(conn, *second);
                  })
                  .ok());
  EXPECT_TRUE(d.ActiveKeys().empty());
}

}  // namespace
}  // namespace zhizhi::alerts

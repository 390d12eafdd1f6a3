#include "residence/residence.h"

#include <gtest/gtest.h>

#include "base/csv.h"
#include "residence/daily_export.h"
#include "testkit/test_district.h"

namespace zhizhi::registry {
extern const char kDefaultRulesJson[];  // rules/zhejiang.json, compiled in
}  // namespace zhizhi::registry

namespace zhizhi::residence {
namespace {

#define ASSERT_OK(expr)                    \
  do {                                     \
    auto _s = (expr);                      \
    ASSERT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)

using nlohmann::json;

// Monday 2026-03-16, 10:00 in Hangzhou.
constexpr const char* kNow = "2026-03-16T10:00:00+08:00";

security::Principal Admin() {
  security::Principal p;
  p.name = "admin";
  p.rights = ~0u;
  p.all_projects = true;
  return p;
}

class ResidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = std::make_unique<testkit::TestDistrict>(::testing::TempDir(), kNow);
    auto gc = d_->Corp("总包公司");
    ASSERT_TRUE(gc.ok());
    gc_ = *gc;
    ASSERT_OK(d_->Project("P1", "active", d_->Day(-100), 30.30, 120.30));
    ASSERT_OK(d_->ProjectCorp("P1", gc_, "009"));
    ASSERT_OK(d_->Project("P2", "active", d_->Day(-100), 30.31, 120.31));
    ASSERT_OK(d_->ProjectCorp("P2", gc_, "009"));
  }

  // A worker with everything a registration needs, except what the test leaves out.
  std::int64_t Worker(bool complete = true, bool face = true) {
    auto id = d_->Worker("李建国", complete, face);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  Status Enrol(const std::string& project, std::int64_t person, int entry_day,
               std::optional<std::string> dorm = "钱塘区建设者之家 3 幢 201") {
    return d_->Enrol(project, person, gc_, "20", "020", std::nullopt, d_->Day(entry_day), dorm)
        .status();
  }

  // Every record of a person, oldest first, as the API shows it.
  std::vector<json> Records(std::int64_t person) {
    std::vector<json> out;
    auto list = d_->db().Read([&](store::Connection& conn) {
      RegistrationFilter f;
      f.person_id = person;
      store::Page page;
      page.limit = 100;
      return d_->residence().List(conn, f, page, Admin());
    });
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (list.ok()) {
      for (const json& item : (*list)["items"])
        out.push_back(item);
    }
    return out;
  }

  json Get(std::int64_t id) {
    auto r = d_->db().Read(
        [&](store::Connection& conn) { return d_->residence().Get(conn, id, Admin()); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : json();
  }

  std::int64_t Count(const std::string& sql) {
    auto n = d_->db().Read([&](store::Connection& conn) { return store::QueryInt(conn, sql); });
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  std::unique_ptr<testkit::TestDistrict> d_;
  std::string gc_;
};

TEST_F(ResidenceTest, EnrolmentWithADormitoryDraftsARegistrationThatSaysWhatIsMissing) {
  const std::int64_t w = Worker(/*complete=*/false, /*face=*/false);
  ASSERT_OK(Enrol("P1", w, -1, std::nullopt));
  EXPECT_TRUE(Records(w).empty());  // no dormitory from the employer: nothing to register here

  ASSERT_OK(d_->MoveDorm("P1", w, "钱塘区建设者之家 3 幢 201", d_->Day(0)));
  auto records = Records(w);
  ASSERT_EQ(records.size(), 1u);
  const json& r = records[0];
  EXPECT_EQ(r["kind"], "registration");
  EXPECT_EQ(r["status"], "draft");
  EXPECT_EQ(r["residence_address"], "钱塘区建设者之家 3 幢 201");
  EXPECT_EQ(r["arrival_date"], nullptr);
  EXPECT_EQ(r["due_date"], nullptr);
  EXPECT_EQ(r["complete"], false);
  EXPECT_EQ(r["missing"],
            json::array({"nation", "id_address", "phone", "arrival_date", "face_verified"}));
  // Every field of the application (domain.md), the ID number only through the person.
  const json& a = r["application"];
  EXPECT_EQ(a["applicant"]["name"], "李建国");
  EXPECT_EQ(a["applicant"]["id_type"], "01");
  EXPECT_EQ(a["applicant"]["sex"], "2");  // an even 17th digit
  EXPECT_EQ(a["applicant"]["birth_date"], "1985-05-01");
  EXPECT_EQ(a["residence"]["reason"], "务工");
  EXPECT_EQ(a["employer"]["uscc"], gc_);
  EXPECT_EQ(a["employer"]["name"], "总包公司");
  EXPECT_EQ(a["project"]["code"], "P1");
  EXPECT_EQ(Get(r["id"])["face_verification"], "id_photo_missing");

  // Completing the person and the face verification leaves only the arrival.
  ASSERT_OK(d_->CompletePerson(w));
  ASSERT_OK(d_->VerifyFace(w));
  EXPECT_EQ(Records(w)[0]["missing"], json::array({"arrival_date"}));
  EXPECT_EQ(Records(w)[0]["status"], "draft");
}

TEST_F(ResidenceTest, WithoutAVerifiedFaceNobodyIsSubmitted) {
  const std::int64_t w = Worker(/*complete=*/true, /*face=*/false);
  ASSERT_OK(Enrol("P1", w, -1));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(0)));
  const json r = Records(w).at(0);
  EXPECT_EQ(r["missing"], json::array({"face_verified"}));
  EXPECT_EQ(Get(r["id"])["face_verification"], "id_photo_missing");
  // Submitting by hand is refused with the list, and writes nothing.
  const std::int64_t history = Count("SELECT COUNT(*) FROM residence_history");
  Status s = d_->db().Write(
      [&](store::Connection& conn) { return d_->residence().Submit(conn, r["id"], "clerk"); });
  EXPECT_EQ(s.code(), "registration_incomplete");
  EXPECT_EQ(s.details()["missing"], json::array({"face_verified"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM residence_history"), history);
}

TEST_F(ResidenceTest, ArrivalIsTheFirstAllowedPassAndTheDueDateThreeDaysLater) {
  const std::int64_t w = Worker(true, /*face=*/false);
  ASSERT_OK(Enrol("P1", w, -10));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(-5), /*allowed=*/false));  // refused: not an arrival
  ASSERT_OK(d_->Pass("P2", w, d_->Day(-4)));                     // another site
  EXPECT_EQ(Records(w)[0]["arrival_date"], nullptr);
  ASSERT_OK(d_->Pass("P1", w, d_->Day(-3)));
  json r = Records(w)[0];
  EXPECT_EQ(r["arrival_date"], d_->Day(-3).ToString());
  EXPECT_EQ(r["due_date"], d_->Day(0).ToString());  // register within 3 days of arrival
  EXPECT_EQ(r["overdue"], false);
  ASSERT_OK(d_->Pass("P1", w, d_->Day(-1)));
  EXPECT_EQ(Records(w)[0]["arrival_date"], d_->Day(-3).ToString());  // the first one counts
  d_->set_now("2026-03-17T10:00:00+08:00");
  EXPECT_EQ(Records(w)[0]["overdue"], true);
}

TEST_F(ResidenceTest, ACompleteDraftIsSubmittedWithItsOutboxRowInTheSameTransaction) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -1));
  EXPECT_EQ(Records(w)[0]["status"], "draft");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox"), 0);
  ASSERT_OK(d_->Pass("P1", w, d_->Day(0)));  // the arrival completes it: zero trips
  const json r = Records(w)[0];
  EXPECT_EQ(r["status"], "submitted");
  EXPECT_EQ(r["submissions"], 1);
  EXPECT_EQ(r["sync"]["target"], "police_export");  // no police endpoint configured here
  EXPECT_EQ(r["sync"]["state"], "pending");
  const std::string key = r["sync"]["idempotency_key"];
  EXPECT_EQ(key, "zhizhi:" + std::to_string(r["id"].get<std::int64_t>()) + ":1");
  // The payload never holds the ID number in clear.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox WHERE payload LIKE '%41142119850501%'"), 0);
  // Nor sealed: the export reads persons.id_cipher when it writes the file (key rotation safe).
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox WHERE payload LIKE '%id_number_masked%'"), 1);
  const json full = Get(r["id"]);
  ASSERT_GE(full["history"].size(), 2u);
  EXPECT_EQ(full["history"][0]["action"], "drafted");
  EXPECT_EQ(full["history"].back()["action"], "submitted");
  EXPECT_EQ(full["history"].back()["actor"], "system");
}

TEST_F(ResidenceTest, AnswersMoveTheStatusAndARejectionIsResubmittedUnderANewKey) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -1));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(0)));
  ASSERT_TRUE(d_->AnswerPolice(/*accept=*/false, "居住地址不规范").ok());
  json r = Records(w)[0];
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_EQ(r["reject_reason"], "居住地址不规范");
  // A rejected registration is not sent again by itself …
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending'"), 0);
  // … but after the address is fixed, by hand, under a new idempotency key.
  ASSERT_OK(
      d_->MoveDorm("P1", w, "浙江省杭州市钱塘区白杨街道 6 号大街 88 号 3 幢 201 室", d_->Day(0)));
  ASSERT_OK(d_->db().Write(
      [&](store::Connection& conn) { return d_->residence().Submit(conn, r["id"], "clerk"); }));
  r = Records(w)[0];
  EXPECT_EQ(r["status"], "submitted");
  EXPECT_EQ(r["submissions"], 2);
  EXPECT_TRUE(r["sync"]["idempotency_key"].get<std::string>().ends_with(":2"));
  EXPECT_EQ(r["reject_reason"], nullptr);
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  r = Records(w)[0];
  EXPECT_EQ(r["status"], "accepted");
  EXPECT_TRUE(r["receipt_no"].is_string());
  // Submitting an accepted registration is a conflict.
  Status again = d_->db().Write(
      [&](store::Connection& conn) { return d_->residence().Submit(conn, r["id"], "clerk"); });
  EXPECT_EQ(again.code(), "invalid_transition");
}

TEST_F(ResidenceTest, ADormitoryMoveMakesAChangeDueInTenDays) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -20));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(-20)));
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  ASSERT_EQ(Records(w)[0]["status"], "accepted");

  ASSERT_OK(d_->MoveDorm("P1", w, "钱塘区新湾街道宿舍 5 幢", d_->Day(-2)));
  auto records = Records(w);
  ASSERT_EQ(records.size(), 2u);
  const json& change = records[1];
  EXPECT_EQ(change["kind"], "change");
  EXPECT_EQ(change["registration_id"], records[0]["id"]);
  EXPECT_EQ(change["move_date"], d_->Day(-2).ToString());
  EXPECT_EQ(change["due_date"], d_->Day(8).ToString());  // changes within 10 days
  EXPECT_EQ(change["status"], "submitted");              // complete: sent at once
  EXPECT_EQ(records[0]["residence_address"], "钱塘区建设者之家 3 幢 201");  // until accepted
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  records = Records(w);
  EXPECT_EQ(records[1]["status"], "accepted");
  EXPECT_EQ(records[0]["status"], "accepted");
  EXPECT_EQ(records[0]["residence_address"], "钱塘区新湾街道宿舍 5 幢");
  // The change message names the registration's receipt.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox WHERE message_type = 'change' AND payload "
                  "LIKE '%\"previous_receipt_no\":\"R%'"),
            1);
}

TEST_F(ResidenceTest, AMoveToAnotherProjectIsAChangeFromTheDayOfTheExit) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -30));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(-30)));
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  ASSERT_OK(Enrol("P2", w, -4, "钱塘区二号工地宿舍"));
  EXPECT_EQ(Records(w).size(), 1u);  // still working (and living) at P1
  ASSERT_OK(d_->Exit("P1", w, d_->Day(-2)));
  auto records = Records(w);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["kind"], "change");
  EXPECT_EQ(records[1]["project_code"], "P2");
  EXPECT_EQ(records[1]["move_date"], d_->Day(-2).ToString());
  EXPECT_EQ(records[1]["due_date"], d_->Day(8).ToString());
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  records = Records(w);
  EXPECT_EQ(records[0]["project_code"], "P2");
  EXPECT_EQ(records[0]["residence_address"], "钱塘区二号工地宿舍");
}

TEST_F(ResidenceTest, AnExitDeregistersAndAReturnRegistersAgain) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -30));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(-30)));
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  ASSERT_OK(d_->Exit("P1", w, d_->Day(-1)));
  auto records = Records(w);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["kind"], "deregistration");
  EXPECT_EQ(records[1]["leave_date"], d_->Day(-1).ToString());
  EXPECT_EQ(records[1]["due_date"], d_->Day(2).ToString());
  EXPECT_EQ(records[1]["status"], "submitted");
  EXPECT_EQ(records[0]["status"], "accepted");  // until the police take the deregistration
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  records = Records(w);
  EXPECT_EQ(records[0]["status"], "deregistered");
  EXPECT_EQ(records[1]["status"], "accepted");

  // Back a week later: a new registration, a new arrival.
  ASSERT_OK(Enrol("P2", w, 0, "钱塘区二号工地宿舍"));
  records = Records(w);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2]["kind"], "registration");
  EXPECT_EQ(records[2]["status"], "draft");
  EXPECT_EQ(records[2]["missing"], json::array({"arrival_date"}));
}

TEST_F(ResidenceTest, LeavingBeforeTheRegistrationWasSentCancelsTheDraft) {
  const std::int64_t w = Worker(true, /*face=*/false);
  ASSERT_OK(Enrol("P1", w, -3));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(-3)));
  ASSERT_OK(d_->Exit("P1", w, d_->Day(0)));
  const auto records = Records(w);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["status"], "cancelled");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox"), 0);  // the police never hear of it
}

TEST_F(ResidenceTest, AFailedDeliveryIsQueuedAgainUnderItsKey) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -1));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(0)));
  const std::int64_t id = Records(w)[0]["id"];
  Delivery failed;
  failed.kind = Delivery::Kind::kFailed;
  failed.http_status = 401;
  failed.reason = "HTTP 401: bad signature";
  ASSERT_OK(d_->db().Write([&](store::Connection& conn) {
    return d_->residence().ApplyDelivery(conn, 1, failed, 0, false);
  }));
  json r = Records(w)[0];
  EXPECT_EQ(r["status"], "submitted");
  EXPECT_EQ(r["sync"]["state"], "failed");
  EXPECT_EQ(r["sync"]["last_error"], "HTTP 401: bad signature");
  ASSERT_OK(d_->db().Write(
      [&](store::Connection& conn) { return d_->residence().Submit(conn, id, "clerk"); }));
  r = Records(w)[0];
  EXPECT_EQ(r["sync"]["state"], "pending");
  EXPECT_EQ(r["sync"]["attempts"], 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sync_outbox"), 1);  // the same message, the same key
  // A stale answer for a row that is no longer pending changes nothing.
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  Delivery late;
  late.kind = Delivery::Kind::kRejected;
  late.reason = "late";
  ASSERT_OK(d_->db().Write([&](store::Connection& conn) {
    return d_->residence().ApplyDelivery(conn, 1, late, 0, false);
  }));
  EXPECT_EQ(Records(w)[0]["status"], "accepted");
}

TEST_F(ResidenceTest, TheDailyExportCarriesFullIdNumbersInUtf8OrGbk) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -1));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(0)));
  const std::string dir = ::testing::TempDir() + "/zz-export-" + std::to_string(::getpid());
  for (const char* encoding : {"gbk"}) {
    ExportOptions options;
    options.dir = dir;
    options.encoding = encoding;
    security::FieldCipher::Key key{};
    key[0] = 7;  // TestDistrict's field key
    const auto cipher = security::FieldCipher::FromMasterKey(key);
    auto report = WriteDailyExport(d_->db(), d_->residence(), cipher, options, 1773626400000);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->rows, 1);
    struct stat st {};
    ASSERT_EQ(::stat(report->file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto csv = CsvReader::Open(report->file);
    ASSERT_TRUE(csv.ok());
    EXPECT_EQ(csv->encoding(), "gb18030");
    std::vector<std::string> header, row;
    ASSERT_TRUE(csv->Next(&header));
    ASSERT_TRUE(csv->Next(&row));
    EXPECT_EQ(header[6], "证件号码(id_number)");
    EXPECT_EQ(row[4], "李建国");
    EXPECT_EQ(row[6].size(), 19u);  // ' + 18 characters
    EXPECT_EQ(row[6].substr(1, 6), "411421");
    EXPECT_EQ(row[13], d_->Day(0).ToString());
    // Marked sent: a second export finds nothing.
    auto again = WriteDailyExport(d_->db(), d_->residence(), cipher, options, 1773626400000);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->rows, 0);
    std::remove(report->file.c_str());
  }
  ::rmdir(dir.c_str());
  EXPECT_EQ(Records(w)[0]["sync"]["state"], "sent");
  EXPECT_EQ(Records(w)[0]["status"], "submitted");  // until the answer is recorded
}

TEST_F(ResidenceTest, ReconcilingEveryoneAfterTheHooksChangesNothing) {
  for (int i = 0; i < 6; ++i) {
    const std::int64_t w = Worker(i % 2 == 0, i % 3 != 0);
    ASSERT_OK(Enrol(i % 2 ? "P1" : "P2", w, -i));
    ASSERT_OK(d_->Pass(i % 2 ? "P1" : "P2", w, d_->Day(-i / 2)));
  }
  ASSERT_TRUE(d_->AnswerPolice(true).ok());
  auto changed = d_->residence().ReconcileAll(2);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 0);
}

TEST_F(ResidenceTest, ThePoliceViewShowsIdNumbersOnlyWithPiiAndNoSyncDetails) {
  const std::int64_t w = Worker();
  ASSERT_OK(Enrol("P1", w, -1));
  ASSERT_OK(d_->Pass("P1", w, d_->Day(0)));
  security::Principal police;
  police.name = "派出所";
  police.role = "police";
  police.rights = security::RightsOfRole("police");
  police.all_projects = true;
  EXPECT_TRUE(police.Has(security::Right::kResidenceRead));
  EXPECT_FALSE(police.Has(security::Right::kResidenceWrite));
  EXPECT_FALSE(police.Has(security::Right::kRegistryRead));
  auto list = d_->db().Read([&](store::Connection& conn) {
    return d_->residence().List(conn, {}, store::Page{}, police);
  });
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["items"].size(), 1u);
  const json item = (*list)["items"][0];
  EXPECT_EQ(item["id_number"], "411421********0026");
  EXPECT_EQ(item["application"]["applicant"]["id_number"], "411421********0026");
  EXPECT_EQ(item["application"]["applicant"]["phone"], "138****8000");
  EXPECT_EQ(item["application"]["applicant"]["name"], "李建国");  // the fields in full
  EXPECT_FALSE(item.contains("sync"));
  EXPECT_FALSE(Get(item["id"]).contains("sync"));

  police.rights |= static_cast<std::uint32_t>(security::Right::kPii);
  list = d_->db().Read([&](store::Connection& conn) {
    return d_->residence().List(conn, {}, store::Page{}, police);
  });
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["items"][0]["id_number"], "411421198505010026");
  EXPECT_EQ((*list)["items"][0]["application"]["applicant"]["phone"], "13800138000");
  const json full = d_->db()
                        .Read([&](store::Connection& conn) {
                          return d_->residence().Get(conn, item["id"], police);
                        })
                        .value();
  EXPECT_FALSE(full.contains("deliveries"));
}

TEST_F(ResidenceTest, ASiteManagerSeesOnlyTheirProjects) {
  const std::int64_t a = Worker(), b = Worker();
  ASSERT_OK(Enrol("P1", a, -1));
  ASSERT_OK(Enrol("P2", b, -1));
  security::Principal manager;
  manager.name = "site";
  manager.rights = ~0u;
  manager.projects = {"P2"};
  auto list = d_->db().Read([&](store::Connection& conn) {
    return d_->residence().List(conn, {}, store::Page{}, manager);
  });
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["items"].size(), 1u);
  EXPECT_EQ((*list)["items"][0]["project_code"], "P2");
  EXPECT_EQ((*list)["counts"]["total"], 1);
  const std::int64_t other = Records(a)[0]["id"];
  auto hidden = d_->db().Read(
      [&](store::Connection& conn) { return d_->residence().Get(conn, other, manager); });
  EXPECT_EQ(hidden.status().code(), "not_found");
}

TEST(ResidenceRulesTest, TheRulebookSectionIsReadAndChecked) {
  const auto& rule = registry::Rulebook::Default().residence();
  EXPECT_EQ(rule.register_days, 3);
  EXPECT_EQ(rule.change_days, 10);
  EXPECT_EQ(rule.unseen_days, 30);
  EXPECT_EQ(rule.travel_max_speed_kmh, 80);
  EXPECT_EQ(rule.travel_min_distance_km, 3);
  EXPECT_EQ(rule.required_roles, std::vector<std::string>{"20"});
  EXPECT_EQ(registry::Rulebook::Default().Severity("impossible_travel"), "red");

  json doc = json::parse(registry::kDefaultRulesJson);
  auto parse = [](const json& d) { return registry::Rulebook::Parse(d.dump(), "r.json"); };
  json bad = doc;
  bad["residence"]["impossible_travel"]["max_speed_kmh"] = -5;
  auto refused = parse(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("residence.impossible_travel.max_speed_kmh"),
            std::string::npos)
      << refused.status().message();
  bad = doc;
  bad["residence"]["required_roles"] = {"30"};
  EXPECT_FALSE(parse(bad).ok());
  bad = doc;
  bad["residence"]["register_days"] = "3";
  EXPECT_FALSE(parse(bad).ok());
  // A rulebook written before residence registration loads with the defaults.
  json old = doc;
  old.erase("residence");
  auto defaults = parse(old);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ((*defaults)->residence().register_days, 3);
  json strict = doc;
  strict["residence"]["register_days"] = 2;
  EXPECT_EQ((*parse(strict))->residence().register_days, 2);
}

}  // namespace
}  // namespace zhizhi::residence

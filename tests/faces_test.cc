// Faces end to end, on the real binary with the real models and the sample photos of
// @vladmandic/face-api: enrolment (ID-card photo, live face, 人证比对, duplicate identity, every
// rejection with its reason and nothing written, a borrowed ID card at enrolment and gate), and
// server-side recognition at the gate (1:N on the project, 1:1 against a claim, the district
// fallback, liveness, exit and restart).
//
// The photos are cut from the group photos with fixed rectangles (one person each); the people:
//   A  sample3.jpg, left woman      B  sample3.jpg, middle woman    C  sample4.jpg, second left
//   D  sample5.jpg, middle woman    E  sample1.jpg, middle woman (never enrolled)
#include <sys/stat.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/base64.h"
#include "base/civil_time.h"
#include "base/resident_id.h"
#include "test_server.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;

cv::Mat Sample(const std::string& name) {
  cv::Mat img = cv::imread(std::string(ZHIZHI_FACE_DATA) + "/samples/" + name);
  EXPECT_FALSE(img.empty()) << name;
  return img;
}

std::string Jpeg(const cv::Mat& img, int quality = 90) {
  std::vector<unsigned char> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(buf.begin(), buf.end());
}

std::string B64(const std::string& bytes) {
  return EncodeBase64(bytes);
}

cv::Mat Cut(const std::string& sample, cv::Rect r) {
  return Sample(sample)(r).clone();
}

cv::Mat IdCard(const cv::Mat& face) {
  cv::Mat card;
  cv::resize(face, card, cv::Size(102, 126), 0, 0, cv::INTER_AREA);
  return card;
}

// Another capture of the same face: mirrored, brighter, recompressed.
cv::Mat Recaptured(const cv::Mat& face) {
  cv::Mat out;
  cv::flip(face, out, 1);
  out.convertTo(out, -1, 1.1, 25);
  const std::string jpeg = Jpeg(out, 45);
  return cv::imdecode(std::vector<unsigned char>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
}

// The people and their photos.
cv::Mat ACard() {
  return IdCard(Cut("sample3.jpg", {560, 300, 280, 350}));
}
cv::Mat ALive() {
  return Cut("sample3.jpg", {520, 250, 340, 430});
}
cv::Mat BCard() {
  return IdCard(Cut("sample3.jpg", {1050, 170, 300, 380}));
}
cv::Mat BLive() {
  return Cut("sample3.jpg", {900, 0, 560, 700});
}
cv::Mat BNotLive() {
  return Cut("sample3.jpg", {950, 50, 450, 600});
}  // liveness ≈ 0.26
cv::Mat CLive() {
  return Cut("sample4.jpg", {450, 0, 600, 650});
}
cv::Mat DLive() {
  return Cut("sample5.jpg", {600, 0, 450, 500});
}
cv::Mat ELive() {
  return Cut("sample1.jpg", {600, 200, 650, 700});
}
cv::Mat Wall() {
  return Cut("sample1.jpg", {0, 0, 900, 330});
}  // no face

constexpr const char* kGeneral = "91350100M000100Y43";
constexpr const char* kLabour = "91331122MA2A0M9B7N";

class FacesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start({"--gate-tick-seconds", "86400"})); }

  json Call(const std::string& method, const std::string& target, const json& body, int status) {
    const HttpResponse r = server_.Api(method, target, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status, status) << method << " " << target << "\n" << r.Describe();
    return r.json;
  }
  std::int64_t Person(const std::string& name, bool resident_id = true) {
    const int n = ++persons_;
    json body = {{"name", name}};
    if (resident_id) {
      body["id_type"] = "01";
      body["id_number"] = MakeResidentIdNumber("330102", Date{1985, 1 + n, 1 + n}, 100 + n);
    } else {
      body["id_type"] = "08";
      body["id_number"] = "E" + std::to_string(1'000'000 + n);
    }
    return Call("POST", "/api/v1/persons", body, 201).value("id", std::int64_t{0});
  }
  HttpResponse Enrol(std::int64_t person, const std::string& source, const std::string& jpeg) {
    return server_.Api("POST", "/api/v1/persons/" + std::to_string(person) + "/faces",
                       json{{"source", source}, {"image", B64(jpeg)}}.dump());
  }
  json Enrolled(std::int64_t person, const std::string& source, const cv::Mat& photo) {
    const HttpResponse r = Enrol(person, source, Jpeg(photo));
    EXPECT_EQ(r.status, 201) << r.Describe();
    return r.json;
  }
  // A rejected enrolment: the status and code, and nothing written.
  json Rejected(std::int64_t person, const std::string& source, const std::string& jpeg, int status,
                const std::string& code) {
    const std::int64_t faces = server_.Count("SELECT COUNT(*) FROM faces");
    const HttpResponse r = Enrol(person, source, jpeg);
    EXPECT_EQ(r.status, status) << code << "\n" << r.Describe();
    EXPECT_EQ(r.json["error"].value("code", ""), code) << r.Describe();
    EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM faces"), faces);
    return r.json["error"];
  }
  json PersonView(std::int64_t person) {
    return Call("GET", "/api/v1/persons/" + std::to_string(person), nullptr, 200);
  }

  void Project(const std::string& code) {
    if (!corps_) {
      Call("POST", "/api/v1/corps", {{"uscc", kGeneral}, {"name", "钱塘建设"}}, 201);
      Call("POST", "/api/v1/corps", {{"uscc", kLabour}, {"name", "丽水劳务"}}, 201);
      corps_ = true;
    }
    Call("POST", "/api/v1/projects",
         {{"code", code}, {"name", "工地" + code}, {"region_code", "330114"}, {"status", "active"}},
         201);
    Call("POST", "/api/v1/projects/" + code + "/corps", {{"uscc", kLabour}, {"corp_type", "006"}},
         201);
  }
  // A trained worker (020) on `project`.
  void Worker(const std::string& project, std::int64_t person) {
    Call("POST", "/api/v1/persons/" + std::to_string(person) + "/certificates",
         {{"kind", "post"},
          {"type_code", "safety_training"},
          {"number", "T-" + std::to_string(person) + project},
          {"valid_from", ChinaDate(-30)},
          {"valid_to", ChinaDate(300)}},
         201);
    Call("POST", "/api/v1/projects/" + project + "/workers",
         {{"person_id", person},
          {"uscc", kLabour},
          {"work_role", "20"},
          {"work_type", "020"},
          {"entry_date", ChinaDate(-10)}},
         201);
  }
  std::string Device(const std::string& project, const std::string& serial) {
    return Call("POST", "/api/v1/projects/" + project + "/devices",
                {{"serial", serial}, {"direction", "both"}}, 201)
        .value("token", "");
  }
  HttpResponse Pass(const std::string& device, const cv::Mat& photo, json extra = {}) {
    json event = {{"event_id", "e" + std::to_string(++events_)},
                  {"time", FormatRfc3339(NowUnixMs() - 1000)},
                  {"direction", "in"},
                  {"face_image", B64(Jpeg(photo))}};
    for (auto& [k, v] : extra.items())
      event[k] = v;
    return server_.Request("POST", "/api/v1/gate/events", event.dump(), device);
  }
  json Decision(const std::string& device, const cv::Mat& photo, json extra = {}) {
    const HttpResponse r = Pass(device, photo, std::move(extra));
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.json;
  }

  TestServer server_;
  bool corps_ = false;
  int persons_ = 0;
  int events_ = 0;
};

TEST_F(FacesTest, EnrolmentChecksTheIdPhotoQualityLivenessAndDuplicates) {
  const std::int64_t a = Person("甲");
  const std::int64_t b = Person("乙");
  const std::int64_t c = Person("丙", /*resident_id=*/false);  // a passport: no chip photo
  const std::int64_t fraud = Person("冒名者");

  // A resident ID card has a chip photo: a live face first is refused.
  Rejected(a, "live", Jpeg(ALive()), 422, "id_photo_missing");

  // The ID-card photo, then the live face checked against it (人证比对).
  const json card = Enrolled(a, "id_card", ACard());
  EXPECT_EQ(card["status"], "active");
  EXPECT_EQ(card["source"], "id_card");
  EXPECT_EQ(card["quality"]["ok"], true);
  EXPECT_TRUE(card["id_score"].is_null());
  EXPECT_TRUE(card["duplicate_of"].is_null());
  const json live = Enrolled(a, "live", ALive());
  EXPECT_EQ(live["status"], "active");
  EXPECT_EQ(live["enrolled"], true);
  EXPECT_EQ(live["id_match"], true);
  EXPECT_GE(live["id_score"].get<double>(), 0.5);
  EXPECT_GE(live["liveness"].get<double>(), 0.5);
  EXPECT_EQ(live["live"], true);
  EXPECT_TRUE(live["duplicate_of"].is_null());

  // B's ID card, then C's face as B's live face: 人证不符, nothing written (C is enrolled
  // nowhere yet: no fraud signal; A's face there is one — BorrowedIdCard… below).
  Enrolled(b, "id_card", BCard());
  const json mismatch = Rejected(b, "live", Jpeg(CLive()), 422, "face_mismatch");
  EXPECT_LT(mismatch["id_score"].get<double>(), 0.5);
  EXPECT_FALSE(mismatch.contains("duplicate_of")) << mismatch.dump();
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM identity_attempts"), 0);
  // B's own face, but a capture the liveness model rejects.
  const json spoof = Rejected(b, "live", Jpeg(BNotLive()), 422, "liveness_failed");
  EXPECT_LT(spoof["liveness"].get<double>(), 0.5);
  Enrolled(b, "live", BLive());

  // A passport holder enrols a live face without a chip photo.
  const json c_live = Enrolled(c, "live", CLive());
  EXPECT_EQ(c_live["status"], "active");
  EXPECT_TRUE(c_live["id_match"].is_null());

  // A's face again — another capture — under another identity: caught, kept as evidence, not
  // enrolled. The fraudster holds a passport, so no ID photo stops them first.
  const std::int64_t fraud_passport = Person("冒名者二", /*resident_id=*/false);
  const json dup = Enrolled(fraud_passport, "live", Recaptured(ALive()));
  EXPECT_EQ(dup["status"], "duplicate");
  EXPECT_EQ(dup["enrolled"], false);
  EXPECT_EQ(dup["duplicate_of"]["person_id"], a);
  EXPECT_GE(dup["duplicate_of"]["score"].get<double>(), 0.55);
  const json fraud_view = PersonView(fraud_passport);
  EXPECT_EQ(fraud_view["face"]["status"], "duplicate_review") << fraud_view.dump();
  EXPECT_EQ(fraud_view["face"]["enrolled"], false);
  EXPECT_EQ(fraud_view["face"]["duplicates"][0]["person_id"], a);
  // And an ID card whose chip photo is A's face.
  const json dup_card = Enrolled(fraud, "id_card", ACard());
  EXPECT_EQ(dup_card["status"], "duplicate");
  EXPECT_EQ(dup_card["duplicate_of"]["person_id"], a);

  // Photos that cannot be enrolled, each with its reason; nothing written.
  Rejected(c, "live", Jpeg(Wall()), 422, "no_face");
  Rejected(c, "live", Jpeg(Sample("sample3.jpg")), 422, "multiple_faces");
  cv::Mat small;
  cv::resize(CLive(), small, cv::Size(), 0.15, 0.15, cv::INTER_AREA);
  const json poor = Rejected(c, "live", Jpeg(small), 422, "face_quality");
  EXPECT_EQ(poor["quality"]["reasons"][0], "face_too_small") << poor.dump();
  std::string truncated = Jpeg(CLive());
  truncated.resize(truncated.size() / 2);
  Rejected(c, "live", truncated, 400, "invalid_argument");
  std::vector<unsigned char> png;
  cv::imencode(".png", CLive(), png);
  Rejected(c, "live", std::string(png.begin(), png.end()), 400, "invalid_argument");
  Rejected(c, "live", Jpeg(cv::Mat(100, 5000, CV_8UC3, cv::Scalar(1, 2, 3))), 422,
           "image_too_large");
  for (const std::string& body :
       {json{{"source", "live"}, {"image", "%%%"}}.dump(), json{{"source", "live"}}.dump(),
        json{{"source", "selfie"}, {"image", B64(Jpeg(CLive()))}}.dump(),
        json{{"source", "live"}, {"image", 42}}.dump(), std::string("{not json")}) {
    const HttpResponse r =
        server_.Api("POST", "/api/v1/persons/" + std::to_string(c) + "/faces", body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 80) << "\n" << r.Describe();
  }
  EXPECT_EQ(server_
                .Api("POST", "/api/v1/persons/999999/faces",
                     json{{"source", "live"}, {"image", B64(Jpeg(CLive()))}}.dump())
                .status,
            404);

  // What is stored: sealed embeddings, no photos, no embedding in clear.
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM faces"), 7);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM faces WHERE photo IS NOT NULL"), 0);
  EXPECT_EQ(server_.Count("SELECT MIN(LENGTH(embedding)) FROM faces"), 2048 + 40);
  const json view = PersonView(a);
  EXPECT_EQ(view["face"]["enrolled"], true) << view.dump();
  EXPECT_EQ(view["face"]["count"], 2);
  EXPECT_EQ(view["face"]["id_card"], true);
  EXPECT_EQ(view["face"]["live"], 1);
  EXPECT_EQ(view["face"]["status"], "enrolled");
  const json list = Call("GET", "/api/v1/persons/" + std::to_string(a) + "/faces", nullptr, 200);
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_FALSE(list["items"][0].contains("embedding"));

  // A new ID-card photo supersedes the old one.
  const json again = Enrolled(a, "id_card", IdCard(ALive()));
  EXPECT_EQ(again["superseded"], json::array({card["id"]}));
  EXPECT_EQ(PersonView(a)["face"]["count"], 2);
  EXPECT_EQ(server_.Stop(), 0);
}

// Worker A's face under worker B's ID card (a lent or borrowed card): refused at enrolment and
// at the gate as 人证不符 — and each attempt kept and raised as a red duplicate_identity alert
// naming both persons, the project, the device or user, and both scores.
TEST_F(FacesTest, BorrowedIdCardIsAFraudSignalAtEnrolmentAndAtTheGate) {
  Project("GA");
  Project("GB");
  const std::int64_t a = Person("甲");
  const std::int64_t b = Person("乙");
  Enrolled(a, "id_card", ACard());
  Enrolled(a, "live", ALive());
  Worker("GA", a);
  Enrolled(b, "id_card", BCard());
  Worker("GA", b);

  auto alerts_of = [&](std::int64_t person, const std::string& status) {
    return Call("GET",
                "/api/v1/alerts?type=duplicate_identity&status=" + status +
                    "&person_id=" + std::to_string(person),
                nullptr, 200)["items"];
  };

  // Enrolment: A's face as B's live face. Refused, no face stored — the attempt kept.
  const std::int64_t faces = server_.Count("SELECT COUNT(*) FROM faces");
  const HttpResponse refused = Enrol(b, "live", Jpeg(Recaptured(ALive())));
  ASSERT_EQ(refused.status, 422) << refused.Describe();
  const json error = refused.json["error"];
  EXPECT_EQ(error["code"], "face_mismatch");
  EXPECT_LT(error["id_score"].get<double>(), 0.5);
  EXPECT_EQ(error["duplicate_of"]["person_id"], a) << error.dump();
  EXPECT_GE(error["duplicate_of"]["score"].get<double>(), 0.55);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM faces"), faces);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM identity_attempts WHERE person_id = " +
                          std::to_string(b) + " AND enrolled_as = " + std::to_string(a) +
                          " AND channel = 'enrolment' AND actor = 'admin'"),
            1);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'face.enrol' AND "
                          "detail LIKE '%\"status\":\"refused\"%'"),
            1);
  json open = alerts_of(b, "active");
  ASSERT_EQ(open.size(), 1u) << open.dump();
  EXPECT_EQ(open[0]["severity"], "red");
  EXPECT_EQ(open[0]["project_code"], "GA");
  EXPECT_EQ(open[0]["detail"]["duplicate_of"], a);
  EXPECT_EQ(open[0]["detail"]["channel"], "enrolment");
  EXPECT_EQ(open[0]["detail"]["user"], "admin");
  EXPECT_LT(open[0]["detail"]["claim_score"].get<double>(), 0.5);
  EXPECT_GE(open[0]["detail"]["score"].get<double>(), 0.55);
  EXPECT_EQ(open[0]["detail"]["attempts"], 1);
  const std::string evidence = open[0]["evidence"].dump();
  EXPECT_NE(evidence.find("/api/v1/persons/" + std::to_string(a)), std::string::npos) << evidence;
  EXPECT_NE(evidence.find("/api/v1/persons/" + std::to_string(b)), std::string::npos) << evidence;

  // A site manager of GB who may not see A: refused the same way, without A's id.
  ASSERT_EQ(server_
                .Api("POST", "/api/v1/users",
                     json{{"name", "gb.site"},
                          {"password", "Borrowed-Card-2026"},
                          {"role", "site_manager"},
                          {"projects", {"GB"}}}
                         .dump())
                .status,
            201);
  const HttpResponse login = server_.Request(
      "POST", "/api/v1/sessions",
      json{{"name", "gb.site"}, {"password", "Borrowed-Card-2026"}}.dump(), std::nullopt);
  ASSERT_EQ(login.status, 201) << login.Describe();
  const std::string site = login.json.value("token", "");
  const HttpResponse created =
      server_.Request("POST", "/api/v1/persons",
                      json{{"name", "丙"},
                           {"id_type", "01"},
                           {"id_number", MakeResidentIdNumber("330102", Date{1990, 3, 3}, 777)}}
                          .dump(),
                      site);
  ASSERT_EQ(created.status, 201) << created.Describe();
  const std::int64_t c = created.json.value("id", std::int64_t{0});
  auto enrol_as_site = [&](const std::string& source, const cv::Mat& photo) {
    return server_.Request("POST", "/api/v1/persons/" + std::to_string(c) + "/faces",
                           json{{"source", source}, {"image", B64(Jpeg(photo))}}.dump(), site);
  };
  ASSERT_EQ(enrol_as_site("id_card", IdCard(CLive())).status, 201);
  Worker("GB", c);
  const HttpResponse hidden = enrol_as_site("live", ALive());
  ASSERT_EQ(hidden.status, 422) << hidden.Describe();
  EXPECT_TRUE(hidden.json["error"]["duplicate_of"]["person_id"].is_null()) << hidden.Describe();
  EXPECT_GE(hidden.json["error"]["duplicate_of"]["score"].get<double>(), 0.55);
  ASSERT_EQ(alerts_of(c, "active").size(), 1u);
  EXPECT_EQ(alerts_of(c, "active")[0]["detail"]["duplicate_of"], a);
  // The alert is GB's: its site manager sees it, without A's id or link.
  const HttpResponse seen = server_.Request(
      "GET", "/api/v1/alerts?type=duplicate_identity&person_id=" + std::to_string(c), "", site);
  ASSERT_EQ(seen.status, 200) << seen.Describe();
  ASSERT_EQ(seen.json["items"].size(), 1u) << seen.Describe();
  const json& theirs = seen.json["items"][0];
  EXPECT_EQ(theirs["project_code"], "GB");
  EXPECT_TRUE(theirs["detail"]["duplicate_of"].is_null()) << theirs.dump();
  EXPECT_EQ(theirs["evidence"].dump().find("/api/v1/persons/" + std::to_string(a) + "\""),
            std::string::npos)
      << theirs.dump();
  const HttpResponse one = server_.Request(
      "GET", "/api/v1/alerts/" + std::to_string(theirs["id"].get<std::int64_t>()), "", site);
  ASSERT_EQ(one.status, 200) << one.Describe();
  EXPECT_TRUE(one.json["detail"]["duplicate_of"].is_null()) << one.Describe();

  // The gate: B's ID card read, A's face in front of the camera. Denied as face_mismatch; the
  // pass names whose face it was, and B's alert counts a second attempt, now with the device.
  const std::string ga = Device("GA", "GA-1");
  const json pass = Decision(ga, ALive(), {{"id_number", PersonView(b)["id_number"]}});
  EXPECT_EQ(pass["decision"], "deny") << pass.dump();
  EXPECT_EQ(pass["person_id"], b);
  EXPECT_NE(std::find(pass["reasons"].begin(), pass["reasons"].end(), "face_mismatch"),
            pass["reasons"].end())
      << pass.dump();
  const json verdict =
      json::parse(*server_.Query("SELECT face FROM gate_events ORDER BY seq DESC LIMIT 1"));
  EXPECT_EQ(verdict["enrolled_as"]["person_id"], a) << verdict.dump();
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM identity_attempts WHERE channel = 'gate' AND "
                          "device_id IS NOT NULL AND gate_seq IS NOT NULL"),
            1);
  open = alerts_of(b, "active");
  ASSERT_EQ(open.size(), 1u) << open.dump();
  EXPECT_EQ(open[0]["detail"]["attempts"], 2);
  EXPECT_EQ(open[0]["detail"]["channel"], "gate");
  EXPECT_TRUE(open[0]["detail"]["device_id"].is_number()) << open[0].dump();
  EXPECT_TRUE(open[0]["detail"]["gate_seq"].is_number()) << open[0].dump();
  // A's own pass is no attempt.
  EXPECT_EQ(Decision(ga, ALive(), {{"id_number", PersonView(a)["id_number"]}})["decision"],
            "allow");
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM identity_attempts"), 3);

  // Resolved by a person, the alert stays resolved through a full scan and a restart; the next
  // attempt opens a new one.
  const std::int64_t id = open[0]["id"];
  Call("POST", "/api/v1/alerts/" + std::to_string(id) + "/resolve",
       {{"note", "乙的身份证借给了甲，已约谈"}}, 200);
  Call("POST", "/api/v1/alerts/scan", nullptr, 200);
  ASSERT_TRUE(server_.Restart());
  Call("POST", "/api/v1/alerts/scan", nullptr, 200);
  EXPECT_EQ(alerts_of(b, "active").size(), 0u);
  // (Attempts are dated by when they happened: this one after the resolution.)
  EXPECT_EQ(Decision(ga, Recaptured(ALive()),
                     {{"person_id", b}, {"time", FormatRfc3339(NowUnixMs())}})["decision"],
            "deny");
  open = alerts_of(b, "active");
  ASSERT_EQ(open.size(), 1u) << open.dump();
  EXPECT_NE(open[0]["id"], id);
  EXPECT_EQ(open[0]["detail"]["attempts"], 1);
  EXPECT_EQ(server_.Stop(), 0);
}

TEST_F(FacesTest, GateRecognisesOnTheServer) {
  Project("GA");
  Project("GB");
  const std::int64_t a = Person("甲");
  const std::int64_t b = Person("乙");
  const std::int64_t c = Person("丙", false);
  const std::int64_t d = Person("丁", false);
  Enrolled(a, "id_card", ACard());
  Enrolled(a, "live", ALive());
  Enrolled(b, "id_card", BCard());
  Enrolled(b, "live", BLive());
  Enrolled(c, "live", CLive());
  Enrolled(d, "live", DLive());
  Worker("GA", a);
  Worker("GA", b);
  Worker("GA", c);
  Worker("GB", d);
  const std::string ga = Device("GA", "GA-1");

  // 1:N on the project: A's face, another capture of it.
  const json pass = Decision(ga, Recaptured(ALive()));
  EXPECT_EQ(pass["decision"], "allow") << pass.dump();
  EXPECT_EQ(pass["person_id"], a);
  EXPECT_GE(pass["face"]["score"].get<double>(), 0.55);
  EXPECT_GE(pass["face"]["liveness"].get<double>(), 0.5);
  // Stored with the event: the verdict, with the top candidates and the quality.
  const auto stored = server_.Query("SELECT face FROM gate_events WHERE event_id = 'e1'");
  ASSERT_TRUE(stored.has_value());
  const json verdict = json::parse(*stored);
  EXPECT_EQ(verdict["scope"], "project");
  EXPECT_EQ(verdict["candidates"][0]["person_id"], a);
  EXPECT_GE(verdict["candidates"].size(), 2u);  // B and C were candidates too, far below
  EXPECT_LT(verdict["candidates"][1]["score"].get<double>(), 0.55);
  EXPECT_EQ(verdict["quality"]["ok"], true);
  EXPECT_EQ(server_.Query("SELECT identified_by FROM gate_events WHERE event_id = 'e1'"), "face");
  // The trajectory shows it.
  const json trajectory =
      Call("GET", "/api/v1/persons/" + std::to_string(a) + "/trajectory", nullptr, 200);
  ASSERT_EQ(trajectory["items"].size(), 1u);
  EXPECT_EQ(trajectory["items"][0]["face"]["candidates"][0]["person_id"], a);

  // 1:1: B claims to be A (terminal id or ID card) — face_mismatch; A's own claim passes.
  const json claimed = Decision(ga, BLive(), {{"person_id", a}, {"direction", "out"}});
  EXPECT_EQ(claimed["decision"], "allow");  // out passes are recorded, never gated
  EXPECT_EQ(claimed["warnings"], json::array({"face_mismatch"})) << claimed.dump();
  const json claimed_in = Decision(ga, BLive(), {{"id_number", PersonView(a)["id_number"]}});
  EXPECT_EQ(claimed_in["decision"], "deny");
  // B's enrolled face under A's identity, twice: one duplicate_identity alert about A.
  const json borrowed =
      Call("GET", "/api/v1/alerts?type=duplicate_identity&person_id=" + std::to_string(a), nullptr,
           200)["items"];
  ASSERT_EQ(borrowed.size(), 1u) << borrowed.dump();
  EXPECT_EQ(borrowed[0]["detail"]["duplicate_of"], b);
  EXPECT_EQ(borrowed[0]["detail"]["attempts"], 2);
  EXPECT_EQ(claimed_in["person_id"], a);
  EXPECT_NE(std::find(claimed_in["reasons"].begin(), claimed_in["reasons"].end(), "face_mismatch"),
            claimed_in["reasons"].end())
      << claimed_in.dump();
  const json own = Decision(ga, BLive(), {{"person_id", b}});
  EXPECT_EQ(own["decision"], "allow") << own.dump();
  EXPECT_EQ(own["person_id"], b);

  // B's face in a capture the liveness model rejects: recognised, denied.
  const json spoof = Decision(ga, BNotLive(), {{"direction", "out"}});
  EXPECT_EQ(spoof["person_id"], b);
  EXPECT_EQ(spoof["warnings"], json::array({"liveness_failed"})) << spoof.dump();

  // Somebody never enrolled anywhere, and a photo without a face: unknown_person, recorded.
  EXPECT_EQ(Decision(ga, ELive())["reasons"], json::array({"unknown_person"}));
  const json wall = Decision(ga, Wall());
  EXPECT_EQ(wall["reasons"], json::array({"unknown_person"}));
  EXPECT_EQ(json::parse(*server_.Query("SELECT face FROM gate_events ORDER BY seq DESC LIMIT 1"))
                .value("note", ""),
            "no_face");

  // D works on GB: named through the district gallery, denied here as not enrolled.
  const json elsewhere = Decision(ga, DLive());
  EXPECT_EQ(elsewhere["person_id"], d);
  EXPECT_EQ(elsewhere["reasons"], json::array({"not_enrolled"})) << elsewhere.dump();

  // Broken photos are errors, not passes.
  const std::int64_t events = server_.Count("SELECT COUNT(*) FROM gate_events");
  std::string truncated = Jpeg(ALive());
  truncated.resize(truncated.size() / 3);
  json bad = {{"event_id", "bad-1"},
              {"time", FormatRfc3339(NowUnixMs())},
              {"direction", "in"},
              {"face_image", B64(truncated)}};
  HttpResponse r = server_.Request("POST", "/api/v1/gate/events", bad.dump(), ga);
  EXPECT_EQ(r.status, 400) << r.Describe();
  bad["face_image"] = "not base64!";
  r = server_.Request("POST", "/api/v1/gate/events", bad.dump(), ga);
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events"), events);

  // C exits GA: from the same transaction on, C is no longer recognised on GA's roster of faces
  // (named through the district, denied as exited) — no restart.
  EXPECT_EQ(Decision(ga, CLive(), {{"direction", "out"}})["person_id"], c);
  Call("POST", "/api/v1/projects/GA/workers/" + std::to_string(c) + "/exit",
       {{"exit_date", ChinaDate()}}, 200);
  const json exited = Decision(ga, CLive());
  EXPECT_EQ(exited["person_id"], c);
  EXPECT_EQ(exited["reasons"], json::array({"exited"})) << exited.dump();
  EXPECT_EQ(json::parse(*server_.Query("SELECT face FROM gate_events ORDER BY seq DESC LIMIT 1"))
                .value("scope", ""),
            "district");
  // D is enrolled on GA now: recognised on the project from then on.
  Worker("GA", d);
  const json joined = Decision(ga, DLive());
  EXPECT_EQ(joined["decision"], "allow") << joined.dump();
  EXPECT_EQ(json::parse(*server_.Query("SELECT face FROM gate_events ORDER BY seq DESC LIMIT 1"))
                .value("scope", ""),
            "project");

  // A batch from an offline terminal with faces, in device order.
  json batch = {{"events", json::array()}};
  for (const cv::Mat& photo : {ALive(), ELive()}) {
    batch["events"].push_back({{"event_id", "batch-" + std::to_string(++events_)},
                               {"time", FormatRfc3339(NowUnixMs() - 500)},
                               {"direction", "out"},
                               {"face_image", B64(Jpeg(photo))}});
  }
  batch["events"].push_back({{"event_id", "batch-bad"},
                             {"time", FormatRfc3339(NowUnixMs())},
                             {"direction", "out"},
                             {"face_image", B64(truncated)}});
  r = server_.Request("POST", "/api/v1/gate/events:batch", batch.dump(), ga);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json["results"][0]["person_id"], a) << r.Describe();
  EXPECT_TRUE(r.json["results"][1]["person_id"].is_null());
  EXPECT_EQ(r.json["results"][2]["error"]["code"], "invalid_argument");
  EXPECT_EQ(r.json["failed"], 1);

  // Terminal rosters carry each person's face_version; a new face of someone allowed lists them
  // again in the incremental roster with the new version.
  auto roster = [&](std::int64_t since) {
    const HttpResponse got = server_.Request(
        "GET", "/api/v1/gate/roster?since=" + std::to_string(since), std::string(), ga);
    EXPECT_EQ(got.status, 200) << got.Describe();
    return got.json;
  };
  const json full = roster(0);
  std::int64_t version_a = 0;
  for (const json& item : full["allowed"]) {
    if (item["person_id"] == a) version_a = item.value("face_version", std::int64_t{0});
  }
  EXPECT_GT(version_a, 0) << full.dump();
  const std::int64_t since = full["version"];
  Enrolled(a, "live", Recaptured(ALive()));
  const json changed = roster(since);
  ASSERT_EQ(changed["allowed"].size(), 1u) << changed.dump();
  EXPECT_EQ(changed["allowed"][0]["person_id"], a);
  EXPECT_GT(changed["allowed"][0].value("face_version", std::int64_t{0}), version_a);
  EXPECT_GT(changed["version"].get<std::int64_t>(), since);

  // After a restart the galleries are rebuilt from the sealed embeddings.
  ASSERT_TRUE(server_.Restart());
  const json after = Decision(ga, Recaptured(ALive()), {{"direction", "out"}});
  EXPECT_EQ(after["person_id"], a) << after.dump();
  const json status = Call("GET", "/api/v1/faces/status", nullptr, 200);
  EXPECT_EQ(status["available"], true);
  EXPECT_EQ(status["district"]["faces"],
            server_.Count("SELECT COUNT(*) FROM faces WHERE status = 'active'"))
      << status.dump();
  EXPECT_EQ(server_.Stop(), 0);
}

TEST(FacesServeTest, MissingModelsStopTheServerUnlessFacesAreOff) {
  TestServer server;
  const ProcessResult missing = RunZhizhi(
      {"serve", "--data", server.root() + "/d1", "--port", "0", "--models", "/nonexistent"},
      std::chrono::seconds(30));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("face models missing in /nonexistent"), std::string::npos)
      << missing.err;
  EXPECT_NE(missing.err.find("--no-faces"), std::string::npos) << missing.err;

  ASSERT_TRUE(server.Start({"--no-faces"}));
  const std::int64_t person =
      server
          .Api("POST", "/api/v1/persons",
               json{{"id_type", "08"}, {"id_number", "E7654321"}, {"name", "戊"}}.dump())
          .json.value("id", std::int64_t{0});
  const HttpResponse r = server.Api("POST", "/api/v1/persons/" + std::to_string(person) + "/faces",
                                    json{{"source", "live"}, {"image", B64(Jpeg(CLive()))}}.dump());
  EXPECT_EQ(r.status, 422) << r.Describe();
  EXPECT_EQ(r.json["error"]["code"], "face_recognition_unavailable");
  EXPECT_EQ(server.Api("GET", "/api/v1/faces/status").json["available"], false);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace zhizhi::e2e

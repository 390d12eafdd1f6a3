#include "terminals/uface.h"

#include <gtest/gtest.h>

#include "base/base64.h"

namespace zhizhi::terminals {
namespace {

http::FormFields Fields(std::initializer_list<std::pair<std::string, std::string>> list) {
  return http::FormFields(list);
}

TEST(UfaceTest, RecognitionOfAKnownPerson) {
  auto r = ParseUfaceRecognition(Fields({{"deviceKey", "84E0F42"},
                                         {"personId", "17"},
                                         {"time", "1765090800123"},
                                         {"type", "face_0"},
                                         {"searchScore", "91.5"},
                                         {"livenessScore", "88"},
                                         {"ip", "10.0.0.7"},
                                         {"path", ""}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->device_key, "84E0F42");
  EXPECT_EQ(r->person_id, 17);
  EXPECT_EQ(r->time_ms, 1765090800123);
  EXPECT_EQ(r->mode, "face");
  EXPECT_EQ(r->result, 0);
  EXPECT_TRUE(r->opened());
  EXPECT_DOUBLE_EQ(*r->search_score, 91.5);
  EXPECT_FALSE(r->photo);
  EXPECT_EQ(UfacePassMode(r->mode), 1);
}

TEST(UfaceTest, StrangerWithASnapshotAsDevicesEncodeIt) {
  const std::string jpeg = "\xFF\xD8\xFF\xE0 a photo \xFF\xD9";
  std::string b64 = EncodeBase64(jpeg);
  // An unescaped '+' arrives as a space; some firmware sends a data: URL.
  for (char& c : b64)
    if (c == '+') c = ' ';
  auto r = ParseUfaceRecognition(Fields({{"deviceKey", "K"},
                                         {"personId", "STRANGERBABY"},
                                         {"time", "1765090800000"},
                                         {"type", "face_2"},
                                         {"imgBase64", "data:image/jpeg;base64," + b64}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->person_id);
  EXPECT_FALSE(r->opened());
  ASSERT_TRUE(r->photo);
  EXPECT_EQ(*r->photo, jpeg);
}

TEST(UfaceTest, RefusesWhatIsNotARecognition) {
  auto field_of = [](http::FormFields f) {
    auto r = ParseUfaceRecognition(f);
    return r.ok() ? std::string("ok") : r.status().field();
  };
  const http::FormFields good = {
      {"deviceKey", "K"}, {"personId", "5"}, {"time", "1765090800000"}, {"type", "card_1"}};
  EXPECT_EQ(field_of(good), "ok");
  auto with = [&](std::string name, std::string value) {
    http::FormFields f = good;
    for (auto& [n, v] : f)
      if (n == name) v = value;
    return f;
  };
  EXPECT_EQ(field_of(with("personId", "abc")), "personId");
  EXPECT_EQ(field_of(with("personId", "0")), "personId");
  EXPECT_EQ(field_of(with("time", "1765090800")), "time") << "seconds, not milliseconds";
  EXPECT_EQ(field_of(with("time", "")), "time") << "empty is missing";
  EXPECT_EQ(field_of(with("type", "face")), "type");
  EXPECT_EQ(field_of(with("type", "face_7")), "type");
  EXPECT_EQ(field_of(with("type", "_0")), "type");
  EXPECT_EQ(field_of(with("deviceKey", std::string(65, 'k'))), "deviceKey");
  http::FormFields stranger_passed = with("personId", "STRANGERBABY");
  for (auto& [n, v] : stranger_passed)
    if (n == "type") v = "face_0";
  EXPECT_EQ(field_of(stranger_passed), "type") << "a stranger never passes";
  http::FormFields bad_score = good;
  bad_score.emplace_back("searchScore", "101");
  EXPECT_EQ(field_of(bad_score), "searchScore");
}

TEST(UfaceTest, HeartbeatAndJsonBodies) {
  auto fields = UfaceJsonFields(
      R"({"deviceKey":"K","personCount":120,"faceCount":118,"version":"GD-V1.2","time":1765090800000,"ip":"10.0.0.7"})");
  ASSERT_TRUE(fields.ok());
  auto h = ParseUfaceHeartbeat(*fields);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->device_key, "K");
  EXPECT_EQ(h->person_count, 120);
  EXPECT_EQ(h->face_count, 118);
  EXPECT_EQ(h->version, "GD-V1.2");
  EXPECT_EQ(h->time_ms, 1765090800000);
  EXPECT_FALSE(UfaceJsonFields("[1]").ok());
  EXPECT_FALSE(ParseUfaceHeartbeat({{"deviceKey", "K"}, {"personCount", "-1"}}).ok());
  EXPECT_FALSE(ParseUfaceHeartbeat({{"personCount", "1"}}).ok()) << "deviceKey is required";
}

TEST(UfaceTest, AnswersAsTheDeviceExpects) {
  EXPECT_EQ(UfaceSuccess(), R"({"result":1,"success":true})");
  const std::string failure = UfaceFailure(Status::InvalidArgument("time", "bad"));
  EXPECT_NE(failure.find(R"("result":0)"), std::string::npos);
  EXPECT_NE(failure.find(R"("success":false)"), std::string::npos);
}

}  // namespace
}  // namespace zhizhi::terminals

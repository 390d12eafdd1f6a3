#include "gate/gate_event.h"

#include <string>

#include <gtest/gtest.h>

#include "base/resident_id.h"

namespace zhizhi::gate {
namespace {

using nlohmann::json;

constexpr const char* kTime = "2026-03-02T07:31:05+08:00";

Result<GateEventInput> Parse(const json& body) {
  JsonFieldReader in(body);
  return ParseGateEvent(in);
}

json Base() {
  return {{"event_id", "e-1"}, {"time", kTime}, {"person_id", 42}};
}

json With(json body, const std::string& key, json value) {
  body[key] = std::move(value);
  return body;
}

json Without(json body, const std::string& key) {
  body.erase(key);
  return body;
}

// Expects a 400 on `field`.
void ExpectInvalid(const json& body, const std::string& field) {
  auto e = Parse(body);
  ASSERT_FALSE(e.ok()) << body.dump();
  EXPECT_EQ(e.status().kind(), StatusKind::kInvalid) << body.dump();
  EXPECT_EQ(e.status().field(), field) << body.dump() << ": " << e.status().ToString();
}

TEST(GateEventTest, ParsesATerminalRecognisedPass) {
  auto e = Parse(json{{"event_id", "e-1"},
                      {"time", kTime},
                      {"person_id", 42},
                      {"score", 0.93},
                      {"liveness", true},
                      {"direction", "in"}});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->event_id, "e-1");
  EXPECT_EQ(e->time.unix_ms, 1772407865000);  // 2026-03-01T23:31:05Z
  EXPECT_EQ(e->time.offset_minutes, 480);
  EXPECT_EQ(e->person_id, 42);
  EXPECT_FALSE(e->id_number.has_value());
  EXPECT_FALSE(e->face_jpeg.has_value());
  EXPECT_DOUBLE_EQ(e->score.value(), 0.93);
  EXPECT_EQ(e->liveness, true);
  EXPECT_EQ(e->direction, "in");
  EXPECT_EQ(e->pass_mode, 1);  // face, by default
  EXPECT_FALSE(e->operator_name.has_value());
}

TEST(GateEventTest, RequiresEventIdAndTime) {
  ExpectInvalid(Without(Base(), "event_id"), "event_id");
  ExpectInvalid(With(Base(), "event_id", ""), "event_id");
  ExpectInvalid(With(Base(), "event_id", std::string(65, 'a')), "event_id");
  EXPECT_TRUE(Parse(With(Base(), "event_id", std::string(64, 'a'))).ok());
  ExpectInvalid(Without(Base(), "time"), "time");
}

TEST(GateEventTest, TimeNeedsAnOffset) {
  ExpectInvalid(With(Base(), "time", "2026-03-02T07:31:05"), "time");
  ExpectInvalid(With(Base(), "time", "2026-03-02 07:31:05"), "time");
  ExpectInvalid(With(Base(), "time", "2026-03-02"), "time");
  ExpectInvalid(With(Base(), "time", "1772418665000"), "time");  // Uface-style ms: not here
  ExpectInvalid(With(Base(), "time", 1772418665000), "time");
  ExpectInvalid(With(Base(), "time", "2026-02-30T07:31:05+08:00"), "time");
  auto utc = Parse(With(Base(), "time", "2026-03-01T23:31:05Z"));
  ASSERT_TRUE(utc.ok()) << utc.status().ToString();
  EXPECT_EQ(utc->time.unix_ms, 1772407865000);
  EXPECT_EQ(utc->time.offset_minutes, 0);
}

TEST(GateEventTest, OneIdentificationOrAFaceWithAnOptionalClaim) {
  const std::string id = MakeResidentIdNumber("330102", Date{1990, 5, 17}, 123);
  // None.
  ExpectInvalid(Without(Base(), "person_id"), "person_id");
  // Two identifications, with or without a face.
  ExpectInvalid(With(Base(), "id_number", id), "person_id");
  ExpectInvalid(With(With(Base(), "id_number", id), "face_image", "/9j/"), "person_id");
  // Each alone.
  auto by_card = Parse(With(Without(Base(), "person_id"), "id_number", id));
  ASSERT_TRUE(by_card.ok()) << by_card.status().ToString();
  EXPECT_EQ(by_card->id_number, id);
  EXPECT_EQ(by_card->id_type, "01");
  EXPECT_EQ(by_card->pass_mode, 5);
  EXPECT_FALSE(by_card->person_id.has_value());
  auto by_face = Parse(With(Without(Base(), "person_id"), "face_image", "/9j/4AAQSkZJRg=="));
  ASSERT_TRUE(by_face.ok()) << by_face.status().ToString();
  ASSERT_TRUE(by_face->face_jpeg.has_value());
  EXPECT_EQ(*by_face->face_jpeg, std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10));
  EXPECT_EQ(by_face->pass_mode, 1);
  // A face with a claim (1:1): the terminal's person id or the ID card read with it.
  auto claimed = Parse(With(Base(), "face_image", "/9j/4AAQSkZJRg=="));
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_EQ(claimed->person_id, 42);
  EXPECT_TRUE(claimed->face_jpeg.has_value());
  auto card_and_face = Parse(
      With(With(Without(Base(), "person_id"), "id_number", id), "face_image", "/9j/4AAQSkZJRg=="));
  ASSERT_TRUE(card_and_face.ok()) << card_and_face.status().ToString();
  EXPECT_EQ(card_and_face->pass_mode, 1);  // a face pass, the card only names the claim
  // The server scores a face itself: a terminal score with it is a contradiction.
  ExpectInvalid(With(With(Base(), "face_image", "/9j/4AAQSkZJRg=="), "score", 0.9), "score");
  // Not base64, or nothing in it.
  ExpectInvalid(With(Without(Base(), "person_id"), "face_image", "/9j/%%%"), "face_image");
  ExpectInvalid(With(Without(Base(), "person_id"), "face_image", "===="), "face_image");
  // null counts as absent.
  EXPECT_TRUE(Parse(With(Base(), "id_number", nullptr)).ok());
}

TEST(GateEventTest, PersonIdMustBeAPositiveInteger) {
  ExpectInvalid(With(Base(), "person_id", 0), "person_id");
  ExpectInvalid(With(Base(), "person_id", -3), "person_id");
  ExpectInvalid(With(Base(), "person_id", "42"), "person_id");
  ExpectInvalid(With(Base(), "person_id", 4.5), "person_id");
}

TEST(GateEventTest, IdNumbersAreCheckedAndNormalised) {
  // 11010519491231002X is the GB 11643 example; the reader may send a lowercase x.
  auto lower = Parse(json{{"event_id", "e"}, {"time", kTime}, {"id_number", "11010519491231002x"}});
  ASSERT_TRUE(lower.ok()) << lower.status().ToString();
  EXPECT_EQ(lower->id_number, "11010519491231002X");
  EXPECT_EQ(lower->pass_mode, 5);  // ID card, by default
  // A bad check digit is malformed input.
  ExpectInvalid(json{{"event_id", "e"}, {"time", kTime}, {"id_number", "110105194912310021"}},
                "id_number");
  // Other ID types are upper-cased but not checked against GB 11643.
  auto passport = Parse(
      json{{"event_id", "e"}, {"time", kTime}, {"id_number", "e12345678"}, {"id_type", "03"}});
  ASSERT_TRUE(passport.ok()) << passport.status().ToString();
  EXPECT_EQ(passport->id_number, "E12345678");
  EXPECT_EQ(passport->id_type, "03");
}

TEST(GateEventTest, ScoreIsASimilarityInZeroToOne) {
  ExpectInvalid(With(Base(), "score", -0.01), "score");
  ExpectInvalid(With(Base(), "score", 1.01), "score");
  ExpectInvalid(With(Base(), "score", 93), "score");
  ExpectInvalid(With(Base(), "score", "0.9"), "score");
  for (double score : {0.0, 0.5, 1.0}) {
    auto e = Parse(With(Base(), "score", score));
    ASSERT_TRUE(e.ok()) << score;
    EXPECT_DOUBLE_EQ(e->score.value(), score);
  }
  EXPECT_TRUE(Parse(With(Base(), "score", 1)).ok());  // an integer is a number too
}

TEST(GateEventTest, DirectionIsInOrOut) {
  ExpectInvalid(With(Base(), "direction", "IN"), "direction");
  ExpectInvalid(With(Base(), "direction", "01"), "direction");
  ExpectInvalid(With(Base(), "direction", "both"), "direction");
  EXPECT_EQ(Parse(With(Base(), "direction", "out"))->direction, "out");
  EXPECT_FALSE(Parse(Base())->direction.has_value());
}

TEST(GateEventTest, PassModesOneToEleven) {
  for (int mode : {1, 2, 3, 4, 5, 6, 10, 11}) {
    auto e = Parse(With(Base(), "pass_mode", mode));
    ASSERT_TRUE(e.ok()) << mode << ": " << e.status().ToString();
    EXPECT_EQ(e->pass_mode, mode);
  }
  for (json mode : {json(0), json(12), json(-1), json(1.5), json("1"), json(4294967297LL),
                    json(-4294967295LL)}) {
    ExpectInvalid(With(Base(), "pass_mode", mode), "pass_mode");
  }
}

TEST(GateEventTest, ExceptionalModesNeedAnOperatorAndAReason) {
  for (int mode : {7, 8, 9}) {
    ExpectInvalid(With(Base(), "pass_mode", mode), "operator");
    ExpectInvalid(With(With(Base(), "pass_mode", mode), "operator_reason", "fire drill"),
                  "operator");
    ExpectInvalid(With(With(Base(), "pass_mode", mode), "operator", "王保安"), "operator_reason");
    ExpectInvalid(
        With(With(With(Base(), "pass_mode", mode), "operator", "王保安"), "operator_reason", ""),
        "operator_reason");
    auto e = Parse(With(With(With(Base(), "pass_mode", mode), "operator", "王保安"),
                        "operator_reason", "消防"));
    ASSERT_TRUE(e.ok()) << mode << ": " << e.status().ToString();
    EXPECT_EQ(e->pass_mode, mode);
    EXPECT_EQ(e->operator_name, "王保安");
    EXPECT_EQ(e->operator_reason, "消防");
  }
  // Ordinary modes may name an operator too.
  EXPECT_TRUE(Parse(With(Base(), "operator", "王保安")).ok());
}

TEST(GateEventTest, UnknownFieldsAndWrongTypesAreRejected) {
  ExpectInvalid(With(Base(), "deviceKey", "abc"), "deviceKey");
  ExpectInvalid(With(Base(), "Direction", "in"), "Direction");
  ExpectInvalid(With(Base(), "liveness", "yes"), "liveness");
  ExpectInvalid(With(Base(), "event_id", 7), "event_id");
}

}  // namespace
}  // namespace zhizhi::gate

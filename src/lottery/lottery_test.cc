// The draw's building blocks against known answers (RFC 8439, SHA-256 by another tool), its
// fairness (chi-square over many seeds), its rules (tiers, floor limits), and the verification
// that any single change of a record is caught and named.
#include <functional>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "lottery/csv_inputs.h"
#include "lottery/demo_inputs.h"
#include "lottery/draw.h"
#include "lottery/inputs.h"
#include "lottery/record.h"

namespace zhizhi::lottery {
namespace {

using nlohmann::json;

const std::string kSecret(64, '1');

TEST(KeyStreamTest, IsChaCha20OfRfc8439) {
  // RFC 8439 A.1, test vector #1: zero key, zero nonce, counter 0.
  KeyStream stream(std::string(64, '0'));
  EXPECT_EQ(stream.NextWord(), 0xade0b876u);
  EXPECT_EQ(stream.NextWord(), 0x903df1a0u);
  for (int i = 2; i < 16; ++i)
    stream.NextWord();
  // The second block (counter 1) follows without a gap: 9f 07 e7 be …
  EXPECT_EQ(stream.NextWord(), 0xbee7079fu);
}

TEST(KeyStreamTest, BelowReadsAWordEvenForOneAndStaysInRange) {
  KeyStream stream(std::string(64, 'a'));
  EXPECT_EQ(stream.Below(1), 0u);
  EXPECT_EQ(stream.words_read(), 1u);
  for (std::uint32_t n : {2u, 3u, 7u, 1000u, 0x80000001u, 0xffffffffu})
    for (int i = 0; i < 100; ++i)
      EXPECT_LT(stream.Below(n), n);
  // n = 2^31 + 1 rejects almost half of all words: more words than draws were read.
  KeyStream again(std::string(64, 'a'));
  for (int i = 0; i < 1000; ++i)
    again.Below(0x80000001u);
  EXPECT_GT(again.words_read(), 1500u);
}

TEST(CommitmentTest, MatchesSha256OfTheDocumentedTexts) {
  // Expected values from Python's hashlib over the texts docs/lottery.md spells out.
  const std::string inputs_hash = InputsHash(R"({"a":1})");
  EXPECT_EQ(inputs_hash, "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  const std::string commitment = CommitmentOf(inputs_hash, kSecret);
  EXPECT_EQ(commitment, "be49a14f8166cb36e433cf1d7bacf082564f65846f5ccb1cf87cf77ceda552e8");
  EXPECT_EQ(SeedOf(commitment, kSecret, "07 23 41 15 09 33"),
            "7e81d6d26d78afa47062dd15f6298f627a8ee5ccee7b0353e7ced64794fd01e5");
  auto secret = NewSecret();
  ASSERT_TRUE(secret.ok());
  EXPECT_TRUE(IsHex256(*secret));
  EXPECT_NE(*secret, *NewSecret());
}

TEST(CanonicalJsonTest, SortsKeysEscapesLikeJavaScriptAndRefusesFractions) {
  auto text = CanonicalJson(json::parse(R"({"b":[2,1],"a":{"z":"王\n\u0001\"","y":-3}})"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "{\"a\":{\"y\":-3,\"z\":\"王\\n\\u0001\\\"\"},\"b\":[2,1]}");
  EXPECT_FALSE(CanonicalJson(json::parse(R"({"a":1.0})")).ok());
  EXPECT_FALSE(CanonicalJson(json::parse(R"({"a":[1e3]})")).ok());
  EXPECT_FALSE(CanonicalJson(json::parse(R"({"a":9007199254740993})")).ok());
}

json SmallInputs(int households, int flats) {
  json doc = {{"title", "t"},
              {"households", json::array()},
              {"pools", {{"flat", json::array()}, {"parking", json::array()}}}};
  for (int i = 0; i < households; ++i)
    doc["households"].push_back({{"id", "H" + std::to_string(i)}, {"flats", {"A"}}});
  for (int i = 0; i < flats; ++i)
    doc["pools"]["flat"].push_back(
        {{"id", "F" + std::to_string(i)}, {"type", "A"}, {"floor", i + 1}});
  return doc;
}

// Pearson's statistic of observed counts against one expected count.
double ChiSquare(const std::vector<int>& observed, double expected) {
  double sum = 0;
  for (int o : observed)
    sum += (o - expected) * (o - expected) / expected;
  return sum;
}

TEST(DrawTest, EveryHouseholdIsEquallyLikelyToGetEveryFlatAndEveryPlace) {
  // 4 households, 4 flats of one type; 3 of them also draw one of 5 parking spaces.
  json doc = SmallInputs(4, 4);
  for (int i = 0; i < 5; ++i)
    doc["pools"]["parking"].push_back({{"id", "P" + std::to_string(i)}});
  for (int i = 0; i < 3; ++i)
    doc["households"][i]["parking"] = 1;
  auto inputs = Inputs::FromJson(doc);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  constexpr int kDraws = 24'000;
  std::vector<int> flats(16), places(15), positions(16);
  for (int draw = 0; draw < kDraws; ++draw) {
    const auto allocations = RunDraw(*inputs, Sha256Hex("seed " + std::to_string(draw)));
    ASSERT_EQ(allocations.size(), 4u);
    for (const Allocation& a : allocations) {
      const int household = a.household[1] - '0';
      ++flats[household * 4 + (*a.flat[0])[1] - '0'];
      ++positions[household * 4 + a.order - 1];
      if (household < 3) ++places[household * 5 + (*a.parking[0])[1] - '0'];
    }
  }
  // Critical values at p = 0.001: 9 degrees of freedom 27.88 (a 4×4 table with fixed margins),
  // 12 degrees 32.91 (3 households × 5 spaces, each row fixed). The seeds are fixed: no flakes.
  EXPECT_LT(ChiSquare(flats, kDraws / 4.0), 27.88);
  EXPECT_LT(ChiSquare(positions, kDraws / 4.0), 27.88);
  EXPECT_LT(ChiSquare(places, kDraws / 5.0), 32.91);
  // And a real test can fail: a draw that always gave household i flat i would be far off.
  std::vector<int> biased(16, 0);
  for (int i = 0; i < 4; ++i)
    biased[i * 5] = kDraws;
  EXPECT_GT(ChiSquare(biased, kDraws / 4.0), 1000);
}

TEST(DrawTest, HigherTiersDrawFirstWithinTheirFloorLimit) {
  json doc = SmallInputs(6, 8);
  doc["rules"] = {{{"tag", "disabled"}, {"name", "残疾"}, {"tier", 2}, {"max_floor", 2}},
                  {{"tag", "elderly"}, {"name", "高龄"}, {"tier", 1}, {"max_floor", 3}}};
  doc["households"][4]["tags"] = {"disabled"};
  doc["households"][1]["tags"] = {"elderly", "disabled"};  // both: tier 2, floor 2
  doc["households"][3]["tags"] = {"elderly"};
  auto inputs = Inputs::FromJson(doc);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  EXPECT_TRUE(inputs->Shortfalls().empty());
  for (int draw = 0; draw < 200; ++draw) {
    const auto a = RunDraw(*inputs, Sha256Hex(std::to_string(draw)));
    std::set<std::string> first_two = {a[0].household, a[1].household};
    EXPECT_EQ(first_two, (std::set<std::string>{"H1", "H4"}));
    EXPECT_EQ(a[2].household, "H3");
    for (int i = 0; i < 2; ++i)
      EXPECT_LE(std::stoi(a[i].flat[0]->substr(1)) + 1, 2);
    EXPECT_LE(std::stoi(a[2].flat[0]->substr(1)) + 1, 3);
  }
}

TEST(DrawTest, ShortfallsAreFoundBeforeCommitting) {
  json doc = SmallInputs(3, 2);
  doc["households"][0]["parking"] = 2;
  doc["rules"] = {{{"tag", "low"}, {"name", "低层"}, {"max_floor", 1}}};
  doc["households"][1]["tags"] = {"low"};
  doc["households"][2]["tags"] = {"low"};
  doc["households"][2]["area_quota_m2"] = "60";
  doc["pools"]["flat"][0]["area_m2"] = "89.56";
  auto inputs = Inputs::FromJson(doc);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  const auto shortfalls = inputs->Shortfalls();
  const std::string all = json(shortfalls).dump();
  EXPECT_NE(all.find("flat type A: 3 households' entitlements, 2 flats"), std::string::npos) << all;
  EXPECT_NE(all.find("parking: 2 spaces due, 0 in the pool"), std::string::npos) << all;
  EXPECT_NE(all.find("flat type A up to floor 1: 3 may be drawn before the last household"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("over its quota of 60 m²"), std::string::npos) << all;
  // Drawn anyway (a verifier must reproduce it), whoever is left without a flat gets null.
  const auto a = RunDraw(*inputs, Sha256Hex("x"));
  int empty = 0;
  for (const Allocation& allocation : a) {
    if (allocation.flat[0]) continue;
    ++empty;
    EXPECT_TRUE(allocation.ToJson()["flat"][0].is_null());
  }
  EXPECT_GE(empty, 1);
  EXPECT_TRUE(a[0].ToJson()["parking"] == json::array({nullptr, nullptr}) ||
              a[1].ToJson()["parking"] == json::array({nullptr, nullptr}) ||
              a[2].ToJson()["parking"] == json::array({nullptr, nullptr}));
}

TEST(DrawTest, AFloorLimitCountsEveryoneWhoMayDrawFirst) {
  // H0 may live up to floor 1 (tier 1); H1 (tier 2, no limit) draws first and may take the only
  // flat that low: the check must see it, and the draw shows it is real.
  json doc = SmallInputs(2, 2);
  doc["rules"] = {{{"tag", "d"}, {"name", "d"}, {"tier", 1}, {"max_floor", 1}},
                  {{"tag", "e"}, {"name", "e"}, {"tier", 2}}};
  doc["households"][0]["tags"] = {"d"};
  doc["households"][1]["tags"] = {"e"};
  auto inputs = Inputs::FromJson(doc);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  EXPECT_EQ(inputs->Shortfalls().size(), 1u);
  int short_draws = 0;
  for (int draw = 0; draw < 100; ++draw)
    short_draws += !RunDraw(*inputs, Sha256Hex(std::to_string(draw)))[1].flat[0].has_value();
  EXPECT_GT(short_draws, 20);
  // With both flats low enough, nothing is reported and nobody ever goes short.
  doc["pools"]["flat"][1]["floor"] = 1;
  inputs = Inputs::FromJson(doc);
  EXPECT_TRUE(inputs->Shortfalls().empty());
  for (int draw = 0; draw < 100; ++draw)
    EXPECT_TRUE(RunDraw(*inputs, Sha256Hex(std::to_string(draw)))[1].flat[0].has_value());
}

TEST(InputsTest, RefusesWhatAPublicRecordMustNotHold) {
  const auto field_of = [](json doc) {
    auto inputs = Inputs::FromJson(doc);
    return inputs.ok() ? std::string("ok") : inputs.status().field();
  };
  json doc = SmallInputs(2, 2);
  EXPECT_EQ(field_of(doc), "ok");
  json bad = doc;
  bad["households"][0]["id_number"] = "330114199003071236";
  EXPECT_EQ(field_of(bad), "inputs.households[0].id_number");
  bad = doc;
  bad["households"][1]["id"] = "H0";
  EXPECT_EQ(field_of(bad), "inputs.households[1].id");
  bad = doc;
  bad["households"][0]["flats"] = {"Z"};
  EXPECT_EQ(field_of(bad), "inputs.households[0].flats[0]");
  bad = doc;
  bad["pools"]["flat"][0]["floor"] = 1.5;
  EXPECT_EQ(field_of(bad), "inputs.pools.flat[0].floor");
  bad = doc;
  bad["households"][0]["tags"] = {json::array({1.5})};  // not even a tag
  EXPECT_EQ(field_of(bad), "inputs.households[0].tags[0]");
  bad = doc;
  bad["pools"]["flat"][0]["area_m2"] = "";
  EXPECT_EQ(field_of(bad), "inputs.pools.flat[0].area_m2");
  bad = doc;
  bad["households"] = json::array();
  EXPECT_EQ(field_of(bad), "inputs.households");
  // An unsigned number that would wrap around into range is out of range.
  bad = json::parse(R"({"title":"t","households":[{"id":"H","flats":["A"]}],
                        "pools":{"flat":[{"id":"F","type":"A","floor":18446744073709551615}]}})");
  EXPECT_EQ(field_of(bad), "inputs.pools.flat[0].floor");
}

TEST(RecordTest, DemoVerifiesAndAnySingleChangeIsNamed) {
  auto record = DrawRecord(DemoInputs(200), kSecret, "07 23 41 15 09 33");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  const Verdict verdict = VerifyRecord(*record);
  EXPECT_TRUE(verdict.verified) << verdict.difference;
  EXPECT_EQ(verdict.results, 200u);
  const auto differs = [&](const std::function<void(json&)>& change) {
    json copy = *record;
    change(copy);
    const Verdict v = VerifyRecord(copy);
    EXPECT_FALSE(v.verified);
    return v.difference.substr(0, v.difference.find(':'));
  };
  EXPECT_EQ(differs([](json& r) { r["results"][5]["flat"] = r["results"][6]["flat"]; }),
            "results[5] (order 6)");
  EXPECT_EQ(differs([](json& r) { std::swap(r["results"][0], r["results"][1]); }),
            "results[0] (order 1)");
  EXPECT_EQ(differs([](json& r) { r["results"].erase(r["results"].size() - 1); }), "results");
  EXPECT_EQ(differs([](json& r) { r["seed"]["entropy"] = "07 23 41 15 09 34"; }), "seed.value");
  EXPECT_EQ(differs([](json& r) { r["seed"]["secret"] = std::string(64, '2'); }), "commitment");
  EXPECT_EQ(differs([](json& r) { r["inputs"]["households"][0]["parking"] = 0; }), "inputs_hash");
  EXPECT_EQ(differs([](json& r) {
              r["inputs"]["households"][0]["parking"] = 0;
              r["inputs_hash"] = Sha256Hex(*CanonicalJson(r["inputs"]));
            }),
            "commitment");
  EXPECT_EQ(differs([](json& r) { r.erase("inputs_hash"); }), "inputs_hash");
  // A notary's sign-off is of exactly this record.
  json signed_record = *record;
  signed_record["notary"] = {{"name", "公证员"}, {"record_hash", *RecordHash(*record)}};
  EXPECT_TRUE(VerifyRecord(signed_record).verified);
  EXPECT_EQ(differs([&](json& r) {
              r = signed_record;
              r["title"] = "另一次抽签";
            }),
            "notary.record_hash");
  // A hostile record nested a million deep is refused, not printed.
  std::string deep(1'000'000, '[');
  EXPECT_EQ(
      differs([&](json& r) { r["algorithm"] = json::parse(deep + std::string(1'000'000, ']')); }),
      "the record is nested deeper than a record can be");
  EXPECT_EQ(differs([](json& r) { r["algorithm"]["version"] = 2; }), "algorithm");
  EXPECT_EQ(differs([](json& r) { r["seed"]["secret"] = nullptr; }), "seed.secret");
}

TEST(CsvInputsTest, ReadsChineseHeadersListsAndMasksNames) {
  auto part = HouseholdsFromCsv(
      "户号,户主,房型,车位,农具间,标签,安置面积\nH1,张三丰,A、B,1,0,残疾;高龄,210.5\nH2,李四,A,0,1,"
      ",\n");
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  ASSERT_TRUE(part->problems.empty());
  EXPECT_EQ(part->items[0],
            json::parse(R"({"id":"H1","name":"张*丰","flats":["A","B"],"parking":1,"farm_room":0,
                            "tags":["残疾","高龄"],"area_quota_m2":"210.5"})"));
  EXPECT_EQ(part->items[1]["name"], "李*");
  EXPECT_EQ(MaskName("欧阳娜娜"), "欧**娜");
  EXPECT_EQ(MaskName("王"), "王");
}

TEST(CsvInputsTest, ReportsEveryProblemByLineAndRefusesForeignColumns) {
  auto part = PoolFromCsv(
      Pool::kFlat, "id,type,floor,area_m2\nF1,A,3,89.56\nF2,A,三,90\nF1,B,2,\nF4,,2,89.5.6\n");
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  ASSERT_EQ(part->problems.size(), 4u);
  EXPECT_EQ(part->problems[0].line, 3);
  EXPECT_EQ(part->problems[0].field, "floor");
  EXPECT_EQ(part->problems[1].line, 4);
  EXPECT_EQ(part->problems[1].field, "id");
  EXPECT_EQ(part->problems[2].line, 5);
  EXPECT_EQ(part->problems[2].field, "type");
  EXPECT_EQ(part->problems[3].field, "area_m2");
  auto foreign = HouseholdsFromCsv("户号,身份证号\nH1,330114199003071236\n");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().message().find("身份证号"), std::string::npos);
  EXPECT_FALSE(PoolFromCsv(Pool::kParking, "location\n地下一层\n").ok());  // no id column
}

}  // namespace
}  // namespace zhizhi::lottery

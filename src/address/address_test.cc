#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "address/components.h"
#include "address/normalizer.h"
#include "address/standardizer.h"

#ifndef ZHIZHI_ADDRESS_CASES
#define ZHIZHI_ADDRESS_CASES "src/address/testdata/cases.txt"
#endif

namespace zhizhi::address {
namespace {

// One standardiser for all tests: loading the gazetteer takes about a second.
const Standardizer& Shared() {
  static const std::unique_ptr<const Standardizer> standardizer = [] {
    auto loaded = Standardizer::Load(Gazetteer::DefaultDir());
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().ToString();
      std::abort();
    }
    return std::move(loaded).value();
  }();
  return *standardizer;
}

std::u32string Norm(std::string_view text) {
  std::u32string out;
  EXPECT_TRUE(Shared().normalizer().Normalize(text, &out)) << text;
  return out;
}

TEST(NormalizerTest, FullWidthFormsBecomeAscii) {
  EXPECT_EQ(ToUtf8(Norm("２１號大街（南門）ａ座＃")), "21号大街(南门)A座#");
}

TEST(NormalizerTest, TraditionalCharactersBecomeSimplified) {
  EXPECT_EQ(ToUtf8(Norm("浙江省杭州市錢塘區下沙街道單元樓")), "浙江省杭州市钱塘区下沙街道单元楼");
  EXPECT_GT(Shared().normalizer().table_size(), 2000u) << "OpenCC's t2s table looks empty";
}

TEST(NormalizerTest, SeparatorsGoAndJoinDigitsWithADash) {
  EXPECT_EQ(ToUtf8(Norm("杭州 钱塘区，下沙、21号大街 46号 3 2 501")),
            "杭州钱塘区下沙21号大街46号3-2-501");
  EXPECT_EQ(ToUtf8(Norm("3—2–501")), "3-2-501");
}

TEST(NormalizerTest, IllFormedUtf8IsRefused) {
  std::u32string out;
  EXPECT_FALSE(Shared().normalizer().Normalize("\xE6\x9D", &out));
  EXPECT_FALSE(Shared().normalizer().Normalize("\xC0\xAF", &out));  // overlong '/'
}

std::string Numerals(std::string_view text) {
  std::u32string t = FromUtf8(text);
  ConvertNumerals(t);
  return ToUtf8(t);
}

TEST(NumeralsTest, BeforeAMarkerTheyAreNumbers) {
  EXPECT_EQ(Numerals("一百八十八号"), "188号");
  EXPECT_EQ(Numerals("五〇一室"), "501室");
  EXPECT_EQ(Numerals("二十五号大街"), "25号大街");
  EXPECT_EQ(Numerals("十五栋"), "15栋");
  EXPECT_EQ(Numerals("一千零一号"), "1001号");
  EXPECT_EQ(Numerals("两单元"), "2单元");
  EXPECT_EQ(Numerals("三栋五〇一"), "3栋501");
}

TEST(NumeralsTest, NamesKeepTheirCharacters) {
  EXPECT_EQ(Numerals("五四村"), "五四村");
  EXPECT_EQ(Numerals("三墩镇"), "三墩镇");
  EXPECT_EQ(Numerals("十里店"), "十里店");
}

Components Parse(std::string_view text) {
  return ParseComponents(FromUtf8(text));
}

TEST(ComponentsTest, RoadNumberBuildingUnitRoom) {
  const Components c = Parse("21号大街46号40幢3单元1307室");
  EXPECT_EQ(c.road, "21号大街");
  EXPECT_EQ(c.number, "46");
  EXPECT_EQ(c.building, "40");
  EXPECT_EQ(c.unit, "3");
  EXPECT_EQ(c.room, "1307");
}

TEST(ComponentsTest, DashFormsAreBuildingUnitRoom) {
  Components c = Parse("学林街188号3-2-501");
  EXPECT_EQ(c.number, "188");
  EXPECT_EQ(c.building, "3");
  EXPECT_EQ(c.unit, "2");
  EXPECT_EQ(c.room, "501");
  c = Parse("学林街188号3-501");
  EXPECT_EQ(c.building, "3");
  EXPECT_EQ(c.unit, std::nullopt);
  EXPECT_EQ(c.room, "501");
}

TEST(ComponentsTest, BuildingMarkers) {
  for (const char* text : {"3栋501", "3幢501", "3号楼501", "3座501", "3#501"}) {
    const Components c = Parse(text);
    EXPECT_EQ(c.building, "3") << text;
    EXPECT_EQ(c.room, "501") << text;
  }
}

TEST(ComponentsTest, DescriptionsAreDropped) {
  const Components c = Parse("文泽路8号东门对面");
  EXPECT_EQ(c.road, "文泽路");
  EXPECT_EQ(c.number, "8");
  EXPECT_EQ(c.room, std::nullopt);
  EXPECT_GT(c.dropped, 0u);
}

TEST(ComponentsTest, LeadingZerosGo) {
  const Components c = Parse("8号03幢0501室");
  EXPECT_EQ(c.building, "3");
  EXPECT_EQ(c.room, "501");
}

TEST(GazetteerTest, HasFiveLevelsAndTheDistrict) {
  const Gazetteer& g = Shared().gazetteer();
  EXPECT_GT(g.size(), 600'000u);
  const auto qiantang = g.Find("330114");
  ASSERT_TRUE(qiantang);
  EXPECT_EQ(g.Name(*qiantang), "钱塘区");
  EXPECT_EQ(g.Children(*qiantang).size(), 7u);  // 下沙 白杨 河庄 义蓬 新湾 临江 前进
  const auto village = g.Find("330114001005");
  ASSERT_TRUE(village);
  EXPECT_EQ(g.Code(g.AncestorAt(*village, Level::kTown)), "330114001");
  EXPECT_TRUE(g.IsAncestor(*qiantang, *village));
  EXPECT_FALSE(g.Find("3301140010"));  // ten digits is no level
  EXPECT_FALSE(g.Find("999999"));
}

TEST(GazetteerTest, TheHistoryPointsToToday) {
  const Gazetteer& g = Shared().gazetteer();
  bool jianggan = false;
  for (const HistoricalName& h : g.history()) {
    if (h.name != "江干区") continue;
    jianggan = true;
    ASSERT_EQ(h.now.size(), 2u);
    EXPECT_EQ(g.Code(h.now[0]), "330114");
    EXPECT_EQ(g.Code(h.now[1]), "330102");
  }
  EXPECT_TRUE(jianggan);
}

Standardized Must(std::string_view input) {
  auto r = Shared().Standardize(input);
  EXPECT_TRUE(r.ok()) << input << ": " << r.status().ToString();
  return r.ok() ? *r : Standardized{};
}

std::string Code(const Standardized& s, Level level) {
  return Shared().CodeAt(s, level);
}

// Each level's disambiguation: a shared name alone settles nothing; its parent settles it.
TEST(DisambiguationTest, ASharedCountyNeedsItsCity) {
  EXPECT_EQ(Code(Must("鼓楼区"), Level::kCounty), "");
  EXPECT_TRUE(Must("鼓楼区").ambiguous);
  EXPECT_EQ(Code(Must("福州市鼓楼区"), Level::kCounty), "350102");
  EXPECT_EQ(Code(Must("南京鼓楼区"), Level::kCounty), "320106");
  EXPECT_EQ(Code(Must("开封市鼓楼区"), Level::kCounty), "410204");
}

TEST(DisambiguationTest, ASharedTownNeedsItsCounty) {
  // 城关镇 names 88 towns; 桐庐县 has none, 淳安县 none; 建德? — use a county that has one.
  const Gazetteer& g = Shared().gazetteer();
  std::uint32_t county = kNoDivision;
  int towns = 0;
  for (std::uint32_t i = 0; i < g.size(); ++i) {
    if (g.LevelOf(i) == Level::kTown && g.Name(i) == "城关镇") {
      ++towns;
      if (county == kNoDivision) county = g.at(i).parent;
    }
  }
  ASSERT_GT(towns, 10);
  EXPECT_EQ(Code(Must("城关镇"), Level::kTown), "");
  const std::string with_county = std::string(g.Name(county)) + "城关镇";
  const Standardized s = Must(with_county);
  EXPECT_EQ(g.Name(g.AncestorAt(s.division, Level::kTown)), "城关镇") << with_county;
  EXPECT_EQ(Code(s, Level::kCounty), g.Code(county)) << with_county;
}

TEST(DisambiguationTest, ASharedVillageNeedsItsTown) {
  const Gazetteer& g = Shared().gazetteer();
  std::uint32_t village = kNoDivision;
  int count = 0;
  for (std::uint32_t i = 0; i < g.size(); ++i) {
    if (g.LevelOf(i) == Level::kVillage && g.Name(i) == "和平村委会") {
      ++count;
      if (village == kNoDivision) village = i;
    }
  }
  ASSERT_GT(count, 10);
  EXPECT_EQ(Code(Must("和平村1号"), Level::kVillage), "");
  const std::uint32_t town = g.at(village).parent;
  const std::uint32_t county = g.at(town).parent;
  const std::string text = std::string(g.Name(county)) + std::string(g.Name(town)) + "和平村1号";
  EXPECT_EQ(Code(Must(text), Level::kVillage), g.Code(village)) << text;
}

TEST(DisambiguationTest, OldNamesResolveToToday) {
  EXPECT_EQ(Code(Must("杭州市江干区下沙街道"), Level::kCounty), "330114");
  EXPECT_TRUE(Must("杭州市江干区下沙街道").historical);
  EXPECT_EQ(Code(Must("杭州市江干区凯旋街道"), Level::kCounty), "330102");
  EXPECT_EQ(Code(Must("杭州市下城区"), Level::kCounty), "330105");
  EXPECT_EQ(Code(Must("萧山区河庄街道"), Level::kCounty), "330114");
  EXPECT_EQ(Code(Must("萧山区"), Level::kCounty), "330109");
}

TEST(BadInputTest, EachGetsItsCode) {
  auto code = [](std::string_view input) {
    auto r = Shared().Standardize(input);
    return r.ok() ? std::string("ok") : r.status().code();
  };
  EXPECT_EQ(code(""), "empty");
  EXPECT_EQ(code("   \t "), "empty");
  EXPECT_EQ(code(std::string(1 << 20, 'a')), "too_long");
  EXPECT_EQ(code("浙江省\xFF杭州市"), "invalid_utf8");
  EXPECT_EQ(code("今天天气不错"), "not_an_address");
  EXPECT_EQ(code("!!!???"), "not_an_address");
}

// The data-driven cases (testdata/cases.txt).
TEST(CasesFile, EveryCaseHolds) {
  std::ifstream file(ZHIZHI_ADDRESS_CASES);
  ASSERT_TRUE(file) << ZHIZHI_ADDRESS_CASES;
  std::string line, input;
  int line_no = 0, cases = 0, input_line = 0;
  const Standardizer& st = Shared();
  while (std::getline(file, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      input = line;
      input_line = line_no;
      ++cases;
      continue;
    }
    auto result = st.Standardize(input);
    std::map<std::string, std::string> got;
    if (result.ok()) {
      const nlohmann::json j = st.ToJson(*result);
      for (auto it = j.begin(); it != j.end(); ++it)
        got[it.key()] = it->is_null()     ? "null"
                        : it->is_string() ? it->get<std::string>()
                                          : it->dump();
      got["ambiguous"] = result->ambiguous ? "true" : "false";
    } else {
      got["error"] = result.status().code();
    }
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      const size_t eq = word.find('=');
      ASSERT_NE(eq, std::string::npos) << "cases.txt:" << line_no << ": " << word;
      const std::string key = word.substr(0, eq);
      const std::string want = word.substr(eq + 1);
      const auto it = got.find(key);
      const std::string have = it == got.end() ? "(absent)" : it->second;
      EXPECT_EQ(have, want) << "cases.txt:" << input_line << " " << input << " — " << key
                            << (result.ok() ? " — canonical " + result->canonical : "");
    }
  }
  EXPECT_GT(cases, 20);
}

}  // namespace
}  // namespace zhizhi::address

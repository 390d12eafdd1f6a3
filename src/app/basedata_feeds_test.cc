#include "app/basedata_feeds.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/csv.h"
#include "base/resident_id.h"
#include "base/text.h"
#include "base/uscc.h"

namespace zhizhi::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const address::Gazetteer& SharedGazetteer() {
  static const std::unique_ptr<const address::Gazetteer> gazetteer = [] {
    auto loaded = address::Gazetteer::Load(address::Gazetteer::DefaultDir());
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().ToString();
      std::abort();
    }
    return std::move(loaded).value();
  }();
  return *gazetteer;
}

BaseDataFeedOptions Small(std::uint64_t seed = 1) {
  BaseDataFeedOptions o;
  o.seed = seed;
  o.people = 2'000;
  o.houses = 1'200;
  o.addresses = 1'500;
  o.units = 300;
  return o;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Rows of a CSV file (UTF-8 or GBK) as maps from header to value.
std::vector<std::map<std::string, std::string>> ReadCsv(const fs::path& path) {
  auto reader = CsvReader::Open(path.string());
  EXPECT_TRUE(reader.ok()) << path << ": " << reader.status().ToString();
  std::vector<std::map<std::string, std::string>> rows;
  if (!reader.ok()) return rows;
  std::vector<std::string> header, fields;
  if (!reader->Next(&header)) return rows;
  while (reader->Next(&fields)) {
    EXPECT_EQ(fields.size(), header.size()) << path << " line " << reader->line();
    auto& row = rows.emplace_back();
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i)
      row[header[i]] = fields[i];
  }
  EXPECT_TRUE(reader->status().ok()) << reader->status().ToString();
  return rows;
}

std::vector<json> ReadJsonLines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> rows;
  std::string line;
  while (std::getline(in, line))
    rows.push_back(json::parse(line));
  return rows;
}

std::string FirstLine(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::getline(in, line);
  return line;
}

constexpr const char* kFeedFiles[] = {"addresses.csv",
                                      "ps_housing.csv",
                                      "grid_houses.jsonl",
                                      "ps_population.csv",
                                      "grid_people.jsonl",
                                      "rental_tenants.csv",
                                      "market_units.csv",
                                      "grid_units.jsonl",
                                      "truth/people.csv",
                                      "truth/houses.csv",
                                      "truth/units.csv",
                                      "truth/hard_negatives.csv",
                                      "truth/overcrowded_houses.csv",
                                      "truth/unit_addresses_not_standard.csv"};

class BaseDataFeedsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::path(::testing::TempDir()) /
                         ("zhizhi_basedata_feeds_" + std::to_string(::getpid())));
    fs::remove_all(*root_);
    auto written = WriteBaseDataFeeds(SharedGazetteer(), Small(), (*root_ / "a").string());
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    counts_ = new BaseDataFeedCounts(*written);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
    delete counts_;
  }
  static fs::path Dir() { return *root_ / "a"; }
  static const BaseDataFeedCounts& Counts() { return *counts_; }

  // The public-security row of every person entity.
  static std::map<std::string, std::map<std::string, std::string>> PeopleByEntity() {
    std::map<std::string, std::string> entity_of;
    for (auto& t : ReadCsv(Dir() / "truth/people.csv")) {
      if (t["source"] == "ps_population") entity_of[t["source_id"]] = t["entity"];
    }
    std::map<std::string, std::map<std::string, std::string>> by_entity;
    for (auto& row : ReadCsv(Dir() / "ps_population.csv")) {
      by_entity[entity_of.at(row["人员编号"])] = row;
    }
    return by_entity;
  }

  static fs::path* root_;
  static BaseDataFeedCounts* counts_;
};

fs::path* BaseDataFeedsTest::root_ = nullptr;
BaseDataFeedCounts* BaseDataFeedsTest::counts_ = nullptr;

TEST_F(BaseDataFeedsTest, EveryFileIsWrittenWithItsHeader) {
  for (const char* file : kFeedFiles)
    EXPECT_TRUE(fs::exists(Dir() / file)) << file;
  EXPECT_EQ(FirstLine(Dir() / "addresses.csv"), "code,kind,address,village,parent_code");
  EXPECT_EQ(FirstLine(Dir() / "ps_housing.csv"),
            "房屋编号,房屋地址,建筑面积,房屋用途,产权人姓名,产权人证件号码,产权人电话");
  EXPECT_EQ(FirstLine(Dir() / "ps_population.csv"),
            "人员编号,姓名,公民身份号码,性别,出生日期,联系电话,居住地址");
  EXPECT_EQ(FirstLine(Dir() / "market_units.csv"),
            "统一社会信用代码,企业名称,注册地址,法定代表人,联系电话,登记状态");
  for (const char* truth : {"truth/people.csv", "truth/houses.csv", "truth/units.csv"}) {
    EXPECT_EQ(FirstLine(Dir() / truth), "source,source_id,entity") << truth;
  }
  EXPECT_EQ(FirstLine(Dir() / "truth/unit_addresses_not_standard.csv"), "source,source_id");
  EXPECT_EQ(FirstLine(Dir() / "truth/overcrowded_houses.csv"), "house_id,area,occupants");

  const std::map<std::string, std::vector<std::string>> json_keys = {
      {"grid_houses.jsonl", {"fwbh", "dz", "mj", "yt", "fzxm", "fzdh"}},
      {"grid_people.jsonl", {"rybh", "xm", "sfzh", "xb", "csrq", "sjhm", "dz"}},
      {"grid_units.jsonl", {"dwbh", "dwmc", "tyshxydm", "dz", "lxdh"}}};
  for (const auto& [file, keys] : json_keys) {
    const std::vector<json> rows = ReadJsonLines(Dir() / file);
    ASSERT_FALSE(rows.empty()) << file;
    for (const json& row : rows) {
      ASSERT_EQ(row.size(), keys.size()) << file << ": " << row.dump();
      for (const std::string& key : keys)
        ASSERT_TRUE(row.contains(key)) << file << " " << key;
    }
  }

  // One mapping per feed; its columns are the feed's.
  const std::map<std::string, std::string> kinds = {
      {"ps_population", "person"}, {"grid_people", "person"}, {"rental_tenants", "person"},
      {"ps_housing", "house"},     {"grid_houses", "house"},  {"market_units", "unit"},
      {"grid_units", "unit"}};
  for (const auto& [source, kind] : kinds) {
    const json m = json::parse(ReadBytes(Dir() / "mappings" / (source + ".json")));
    EXPECT_EQ(m["source"], source);
    EXPECT_EQ(m["kind"], kind);
    EXPECT_EQ(m["encoding"], source == "rental_tenants" ? "gbk" : "utf-8");
    const bool csv = m["format"] == "csv";
    EXPECT_EQ(csv, !fs::exists(Dir() / (source + ".jsonl"))) << source;
    std::set<std::string> columns;
    if (csv) {
      const auto rows = ReadCsv(Dir() / (source + ".csv"));
      for (const auto& [column, value] : rows.front())
        columns.insert(column);
    } else {
      const auto rows = ReadJsonLines(Dir() / (source + ".jsonl"));
      for (const auto& [column, value] : rows.front().items())
        columns.insert(column);
    }
    EXPECT_TRUE(columns.count(m["key"].get<std::string>())) << source;
    for (auto& [field, column] : m["fields"].items()) {
      EXPECT_TRUE(columns.count(column.get<std::string>())) << source << " " << field;
    }
  }
}

TEST_F(BaseDataFeedsTest, TheSameSeedGivesTheSameBytesAndAnotherSeedOtherBytes) {
  const fs::path again = *root_ / "again";
  const fs::path other = *root_ / "other";
  ASSERT_TRUE(WriteBaseDataFeeds(SharedGazetteer(), Small(), again.string()).ok());
  ASSERT_TRUE(WriteBaseDataFeeds(SharedGazetteer(), Small(2), other.string()).ok());
  for (const char* file : kFeedFiles) {
    EXPECT_EQ(ReadBytes(Dir() / file), ReadBytes(again / file)) << file;
  }
  EXPECT_NE(ReadBytes(Dir() / "ps_population.csv"), ReadBytes(other / "ps_population.csv"));
  EXPECT_NE(ReadBytes(Dir() / "addresses.csv"), ReadBytes(other / "addresses.csv"));
}

TEST_F(BaseDataFeedsTest, PublicSecurityIsCompleteAndItsIdNumbersAreValid) {
  const auto rows = ReadCsv(Dir() / "ps_population.csv");
  ASSERT_EQ(rows.size(), Small().people);
  std::set<std::string> ids;
  size_t with_phone = 0;
  for (auto row : rows) {
    auto id = ResidentIdNumber::Parse(row["公民身份号码"]);
    ASSERT_TRUE(id.ok()) << row["公民身份号码"] << ": " << id.status().ToString();
    EXPECT_TRUE(ids.insert(id->str()).second) << "twice: " << id->str();
    // Birth date and sex agree with the number (17th digit odd = male).
    EXPECT_EQ(row["出生日期"], id->str().substr(6, 8));
    EXPECT_EQ(row["性别"], id->sex() == Sex::kMale ? "1" : "2");
    with_phone += row["联系电话"].empty() ? 0 : 1;
  }
  EXPECT_GT(with_phone, rows.size() * 75 / 100);
  EXPECT_LT(with_phone, rows.size() * 95 / 100);
  for (auto row : ReadCsv(Dir() / "market_units.csv")) {
    EXPECT_TRUE(UnifiedSocialCreditCode::Parse(row["统一社会信用代码"]).ok())
        << row["统一社会信用代码"];
  }
}

TEST_F(BaseDataFeedsTest, RentalTenantsAreGbk) {
  const std::string bytes = ReadBytes(Dir() / "rental_tenants.csv");
  EXPECT_FALSE(IsValidUtf8(bytes));
  auto reader = CsvReader::FromBuffer(bytes);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(reader->encoding(), "gb18030");
  std::vector<std::string> header;
  ASSERT_TRUE(reader->Next(&header));
  EXPECT_EQ(header, (std::vector<std::string>{"登记编号", "租客姓名", "证件号码", "手机",
                                              "租住地址", "登记日期"}));
  std::vector<std::string> row;
  ASSERT_TRUE(reader->Next(&row));
  EXPECT_NE(row[4].find("街道"), std::string::npos) << row[4];
}

TEST_F(BaseDataFeedsTest, TruthHasOneLinePerSourceRow) {
  std::map<std::string, size_t> truth;
  for (const char* file : {"truth/people.csv", "truth/houses.csv", "truth/units.csv"}) {
    for (auto& t : ReadCsv(Dir() / file))
      ++truth[t["source"]];
  }
  const BaseDataFeedCounts& c = Counts();
  const std::map<std::string, size_t> rows = {
      {"ps_population", ReadCsv(Dir() / "ps_population.csv").size()},
      {"grid_people", ReadJsonLines(Dir() / "grid_people.jsonl").size()},
      {"rental_tenants", ReadCsv(Dir() / "rental_tenants.csv").size()},
      {"ps_housing", ReadCsv(Dir() / "ps_housing.csv").size()},
      {"grid_houses", ReadJsonLines(Dir() / "grid_houses.jsonl").size()},
      {"market_units", ReadCsv(Dir() / "market_units.csv").size()},
      {"grid_units", ReadJsonLines(Dir() / "grid_units.jsonl").size()}};
  EXPECT_EQ(truth, rows);
  EXPECT_EQ(rows.at("ps_population"), c.ps_population);
  EXPECT_EQ(rows.at("grid_people"), c.grid_people);
  EXPECT_EQ(rows.at("rental_tenants"), c.rental_tenants);
  EXPECT_EQ(rows.at("ps_housing"), c.ps_housing);
  EXPECT_EQ(rows.at("grid_houses"), c.grid_houses);
  EXPECT_EQ(rows.at("market_units"), c.market_units);
  EXPECT_EQ(rows.at("grid_units"), c.grid_units);
  EXPECT_EQ(c.persons, Small().people);
  EXPECT_EQ(c.houses, Small().houses);
  EXPECT_EQ(c.units, Small().units);
  EXPECT_EQ(c.addresses, Small().addresses);
  // Partial sources hold about their share.
  EXPECT_NEAR(static_cast<double>(c.grid_people) / c.persons, 0.45, 0.07);
  EXPECT_NEAR(static_cast<double>(c.rental_tenants) / c.persons, 0.30, 0.08);
  EXPECT_NEAR(static_cast<double>(c.grid_houses) / c.houses, 0.40, 0.06);
}

TEST_F(BaseDataFeedsTest, TwinsAndNamesakesAreDistinctEntities) {
  const auto people = PeopleByEntity();
  size_t twins = 0, namesakes = 0;
  for (auto pair : ReadCsv(Dir() / "truth/hard_negatives.csv")) {
    ASSERT_NE(pair["entity_a"], pair["entity_b"]);
    auto a = people.at(pair["entity_a"]);
    auto b = people.at(pair["entity_b"]);
    EXPECT_EQ(a["出生日期"], b["出生日期"]);
    EXPECT_NE(a["公民身份号码"], b["公民身份号码"]);
    if (pair["kind"] == "twin") {
      ++twins;
      EXPECT_EQ(a["姓名"].substr(0, 3), b["姓名"].substr(0, 3));  // the surname
      EXPECT_NE(a["姓名"], b["姓名"]);
      EXPECT_EQ(a["居住地址"], b["居住地址"]);
    } else {
      ASSERT_EQ(pair["kind"], "namesake");
      ++namesakes;
      EXPECT_EQ(a["姓名"], b["姓名"]);
      EXPECT_NE(a["居住地址"], b["居住地址"]);
    }
  }
  EXPECT_EQ(twins, Counts().twin_pairs);
  EXPECT_EQ(namesakes, Counts().namesake_pairs);
  EXPECT_GE(twins, 2u);  // 0.3 % of 2,000 people are twins
  EXPECT_GE(namesakes, 1u);
}

TEST_F(BaseDataFeedsTest, PlantedDuplicatesAreAboutHalfAPercent) {
  // Second rows of one entity within one partial source.
  std::map<std::pair<std::string, std::string>, int> copies;
  size_t rows = 0;
  for (const char* file : {"truth/people.csv", "truth/houses.csv", "truth/units.csv"}) {
    for (auto& t : ReadCsv(Dir() / file)) {
      if (t["source"].starts_with("ps_") || t["source"] == "market_units") continue;
      ++copies[{t["source"], t["entity"]}];
      ++rows;
    }
  }
  size_t duplicates = 0;
  for (const auto& [key, n] : copies)
    duplicates += static_cast<size_t>(n - 1);
  const BaseDataFeedCounts& c = Counts();
  EXPECT_EQ(duplicates, c.duplicate_person_rows + c.duplicate_house_rows + c.duplicate_unit_rows);
  const double rate = static_cast<double>(duplicates) / static_cast<double>(rows);
  EXPECT_GT(rate, 0.001);
  EXPECT_LT(rate, 0.015);
}

TEST_F(BaseDataFeedsTest, NoisyCopiesDifferFromPublicSecurityAsPlanted) {
  const auto people = PeopleByEntity();
  std::map<std::string, std::string> entity_of;
  for (auto& t : ReadCsv(Dir() / "truth/people.csv"))
    entity_of[t["source_id"]] = t["entity"];
  size_t rows = 0, names = 0, bad_ids = 0, addresses = 0, ids = 0;
  for (const json& g : ReadJsonLines(Dir() / "grid_people.jsonl")) {
    auto ps = people.at(entity_of.at(g["rybh"].get<std::string>()));
    ++rows;
    names += g["xm"] != ps["姓名"] ? 1 : 0;
    addresses += g["dz"] != ps["居住地址"] ? 1 : 0;
    if (g["sfzh"].is_string() && !g["sfzh"].get<std::string>().empty()) {
      ++ids;
      bad_ids += ResidentIdNumber::Parse(g["sfzh"].get<std::string>()).ok() ? 0 : 1;
    }
  }
  ASSERT_GT(rows, 500u);
  EXPECT_GT(names, 0u);
  EXPECT_LT(names, rows / 10);
  EXPECT_NEAR(static_cast<double>(addresses) / rows, 0.24, 0.06);
  EXPECT_NEAR(static_cast<double>(ids) / rows, 0.75, 0.06);  // missing for a quarter
  EXPECT_LT(bad_ids, ids / 20);
}

TEST_F(BaseDataFeedsTest, TheStandardAddressBaseReadsAsAnImport) {
  const auto& g = SharedGazetteer();
  std::set<std::string> codes, doors, texts;
  size_t households = 0;
  for (auto row : ReadCsv(Dir() / "addresses.csv")) {
    EXPECT_TRUE(codes.insert(row["code"]).second) << row["code"];
    EXPECT_TRUE(texts.insert(row["address"]).second) << row["address"];
    EXPECT_TRUE(row["address"].starts_with("浙江省杭州市钱塘区")) << row["address"];
    const auto village = g.Find(row["village"]);
    ASSERT_TRUE(village && g.LevelOf(*village) == address::Level::kVillage) << row["village"];
    EXPECT_TRUE(row["village"].starts_with("330114"));
    if (row["kind"] == "door") {
      EXPECT_TRUE(row["parent_code"].empty());
      EXPECT_TRUE(row["address"].ends_with("号")) << row["address"];
      doors.insert(row["code"]);
    } else {
      ASSERT_EQ(row["kind"], "household");
      EXPECT_TRUE(doors.count(row["parent_code"])) << "parents come first: " << row["code"];
      EXPECT_TRUE(row["address"].ends_with("室")) << row["address"];
      ++households;
    }
  }
  EXPECT_EQ(codes.size(), Small().addresses);
  EXPECT_GE(households, Small().houses);
  // Every house is at a room of the base.
  for (auto row : ReadCsv(Dir() / "ps_housing.csv")) {
    EXPECT_TRUE(texts.count(row["房屋地址"])) << row["房屋地址"];
  }
}

TEST_F(BaseDataFeedsTest, OvercrowdedHousesAndOddUnitAddressesArePlanted) {
  std::map<std::string, int> occupants;  // by address
  for (auto row : ReadCsv(Dir() / "ps_population.csv"))
    ++occupants[row["居住地址"]];
  std::map<std::string, std::string> house_address;
  for (auto row : ReadCsv(Dir() / "ps_housing.csv"))
    house_address[row["房屋编号"]] = row["房屋地址"];
  const auto overcrowded = ReadCsv(Dir() / "truth/overcrowded_houses.csv");
  ASSERT_FALSE(overcrowded.empty());
  EXPECT_EQ(overcrowded.size(), Counts().overcrowded_houses);
  for (auto row : overcrowded) {
    const int n = occupants[house_address.at(row["house_id"])];
    EXPECT_EQ(std::to_string(n), row["occupants"]);
    EXPECT_LT(std::stod(row["area"]) / n, 5.0);
  }

  std::set<std::string> standard;
  for (auto row : ReadCsv(Dir() / "addresses.csv"))
    standard.insert(row["address"]);
  std::map<std::string, std::string> market;
  for (auto row : ReadCsv(Dir() / "market_units.csv")) {
    market[row["统一社会信用代码"]] = row["注册地址"];
  }
  size_t listed = 0;
  for (auto row : ReadCsv(Dir() / "truth/unit_addresses_not_standard.csv")) {
    if (row["source"] != "market_units") continue;
    ++listed;
    EXPECT_FALSE(standard.count(market.at(row["source_id"])));
  }
  EXPECT_GT(listed, 0u);
  EXPECT_LE(listed, Counts().units_not_standard);
}

// A door address of the base (浙江省杭州市钱塘区, street, community, road, number号) as
// road|number.
std::string Plate(const std::string& address) {
  std::string rest = address.substr(0, address.size() - std::string("号").size());
  size_t digits = rest.size();
  while (digits > 0 && rest[digits - 1] >= '0' && rest[digits - 1] <= '9')
    --digits;
  const std::string number = rest.substr(digits);
  rest.resize(digits);
  size_t road = 0;
  for (const std::string marker : {"社区", "村"}) {
    const size_t at = rest.rfind(marker);
    if (at != std::string::npos) road = std::max(road, at + marker.size());
  }
  return rest.substr(road) + "|" + number;
}

// The demo's district: the registry's workers in the population, its corps in market regulation,
// the base's doors kept clear, and few people at a house they left.
TEST(BaseDataFeedsOptionsTest, TheRegistryLivesInTheDistrict) {
  const fs::path root =
      fs::path(::testing::TempDir()) / ("zhizhi_basedata_registry_" + std::to_string(::getpid()));
  fs::remove_all(root);
  ASSERT_TRUE(WriteBaseDataFeeds(SharedGazetteer(), Small(), (root / "plain").string()).ok());
  std::string taken;  // a door plate of the plain district, for the base to hold already
  for (auto row : ReadCsv(root / "plain" / "addresses.csv")) {
    if (row["kind"] == "door" && row["address"].find("号大街") == std::string::npos) {
      taken = Plate(row["address"]);
      break;
    }
  }
  ASSERT_FALSE(taken.empty());

  BaseDataFeedOptions o = Small();
  o.people_moved = 0;
  std::map<std::string, const RegistryWorker*> by_id;
  for (int k = 0; k < 300; ++k) {
    RegistryWorker w;
    w.name = std::string(k % 2 ? "张" : "李") + (k % 3 ? "建国" : "春生");
    std::string first17 = "41152219" + std::to_string(70 + k % 25) + "0" +
                          std::to_string(1 + k % 9) + "1" + std::to_string(k % 10);
    first17 += std::to_string(100 + k).substr(0, 3);
    ASSERT_EQ(first17.size(), 17u) << first17;
    w.id_number = first17 + ResidentIdNumber::CheckCharacter(first17);
    w.phone = k % 5 ? "139" + std::to_string(10'000'000 + k) : "";
    w.address = "浙江省杭州市钱塘区下沙街道1号大街2号建设者之家" + std::to_string(1 + k % 9) +
                "幢" + std::to_string(101 + k % 18) + "室";
    w.days_on_site = k % 60;
    o.workers.push_back(std::move(w));
  }
  for (const RegistryWorker& w : o.workers)
    by_id[w.id_number] = &w;
  ASSERT_EQ(by_id.size(), o.workers.size());
  const std::string uscc = MakeUscc("91330114MA2H0000X");
  o.corps.push_back(
      {uscc, "杭州钱塘测试建筑有限公司", "浙江省杭州市钱塘区下沙街道学林街7号", "王建"});
  o.corps.push_back({MakeUscc("91330114MA2H0001X"), "杭州某劳务有限公司", "钱塘区某处", "李明"});
  const size_t bar = taken.find('|');
  o.base_doors.push_back(
      {taken.substr(0, bar), static_cast<std::uint32_t>(std::stoul(taken.substr(bar + 1)))});

  const fs::path dir = root / "registry";
  const auto written = WriteBaseDataFeeds(SharedGazetteer(), o, dir.string());
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  const BaseDataFeedCounts& c = *written;

  // Workers: every registered one once, at the dormitory, with the registry's ID number.
  const auto ps = ReadCsv(dir / "ps_population.csv");
  EXPECT_EQ(ps.size(), c.ps_population);
  EXPECT_EQ(c.ps_population, o.people + c.workers);
  EXPECT_EQ(c.workers + c.workers_unregistered, o.workers.size());
  std::set<std::string> ids;
  size_t workers = 0, renamed = 0;
  for (auto row : ps) {
    EXPECT_TRUE(ids.insert(row["公民身份号码"]).second) << "twice: " << row["公民身份号码"];
    const auto found = by_id.find(row["公民身份号码"]);
    if (found == by_id.end()) continue;
    ++workers;
    const RegistryWorker& w = *found->second;
    EXPECT_EQ(row["居住地址"], w.address);
    EXPECT_EQ(row["出生日期"], w.id_number.substr(6, 8));
    EXPECT_EQ(row["性别"], (w.id_number[16] - '0') % 2 ? "1" : "2");
    EXPECT_EQ(row["姓名"].substr(0, 3), w.name.substr(0, 3));
    renamed += row["姓名"] != w.name ? 1 : 0;
  }
  EXPECT_EQ(workers, c.workers);
  EXPECT_LT(renamed, workers / 10);
  size_t recent = 0, missing_recent = 0, missing_settled = 0;
  for (const RegistryWorker& w : o.workers) {
    recent += w.days_on_site < 7 ? 1 : 0;
    if (ids.count(w.id_number)) continue;
    (w.days_on_site < 7 ? missing_recent : missing_settled) += 1;
  }
  EXPECT_EQ(missing_recent + missing_settled, c.workers_unregistered);
  EXPECT_GT(missing_recent, recent / 5);  // 40 % of the last week's arrivals
  EXPECT_LT(missing_recent, recent * 7 / 10);
  EXPECT_LE(missing_settled, 2u);  // 0.1 % of the others
  size_t truth = 0;
  for (auto& t : ReadCsv(dir / "truth/people.csv"))
    truth += t["source"] == "ps_population" ? 1 : 0;
  EXPECT_EQ(truth, ps.size());

  // Corps: in market regulation as registered; a door plate of the district joins the base.
  std::map<std::string, std::string> market;
  for (auto row : ReadCsv(dir / "market_units.csv"))
    market[row["统一社会信用代码"]] = row["注册地址"];
  EXPECT_EQ(market.size(), o.units + 2);
  EXPECT_EQ(c.corps, 2u);
  EXPECT_EQ(market.at(uscc), "浙江省杭州市钱塘区下沙街道学林街7号");
  EXPECT_EQ(c.corp_doors, 1u);
  EXPECT_EQ(c.addresses, o.addresses + 1);
  std::map<std::string, size_t> plates;
  std::set<std::string> standard;
  for (auto row : ReadCsv(dir / "addresses.csv")) {
    standard.insert(row["address"]);
    if (row["kind"] == "door") ++plates[Plate(row["address"])];
  }
  EXPECT_EQ(plates["学林街|7"], 1u);
  EXPECT_EQ(plates.count(taken), 0u) << taken << " is the base's already";
  for (const auto& [plate, n] : plates)
    EXPECT_EQ(n, 1u) << plate;

  // Nobody moved: a grid row at a standard address is at the person's own.
  std::map<std::string, std::string> entity_of, address_of;
  for (auto& t : ReadCsv(dir / "truth/people.csv"))
    entity_of[t["source"] + "/" + t["source_id"]] = t["entity"];
  for (auto row : ps)
    address_of[entity_of.at("ps_population/" + row["人员编号"])] = row["居住地址"];
  size_t canonical = 0;
  for (const json& g : ReadJsonLines(dir / "grid_people.jsonl")) {
    const std::string dz = g["dz"].get<std::string>();
    if (!standard.count(dz)) continue;
    ++canonical;
    EXPECT_EQ(dz, address_of.at(entity_of.at("grid_people/" + g["rybh"].get<std::string>())));
  }
  EXPECT_GT(canonical, 100u);

  // The same registry gives the same bytes.
  ASSERT_TRUE(WriteBaseDataFeeds(SharedGazetteer(), o, (root / "again").string()).ok());
  for (const char* file : kFeedFiles)
    EXPECT_EQ(ReadBytes(dir / file), ReadBytes(root / "again" / file)) << file;
  fs::remove_all(root);
}

TEST(BaseDataFeedsOptionsTest, ImpossibleOptionsAreRefused) {
  BaseDataFeedOptions o = Small();
  o.addresses = o.houses;
  const auto refused = WriteBaseDataFeeds(SharedGazetteer(), o, ::testing::TempDir() + "/unused");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "addresses");
}

// The full default size, once, by hand: --gtest_also_run_disabled_tests
// --gtest_filter='*DefaultSize*'. Prints the time; never asserts it (benchmarks print figures).
TEST(BaseDataFeedsOptionsTest, DISABLED_DefaultSize) {
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("zhizhi_basedata_full_" + std::to_string(::getpid()));
  const auto start = std::chrono::steady_clock::now();
  const auto written = WriteBaseDataFeeds(SharedGazetteer(), BaseDataFeedOptions{}, dir.string());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  std::uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  std::printf("default size: %.2f s, %.0f MB; ps_population %zu, grid_people %zu, rental %zu\n",
              seconds, static_cast<double>(bytes) / 1e6, written->ps_population,
              written->grid_people, written->rental_tenants);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace zhizhi::app

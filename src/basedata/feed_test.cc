#include "basedata/feed.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/csv.h"
#include "basedata/person_source.h"

namespace zhizhi::basedata {
namespace {

Mapping PersonMapping(const char* extra = "") {
  const auto json =
      nlohmann::json::parse(std::string(R"({"source":"ps","kind":"person","key":"编号",
      "fields":{"name":"姓名","id_number":"身份证","sex":"性别","birth_date":"出生日期"},
      "codes":{"sex":{"1":"M","2":"F"}})") +
                            extra + "}");
  Result<Mapping> m = Mapping::FromJson(json);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : Mapping{};
}

std::vector<SourceRow> ReadAll(FeedReader& reader, std::vector<RowIssue>* issues) {
  std::vector<SourceRow> rows;
  SourceRow row;
  while (reader.Next(&row, issues))
    rows.push_back(row);
  return rows;
}

TEST(MappingTest, RefusesWhatItCannotMean) {
  auto error = [](const char* text) {
    Result<Mapping> m = Mapping::FromJson(nlohmann::json::parse(text));
    return m.ok() ? std::string("ok") : m.status().field();
  };
  EXPECT_EQ(error(R"({"kind":"animal","key":"k","fields":{"name":"n"}})"), "mapping.kind");
  EXPECT_EQ(error(R"({"kind":"person","fields":{"name":"n"}})"), "mapping.key");
  EXPECT_EQ(error(R"({"kind":"person","key":"k","fields":{"nmae":"n"}})"), "mapping.fields.nmae");
  EXPECT_EQ(error(R"({"kind":"person","key":"k","fields":{"phone":"p"}})"), "mapping.fields.name");
  EXPECT_EQ(error(R"({"kind":"person","key":"k","fields":{"name":"n"},"codes":{"sex":{"1":"X"}}})"),
            "mapping.codes.sex.1");
  EXPECT_EQ(error(R"({"kind":"person","key":"k","fields":{"name":"n"},"encoding":"latin1"})"),
            "mapping.encoding");
  EXPECT_EQ(error(R"({"kind":"person","key":"k","fields":{"name":"n"},"colour":"red"})"),
            "mapping.colour");
  EXPECT_EQ(error(R"({"source":"Bad Name","kind":"person","key":"k","fields":{"name":"n"}})"),
            "mapping.source");
  EXPECT_EQ(error(R"({"kind":"unit","key":"k","fields":{"uscc":"u","name":"n"}})"), "ok");
}

TEST(FeedReaderTest, MappingColumnsMustBeInTheHeader) {
  Result<FeedReader> r = FeedReader::Open(PersonMapping(), "编号,姓名,身份证,性别\nA,张三,,1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "mapping.fields.birth_date");
  EXPECT_NE(r.status().message().find("出生日期"), std::string::npos);
}

TEST(FeedReaderTest, RowsIssuesAndCodes) {
  Result<FeedReader> r =
      FeedReader::Open(PersonMapping(),
                       "编号,姓名,身份证,性别,出生日期\n"
                       "A1, 张三 ,110105194912310021,1,19491231\n"
                       ",李四,,2,\n"                // no key
                       "A1,张三,,1,\n"              // duplicate id
                       "A3,王五,,9,1990-01-01\n");  // unknown sex code: field emptied, row kept
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<RowIssue> issues;
  const auto rows = ReadAll(*r, &issues);
  ASSERT_TRUE(r->status().ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].source_id, "A1");
  EXPECT_EQ(rows[0].values[0], "张三");  // trimmed
  EXPECT_EQ(rows[0].values[2], "M");
  EXPECT_EQ(rows[1].values[2], "");
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0].code, "missing_key");
  EXPECT_EQ(issues[0].line, 3);
  EXPECT_EQ(issues[1].code, "duplicate_source_id");
  EXPECT_TRUE(issues[1].rejected);
  EXPECT_EQ(issues[2].code, "unknown_code");
  EXPECT_FALSE(issues[2].rejected);
}

TEST(FeedReaderTest, EncodingIsWhatTheMappingSays) {
  const std::string utf8 = "编号,姓名,身份证,性别,出生日期\nA1,张三,,男,\n";
  Result<std::string> gbk = ConvertUtf8ToGb18030(utf8);
  ASSERT_TRUE(gbk.ok());
  Result<FeedReader> wrong = FeedReader::Open(PersonMapping(), *gbk);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().field(), "encoding");
  Result<FeedReader> right = FeedReader::Open(PersonMapping(R"(,"encoding":"gbk")"), *gbk);
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  std::vector<RowIssue> issues;
  const auto rows = ReadAll(*right, &issues);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].values[0], "张三");
  EXPECT_EQ(rows[0].values[2], "");  // 男 is not in this mapping's code list
}

TEST(FeedReaderTest, JsonLinesWithWrongTypesAndWithdrawnRows) {
  Result<Mapping> m = Mapping::FromJson(nlohmann::json::parse(
      R"({"kind":"person","format":"jsonl","key":"id","withdrawn":"del","fields":{"name":"xm","sex":"xb"}})"));
  ASSERT_TRUE(m.ok());
  Result<FeedReader> r = FeedReader::Open(*m,
                                          "{\"id\":\"G1\",\"xm\":\"张三\",\"xb\":\"女\"}\n"
                                          "not json\n"
                                          "{\"id\":\"G2\",\"xm\":[\"x\"]}\n"
                                          "\n"
                                          "{\"id\":7,\"xm\":\"李四\",\"del\":\"1\"}\n");
  ASSERT_TRUE(r.ok());
  std::vector<RowIssue> issues;
  const auto rows = ReadAll(*r, &issues);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].values[2], "F");  // the default sex list: 女
  EXPECT_FALSE(rows[0].withdrawn);
  EXPECT_EQ(rows[1].source_id, "7");
  EXPECT_TRUE(rows[1].withdrawn);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].code, "invalid_json");
  EXPECT_EQ(issues[0].line, 2);
  EXPECT_EQ(issues[1].code, "wrong_type");
}

TEST(FeedReaderTest, ABrokenFileIsTheReadersError) {
  Result<FeedReader> r =
      FeedReader::Open(PersonMapping(), "编号,姓名,身份证,性别,出生日期\nA1,\"张三,,1,\n");
  ASSERT_TRUE(r.ok());
  std::vector<RowIssue> issues;
  ReadAll(*r, &issues);
  EXPECT_FALSE(r->status().ok());
  Result<FeedReader> missing = FeedReader::OpenFile(PersonMapping(), "/nonexistent/feed.csv");
  EXPECT_FALSE(missing.ok());
}

TEST(PersonConverterTest, ValuesBecomeComparableFields) {
  PersonConverter converter(nullptr, 0);
  SourceRow row;
  row.source_id = "A1";
  row.values = {"張 三", "11010519491231002x", "M", "1949年12月31日", "138-0000-1234", ""};
  std::vector<RowIssue> issues;
  const linkage::PersonRecord r = converter.Convert(row, &issues);
  EXPECT_EQ(r.name, U"張三");  // without a standardiser no folding, but spaces go
  EXPECT_TRUE(r.id_valid);
  EXPECT_EQ(r.birth, 19491231);
  EXPECT_EQ(r.phone, 13800001234u);
  EXPECT_TRUE(issues.empty());
  row.values = {"李四", "110105194912310022", "", "1949-02-30", "call me", ""};
  const linkage::PersonRecord bad = converter.Convert(row, &issues);
  EXPECT_FALSE(bad.id_valid);
  EXPECT_TRUE(bad.has_id());
  EXPECT_EQ(bad.birth, 0);
  EXPECT_EQ(bad.phone, 0u);
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0].code, "id_number_checksum");
  EXPECT_EQ(issues[1].field, "birth_date");
  EXPECT_EQ(issues[2].field, "phone");
}

}  // namespace
}  // namespace zhizhi::basedata

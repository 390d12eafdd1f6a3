// Runs every tests/api/*.case file against its own fresh server: one test per file, named after
// the file (ApiCases/ApiCaseTest.Run/persons_errors). See tests/api/README.md for the format.
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api_case.h"

#ifndef ZHIZHI_API_CASES
#error "ZHIZHI_API_CASES must name the tests/api directory (set by CMakeLists.txt)"
#endif

namespace zhizhi::e2e {
namespace {

class ApiCaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ApiCaseTest, Run) {
  std::string error;
  const auto api_case = ParseCaseFile(GetParam(), &error);
  ASSERT_TRUE(api_case.has_value()) << error;
  RunCase(*api_case);
}

std::string CaseName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(ApiCases, ApiCaseTest,
                         ::testing::ValuesIn(ListCaseFiles(ZHIZHI_API_CASES)), CaseName);

TEST(ApiCaseFiles, ThereAreCases) {
  EXPECT_GE(ListCaseFiles(ZHIZHI_API_CASES).size(), 10u);
}

TEST(ApiCaseFiles, AllParse) {
  for (const std::string& file : ListCaseFiles(ZHIZHI_API_CASES)) {
    std::string error;
    EXPECT_TRUE(ParseCaseFile(file, &error).has_value()) << error;
  }
}

// The runner's own rules, so that a broken matcher cannot make every case pass.
TEST(ApiCaseMatcher, SubsetSemantics) {
  using nlohmann::json;
  const json actual =
      json::parse(R"({"a":1,"b":{"c":"x","d":[1,2]},"e":null,"f":[{"g":1,"h":2}]})");
  EXPECT_EQ(MatchJson(json::parse(R"({"a":1})"), actual), "");
  EXPECT_EQ(MatchJson(json::parse(R"({"b":{"c":"x"}})"), actual), "");
  EXPECT_EQ(MatchJson(json::parse(R"({"f":[{"g":1}]})"), actual), "");
  EXPECT_EQ(MatchJson(json::parse(R"({"a":1.0})"), actual), "");
  EXPECT_EQ(MatchJson(json::parse(R"({"e":"<any>","z":"<absent>"})"), actual), "");
  EXPECT_EQ(MatchJson(json::parse(R"({"b":"<not-null>"})"), actual), "");
  EXPECT_NE(MatchJson(json::parse(R"({"a":2})"), actual), "");
  EXPECT_NE(MatchJson(json::parse(R"({"a":"1"})"), actual), "");
  EXPECT_NE(MatchJson(json::parse(R"({"z":1})"), actual), "");
  EXPECT_NE(MatchJson(json::parse(R"({"a":"<absent>"})"), actual), "");
  EXPECT_NE(MatchJson(json::parse(R"({"e":"<not-null>"})"), actual), "");
  EXPECT_NE(MatchJson(json::parse(R"({"b":{"d":[1]}})"), actual), "");    // length differs
  EXPECT_NE(MatchJson(json::parse(R"({"b":{"d":[2,1]}})"), actual), "");  // order matters
  EXPECT_NE(MatchJson(json::parse(R"({"f":[{"g":1,"x":0}]})"), actual), "");
  EXPECT_NE(MatchJson(json::parse(R"({"e":{}})"), actual), "");
}

TEST(ApiCaseMatcher, PathPatterns) {
  EXPECT_TRUE(PathMatchesPattern("/api/v1/persons/12", "/api/v1/persons/{id}"));
  EXPECT_TRUE(PathMatchesPattern("/api/v1/persons?limit=2", "/api/v1/persons"));
  EXPECT_FALSE(PathMatchesPattern("/api/v1/persons/12/x", "/api/v1/persons/{id}"));
  EXPECT_FALSE(PathMatchesPattern("/api/v1/persons/", "/api/v1/persons/{id}"));
  EXPECT_FALSE(PathMatchesPattern("/api/v1/corps", "/api/v1/persons"));
}

}  // namespace
}  // namespace zhizhi::e2e

// `zhizhi address standardize` from the command line: JSON lines in input order with per-line
// errors, and with --data the district's standard-address base beside a running server — the
// API's answer, with the standard address id and a road typed one character off corrected.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_server.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;

std::vector<json> Lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    lines.push_back(json::parse(line, nullptr, /*allow_exceptions=*/false));
  return lines;
}

TEST(AddressCliTest, StandardisesLinesAndMatchesTheBaseBesideARunningServer) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const HttpResponse imported =
      server.Api("POST", "/api/v1/addresses/imports",
                 json{{"format", "csv"},
                      {"content", "code,kind,address\nD2,door,钱塘区下沙街道上沙社区学林街188号\n"}}
                     .dump());
  ASSERT_EQ(imported.status, 200) << imported.Describe();
  const HttpResponse listed = server.Api("GET", "/api/v1/addresses?q=D2");
  ASSERT_EQ(listed.status, 200) << listed.Describe();
  ASSERT_EQ(listed.json["items"].size(), 1u) << listed.Describe();
  const std::int64_t door = listed.json["items"][0]["id"];

  const std::string input = server.root() + "/addresses.txt";
  WriteFileBytes(input,
                 "钱塘区学琳街188号\n"
                 "{\"id\":\"x-7\",\"input\":\"钱塘区学林街188号\"}\n"
                 "\n"
                 "今天天气不错\n");

  // Without the base: what was typed, no standard address.
  const ProcessResult plain =
      RunZhizhi({"address", "standardize", "--threads", "2"}, std::chrono::seconds(60), input);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::vector<json> lines = Lines(plain.out);
  ASSERT_EQ(lines.size(), 4u) << plain.out;
  EXPECT_EQ(lines[0]["id"], 1);
  EXPECT_EQ(lines[0]["road"], "学琳街") << lines[0].dump();
  EXPECT_FALSE(lines[0].contains("standard_address_id") &&
               !lines[0]["standard_address_id"].is_null())
      << lines[0].dump();
  EXPECT_EQ(lines[1]["id"], "x-7");
  EXPECT_TRUE(lines[2].contains("error")) << lines[2].dump();
  EXPECT_EQ(lines[3]["error"]["code"], "not_an_address") << lines[3].dump();

  // With the base of the running server's data directory: the API's answers.
  const ProcessResult matched =
      RunZhizhi({"address", "standardize", "--data", server.data_dir(), "--region", "330114"},
                std::chrono::seconds(60), input);
  ASSERT_EQ(matched.exit_code, 0) << matched.err;
  lines = Lines(matched.out);
  ASSERT_EQ(lines.size(), 4u) << matched.out;
  EXPECT_EQ(lines[0]["id"], 1);
  EXPECT_EQ(lines[0]["road"], "学林街") << lines[0].dump();
  EXPECT_EQ(lines[0]["road_as_typed"], "学琳街") << lines[0].dump();
  EXPECT_EQ(lines[0]["standard_address_id"], door) << lines[0].dump();
  EXPECT_EQ(lines[0]["village"], "330114001005") << lines[0].dump();
  EXPECT_EQ(lines[1]["id"], "x-7");
  EXPECT_EQ(lines[1]["standard_address_id"], door) << lines[1].dump();
  EXPECT_EQ(lines[2]["id"], 3);
  EXPECT_TRUE(lines[2].contains("error")) << lines[2].dump();
  EXPECT_EQ(lines[3]["error"]["code"], "not_an_address") << lines[3].dump();
  // The server went on meanwhile.
  EXPECT_EQ(server.Api("GET", "/healthz").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

// `zhizhi address import`: the register of roads (and addresses) into a data directory without a
// server, all or nothing, audited; then standardize --data corrects a road typed by ear.
TEST(AddressCliTest, ImportsARegisterOfRoadsIntoADataDirectory) {
  TestServer scratch;  // not started: its directory, removed at the end
  const std::string data = scratch.data_dir();
  const std::string bad = scratch.root() + "/bad.csv";
  WriteFileBytes(bad,
                 "code,kind,address\n"
                 "R1,road,浙江省杭州市钱塘区学源街\n"
                 "R2,road,学源街\n");
  ProcessResult run =
      RunZhizhi({"address", "import", "--data", data, "--file", bad}, std::chrono::seconds(60));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find(":3: county_unsettled"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nothing was written"), std::string::npos) << run.err;

  const std::string roads = scratch.root() + "/roads.csv";
  WriteFileBytes(roads,
                 "code,kind,address\n"
                 "R1,road,浙江省杭州市钱塘区学源街\n"
                 "R2,街路巷,钱塘区学林街\n");
  run = RunZhizhi({"address", "import", "--data", data, "--file", roads}, std::chrono::seconds(60));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("2 imported, 0 updated, 0 rejected"), std::string::npos) << run.out;
  // Again: the same codes are updates.
  run = RunZhizhi({"address", "import", "--data", data, "--file", roads}, std::chrono::seconds(60));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("0 imported, 2 updated"), std::string::npos) << run.out;

  const std::string input = scratch.root() + "/typed.txt";
  WriteFileBytes(input, "杭州市钱塘区学元街9号\n杭州市钱塘区学院街9号\n");
  run = RunZhizhi({"address", "standardize", "--data", data}, std::chrono::seconds(60), input);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<json> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 2u) << run.out;
  // 元 sounds like 源 (yuan): 学源街, without a door plate in the base.
  EXPECT_EQ(lines[0]["road"], "学源街") << lines[0].dump();
  EXPECT_EQ(lines[0]["road_as_typed"], "学元街") << lines[0].dump();
  // 学院街 is one character off both 学源街 and 学林街; 院 sounds like 源 (yuan), not like 林.
  EXPECT_EQ(lines[1]["road"], "学源街") << lines[1].dump();
  EXPECT_EQ(lines[1]["road_as_typed"], "学院街") << lines[1].dump();

  // Each import that wrote is in the audit trail as the command; the refused one wrote nothing.
  EXPECT_EQ(QueryScalar(data + "/zhizhi.db",
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'addresses.import'"),
            "2");
  EXPECT_EQ(QueryScalar(data + "/zhizhi.db", "SELECT COUNT(*) FROM standard_roads"), "2");
}

}  // namespace
}  // namespace zhizhi::e2e

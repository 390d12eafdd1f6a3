// `zhizhi import --data DIR KIND FILE.csv`: CSV files written here are imported with the real
// binary, then checked in the database and through the API of a server started on the same
// directory.
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_server.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ImportTest : public ::testing::Test {
 protected:
  // Writes `content` to ROOT/NAME and returns the path.
  std::string Csv(const std::string& name, std::string_view content) {
    const std::string path = server_.root() + "/" + name;
    WriteFileBytes(path, content);
    return path;
  }

  ProcessResult Import(const std::string& kind, const std::string& file,
                       std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"import", "--data", server_.data_dir(),
                                     kind,     file,     "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunZhizhi(args);
  }

  // Imports and expects every row to be written.
  void ImportAll(const std::string& kind, const std::string& file, int rows) {
    const ProcessResult r = Import(kind, file);
    EXPECT_EQ(r.exit_code, 0) << kind << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_TRUE(Contains(r.out, kind + ": " + std::to_string(rows) + " rows read (utf-8), " +
                                    std::to_string(rows) + " imported, 0 rejected"))
        << r.out;
  }

  std::int64_t Count(const std::string& table) {
    return server_.Count("SELECT COUNT(*) FROM " + table);
  }

  TestServer server_;
};

TEST_F(ImportTest, EveryKindImportsAndIsServedByTheApi) {
  ImportAll("corps",
            Csv("corps.csv",
                "uscc,name,legal_person,address\n"
                "91350100M000100Y43,钱塘建设,王五,\"杭州市钱塘区1号, 2幢\"\n"
                "91331122ma2a0m9b7n,丽水劳务,,\n"),
            2);
  ImportAll("projects",
            Csv("projects.csv",
                "code,name,region_code,address,lat,lng,status,start_date\n"
                "P1,一号工地,330114,义蓬街道,30.29,120.49,active,2026-01-01\n"
                "P2,二号工地,330114,,,,,\n"),
            2);
  ImportAll("project_corps",
            Csv("project_corps.csv",
                "project_code,uscc,corp_type\n"
                "P1,91350100M000100Y43,009\n"
                "P1,91331122MA2A0M9B7N,006\n"),
            2);
  ImportAll("persons",
            Csv("persons.csv",
                "id_type,id_number,name,phone,nation,id_address\n"
                "01,11010519491231002x,张三,13812345678,汉族,北京市朝阳区\n"
                "01,440524188001010014,李四,,01,\n"
                "08,e12345678,John Smith,,,\n"),
            3);
  ImportAll("teams",
            Csv("teams.csv",
                "project_code,name,uscc\n"
                "P1,钢筋一班,91331122MA2A0M9B7N\n"
                "P1,总包管理组,91350100M000100Y43\n"),
            2);
  ImportAll("certificates",
            Csv("certificates.csv",
                "id_number,kind,type_code,number,issuer,valid_from,valid_to\n"
                "11010519491231002X,registered,constructor_1,浙133000001,住建部," +
                    ChinaDate(-100) + "," + ChinaDate(700) +
                    "\n"
                    "11010519491231002x,safety_post,B,浙建安B0001,," +
                    ChinaDate(-700) + "," + ChinaDate(10) +
                    "\n"
                    "440524188001010014,special_operation,01,浙A01000001,," +
                    ChinaDate(-700) + "," + ChinaDate(-1) + "\n"),
            3);
  ImportAll(
      "enrolments",
      Csv("enrolments.csv",
          "project_code,id_number,team_name,uscc,work_role,work_type,post,entry_date\n"
          "P1,11010519491231002X,总包管理组,91350100M000100Y43,10,,project_manager,2026-01-05\n"
          "P1,440524188001010014,钢筋一班,91331122MA2A0M9B7N,20,020,," +
              ChinaDate(-3) + "\n"),
      2);
  // Imports write no token; the first server start makes one.
  EXPECT_EQ(Count("api_tokens"), 0);

  ASSERT_TRUE(server_.Start());
  HttpResponse r = server_.Api("GET", "/api/v1/corps/91350100M000100Y43");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json["name"], "钱塘建设");
  EXPECT_EQ(r.json["address"], "杭州市钱塘区1号, 2幢");
  EXPECT_EQ(r.json["projects"].size(), 1u);
  EXPECT_EQ(server_.Api("GET", "/api/v1/corps/91331122MA2A0M9B7N").status, 200);

  r = server_.Api("GET", "/api/v1/persons?id_number=11010519491231002X");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json["items"].size(), 1u) << r.Describe();
  const json zhang = r.json["items"][0];
  EXPECT_EQ(zhang["name"], "张三");
  EXPECT_EQ(zhang["sex"], "female");
  EXPECT_EQ(zhang["birth_date"], "1949-12-31");
  EXPECT_EQ(zhang["nation"], "01");
  ASSERT_EQ(zhang["certificates"].size(), 2u);
  EXPECT_EQ(zhang["certificates"][0]["status"], "valid");
  EXPECT_EQ(zhang["certificates"][1]["status"], "expiring");
  ASSERT_EQ(zhang["enrolments"].size(), 1u);
  EXPECT_EQ(zhang["enrolments"][0]["post"], "project_manager");
  EXPECT_EQ(zhang["enrolments"][0]["team_name"], "总包管理组");

  r = server_.Api("GET", "/api/v1/persons?id_number=E12345678&id_type=08");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["items"].size(), 1u) << r.Describe();

  r = server_.Api("GET", "/api/v1/projects/P1");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json["status"], "active");
  EXPECT_EQ(r.json["lat"], 30.29);
  EXPECT_EQ(r.json["corps"].size(), 2u);
  ASSERT_EQ(r.json["teams"].size(), 2u);
  EXPECT_EQ(r.json["teams"][0]["name"], "钢筋一班");
  EXPECT_EQ(r.json["teams"][0]["member_count"], 1);
  EXPECT_EQ(r.json["enrolled"]["managers"], 1);
  EXPECT_EQ(r.json["enrolled"]["workers"], 1);
  EXPECT_EQ(r.json["posts"][0]["holders"][0]["name"], "张三");

  r = server_.Api("GET", "/api/v1/projects/P2");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["status"], "planned");

  r = server_.Api("GET", "/api/v1/projects/P1/workers");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json["items"].size(), 2u);
  EXPECT_EQ(r.json["items"][1]["id_number"], "440524188001010014");
  EXPECT_EQ(r.json["items"][1]["work_type_name"], "钢筋工");
  EXPECT_EQ(r.json["items"][1]["team_name"], "钢筋一班");
  EXPECT_EQ(server_.Stop(), 0);

  // The clear ID numbers are nowhere in the database file.
  EXPECT_FALSE(Contains(ReadFileBytes(server_.db_path()), "11010519491231002X"));
  EXPECT_FALSE(Contains(ReadFileBytes(server_.db_path()), "440524188001010014"));
}

TEST_F(ImportTest, OneBadRowWritesNothing) {
  const std::string file = Csv("persons.csv",
                               "id_type,id_number,name\n"
                               "01,11010519491231002X,张三\n"
                               "01,530102192005080119,坏号\n"
                               "01,440524188001010014,李四\n"
                               "18,330114198503120116,王五\n"
                               "01,330114199001010229,\n");
  const ProcessResult r = Import("persons", file);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, file + ":3: invalid_argument field=id_number: ")) << r.err;
  EXPECT_TRUE(Contains(r.err, file + ":5: invalid_argument field=id_type: ")) << r.err;
  EXPECT_TRUE(Contains(r.err, file + ":6: invalid_argument field=name: name is required")) << r.err;
  EXPECT_FALSE(Contains(r.err, file + ":2:")) << r.err;
  EXPECT_FALSE(Contains(r.err, file + ":4:")) << r.err;
  EXPECT_TRUE(Contains(r.out, "persons: 5 rows read (utf-8), 0 imported, 3 rejected")) << r.out;
  EXPECT_TRUE(Contains(r.out, "nothing written")) << r.out;
  EXPECT_EQ(Count("persons"), 0);
}

TEST_F(ImportTest, PartialKeepsTheGoodRowsAndErrorsFileListsTheBadOnes) {
  const std::string file = Csv("persons.csv",
                               "id_type,id_number,name\n"
                               "01,11010519491231002X,张三\n"
                               "01,530102192005080119,坏号\n"
                               "01,440524188001010014,李四\n"
                               "18,330114198503120116,王五\n");
  const std::string errors = server_.root() + "/errors.csv";
  const ProcessResult r = Import("persons", file, {"--partial", "--errors", errors});
  // Rows were rejected, so the exit code still says so.
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "persons: 4 rows read (utf-8), 2 imported, 2 rejected")) << r.out;
  EXPECT_FALSE(Contains(r.out, "nothing written")) << r.out;
  EXPECT_EQ(Count("persons"), 2);
  EXPECT_EQ(
      server_.Query("SELECT group_concat(name, ',') FROM (SELECT name FROM persons ORDER BY id)"),
      "张三,李四");

  const std::string content = ReadFileBytes(errors);
  std::vector<std::string> lines;
  for (size_t start = 0; start < content.size();) {
    const size_t end = content.find('\n', start);
    lines.push_back(content.substr(start, end - start));
    start = end == std::string::npos ? content.size() : end + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << content;
  EXPECT_EQ(lines[0], "line,field,code,message");
  EXPECT_TRUE(lines[1].rfind("3,id_number,invalid_argument,\"", 0) == 0) << lines[1];
  // Quotes inside the message are doubled (RFC 4180).
  EXPECT_TRUE(lines[2].rfind("5,id_type,invalid_argument,\"unknown ID type \"\"18\"\"", 0) == 0)
      << lines[2];
  EXPECT_EQ(lines[2].back(), '"');

  // Importing the same file again: the good rows are now duplicates.
  const ProcessResult again = Import("persons", file, {"--partial"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, file + ":2: already_exists field=id_number")) << again.err;
  EXPECT_TRUE(Contains(again.out, "0 imported, 4 rejected")) << again.out;
  EXPECT_EQ(Count("persons"), 2);
}

TEST_F(ImportTest, GbkFilesAreConverted) {
  // 张三 and 李四 in GBK: D5C5 C8FD and C0EE CBC4.
  const std::string file = Csv("gbk.csv",
                               "id_type,id_number,name\r\n"
                               "01,330114198503120116,\xD5\xC5\xC8\xFD\r\n"
                               "01,330114199001010229,\xC0\xEE\xCB\xC4\r\n");
  const ProcessResult r = Import("persons", file);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "persons: 2 rows read (gb18030), 2 imported, 0 rejected")) << r.out;
  EXPECT_EQ(server_.Query("SELECT name FROM persons WHERE birth_date = '1985-03-12'"), "张三");
  EXPECT_EQ(server_.Query("SELECT name FROM persons WHERE birth_date = '1990-01-01'"), "李四");

  ASSERT_TRUE(server_.Start());
  const HttpResponse p = server_.Api("GET", "/api/v1/persons?id_number=330114199001010229");
  ASSERT_EQ(p.status, 200);
  ASSERT_EQ(p.json["items"].size(), 1u);
  EXPECT_EQ(p.json["items"][0]["name"], "李四");
  EXPECT_EQ(p.json["items"][0]["sex"], "female");
  EXPECT_EQ(server_.Stop(), 0);
}

TEST_F(ImportTest, UnknownAndMissingColumnsAreRefused) {
  const std::string unknown = Csv("unknown.csv",
                                  "id_type,id_number,name,salary\n"
                                  "01,11010519491231002X,张三,8000\n");
  ProcessResult r = Import("persons", unknown);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "unknown column \"salary\"")) << r.err;
  EXPECT_EQ(Count("persons"), 0);

  const std::string missing = Csv("missing.csv",
                                  "id_type,id_number\n"
                                  "01,11010519491231002X\n");
  r = Import("persons", missing);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "missing required column \"name\"")) << r.err;
  EXPECT_EQ(Count("persons"), 0);

  const std::string twice = Csv("twice.csv",
                                "id_type,id_number,name,name\n"
                                "01,11010519491231002X,张三,张三\n");
  r = Import("persons", twice);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "appears twice")) << r.err;

  r = Import("people", unknown);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "unknown import kind \"people\"")) << r.err;

  const std::string empty = Csv("empty.csv", "");
  r = Import("persons", empty);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(Count("persons"), 0);
}

TEST_F(ImportTest, DuplicateIdInOneFileIsRejectedOnTheSecondLine) {
  const std::string file = Csv("dup.csv",
                               "id_type,id_number,name\n"
                               "01,11010519491231002X,张三\n"
                               "01,440524188001010014,李四\n"
                               "01,11010519491231002x,张三又一次\n");
  const ProcessResult r = Import("persons", file);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, file + ":4: already_exists field=id_number")) << r.err;
  EXPECT_FALSE(Contains(r.err, file + ":2:")) << r.err;
  EXPECT_EQ(Count("persons"), 0);
}

TEST_F(ImportTest, RowsBreakingRulesNameTheirLineAndCode) {
  ImportAll("corps", Csv("corps.csv", "uscc,name\n91350100M000100Y43,钱塘建设\n"), 1);
  ImportAll("projects", Csv("projects.csv", "code,name,region_code\nP1,一号工地,330114\n"), 1);
  const std::string file = Csv("bad_links.csv",
                               "project_code,uscc,corp_type\n"
                               "P1,91350100M000100Y43,009\n"
                               "P1,91331122MA2A0M9B7N,006\n"
                               "NOPE,91350100M000100Y43,009\n"
                               "P1,91350100M000100Y43,009,extra\n");
  const ProcessResult r = Import("project_corps", file);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, file + ":3: corp_not_registered field=uscc")) << r.err;
  EXPECT_TRUE(Contains(r.err, file + ":4: not_found")) << r.err;
  EXPECT_TRUE(Contains(r.err, file + ":5: invalid_argument: row has 4 fields")) << r.err;
  EXPECT_EQ(Count("project_corps"), 0);

  // Enrolments by ID number and team name: unknown people and teams are named.
  ImportAll("project_corps",
            Csv("pc.csv", "project_code,uscc,corp_type\nP1,91350100M000100Y43,009\n"), 1);
  ImportAll("persons", Csv("persons.csv", "id_type,id_number,name\n01,11010519491231002X,张三\n"),
            1);
  const std::string enrol =
      Csv("enrol.csv",
          "project_code,id_number,team_name,uscc,work_role,work_type,entry_date\n"
          "P1,11010519491231002X,没有这个班,91350100M000100Y43,20,020,2026-01-05\n"
          "P1,440524188001010014,,91350100M000100Y43,20,020,2026-01-05\n"
          "P1,530102192005080119,,91350100M000100Y43,20,020,2026-01-05\n");
  const ProcessResult e = Import("enrolments", enrol);
  EXPECT_EQ(e.exit_code, 1) << e.out << e.err;
  EXPECT_TRUE(Contains(e.err, enrol + ":2: team_not_found field=team_name")) << e.err;
  EXPECT_TRUE(Contains(e.err, enrol + ":3: person_not_found field=id_number")) << e.err;
  EXPECT_TRUE(Contains(e.err, enrol + ":4: invalid_argument field=id_number")) << e.err;
  EXPECT_EQ(Count("enrolments"), 0);
}

TEST_F(ImportTest, ImportIsRefusedWhileAServerRunsOnTheDirectory) {
  const std::string file =
      Csv("persons.csv", "id_type,id_number,name\n01,11010519491231002X,张三\n");
  ASSERT_TRUE(server_.Start());
  const ProcessResult r = Import("persons", file);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "in use by another zhizhi process")) << r.err;
  EXPECT_EQ(Count("persons"), 0);
  EXPECT_EQ(server_.Api("GET", "/healthz").status, 200);
  EXPECT_EQ(server_.Stop(), 0);

  ImportAll("persons", file, 1);
  EXPECT_EQ(Count("persons"), 1);
}

}  // namespace
}  // namespace zhizhi::e2e

namespace zhizhi::e2e {
namespace {

// `zhizhi import-source`: a base-data feed of any size up to 2 GiB from the command line,
// imported and linked; the server started afterwards answers its golden records. A 10 GB file is
// refused before a byte of it is read, and leaves nothing behind.
TEST(ImportSourceTest, FeedsAreImportedAndLinkedAndAHugeFileIsRefused) {
  TestServer server;
  const std::string mapping = server.root() + "/ps.json";
  WriteFileBytes(mapping, R"({"kind":"person","format":"csv","encoding":"gbk","key":"编号",
    "fields":{"name":"姓名","id_number":"身份证","phone":"电话"}})");
  // GBK bytes of: 编号,姓名,身份证,电话 / P1,王丽,330114199003071236,13800001234 / P2,王丽,
  // 330114199003071236, (the same woman twice) / P3,李强,411522198511203379,
  const std::string gbk =
      "\xB1\xE0\xBA\xC5,\xD0\xD5\xC3\xFB,\xC9\xED\xB7\xDD\xD6\xA4,\xB5\xE7\xBB\xB0\n"
      "P1,\xCD\xF5\xC0\xF6,330114199003071236,13800001234\n"
      "P2,\xCD\xF5\xC0\xF6,330114199003071236,\n"
      "P3,\xC0\xEE\xC7\xBF,411522198511203379,\n";
  const std::string feed = server.root() + "/ps.csv";
  WriteFileBytes(feed, gbk);
  ProcessResult r = RunZhizhi(
      {"import-source", "--data", server.data_dir(), "ps_population", feed, "--mapping", mapping},
      120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json status = json::parse(r.out);
  EXPECT_EQ(status["status"], "linked") << r.out;
  EXPECT_EQ(status["counts"]["added"], 3);
  EXPECT_EQ(status["linkage"]["entities"], 2);
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM entities WHERE kind = 'person'"), 2);

  // 10 GB of nothing (a sparse file): refused by its size, not read.
  const std::string huge = server.root() + "/huge.csv";
  WriteFileBytes(huge, "");
  ASSERT_EQ(::truncate(huge.c_str(), 10'000'000'000LL), 0);
  r = RunZhizhi(
      {"import-source", "--data", server.data_dir(), "ps_population", huge, "--mapping", mapping});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.err, "too_large")) << r.err;
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM basedata_imports"), 1);
  ::unlink(huge.c_str());

  // The mapping names a column the file lacks: nothing is written.
  WriteFileBytes(mapping, R"({"kind":"person","key":"编号","encoding":"gbk",
    "fields":{"name":"姓名","birth_date":"出生日期"}})");
  r = RunZhizhi(
      {"import-source", "--data", server.data_dir(), "ps_population", feed, "--mapping", mapping});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.err, "mapping.fields.birth_date")) << r.err;
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM source_records"), 3);

  ASSERT_TRUE(server.Start());
  HttpResponse people = server.Api("GET", "/api/v1/people?q=王丽");
  ASSERT_EQ(people.status, 200) << people.Describe();
  ASSERT_EQ(people.json["items"].size(), 1u) << people.Describe();
  EXPECT_EQ(people.json["items"][0]["records"], 2);
  EXPECT_EQ(people.json["items"][0]["phone"], "13800001234");
}

}  // namespace
}  // namespace zhizhi::e2e

// `zhizhi scan` beside a running server, and `zhizhi report posts` as text and CSV.
#include <gtest/gtest.h>

#include <thread>

#include "test_server.h"

namespace zhizhi::e2e {
namespace {

// Two live projects of one general contractor; the project manager of P1 also manages P2.
void SeedConflict(TestServer& server) {
  const std::string from = ChinaDate(-400), to = ChinaDate(400);
  ASSERT_EQ(
      server.Api("POST", "/api/v1/corps", R"({"uscc":"91350100M000100Y43","name":"钱塘建设"})")
          .status,
      201);
  for (const char* code : {"P1", "P2"}) {
    ASSERT_EQ(server
                  .Api("POST", "/api/v1/projects",
                       std::string(R"({"code":")") + code + R"(","name":"工地)" + code +
                           R"(","region_code":"330114","status":"active","start_date":")" +
                           ChinaDate(-60) + "\"}")
                  .status,
              201);
    ASSERT_EQ(server
                  .Api("POST", std::string("/api/v1/projects/") + code + "/corps",
                       R"({"uscc":"91350100M000100Y43","corp_type":"009"})")
                  .status,
              201);
  }
  auto person = server.Api("POST", "/api/v1/persons",
                           R"({"id_type":"01","id_number":"330114198503120116","name":"李四"})");
  ASSERT_EQ(person.status, 201);
  const std::string id = std::to_string(person.json["id"].get<int>());
  for (const char* cert : {R"("kind":"registered","type_code":"constructor_1","number":"浙1")",
                           R"("kind":"safety_post","type_code":"B","number":"浙B1")"}) {
    ASSERT_EQ(server
                  .Api("POST", "/api/v1/persons/" + id + "/certificates",
                       std::string("{") + cert + R"(,"valid_from":")" + from + R"(","valid_to":")" +
                           to + "\"}")
                  .status,
              201);
  }
  for (const char* code : {"P1", "P2"}) {
    ASSERT_EQ(server
                  .Api("POST", std::string("/api/v1/projects/") + code + "/workers",
                       R"({"person_id":)" + id +
                           R"(,"uscc":"91350100M000100Y43","work_role":"10","work_type":"900",)"
                           R"("post":"project_manager","entry_date":")" +
                           ChinaDate(-30) + "\"}")
                  .status,
              201);
  }
}

TEST(AlertsCliTest, ScanBesideARunningServerAndThePostLedger) {
  TestServer server;
  ASSERT_TRUE(server.Start({"--project-scan-interval", "86400"}));
  SeedConflict(server);
  const std::int64_t active =
      server.Count("SELECT COUNT(*) FROM alerts WHERE status != 'resolved'");
  EXPECT_GT(active, 0);

  // The scan runs while the server keeps taking writes on the same data directory.
  std::thread writes([&] {
    HttpClient client(server.port());
    for (int i = 0; i < 20; ++i) {
      auto r = client.Request(
          "POST", "/api/v1/corps",
          R"({"uscc":"9133011MA2B0000)" + std::to_string(i % 10) + "X" + R"(","name":"x"})",
          server.token());
      (void)r;  // some USCCs are invalid on purpose; the point is concurrent traffic
    }
  });
  auto scan = RunZhizhi({"scan", "--data", server.data_dir()});
  writes.join();
  EXPECT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_NE(scan.out.find("0 opened, 0 changed, 0 resolved"), std::string::npos) << scan.out;
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM alerts WHERE status != 'resolved'"), active);
  EXPECT_EQ(server.Api("GET", "/api/v1/alerts?type=post_conflict").json["counts"]["total"], 2);

  // Judged a year later the certificates have expired: the scan says so.
  auto later =
      RunZhizhi({"scan", "--data", server.data_dir(), "--now", ChinaDate(500) + "T09:00:00+08:00"});
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_GT(server.Count("SELECT COUNT(*) FROM alerts WHERE type = 'certificate_expired' AND "
                         "status = 'open'"),
            0);

  const std::string csv = server.root() + "/ledger.csv";
  auto report = RunZhizhi({"report", "posts", "--data", server.data_dir(), "--all", "--csv", csv});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("== P1 工地P1"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("post_conflict"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("(vacant)"), std::string::npos) << report.out;
  const std::string bytes = ReadFileBytes(csv);
  EXPECT_EQ(bytes.rfind("\xEF\xBB\xBFproject_code,", 0), 0u);
  EXPECT_NE(bytes.find("330114********0116"), std::string::npos);
  EXPECT_EQ(bytes.find("330114198503120116"), std::string::npos);  // never the full number

  auto bad = RunZhizhi({"report", "posts", "--data", server.data_dir(), "--project", "NOPE"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace zhizhi::e2e

// End-to-end tests of what the command screen stands on: the static files `serve --web` serves
// (content types, ETags, caching, client routes, no way out of the directory), the demo district
// (seeded and reproducible, realistic, with the anomalies it promises, the same rules as the
// API), the stats it draws, and `serve --simulate` (plays passes, stops with the server).
// The browser tests of the screen itself are web/e2e/screen.test.mjs.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "base/resident_id.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// ------------------------------------------------------------------------------- static files

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_ = server_.root() + "/web";
    std::filesystem::create_directories(web_ + "/assets");
    std::filesystem::create_directories(web_ + "/.git");
    WriteFileBytes(web_ + "/index.html", "<!doctype html><title>screen</title>");
    WriteFileBytes(web_ + "/assets/app-1a2b3c.js", "console.log('绿码')");
    WriteFileBytes(web_ + "/assets/app-1a2b3c.css", "body{}");
    WriteFileBytes(web_ + "/favicon.svg", "<svg/>");
    WriteFileBytes(web_ + "/.env", "SECRET=1");
    WriteFileBytes(web_ + "/.git/config", "[core]");
    WriteFileBytes(server_.root() + "/outside.txt", "outside");
    std::filesystem::create_symlink(server_.root() + "/outside.txt", web_ + "/link.txt");
    ASSERT_TRUE(server_.Start({"--web", web_}));
  }
  HttpResponse Get(const std::string& path, const Headers& headers = {}) {
    return server_.Request("GET", path, "", std::nullopt, headers);
  }

  TestServer server_;
  std::string web_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesEtagsAndCaching) {
  HttpResponse index = Get("/");
  ASSERT_EQ(index.status, 200) << index.Describe();
  EXPECT_EQ(index.body, "<!doctype html><title>screen</title>");
  EXPECT_EQ(index.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("Cache-Control"), "no-cache");
  EXPECT_TRUE(Contains(index.Header("Content-Security-Policy"), "default-src 'self'"));
  EXPECT_EQ(index.Header("X-Frame-Options"), "DENY");
  const std::string etag = index.Header("ETag");
  ASSERT_EQ(etag.size(), 34u) << etag;
  EXPECT_EQ(etag.front(), '"');

  HttpResponse js = Get("/assets/app-1a2b3c.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log('绿码')");
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.Header("Cache-Control"), "public, max-age=31536000, immutable");
  // Every response carries the server's security headers; only HTML gets the screen's policy.
  EXPECT_TRUE(Contains(js.Header("Content-Security-Policy"), "default-src 'none'"));
  EXPECT_EQ(js.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Get("/assets/app-1a2b3c.css").Header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(Get("/favicon.svg").Header("Content-Type"), "image/svg+xml");

  // Revalidation: the same ETag answers 304 without a body; a list or a weak tag too.
  HttpResponse again = Get("/", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.Header("ETag"), etag);
  EXPECT_EQ(Get("/", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
  EXPECT_EQ(Get("/", {{"If-None-Match", "\"other\""}}).status, 200);
  // HEAD: the headers of a GET.
  HttpResponse head = server_.Request("HEAD", "/assets/app-1a2b3c.js", "", std::nullopt);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(StaticFilesTest, ClientRoutesGetIndexAndNothingOutsideCanBeReached) {
  for (const char* route : {"/projects/QT2025001", "/persons/12", "/alerts", "/login"}) {
    HttpResponse r = Get(route);
    EXPECT_EQ(r.status, 200) << route;
    EXPECT_EQ(r.body, "<!doctype html><title>screen</title>") << route;
  }
  // A missing file (it has an extension) is a 404, not index.html.
  EXPECT_EQ(Get("/assets/missing-123.js").status, 404);
  // Dot-files, symbolic links and anything above the directory are never served.
  for (const char* path :
       {"/.env", "/.git/config", "/link.txt", "/../outside.txt", "/%2e%2e/outside.txt",
        "/assets/..%2f..%2foutside.txt", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/a%00.js"}) {
    HttpResponse r = Get(path);
    EXPECT_FALSE(Contains(r.body, "outside")) << path;
    EXPECT_FALSE(Contains(r.body, "SECRET")) << path;
    EXPECT_FALSE(Contains(r.body, "[core]")) << path;
    EXPECT_TRUE(r.status == 404 || r.body == "<!doctype html><title>screen</title>")
        << path << " " << r.Describe();
  }
  // The API keeps its JSON errors and its authentication.
  HttpResponse api = Get("/api/v1/nothing-here");
  EXPECT_EQ(api.status, 404);
  EXPECT_TRUE(Contains(api.body, "\"not_found\""));
  EXPECT_EQ(Get("/api/v1/corps").status, 401);
  EXPECT_EQ(Get("/api").status, 404);
  // Other methods are not static.
  EXPECT_EQ(server_.Request("POST", "/index.html", "{}", std::nullopt).status, 404);
  EXPECT_EQ(server_.Request("DELETE", "/", "", std::nullopt).status, 404);
}

TEST(StaticFilesStartTest, ServerStartsWithoutAScreen) {
  TestServer server;
  ASSERT_TRUE(server.Start({"--web", server.root() + "/no-such-dir"}));
  EXPECT_TRUE(Contains(server.Log(), "event=web_unavailable"));
  EXPECT_EQ(server.Request("GET", "/", "", std::nullopt).status, 404);
  EXPECT_EQ(server.Api("GET", "/api/v1/corps").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

// ------------------------------------------------------------------------------- demo district

struct Demo {
  std::string dir;
  ProcessResult result;
};

Demo SeedDemo(const std::string& root, const std::string& name, int seed) {
  Demo d;
  d.dir = root + "/" + name;
  d.result = RunZhizhi({"demo", "--data", d.dir, "--projects", "10", "--persons", "1500",
                        "--history-days", "2", "--seed", std::to_string(seed), "--base-data-scale",
                        "0.002", "--iot-scale", "0.01", "--quiet"},
                       120s);
  return d;
}

std::string Rows(const std::string& db, const std::string& sql) {
  return QueryScalar(db, "WITH q(v) AS (" + sql + ") SELECT group_concat(v, '|') FROM q")
      .value_or("<none>");
}

TEST(DemoDistrictTest, IsReproducibleRealisticAndHasWhatTheAlertsLookFor) {
  TestServer server;  // for its temporary directory and, later, a server on the first demo
  const Demo a = SeedDemo(server.root(), "a", 11);
  const Demo b = SeedDemo(server.root(), "b", 11);
  const Demo c = SeedDemo(server.root(), "c", 12);
  ASSERT_EQ(a.result.exit_code, 0) << a.result.err;
  ASSERT_EQ(b.result.exit_code, 0) << b.result.err;
  ASSERT_EQ(c.result.exit_code, 0) << c.result.err;
  EXPECT_TRUE(Contains(a.result.out, "demo district seeded"));
  const std::string dba = a.dir + "/zhizhi.db", dbb = b.dir + "/zhizhi.db",
                    dbc = c.dir + "/zhizhi.db";

  // The same seed gives the same district (apart from creation times and sealed IDs' nonces).
  for (const char* sql :
       {"SELECT code || name || lat || lng || status || address FROM projects ORDER BY code",
        "SELECT name || id_masked || birth_date || IFNULL(id_address, '') FROM persons ORDER BY id",
        "SELECT person_id || project_code || work_type || IFNULL(post, '') || entry_date || "
        "IFNULL(exit_date, '') FROM enrolments ORDER BY id",
        "SELECT person_id || type_code || number || valid_to FROM certificates ORDER BY id",
        "SELECT name || uscc FROM corps ORDER BY uscc",
        "SELECT local_date || person_id || direction || decision || reasons FROM gate_events "
        "WHERE local_date < date('now', '+8 hours') ORDER BY seq"}) {
    EXPECT_EQ(Rows(dba, sql), Rows(dbb, sql)) << sql;
  }
  EXPECT_NE(Rows(dba, "SELECT name FROM persons ORDER BY id"),
            Rows(dbc, "SELECT name FROM persons ORDER BY id"));

  // IoT at a hundredth of the seed's 580 K records: the same devices, points and alarms for the
  // same seed (the passwords are random; their hashes only are kept, the passwords in a file of
  // the owner's); the alarms came through the IoT module's intake, so each has its open alert.
  EXPECT_TRUE(Contains(a.result.out, "IoT: ")) << a.result.out;
  for (const char* sql :
       {"SELECT serial || kind || IFNULL(community_code, '') || IFNULL(project_code, '') || name "
        "FROM iot_devices ORDER BY id",
        "SELECT device_id || part || description FROM iot_parts ORDER BY device_id, part",
        "SELECT device_id || type || IFNULL(part, '') FROM iot_alarms ORDER BY id"}) {
    EXPECT_EQ(Rows(dba, sql), Rows(dbb, sql)) << sql;
  }
  const int iot_records = std::stoi(Rows(dba,
                                         "SELECT (SELECT COUNT(*) FROM iot_devices) + "
                                         "(SELECT COUNT(*) FROM iot_parts)"));
  EXPECT_GT(iot_records, 5000);
  EXPECT_LT(iot_records, 7000);
  EXPECT_NE(Rows(dba, "SELECT COUNT(*) FROM iot_alarms"), "0");
  EXPECT_EQ(Rows(dba,
                 "SELECT COUNT(*) FROM iot_alarms m JOIN alerts a ON a.id = m.alert_id "
                 "WHERE a.status = 'open'"),
            Rows(dba, "SELECT COUNT(*) FROM iot_alarms"));
  struct stat iot_file {};
  ASSERT_EQ(::stat((a.dir + "/demo-iot-devices.csv").c_str(), &iot_file), 0);
  EXPECT_EQ(iot_file.st_mode & 0777, 0600);

  // Base data at a 500th of the seed's scale (2,060 people), linked: the sources' records are
  // fewer people than records, every import is linked, and the workers are a source too.
  EXPECT_TRUE(Contains(a.result.out, "base data seeded")) << a.result.out;
  const int people = std::stoi(Rows(dba, "SELECT COUNT(*) FROM entities WHERE kind = 'person'"));
  const int person_records = std::stoi(Rows(
      dba, "SELECT COUNT(*) FROM source_records WHERE kind = 'person' AND source != 'workforce'"));
  EXPECT_GT(people, 2000);
  EXPECT_LT(people, person_records);
  EXPECT_EQ(Rows(dba, "SELECT COUNT(*) FROM basedata_imports WHERE status != 'linked'"), "0");
  EXPECT_NE(Rows(dba, "SELECT COUNT(*) FROM source_records WHERE source = 'workforce'"), "0");
  EXPECT_EQ(Rows(dba, "SELECT COUNT(*) FROM entities WHERE kind = 'person'"),
            Rows(dbb, "SELECT COUNT(*) FROM entities WHERE kind = 'person'"));

  // Faces of the sample photos through the real pipeline: some workers have an ID-card photo and
  // a live face matched to it (the same workers for the same seed); refusals are reported.
  EXPECT_TRUE(Contains(a.result.out, "faces: ")) << a.result.out;
  EXPECT_GE(std::stoi(QueryScalar(dba,
                                  "SELECT COUNT(DISTINCT person_id) FROM faces WHERE source = "
                                  "'live' AND status = 'active' AND id_score IS NOT NULL")
                          .value_or("0")),
            3);
  EXPECT_EQ(Rows(dba, "SELECT person_id || source || status FROM faces ORDER BY id"),
            Rows(dbb, "SELECT person_id || source || status FROM faces ORDER BY id"));

  // Realistic: Qiantang's code and real streets, sites inside the district, about the persons
  // asked for, every ID number valid, history over the days asked for.
  EXPECT_EQ(QueryScalar(dba, "SELECT COUNT(*) FROM projects"), "10");
  EXPECT_EQ(QueryScalar(dba, "SELECT COUNT(*) FROM projects WHERE region_code <> '330114'"), "0");
  EXPECT_EQ(QueryScalar(dba,
                        "SELECT COUNT(*) FROM projects WHERE lat NOT BETWEEN 30.28 AND 30.38 "
                        "OR lng NOT BETWEEN 120.30 AND 120.55"),
            "0");
  const std::set<std::string> streets = {"下沙街道", "白杨街道", "河庄街道", "义蓬街道",
                                         "新湾街道", "临江街道", "前进街道"};
  const std::string addresses = Rows(dba, "SELECT address FROM projects");
  for (const std::string& a : [&] {
         std::vector<std::string> out;
         size_t start = 0;
         for (size_t bar; (bar = addresses.find('|', start)) != std::string::npos; start = bar + 1)
           out.push_back(addresses.substr(start, bar - start));
         out.push_back(addresses.substr(start));
         return out;
       }()) {
    bool known = false;
    for (const auto& s : streets)
      known = known || Contains(a, "钱塘区" + s);
    EXPECT_TRUE(known) << a;
  }
  const auto persons = std::stoll(QueryScalar(dba, "SELECT COUNT(*) FROM persons").value_or("0"));
  EXPECT_GT(persons, 1300);
  EXPECT_LT(persons, 1700);
  EXPECT_EQ(QueryScalar(dba,
                        "SELECT COUNT(DISTINCT local_date) FROM gate_events "
                        "WHERE local_date < date('now', '+8 hours')"),
            "2");
  EXPECT_EQ(QueryScalar(dba,
                        "SELECT COUNT(*) FROM enrolments WHERE dorm_address NOT LIKE "
                        "'浙江省杭州市钱塘区%建设者之家%'"),
            "0");

  // Planted for the alerts engine: a key post held on two live projects, expired and expiring
  // key-post certificates, a vacant key post, blacklisted people who tried the gate.
  EXPECT_GE(std::stoi(QueryScalar(dba,
                                  "SELECT COUNT(*) FROM (SELECT person_id, post FROM enrolments e "
                                  "JOIN projects p ON p.code = e.project_code WHERE e.exit_date "
                                  "IS NULL AND e.post IN ('project_manager','safety_officer',"
                                  "'chief_supervising_engineer') AND p.status = 'active' GROUP BY "
                                  "person_id, post HAVING COUNT(*) > 1)")
                          .value_or("0")),
            2);
  EXPECT_GE(std::stoi(QueryScalar(dba,
                                  "SELECT COUNT(*) FROM certificates c JOIN enrolments e ON "
                                  "e.person_id = c.person_id AND e.exit_date IS NULL AND e.post "
                                  "IS NOT NULL WHERE c.valid_to < date('now', '+8 hours')")
                          .value_or("0")),
            1);
  EXPECT_GE(std::stoi(QueryScalar(dba,
                                  "SELECT COUNT(*) FROM certificates WHERE kind = "
                                  "'special_operation' AND valid_to BETWEEN date('now', "
                                  "'+8 hours') AND date('now', '+8 hours', '+30 days')")
                          .value_or("0")),
            1);
  EXPECT_GE(std::stoi(QueryScalar(dba, "SELECT COUNT(*) FROM blacklist").value_or("0")), 1);
  EXPECT_GE(std::stoi(QueryScalar(dba,
                                  "SELECT COUNT(*) FROM gate_events WHERE reasons LIKE "
                                  "'%certificate_expired%'")
                          .value_or("0")),
            1);

  // The terminals' tokens are kept for serve --simulate, readable by the owner only.
  struct stat st {};
  ASSERT_EQ(::stat((a.dir + "/demo-devices.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  // A second run refuses to seed over the first.
  ProcessResult again = RunZhizhi({"demo", "--data", a.dir, "--quiet"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_TRUE(Contains(again.err, "not_empty")) << again.err;

  // Through the API: every resident ID number is valid (GB 11643), a person's view is complete,
  // and the stats add up with the log.
  std::filesystem::rename(a.dir, server.data_dir());
  ASSERT_TRUE(server.Start({"--web", ""}));
  HttpResponse list = server.Api("GET", "/api/v1/persons?limit=300");
  ASSERT_EQ(list.status, 200) << list.Describe();
  for (const json& p : list.json["items"]) {
    EXPECT_TRUE(ResidentIdNumber::Parse(p["id_number"].get<std::string>()).ok()) << p.dump();
    EXPECT_GE(p["name"].get<std::string>().size(), 6u) << p.dump();  // two or more characters
  }
  const std::string today = ChinaDate();
  HttpResponse hours = server.Api("GET", "/api/v1/stats/passes?date=" + ChinaDate(-1));
  ASSERT_EQ(hours.status, 200);
  std::int64_t sum = 0;
  for (const json& h : hours.json["hours"])
    sum += h["allowed"].get<std::int64_t>() + h["denied"].get<std::int64_t>();
  EXPECT_EQ(sum, server.Count("SELECT COUNT(*) FROM gate_events WHERE local_date = '" +
                              ChinaDate(-1) + "' AND (flags & 4) = 0"));
  HttpResponse daily = server.Api("GET", "/api/v1/stats/daily?days=3");
  ASSERT_EQ(daily.status, 200);
  EXPECT_EQ(daily.json["items"][1]["present"].get<std::int64_t>(),
            server.Count("SELECT COUNT(DISTINCT person_id) FROM gate_events WHERE local_date = '" +
                         ChinaDate(-1) + "' AND decision = 'allow'"));
  HttpResponse onsite = server.Api("GET", "/api/v1/onsite");
  HttpResponse overview = server.Api("GET", "/api/v1/stats/overview");
  EXPECT_EQ(overview.json["onsite"]["total"], onsite.json["total"]);
  EXPECT_EQ(overview.json["projects"]["total"], 10);
  EXPECT_EQ(server.Stop(), 0);
}

// ------------------------------------------------------------------------------- serve --simulate

TEST(SimulateTest, PlaysPassesThroughTheApiAndStopsWithTheServer) {
  TestServer server;
  const Demo d = SeedDemo(server.root(), "data", 5);
  ASSERT_EQ(d.result.exit_code, 0) << d.result.err;
  const std::int64_t before = [&] {
    return std::stoll(
        QueryScalar(d.dir + "/zhizhi.db", "SELECT COUNT(*) FROM gate_events").value_or("0"));
  }();
  // Fast enough that simulated hours pass in seconds; whatever the hour, someone passes: the
  // plan always has strangers and retries spread over the day.
  ASSERT_TRUE(server.Start(
      {"--web", "", "--simulate", "--simulate-speed", "3600", "--simulate-seed", "3"}));
  // A simulated day lasts 24 s: whatever the hour, the next shift change is less than 24 s away.
  EXPECT_TRUE(WaitUntil(
      [&] {
        return server.Count("SELECT COUNT(*) FROM gate_events WHERE event_id LIKE 'live-%'") > 0;
      },
      30s, 100ms))
      << "no simulated pass within 30 s; log:\n"
      << server.Log();
  EXPECT_GT(server.Count("SELECT COUNT(*) FROM gate_events"), before);
  // Through the API as terminals: every live pass came from a demo terminal.
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM gate_events WHERE event_id LIKE 'live-%' AND "
                         "device_id NOT IN (SELECT id FROM devices WHERE serial LIKE 'QT%')"),
            0);
  // Heartbeats (sent at the start, then every minute): all terminals of active projects but one
  // report.
  const std::string silent =
      "SELECT COUNT(*) FROM devices d JOIN projects p ON p.code = d.project_code WHERE p.status = "
      "'active' AND d.last_seen_at IS NULL";
  EXPECT_TRUE(WaitUntil([&] { return server.Count(silent) == 1; }, 10s))
      << server.Count(silent) << " terminals of active projects have not reported within 10 s";
  // The demo's terminals of other makers play their own protocols: both report, and the ZKTeco
  // terminal pulls its roster and punches in ATTLOG lines (docs/terminals.md).
  EXPECT_TRUE(WaitUntil(
      [&] {
        return server.Count(
                   "SELECT COUNT(*) FROM devices WHERE vendor <> 'zhizhi' AND "
                   "last_seen_at IS NOT NULL") == 2;
      },
      10s))
      << "the Uface and ZKTeco terminals never reported";
  EXPECT_TRUE(WaitUntil(
      [&] {
        return server.Count("SELECT COUNT(*) FROM gate_events WHERE event_id LIKE 'zk-%'") > 0;
      },
      20s))
      << "no ZKTeco punch; log:\n"
      << server.Log();
  EXPECT_GT(server.Count("SELECT roster_synced FROM devices WHERE vendor = 'zkteco'"), 0);
  // The demo's IoT devices that reported during the demo (at least its crane) publish through
  // the server's own broker with their own credentials (docs/iot.md, iot/live_iot.h).
  EXPECT_TRUE(WaitUntil(
      [&] {
        const HttpResponse stats = server.Api("GET", "/api/v1/iot/stats");
        return stats.status == 200 && stats.json["messages"]["received"].get<int>() > 0;
      },
      20s))
      << "no IoT message; log:\n"
      << server.Log();
  EXPECT_TRUE(Contains(server.Log(), "event=live_iot_started devices=")) << server.Log();
  EXPECT_EQ(server.Api("GET", "/api/v1/iot/stats").json["messages"]["dropped"], 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  EXPECT_TRUE(Contains(server.Log(), "event=simulator_stopped")) << server.Log();
}

}  // namespace
}  // namespace zhizhi::e2e

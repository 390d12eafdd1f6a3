// End-to-end tests of security and privacy against the real server and the real command line:
// lock-out, session expiry, rate limits, revocation taking effect at once, masked ID numbers for
// callers without `pii` (API, logs, import reports), the audit chain and its tamper detection,
// key rotation (and its crash recovery), the field-key check, retention, the user commands and
// the security headers. The access matrix (every role against every route) is
// access_matrix_test.cc.
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "api_case.h"
#include "base/civil_time.h"
#include "base/resident_id.h"
#include "security/key_rotation.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kCorp = "91350100M000100Y43";
constexpr const char* kZhang = "11010519491231002X";
constexpr const char* kLi = "440524188001010014";

// Runs SQL on the database file with a read-write connection (the server must be stopped):
// what an attacker with the file could do.
std::string Tamper(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open";
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string out = rc == SQLITE_OK ? "" : (error ? error : "error");
  sqlite3_free(error);
  sqlite3_close(db);
  return out;
}

class SecurityTest : public ::testing::Test {
 protected:
  json Post(const std::string& target, const json& body, int status = 201) {
    const HttpResponse r = server_.Api("POST", target, body.dump());
    EXPECT_EQ(r.status, status) << "POST " << target << " " << body.dump() << "\n" << r.Describe();
    return r.json;
  }

  std::int64_t CreateUser(const std::string& name, const std::string& role,
                          const std::vector<std::string>& projects = {}, bool pii = false) {
    json body = {{"name", name}, {"password", Password(name)}, {"role", role}, {"pii", pii}};
    if (!projects.empty()) body["projects"] = projects;
    return Post("/api/v1/users", body).value("id", std::int64_t{0});
  }
  static std::string Password(const std::string& name) {
    return "Pw-" + std::to_string(name.size()) + "-Secret-2026";
  }

  HttpResponse LoginAs(const std::string& name, const std::string& password) {
    return server_.Request("POST", "/api/v1/sessions",
                           json{{"name", name}, {"password", password}}.dump(), std::nullopt);
  }
  std::string Login(const std::string& name) {
    const HttpResponse r = LoginAs(name, Password(name));
    EXPECT_EQ(r.status, 201) << r.Describe();
    return r.json.value("token", "");
  }
  HttpResponse As(const std::string& token, const std::string& method, const std::string& target,
                  const std::string& body = {}) {
    return server_.Request(method, target, body, token);
  }

  // Two projects; Zhang (with a phone) enrolled as project manager on P1, Li as a worker on P2.
  void BuildDistrict() {
    Post("/api/v1/corps", {{"uscc", kCorp}, {"name", "钱塘建设"}});
    for (const std::string code : {"P1", "P2"}) {
      Post("/api/v1/projects",
           {{"code", code}, {"name", code}, {"region_code", "330114"}, {"status", "active"}});
      Post("/api/v1/projects/" + code + "/corps", {{"uscc", kCorp}, {"corp_type", "009"}});
    }
    zhang_ =
        Post("/api/v1/persons",
             {{"id_type", "01"}, {"id_number", kZhang}, {"name", "张三"}, {"phone", "13812345678"}})
            .value("id", std::int64_t{0});
    li_ = Post("/api/v1/persons", {{"id_type", "01"}, {"id_number", kLi}, {"name", "李四"}})
              .value("id", std::int64_t{0});
    Post("/api/v1/projects/P1/workers", {{"person_id", zhang_},
                                         {"uscc", kCorp},
                                         {"work_role", "10"},
                                         {"post", "project_manager"},
                                         {"entry_date", ChinaDate(-5)}});
    Post("/api/v1/projects/P2/workers", {{"person_id", li_},
                                         {"uscc", kCorp},
                                         {"work_role", "20"},
                                         {"work_type", "020"},
                                         {"entry_date", ChinaDate(-5)}});
  }

  TestServer server_;
  std::int64_t zhang_ = 0, li_ = 0;
};

// ------------------------------------------------------------------------------- sessions

// The flags reach the lock-out; how the window runs out, on a clock the test moves, is
// AccountsTest.ALockOutLastsItsWindowAndThenTheCountStartsOver.
TEST_F(SecurityTest, LockOutAfterRepeatedWrongPasswords) {
  ASSERT_TRUE(server_.Start({"--lockout-failures", "3", "--lockout-seconds", "2"}));
  CreateUser("wang.site", "inspector");
  CreateUser("other.user", "inspector");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(LoginAs("wang.site", "Wrong-Pass-2026").status, 401) << i;
  }
  // Locked: even the right password is refused, with a time to come back.
  HttpResponse locked = LoginAs("wang.site", Password("wang.site"));
  EXPECT_EQ(locked.status, 429) << locked.Describe();
  EXPECT_EQ(locked.json["error"].value("reason", ""), "locked_out") << locked.Describe();
  const std::string retry = locked.Header("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 2);
  // Another user is not affected.
  EXPECT_EQ(LoginAs("other.user", Password("other.user")).status, 201);
  // A refusal while locked checks no password and writes no failure.
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'session.failed' AND "
                          "actor = 'wang.site' AND ip = '127.0.0.1'"),
            3);
  EXPECT_FALSE(Contains(server_.Log(), "Wrong-Pass-2026")) << "a password in the log";
  EXPECT_EQ(server_.Stop(), 0);
}

// --session-seconds sets a session's expiry; that an expired session is refused, cached or not,
// is AccountsTest.ASessionExpiresAtItsTimeCachedOrNot (on a clock the test moves).
TEST_F(SecurityTest, SessionsExpire) {
  ASSERT_TRUE(server_.Start({"--session-seconds", "60"}));
  CreateUser("short.session", "inspector");
  const std::int64_t before = NowUnixMs();
  const HttpResponse login = LoginAs("short.session", Password("short.session"));
  const std::int64_t after = NowUnixMs();
  ASSERT_EQ(login.status, 201) << login.Describe();
  auto expires = Timestamp::ParseRfc3339(login.json.value("expires_at", ""), "expires_at");
  ASSERT_TRUE(expires.ok()) << login.Describe();
  // 60 s after the login (expires_at carries milliseconds).
  EXPECT_GE(expires->unix_ms, before + 60'000) << login.Describe();
  EXPECT_LE(expires->unix_ms, after + 60'000) << login.Describe();
  const HttpResponse current = As(login.json.value("token", ""), "GET", "/api/v1/sessions/current");
  EXPECT_EQ(current.json["expires_at"], login.json["expires_at"]) << current.Describe();
  // The administrator token does not expire.
  EXPECT_EQ(server_.Api("GET", "/api/v1/sessions/current").json["expires_at"], nullptr);
  EXPECT_EQ(server_.Stop(), 0);
}

TEST_F(SecurityTest, RevocationTakesEffectAtOnceEvenWhenCached) {
  ASSERT_TRUE(server_.Start());
  const std::int64_t id = CreateUser("li.police", "police");
  const std::string first = Login("li.police");
  const std::string second = Login("li.police");
  EXPECT_EQ(As(first, "GET", "/api/v1/sessions/current").status, 200);  // cached now
  EXPECT_EQ(As(second, "GET", "/api/v1/sessions/current").status, 200);
  // Logging out one session leaves the other.
  EXPECT_EQ(As(first, "DELETE", "/api/v1/sessions/current").status, 200);
  EXPECT_EQ(As(first, "GET", "/api/v1/sessions/current").status, 401);
  EXPECT_EQ(As(second, "GET", "/api/v1/sessions/current").status, 200);
  // Disabling the user ends the other.
  Post("/api/v1/users/" + std::to_string(id) + "/disable", json::object(), 200);
  const HttpResponse after = As(second, "GET", "/api/v1/sessions/current");
  EXPECT_EQ(after.status, 401) << after.Describe();
  EXPECT_EQ(server_.Stop(), 0);
}

TEST_F(SecurityTest, LoginsAreRateLimitedPerAddress) {
  ASSERT_TRUE(server_.Start({"--logins-per-minute", "3"}));
  CreateUser("rate.user", "inspector");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(LoginAs("rate.user", Password("rate.user")).status, 201) << i;
  const HttpResponse limited = LoginAs("rate.user", Password("rate.user"));
  EXPECT_EQ(limited.status, 429) << limited.Describe();
  EXPECT_EQ(limited.json["error"].value("code", ""), "rate_limited");
  ASSERT_FALSE(limited.Header("Retry-After").empty());
  EXPECT_GE(std::stoi(limited.Header("Retry-After")), 1);
  EXPECT_LE(std::stoi(limited.Header("Retry-After")), 20);
  EXPECT_EQ(server_.Stop(), 0);
}

TEST_F(SecurityTest, SessionsAreRateLimitedButAutomationTokensAreNot) {
  ASSERT_TRUE(server_.Start({"--session-rate", "1"}));  // burst 10
  CreateUser("busy.user", "inspector");
  const std::string token = Login("busy.user");
  int ok = 0;
  HttpResponse last;
  for (int i = 0; i < 15; ++i) {
    last = As(token, "GET", "/api/v1/projects");
    if (last.status == 200) ++ok;
    if (last.status == 429) break;
  }
  EXPECT_EQ(last.status, 429) << last.Describe();
  EXPECT_GE(ok, 9);
  EXPECT_LE(ok, 11);
  EXPECT_EQ(last.Header("Retry-After"), "1");
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(server_.Api("GET", "/api/v1/projects").status, 200) << i;
  EXPECT_EQ(server_.Stop(), 0);
}

// ------------------------------------------------------------------------------- headers

TEST_F(SecurityTest, SecurityHeadersOnEveryResponse) {
  ASSERT_TRUE(server_.Start());
  const std::vector<HttpResponse> responses = {
      server_.Api("GET", "/api/v1/projects"),
      server_.Api("GET", "/api/v1/nope"),
      server_.Request("GET", "/api/v1/projects", "", std::nullopt),
      server_.Request("GET", "/healthz", "", std::nullopt),
      server_.Request("GET", "/metrics", "", std::nullopt),
      server_.Api("POST", "/api/v1/corps", "x=1", {{"Content-Type", "text/plain"}}),
  };
  for (const HttpResponse& r : responses) {
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << r.Describe();
    EXPECT_EQ(r.Header("X-Frame-Options"), "DENY") << r.Describe();
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << r.Describe();
    EXPECT_EQ(r.Header("Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'")
        << r.Describe();
    EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  }
  EXPECT_EQ(responses.back().status, 415);
  EXPECT_EQ(server_.Stop(), 0);
}

// ------------------------------------------------------------------------------- pii

TEST_F(SecurityTest, FullIdNumbersOnlyWithThePiiRight) {
  ASSERT_TRUE(server_.Start());
  BuildDistrict();
  CreateUser("masked.site", "site_manager", {"P1"}, /*pii=*/false);
  CreateUser("full.site", "site_manager", {"P1"}, /*pii=*/true);
  const std::string masked = Login("masked.site");
  const std::string full = Login("full.site");
  const std::string z = std::to_string(zhang_);
  const std::vector<std::string> targets = {"/api/v1/persons/" + z, "/api/v1/persons",
                                            "/api/v1/persons?id_number=" + std::string(kZhang),
                                            "/api/v1/projects/P1/workers", "/api/v1/projects/P1"};
  for (const std::string& target : targets) {
    const HttpResponse m = As(masked, "GET", target);
    ASSERT_EQ(m.status, 200) << target << " " << m.Describe();
    EXPECT_FALSE(Contains(m.body, kZhang)) << target << " shows the full number without pii";
    EXPECT_TRUE(Contains(m.body, "110105********002X")) << target << ": " << m.body;
    EXPECT_FALSE(Contains(m.body, "13812345678")) << target << " shows the full phone";
    const HttpResponse f = As(full, "GET", target);
    ASSERT_EQ(f.status, 200) << target;
    EXPECT_TRUE(Contains(f.body, kZhang)) << target << " hides the number from pii: " << f.body;
  }
  EXPECT_EQ(As(masked, "GET", "/api/v1/persons/" + z).json.value("phone", ""), "138****5678");
  // A new person's answer is masked for the caller without pii too.
  const HttpResponse created =
      As(masked, "POST", "/api/v1/persons",
         json{{"id_type", "01"}, {"id_number", "330114198503120116"}, {"name", "王五"}}.dump());
  ASSERT_EQ(created.status, 201) << created.Describe();
  EXPECT_EQ(created.json.value("id_number", ""), "330114********0116");
  // The gate's muster list and attendance show masked numbers to everyone (they are posted).
  // Nobody's full number reached the log.
  EXPECT_EQ(server_.Stop(), 0);
  for (const char* number : {kZhang, kLi, "330114198503120116"}) {
    EXPECT_FALSE(Contains(server_.Log(), number)) << number << " in the log";
  }
}

TEST_F(SecurityTest, ImportReportsNeverShowIdNumbers) {
  TestServer server;  // only for its data directory
  ASSERT_TRUE(server.Start());
  ASSERT_EQ(server.Stop(), 0);
  const std::string csv = server.root() + "/persons.csv";
  const std::string errors = server.root() + "/rejected.csv";
  WriteFileBytes(csv, std::string("id_type,id_number,name\n01,") + kZhang + ",张三\n01," + kZhang +
                          ",张三再来\n01,11010519491231002Y,校验错\n");
  const ProcessResult r = RunZhizhi({"import", "--data", server.data_dir(), "--partial",
                                     "--no-progress", "--errors", errors, "persons", csv});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // rows were rejected
  const std::string report = ReadFileBytes(errors);
  EXPECT_TRUE(Contains(report, "already_exists")) << report;
  EXPECT_TRUE(Contains(report, "invalid_argument")) << report;
  for (const std::string& text : {report, r.out, r.err}) {
    EXPECT_FALSE(Contains(text, kZhang)) << text;
    EXPECT_FALSE(Contains(text, "11010519491231002Y")) << text;
  }
  // The import is in the audit trail with the person it created.
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'import.persons' AND "
                         "actor = 'import' AND persons = '[1]'"),
            1);
}

// ------------------------------------------------------------------------------- audit

TEST_F(SecurityTest, AuditVerifyDetectsEditedAndDeletedRows) {
  ASSERT_TRUE(server_.Start());
  BuildDistrict();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(server_.Api("GET", "/api/v1/persons/" + std::to_string(zhang_)).status, 200);
  ASSERT_EQ(server_.Stop(), 0);
  const std::int64_t rows = server_.Count("SELECT COUNT(*) FROM audit_log");
  ASSERT_GE(rows, 10);

  ProcessResult verify = RunZhizhi({"audit", "verify", "--data", server_.data_dir()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "audit chain intact: " + std::to_string(rows) + " rows"))
      << verify.out;
  // The run is a security event in the chain itself, after the head it verified.
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.verify' AND "
                          "json_extract(detail, '$.intact') = 1 AND seq = " +
                          std::to_string(rows + 1)),
            1);

  // SQL refuses changes while the triggers stand.
  EXPECT_TRUE(Contains(Tamper(server_.db_path(), "UPDATE audit_log SET actor = 'x' WHERE seq = 3"),
                       "append-only"));
  EXPECT_TRUE(
      Contains(Tamper(server_.db_path(), "DELETE FROM audit_log WHERE seq = 3"), "append-only"));

  // An attacker with the file drops them: every edit is found and named.
  const std::string backup = server_.root() + "/backup.db";
  std::filesystem::copy_file(server_.db_path(), backup);
  ASSERT_EQ(Tamper(server_.db_path(),
                   "DROP TRIGGER audit_log_append_only_update; "
                   "UPDATE audit_log SET actor = 'someone else' WHERE seq = 3"),
            "");
  verify = RunZhizhi({"audit", "verify", "--data", server_.data_dir()});
  EXPECT_EQ(verify.exit_code, 2) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "TAMPERED row 3:")) << verify.out;
  EXPECT_FALSE(Contains(verify.out, "TAMPERED row 4:")) << "only the changed row: " << verify.out;

  // Deleting a row breaks the chain at the next one and names the gap.
  std::filesystem::copy_file(backup, server_.db_path(),
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(Tamper(server_.db_path(),
                   "DROP TRIGGER audit_log_append_only_delete; DROP TRIGGER "
                   "audit_log_append_only_update; DELETE FROM audit_log WHERE seq = 5"),
            "");
  verify = RunZhizhi({"audit", "verify", "--data", server_.data_dir()});
  EXPECT_EQ(verify.exit_code, 2) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "row 5 is missing before row 6")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "TAMPERED row 6:")) << verify.out;

  // Re-numbering the rows after a deletion does not help: the hashes cover the numbers.
  ASSERT_EQ(Tamper(server_.db_path(), "UPDATE audit_log SET seq = seq - 1 WHERE seq > 5"), "");
  verify = RunZhizhi({"audit", "verify", "--data", server_.data_dir()});
  EXPECT_EQ(verify.exit_code, 2) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "TAMPERED row 5:")) << verify.out;

  // Removing a person from the index is found too.
  std::filesystem::copy_file(backup, server_.db_path(),
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(Tamper(server_.db_path(),
                   "DROP TRIGGER audit_subjects_append_only; DELETE FROM audit_subjects WHERE "
                   "seq = (SELECT MAX(seq) FROM audit_subjects)"),
            "");
  verify = RunZhizhi({"audit", "verify", "--data", server_.data_dir()});
  EXPECT_EQ(verify.exit_code, 2) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "missing from the audit_subjects index")) << verify.out;
}

// ------------------------------------------------------------------------------- keys

// Every sealed value of the file, as bytes.
// The registry's sealed values; with `base_data`, also base data's copies of ID numbers (the
// workforce source's records and their golden records).
std::vector<std::string> SealedValues(const std::string& db_path, bool base_data = false) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  const std::string sql =
      std::string("SELECT id_cipher FROM persons UNION ALL SELECT embedding FROM faces") +
      (base_data ? " UNION ALL SELECT id_cipher FROM source_records WHERE id_cipher IS NOT NULL "
                   "UNION ALL SELECT id_cipher FROM entities WHERE id_cipher IS NOT NULL"
                 : "");
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
    out.emplace_back(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                     static_cast<size_t>(sqlite3_column_bytes(s, 0)));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

TEST_F(SecurityTest, KeyRotationReSealsEverythingInOneGo) {
  ASSERT_TRUE(server_.Start());
  BuildDistrict();
  ASSERT_EQ(server_.Api("GET", "/api/v1/persons?id_number=" + std::string(kLi)).status, 200);
  std::string error;
  const std::string photo = FacePhotoBase64("sample3.jpg:560,300,280,350:102x126", &error);
  ASSERT_TRUE(error.empty()) << error;
  Post("/api/v1/persons/" + std::to_string(zhang_) + "/faces",
       {{"source", "id_card"}, {"image", photo}});
  ASSERT_EQ(server_.Stop(), 0);
  const std::string key_path = server_.data_dir() + "/field.key";
  const std::string old_key = ReadFileBytes(key_path);
  const std::vector<std::string> old_sealed = SealedValues(server_.db_path());
  ASSERT_EQ(old_sealed.size(), 3u);  // two ID numbers, one face template

  // Refused while a server holds the directory.
  ASSERT_TRUE(server_.Start());
  ProcessResult busy = RunZhizhi({"keys", "rotate", "--data", server_.data_dir()});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_TRUE(Contains(busy.err, "in use")) << busy.err;
  ASSERT_EQ(server_.Stop(), 0);
  // Base data took the workers in (at a server's start): their copies are sealed too.
  const std::vector<std::string> all_sealed = SealedValues(server_.db_path(), true);
  ASSERT_GE(all_sealed.size(), old_sealed.size());

  const ProcessResult rotate = RunZhizhi({"keys", "rotate", "--data", server_.data_dir()});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.out << rotate.err;
  EXPECT_TRUE(Contains(rotate.out, std::to_string(all_sealed.size()) + " sealed values re-sealed"))
      << rotate.out;
  const std::string new_key = ReadFileBytes(key_path);
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(ReadFileBytes(server_.data_dir() + "/field.key.old"), old_key);
  struct stat st {};
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // No value sealed with the old key is left in the files.
  std::string files;
  for (const char* suffix : {"", "-wal", "-shm"})
    files += ReadFileBytes(server_.db_path() + suffix);
  for (const std::string& sealed : all_sealed) {
    EXPECT_FALSE(Contains(files, sealed)) << "an old sealed value survived the rotation";
  }
  for (const char* number : {kZhang, kLi})
    EXPECT_FALSE(Contains(files, number)) << number;
  const ProcessResult verify = RunZhizhi({"audit", "verify", "--data", server_.data_dir()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;

  // Everything reads and finds as before, under the new key.
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(
      server_.Api("GET", "/api/v1/persons/" + std::to_string(zhang_)).json.value("id_number", ""),
      kZhang);
  const HttpResponse found = server_.Api("GET", "/api/v1/persons?id_number=" + std::string(kLi));
  ASSERT_EQ(found.json["items"].size(), 1u) << found.Describe();
  EXPECT_EQ(found.json["items"][0].value("id", std::int64_t{0}), li_);
  EXPECT_EQ(server_
                .Api("POST", "/api/v1/persons",
                     json{{"id_type", "01"}, {"id_number", kLi}, {"name", "again"}}.dump())
                .status,
            409);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'key.rotate'"), 1);
  // The face template opened under the new key: it is in the district gallery again.
  const HttpResponse faces = server_.Api("GET", "/api/v1/faces/status");
  EXPECT_EQ(faces.json["district"].value("faces", 0), 1) << faces.Describe();
  EXPECT_EQ(server_.Stop(), 0);
}

TEST_F(SecurityTest, InterruptedRotationIsFinishedAtStartAndAWrongKeyIsRefused) {
  ASSERT_TRUE(server_.Start());
  BuildDistrict();
  ASSERT_EQ(server_.Stop(), 0);
  const std::string dir = server_.data_dir();
  ASSERT_EQ(RunZhizhi({"keys", "rotate", "--data", dir}).exit_code, 0);
  const std::string new_key = ReadFileBytes(dir + "/field.key");
  // The state of a crash after the commit and before the files were swapped.
  std::filesystem::rename(dir + "/field.key", dir + "/field.key.new");
  std::filesystem::rename(dir + "/field.key.old", dir + "/field.key");
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(ReadFileBytes(dir + "/field.key"), new_key);
  EXPECT_FALSE(std::filesystem::exists(dir + "/field.key.new"));
  EXPECT_TRUE(Contains(server_.Log(), "event=key_rotation_finished"));
  EXPECT_EQ(
      server_.Api("GET", "/api/v1/persons/" + std::to_string(li_)).json.value("id_number", ""),
      kLi);
  ASSERT_EQ(server_.Stop(), 0);

  // Another key: refused at start, nothing misread.
  WriteFileBytes(dir + "/field.key", std::string(64, 'a') + "\n");
  const ProcessResult wrong = RunZhizhi({"serve", "--data", dir, "--port", "0"}, 20s);
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_TRUE(Contains(wrong.err, "does not fit this database")) << wrong.err;
  WriteFileBytes(dir + "/field.key", new_key);
}

TEST_F(SecurityTest, RotationWithTheKeyInTheEnvironmentWritesTheNewKeyWhereAsked) {
  ASSERT_TRUE(server_.Start());
  ASSERT_EQ(server_.Stop(), 0);
  const std::string dir = server_.data_dir();
  const std::string key = ReadFileBytes(dir + "/field.key");
  ::setenv("ZHIZHI_FIELD_KEY", key.substr(0, 64).c_str(), 1);
  const ProcessResult refused = RunZhizhi({"keys", "rotate", "--data", dir});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(Contains(refused.err, "--new-key-file")) << refused.err;
  const std::string out = server_.root() + "/next.key";
  const ProcessResult rotated = RunZhizhi({"keys", "rotate", "--data", dir, "--new-key-file", out});
  EXPECT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string next = ReadFileBytes(out);
  ASSERT_EQ(next.size(), 65u);
  EXPECT_EQ(ReadFileBytes(dir + "/field.key"), key) << "the key file is not the key in use";
  ::setenv("ZHIZHI_FIELD_KEY", next.substr(0, 64).c_str(), 1);
  EXPECT_EQ(RunZhizhi({"audit", "verify", "--data", dir}).exit_code, 0);
  ::setenv("ZHIZHI_FIELD_KEY", key.substr(0, 64).c_str(), 1);
  EXPECT_EQ(RunZhizhi({"audit", "verify", "--data", dir}).exit_code, 1) << "the old key fits?";
  ::unsetenv("ZHIZHI_FIELD_KEY");
}

TEST_F(SecurityTest, EverySealedColumnIsRotated) {
  ASSERT_TRUE(server_.Start({"--keep-face-photos"}));
  BuildDistrict();  // a module that seals a new column adds a row of it here
  // Faces: the template and (kept here) the photo are sealed.
  std::string error;
  const std::string photo = FacePhotoBase64("sample3.jpg:560,300,280,350:102x126", &error);
  ASSERT_TRUE(error.empty()) << error;
  Post("/api/v1/persons/" + std::to_string(zhang_) + "/faces",
       {{"source", "id_card"}, {"image", photo}});
  ASSERT_EQ(server_.Stop(), 0);
  // Any BLOB that opens with the field key is sealed, whatever its column is called; its column
  // must be listed, or rotation would leave it under the old key.
  std::set<std::string> listed;
  for (const auto& c : security::SealedColumns())
    listed.insert(std::string(c.table) + "." + c.cipher);
  auto key = security::FieldCipher::ReadKeyFile(server_.data_dir() + "/field.key");
  ASSERT_TRUE(key.ok());
  const security::FieldCipher cipher = security::FieldCipher::FromMasterKey(*key);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(server_.db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  std::vector<std::string> columns;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                     "WHERE m.type = 'table'",
                     -1, &s, nullptr);
  while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
    columns.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) + "." +
                      reinterpret_cast<const char*>(sqlite3_column_text(s, 1)));
  }
  sqlite3_finalize(s);
  std::set<std::string> sealed;
  for (const std::string& column : columns) {
    const size_t dot = column.find('.');
    const std::string sql =
        "SELECT \"" + column.substr(dot + 1) + "\" FROM \"" + column.substr(0, dot) + "\" LIMIT 50";
    sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      if (sqlite3_column_type(s, 0) != SQLITE_BLOB) continue;
      const std::string value(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                              static_cast<size_t>(sqlite3_column_bytes(s, 0)));
      if (cipher.Unseal(value).ok()) sealed.insert(column);
    }
    sqlite3_finalize(s);
    if (column.size() > 7 && column.compare(column.size() - 7, 7, "_cipher") == 0) {
      sealed.insert(column);  // by name, even when empty here
    }
  }
  sqlite3_close(db);
  EXPECT_TRUE(sealed.count("persons.id_cipher")) << "the check finds sealed values";
  EXPECT_TRUE(sealed.count("faces.embedding"));
  EXPECT_TRUE(sealed.count("faces.photo"));
  for (const std::string& column : sealed) {
    EXPECT_TRUE(listed.count(column)) << column << " is sealed but not in SealedColumns()";
  }
}

// ------------------------------------------------------------------------------- retention

TEST_F(SecurityTest, RetentionDeletesGateEventsPastTheRule) {
  ASSERT_TRUE(server_.Start());
  BuildDistrict();
  const json device =
      Post("/api/v1/projects/P1/devices", {{"serial", "RT-1"}, {"direction", "both"}});
  const std::string token = device.value("token", "");
  auto pass = [&](const std::string& id, std::int64_t age_ms) {
    const HttpResponse r = server_.Request("POST", "/api/v1/gate/events",
                                           json{{"event_id", id},
                                                {"time", FormatRfc3339(NowUnixMs() - age_ms)},
                                                {"person_id", zhang_},
                                                {"direction", "in"}}
                                               .dump(),
                                           token);
    EXPECT_EQ(r.status, 200) << r.Describe();
  };
  constexpr std::int64_t kDay = 86'400'000;
  pass("old-1", 30 * kDay);
  pass("old-2", 20 * kDay);
  pass("recent", kDay);
  ASSERT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events"), 3);
  ASSERT_EQ(server_.Stop(), 0);

  // The default rule (2 years) keeps all three.
  ProcessResult run = RunZhizhi({"retention", "run", "--data", server_.data_dir()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "gate_events: 0 rows deleted")) << run.out;
  // A 25-day rule deletes the oldest.
  run = RunZhizhi({"retention", "run", "--data", server_.data_dir(), "--gate-events-days", "25"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "gate_events: 1 rows deleted")) << run.out;
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events WHERE event_id = 'old-1'"), 0);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events"), 2);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run'"), 1);

  // The server applies its rule at start (and daily after).
  ASSERT_TRUE(server_.Start({"--gate-events-days", "10"}));
  EXPECT_TRUE(WaitUntil([&] { return server_.Count("SELECT COUNT(*) FROM gate_events") == 1; }, 5s))
      << "the retention run at start left " << server_.Count("SELECT COUNT(*) FROM gate_events")
      << " passes (want 1) after 5 s";
  const HttpResponse trajectory = server_.Api(
      "GET", "/api/v1/persons/" + std::to_string(zhang_) + "/trajectory?from=" + ChinaDate(-34));
  EXPECT_EQ(trajectory.json["items"].size(), 1u) << trajectory.Describe();
  EXPECT_EQ(server_.Stop(), 0);
}

// ------------------------------------------------------------------------------- commands

TEST_F(SecurityTest, UserCommandsAddDisableAndEnable) {
  ASSERT_TRUE(server_.Start());
  Post("/api/v1/projects", {{"code", "P1"}, {"name", "P1"}, {"region_code", "330114"}});
  // Refused while the server holds the directory.
  const std::string password_file = server_.root() + "/password";
  WriteFileBytes(password_file, "Cli-Pass-2026x\n");
  const std::vector<std::string> add = {
      "user",         "add",       "--data", server_.data_dir(), "cli.site",   "--role",
      "site_manager", "--project", "P1",     "--password-file",  password_file};
  EXPECT_EQ(RunZhizhi(add).exit_code, 1);
  ASSERT_EQ(server_.Stop(), 0);

  ProcessResult r = RunZhizhi(add);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "user cli.site created")) << r.out;
  EXPECT_EQ(RunZhizhi(add).exit_code, 1) << "the same name twice";
  // A weak password is refused before anything is written.
  WriteFileBytes(password_file, "weak\n");
  r = RunZhizhi({"user", "add", "--data", server_.data_dir(), "weak.user", "--role", "inspector",
                 "--password-file", password_file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "password")) << r.err;

  ASSERT_TRUE(server_.Start());
  const HttpResponse login = LoginAs("cli.site", "Cli-Pass-2026x");
  ASSERT_EQ(login.status, 201) << login.Describe();
  EXPECT_EQ(login.json["user"]["projects"], json::array({"P1"}));
  ASSERT_EQ(server_.Stop(), 0);

  r = RunZhizhi({"user", "disable", "--data", server_.data_dir(), "cli.site"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(LoginAs("cli.site", "Cli-Pass-2026x").status, 401);
  EXPECT_EQ(As(login.json.value("token", ""), "GET", "/api/v1/projects").status, 401);
  ASSERT_EQ(server_.Stop(), 0);
  EXPECT_EQ(RunZhizhi({"user", "enable", "--data", server_.data_dir(), "cli.site"}).exit_code, 0);
  EXPECT_EQ(RunZhizhi({"user", "disable", "--data", server_.data_dir(), "nobody"}).exit_code, 1);
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(LoginAs("cli.site", "Cli-Pass-2026x").status, 201);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM audit_log WHERE role = 'command_line'"), 3);
  EXPECT_EQ(server_.Stop(), 0);
}

// ------------------------------------------------------------------------------- scope

TEST_F(SecurityTest, ASiteManagerSeesOnlyTheirProjects) {
  ASSERT_TRUE(server_.Start());
  BuildDistrict();
  CreateUser("p1.site", "site_manager", {"P1"});
  const std::string token = Login("p1.site");
  const std::string z = std::to_string(zhang_);
  const std::string l = std::to_string(li_);

  json projects = As(token, "GET", "/api/v1/projects").json;
  ASSERT_EQ(projects["items"].size(), 1u) << projects.dump();
  EXPECT_EQ(projects["items"][0]["code"], "P1");
  json persons = As(token, "GET", "/api/v1/persons").json;
  ASSERT_EQ(persons["items"].size(), 1u) << persons.dump();
  EXPECT_EQ(persons["items"][0]["id"], zhang_);
  EXPECT_EQ(As(token, "GET", "/api/v1/persons/" + l).status, 404);
  EXPECT_EQ(As(token, "GET", "/api/v1/persons?id_number=" + std::string(kLi)).json["items"].size(),
            0u);
  EXPECT_EQ(As(token, "GET", "/api/v1/projects/P2").status, 404);
  EXPECT_EQ(As(token, "GET", "/api/v1/projects/P2/workers").status, 404);
  EXPECT_EQ(As(token, "GET", "/api/v1/persons/" + l + "/trajectory").status, 404);
  // Naming another project's person by id does not bring them into scope; holding their ID
  // number (the ID card) does.
  const json enrol = {
      {"uscc", kCorp}, {"work_role", "20"}, {"work_type", "020"}, {"entry_date", ChinaDate(-1)}};
  json by_id = enrol;
  by_id["person_id"] = li_;
  const HttpResponse guessed = As(token, "POST", "/api/v1/projects/P1/workers", by_id.dump());
  EXPECT_EQ(guessed.status, 422) << guessed.Describe();
  EXPECT_EQ(guessed.json["error"].value("code", ""), "person_not_found");
  json team = {{"name", "班组"}, {"uscc", kCorp}, {"leader_person_id", li_}};
  EXPECT_EQ(As(token, "POST", "/api/v1/projects/P1/teams", team.dump()).status, 422);
  json by_number = enrol;
  by_number["id_number"] = "440524188001010013";  // a wrong check character
  EXPECT_EQ(As(token, "POST", "/api/v1/projects/P1/workers", by_number.dump()).status, 400);
  by_number["id_number"] = "330114198503120116";  // nobody's
  EXPECT_EQ(As(token, "POST", "/api/v1/projects/P1/workers", by_number.dump()).status, 422);
  // A corp's projects and a person's enrolments are filtered to the scope.
  const json corp = As(token, "GET", std::string("/api/v1/corps/") + kCorp).json;
  ASSERT_EQ(corp["projects"].size(), 1u) << corp.dump();
  EXPECT_EQ(corp["projects"][0]["code"], "P1");
  // Zhang also worked on P2 once: the manager sees only the P1 enrolment.
  Post("/api/v1/projects/P2/workers", {{"person_id", zhang_},
                                       {"uscc", kCorp},
                                       {"work_role", "20"},
                                       {"work_type", "020"},
                                       {"entry_date", ChinaDate(-3)}});
  const json person = As(token, "GET", "/api/v1/persons/" + z).json;
  ASSERT_EQ(person["enrolments"].size(), 1u) << person.dump();
  EXPECT_EQ(person["enrolments"][0]["project_code"], "P1");
  EXPECT_EQ(server_.Api("GET", "/api/v1/persons/" + z).json["enrolments"].size(), 2u);
  by_number["id_number"] = kLi;
  const HttpResponse held = As(token, "POST", "/api/v1/projects/P1/workers", by_number.dump());
  ASSERT_EQ(held.status, 201) << held.Describe();
  EXPECT_EQ(held.json.value("person_id", std::int64_t{0}), li_);
  const json li_now = As(token, "GET", "/api/v1/persons/" + l).json;
  ASSERT_EQ(li_now["enrolments"].size(), 1u) << li_now.dump();
  EXPECT_EQ(li_now["enrolments"][0]["project_code"], "P1");

  // A person the manager registers is theirs until someone enrols them elsewhere.
  const HttpResponse mine =
      As(token, "POST", "/api/v1/persons",
         json{{"id_type", "01"}, {"id_number", "330114198503120116"}, {"name", "王五"}}.dump());
  ASSERT_EQ(mine.status, 201);
  const std::string w = std::to_string(mine.json.value("id", std::int64_t{0}));
  EXPECT_EQ(As(token, "GET", "/api/v1/persons/" + w).status, 200);
  EXPECT_EQ(As(token, "GET", "/api/v1/persons").json["items"].size(), 3u);  // Zhang, Li, Wang
  Post("/api/v1/projects/P2/workers", {{"person_id", std::stoll(w)},
                                       {"uscc", kCorp},
                                       {"work_role", "20"},
                                       {"work_type", "020"},
                                       {"entry_date", ChinaDate(-1)}});
  EXPECT_EQ(As(token, "GET", "/api/v1/persons/" + w).status, 404);
  // Another manager's registration is not theirs.
  CreateUser("p2.site", "site_manager", {"P2"});
  const std::string other = Login("p2.site");
  const std::string number = MakeResidentIdNumber("330114", *Date::Parse("1990-01-01", "d"), 123);
  const HttpResponse theirs =
      As(other, "POST", "/api/v1/persons",
         json{{"id_type", "01"}, {"id_number", number}, {"name", "赵六"}}.dump());
  ASSERT_EQ(theirs.status, 201) << theirs.Describe();
  const std::string t = std::to_string(theirs.json.value("id", std::int64_t{0}));
  EXPECT_EQ(As(token, "GET", "/api/v1/persons/" + t).status, 404);
  EXPECT_EQ(As(other, "GET", "/api/v1/persons/" + t).status, 200);
  EXPECT_EQ(server_.Stop(), 0);
}

}  // namespace
}  // namespace zhizhi::e2e

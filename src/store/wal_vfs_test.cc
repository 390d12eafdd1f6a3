#include "store/wal_vfs.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace zhizhi::store {
namespace {

using Db = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

// A directory of its own, removed with the test.
class ScratchDir {
 public:
  ScratchDir() : path_("/tmp/zhizhi-walvfs-XXXXXX") {
    if (::mkdtemp(path_.data()) == nullptr) ADD_FAILURE() << "mkdtemp";
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Db Open(const std::string& path, const char* vfs) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  Db db(raw, sqlite3_close);
  EXPECT_EQ(rc, SQLITE_OK) << (raw ? sqlite3_errmsg(raw) : "no memory");
  if (raw) sqlite3_busy_timeout(raw, 5000);
  return db;
}

std::string Exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  std::string error;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    error = message ? message : "failed";
  }
  sqlite3_free(message);
  return error;
}

// The first column of the first row, as text ("error: …" on failure).
std::string Query(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return std::string("error: ") + sqlite3_errmsg(db);
  }
  std::string out;
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(stmt, 0);
    out = text ? reinterpret_cast<const char*>(text) : "NULL";
  } else if (rc != SQLITE_DONE) {
    out = std::string("error: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  return out;
}

// Row i holds `size` copies of one letter, so any reader can check every byte with SQL.
std::string InsertRow(int i, int size) {
  return "INSERT INTO t(id, body) VALUES (" + std::to_string(i) + ", printf('%.*c', " +
         std::to_string(size) + ", char(65 + " + std::to_string(i) + " % 26)))";
}

// 1 when rows 0..n-1 are all there, each with its `size` letters, else what was found.
std::string CheckRows(sqlite3* db, int n, int size) {
  return Query(db, "SELECT count(*) = " + std::to_string(n) +
                       " AND coalesce(min(body = " + "printf('%.*c', " + std::to_string(size) +
                       ", char(65 + id % 26))), 1) FROM t WHERE id < " + std::to_string(n));
}

TEST(WalVfsTest, IsRegisteredOnceUnderOneName) {
  const char* name = RegisterWalVfs();
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(RegisterWalVfs(), name);
  ASSERT_NE(sqlite3_vfs_find(name), nullptr);
  EXPECT_NE(sqlite3_vfs_find(nullptr), sqlite3_vfs_find(name));  // not made the default
}

// Another connection, on the plain VFS, reads each commit from the file the moment it is
// published — also with synchronous OFF, where SQLite never syncs the log, so only the writes at
// the commit frame put the frames there. The log restarts from its start now and then (a
// checkpoint by the reader), a write that is not an append.
TEST(WalVfsTest, EveryCommitIsInTheFileBeforeAnotherConnectionSeesIt) {
  for (const char* sync : {"OFF", "NORMAL", "FULL"}) {
    SCOPED_TRACE(sync);
    ScratchDir dir;
    const std::string path = dir.File("t.db");
    Db writer = Open(path, RegisterWalVfs());
    ASSERT_EQ(Exec(writer.get(), std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
                                     sync + "; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)"),
              "");
    Db reader = Open(path, nullptr);
    for (int i = 0; i < 120; ++i) {
      // Two rows of 3 KB per transaction: several pages, some of them changed twice.
      ASSERT_EQ(Exec(writer.get(), "BEGIN; " + InsertRow(2 * i, 3000) + "; " +
                                       InsertRow(2 * i + 1, 3000) + "; COMMIT"),
                "");
      ASSERT_EQ(CheckRows(reader.get(), 2 * i + 2, 3000), "1") << "after transaction " << i;
      if (i % 40 == 39) {
        ASSERT_EQ(Query(reader.get(), "PRAGMA wal_checkpoint(RESTART)"), "0");
      }
    }
    EXPECT_EQ(Query(reader.get(), "PRAGMA integrity_check"), "ok");
  }
}

// A transaction bigger than what the VFS gathers (4 MiB), in a page cache of a few pages, so that
// SQLite spills pages into the log mid-transaction, reads them back and rewrites them; then one
// that is rolled back after spilling.
TEST(WalVfsTest, SpilledAndRewrittenFramesOfALargeTransactionReadBack) {
  ScratchDir dir;
  const std::string path = dir.File("t.db");
  Db writer = Open(path, RegisterWalVfs());
  ASSERT_EQ(Exec(writer.get(),
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=8;"
                 "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)"),
            "");
  constexpr int kRows = 2000;  // ~8 MB
  ASSERT_EQ(Exec(writer.get(), "BEGIN"), "");
  for (int i = 0; i < kRows; ++i)
    ASSERT_EQ(Exec(writer.get(), InsertRow(i, 4000)), "");
  // Read back inside the transaction (pages that left the cache come from the log), then
  // rewrite every tenth row with another length.
  ASSERT_EQ(CheckRows(writer.get(), kRows, 4000), "1");
  ASSERT_EQ(Exec(writer.get(),
                 "UPDATE t SET body = printf('%.*c', 1000, char(65 + id % 26)) "
                 "WHERE id % 10 = 0"),
            "");
  ASSERT_EQ(Exec(writer.get(), "COMMIT"), "");

  const std::string expected =
      "SELECT sum(length(body)), min(body = printf('%.*c', CASE WHEN id % 10 = 0 THEN 1000 ELSE "
      "4000 END, char(65 + id % 26))) FROM t";
  const std::string want = std::to_string(kRows / 10 * 1000 + (kRows - kRows / 10) * 4000);
  Db reader = Open(path, nullptr);
  EXPECT_EQ(Query(reader.get(), expected), want);
  EXPECT_EQ(Query(reader.get(), "PRAGMA integrity_check"), "ok");

  // Spilled, then rolled back: nothing of it is seen, and the next commit is whole.
  ASSERT_EQ(Exec(writer.get(), "BEGIN"), "");
  for (int i = kRows; i < kRows + 500; ++i)
    ASSERT_EQ(Exec(writer.get(), InsertRow(i, 4000)), "");
  ASSERT_EQ(Exec(writer.get(), "ROLLBACK"), "");
  ASSERT_EQ(Exec(writer.get(), InsertRow(kRows, 10)), "");
  EXPECT_EQ(Query(reader.get(), "SELECT count(*) FROM t"), std::to_string(kRows + 1));
  EXPECT_EQ(Query(reader.get(), "SELECT body FROM t WHERE id = " + std::to_string(kRows)),
            std::string(10, static_cast<char>('A' + kRows % 26)));

  // Both closed (the last one folds the log back into the database), a new connection reads the
  // same.
  writer.reset();
  reader.reset();
  Db again = Open(path, nullptr);
  EXPECT_EQ(Query(again.get(), expected + " WHERE id < " + std::to_string(kRows)), want);
  EXPECT_EQ(Query(again.get(), "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace zhizhi::store

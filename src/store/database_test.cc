#include "store/database.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "store/savepoint.h"
#include "testkit/scratch_database.h"

namespace zhizhi::store {
namespace {
using testkit::ScratchDatabase;

// The names of this process's threads, from /proc/self/task/*/comm.
std::multiset<std::string> ThreadNames() {
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

// A parameter that could not be bound must not leave the statement to run with NULL in its place:
// "WHERE code = NULL" finds nothing, and a lookup would answer "absent" for what was an error (the
// fault tests met this as a 404 when the copy of a bound text ran out of memory).
TEST(StatementTest, AFailedBindIsTheStatementsError) {
  auto opened = ScratchDatabase::Open("bind");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ScratchDatabase& scratch = **opened;
  ASSERT_TRUE(scratch.db()
                  .Write([](Connection& conn) {
                    ZZ_RETURN_IF_ERROR(conn.Exec("CREATE TABLE p(code TEXT)"));
                    return conn.Exec("INSERT INTO p VALUES ('P1')");
                  })
                  .ok());
  const Result<bool> found = scratch.db().Read([](Connection& conn) -> Result<bool> {
    Statement s = conn.Prepare("SELECT 1 FROM p WHERE code = ?");
    s.Bind(2, std::string("P1"));  // no parameter 2: SQLITE_RANGE, parameter 1 stays NULL
    if (s.Step()) return true;
    if (!s.status().ok()) return s.status();
    return false;
  });
  ASSERT_FALSE(found.ok()) << "the lookup answered " << (*found ? "found" : "absent");
  EXPECT_NE(found.status().message().find("bind ?2"), std::string::npos)
      << found.status().ToString();
  // The cached statement is whole again for the next caller.
  const Result<bool> again = scratch.db().Read([](Connection& conn) {
    return RowExists(conn, "SELECT 1 FROM p WHERE code = ?", std::string("P1"));
  });
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(*again);
}

// `top -H` and `perf` tell the writer and the checkpointer apart from the HTTP threads by name;
// both go away with the database.
TEST(DatabaseTest, ItsThreadsAreNamed) {
  {
    auto opened = ScratchDatabase::Open("names", DatabaseOptions{});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    // A write job has run on the writer, so its thread has started and named itself.
    ASSERT_TRUE((*opened)->db().Write([](Connection& conn) { return conn.Exec("SELECT 1"); }).ok());
    const auto names = ThreadNames();
    EXPECT_EQ(names.count("zz-writer"), 1u);
    // The checkpointer names itself first thing too, but nothing waits for it: allow it a moment.
    for (int i = 0; i < 200 && ThreadNames().count("zz-checkpoint") == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(ThreadNames().count("zz-checkpoint"), 1u);
  }
  const auto after = ThreadNames();
  EXPECT_EQ(after.count("zz-writer"), 0u);
  EXPECT_EQ(after.count("zz-checkpoint"), 0u);
}

// Under writes that never pause, the WAL must still start over (else it grows without end), and
// no acknowledged row may be lost on the way.
TEST(DatabaseTest, TheWalStartsOverUnderWritesThatNeverPause) {
  DatabaseOptions options;
  options.checkpoint_ms = 5;
  options.restart_frames = 64;
  {
    auto opened = ScratchDatabase::Open("database", options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Database& db = (*opened)->db();
    ASSERT_TRUE(db.Write([](Connection& conn) {
                    return conn.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, chain INT, v BLOB)");
                  }).ok());

    // Four chains, each queueing its next insert from the completion of the last, so the
    // writer always finds work waiting when a commit is done: it never idles.
    constexpr int kChains = 4, kPerChain = 600;
    std::atomic<int> left{kChains};
    std::promise<void> finished;
    std::int64_t max_frames = 0, last_frames = 0;
    int restarts = 0, failures = 0;  // touched on the writer thread only
    std::function<void(int, int)> insert = [&](int chain, int n) {
      db.WriteAsync(
          [chain](Connection& conn) {
            return conn.Prepare("INSERT INTO t(chain, v) VALUES (?, zeroblob(6000))")
                .Bind(1, chain)
                .Run();
          },
          [&, chain, n](const Status& s) {
            if (!s.ok()) ++failures;
            const std::int64_t frames = db.wal_frames();
            if (frames < last_frames) ++restarts;
            last_frames = frames;
            max_frames = std::max(max_frames, frames);
            if (n + 1 < kPerChain) return insert(chain, n + 1);
            if (--left == 0) finished.set_value();
          });
    };
    for (int c = 0; c < kChains; ++c)
      insert(c, 0);
    finished.get_future().wait();

    EXPECT_EQ(failures, 0);
    EXPECT_GT(restarts, 0) << "the WAL never started over (max " << max_frames << " frames)";
    auto rows = db.Read([](Connection& conn) { return QueryInt(conn, "SELECT COUNT(*) FROM t"); });
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(*rows, kChains * kPerChain);
  }
}

// Runs `jobs` as one group commit: a first job holds the writer until all of them are queued.
// Returns each job's status, in order.
std::vector<Status> RunAsOneGroup(Database& db,
                                  std::vector<std::pair<Database::WriteJob, Undo>> jobs) {
  std::promise<void> started, release;
  auto released = release.get_future().share();
  db.WriteAsync(
      [&started, released](Connection&) {
        started.set_value();
        released.wait();
        return Status::Ok();
      },
      [](const Status&) {});
  started.get_future().wait();
  std::vector<std::promise<Status>> done(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    db.WriteAsync(
        std::move(jobs[i].first), [&done, i](const Status& s) { done[i].set_value(s); },
        jobs[i].second);
  }
  release.set_value();
  std::vector<Status> results;
  for (auto& d : done)
    results.push_back(d.get_future().get());
  return results;
}

std::vector<std::int64_t> Values(Database& db) {
  auto values = db.Read([](Connection& conn) -> Result<std::vector<std::int64_t>> {
    std::vector<std::int64_t> values;
    auto s = conn.Prepare("SELECT v FROM t ORDER BY v");
    while (s.Step())
      values.push_back(s.Int(0));
    ZZ_RETURN_IF_ERROR(s.status());
    return values;
  });
  EXPECT_TRUE(values.ok()) << values.status().ToString();
  return values.ok() ? *values : std::vector<std::int64_t>{};
}

// Jobs that keep a copy of table t in memory the way modules keep state: each change of memory
// registers its undo. After every group the copy must equal the table.
class GroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = ScratchDatabase::Open("group");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    scratch_ = std::move(*opened);
    ASSERT_TRUE(db().Write([](Connection& conn) {
                      return conn.Exec("CREATE TABLE t(v INTEGER NOT NULL UNIQUE)");
                    })
                    .ok());
  }
  void TearDown() override { EXPECT_EQ(Memory(), Values(db())); }
  Database& db() { return scratch_->db(); }

  // The row and its copy in memory.
  Status Put(Connection& conn, int v) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO t(v) VALUES (?)").Bind(1, v).Run());
    memory_.insert(v);
    conn.OnRollback([this, v] { memory_.erase(v); });
    return Status::Ok();
  }
  Database::WriteJob Insert(int v) {
    return [this, v](Connection& conn) { return Put(conn, v); };
  }
  Database::WriteJob InsertThenFail(int v) {
    return [this, v](Connection& conn) {
      ZZ_RETURN_IF_ERROR(Put(conn, v));
      return Status::Rule("late_refusal", "v", "refused after writing");
    };
  }
  // Changes memory, then refuses before writing anything.
  Database::WriteJob Refuse(int v) {
    return [this, v](Connection& conn) {
      memory_.insert(v);
      conn.OnRollback([this, v] { memory_.erase(v); });
      return Status::Rule("refused", "v", "refused before writing");
    };
  }
  std::vector<std::int64_t> Memory() const { return {memory_.begin(), memory_.end()}; }

  std::set<std::int64_t> memory_;  // the writer thread's, read when no job runs
  std::unique_ptr<ScratchDatabase> scratch_;
};

// The default: a job that fails after writing is undone alone, rows and memory; its neighbours
// commit.
TEST_F(GroupTest, AFailedJobIsRolledBackToItsOwnSavepoint) {
  auto results = RunAsOneGroup(db(), {{Insert(1), Undo::kSavepoint},
                                      {InsertThenFail(2), Undo::kSavepoint},
                                      {Insert(3), Undo::kSavepoint}});
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), "late_refusal");
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(Values(db()), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(Memory(), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(db().groups_rolled_back(), 0u);
}

// Without a savepoint, a job refused before it writes costs its neighbours nothing — also when
// the refusal is a statement SQLite rejected (a duplicate), which leaves no row behind — and
// what it changed in memory is undone.
TEST_F(GroupTest, AGroupJobRefusedBeforeWritingLeavesItsNeighboursAlone) {
  auto results = RunAsOneGroup(db(), {{Insert(1), Undo::kGroup},
                                      {Refuse(7), Undo::kGroup},
                                      {Insert(1), Undo::kGroup},  // UNIQUE fails: no write
                                      {Insert(2), Undo::kGroup},
                                      {InsertThenFail(3), Undo::kSavepoint},
                                      {Insert(4), Undo::kSavepoint}});
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), "refused");
  EXPECT_FALSE(results[2].ok());
  EXPECT_TRUE(results[3].ok());
  EXPECT_EQ(results[4].code(), "late_refusal");
  EXPECT_TRUE(results[5].ok());
  EXPECT_EQ(Values(db()), (std::vector<std::int64_t>{1, 2, 4}));
  EXPECT_EQ(Memory(), (std::vector<std::int64_t>{1, 2, 4}));
  EXPECT_EQ(db().groups_rolled_back(), 0u);
}

// Without a savepoint nothing can undo one job's writes alone: a job failing after writing
// rolls back its group, every other job of it fails as unavailable (the jobs after it do not
// run), nothing of the group is stored or kept in memory, and the next group is fine.
TEST_F(GroupTest, AGroupJobFailingAfterItsFirstWriteRollsBackTheGroup) {
  bool ran_after = false;
  auto results = RunAsOneGroup(db(), {{Insert(1), Undo::kSavepoint},
                                      {Insert(2), Undo::kGroup},
                                      {InsertThenFail(3), Undo::kGroup},
                                      {[&ran_after](Connection& conn) {
                                         ran_after = true;
                                         return conn.Prepare("INSERT INTO t(v) VALUES (4)").Run();
                                       },
                                       Undo::kGroup}});
  EXPECT_EQ(results[0].kind(), StatusKind::kUnavailable);
  EXPECT_EQ(results[1].kind(), StatusKind::kUnavailable);
  EXPECT_EQ(results[2].code(), "late_refusal");
  EXPECT_EQ(results[3].kind(), StatusKind::kUnavailable);
  EXPECT_FALSE(ran_after);
  EXPECT_TRUE(Values(db()).empty());
  EXPECT_TRUE(Memory().empty());
  EXPECT_EQ(db().groups_rolled_back(), 1u);
  EXPECT_TRUE(db().Write(Insert(5)).ok());
  EXPECT_EQ(Values(db()), (std::vector<std::int64_t>{5}));
}

// A job that ends the transaction (as SQLite does itself on a full disk) fails its group: the
// jobs after it must not run outside a transaction, where each statement commits on its own.
TEST_F(GroupTest, AJobThatEndsTheTransactionFailsItsGroup) {
  for (Undo undo : {Undo::kSavepoint, Undo::kGroup}) {
    bool ran_after = false;
    auto results =
        RunAsOneGroup(db(), {{Insert(1), undo},
                             {[](Connection& conn) { return conn.Exec("ROLLBACK"); }, undo},
                             {[&ran_after](Connection& conn) {
                                ran_after = true;
                                return conn.Prepare("INSERT INTO t(v) VALUES (3)").Run();
                              },
                              undo}});
    EXPECT_EQ(results[0].kind(), StatusKind::kUnavailable);
    EXPECT_EQ(results[1].kind(), StatusKind::kInternal);
    EXPECT_EQ(results[2].kind(), StatusKind::kUnavailable);
    EXPECT_FALSE(ran_after);
    EXPECT_TRUE(Values(db()).empty());
    EXPECT_TRUE(Memory().empty());
  }
  EXPECT_EQ(db().groups_rolled_back(), 2u);
}

// Savepoints nest inside a job: rolling back an inner one undoes its rows and its memory only;
// what the job did before it stays, and a released one belongs to the job.
TEST_F(GroupTest, NestedSavepointsUndoOnlyTheirOwnPart) {
  Status status = db().Write([this](Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(Put(conn, 1));
    {
      ZZ_ASSIGN_OR_RETURN(Savepoint kept, Savepoint::Open(conn));
      ZZ_RETURN_IF_ERROR(Put(conn, 2));
      ZZ_RETURN_IF_ERROR(kept.Release());
    }
    {
      ZZ_ASSIGN_OR_RETURN(Savepoint undone, Savepoint::Open(conn));
      ZZ_RETURN_IF_ERROR(Put(conn, 3));
      {
        ZZ_ASSIGN_OR_RETURN(Savepoint inner, Savepoint::Open(conn));
        ZZ_RETURN_IF_ERROR(Put(conn, 4));
        ZZ_RETURN_IF_ERROR(inner.Release());
      }
      ZZ_RETURN_IF_ERROR(undone.RollBack());
    }
    {
      ZZ_ASSIGN_OR_RETURN(Savepoint dropped, Savepoint::Open(conn));
      ZZ_RETURN_IF_ERROR(Put(conn, 5));
    }  // destroyed open: rolled back
    return Put(conn, 6);
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Values(db()), (std::vector<std::int64_t>{1, 2, 6}));
  EXPECT_EQ(Memory(), (std::vector<std::int64_t>{1, 2, 6}));
}

// A job that fails after a released inner savepoint takes the savepoint's part with it.
TEST_F(GroupTest, AFailedJobTakesItsReleasedSavepointsWithIt) {
  auto results = RunAsOneGroup(db(), {{Insert(1), Undo::kSavepoint},
                                      {[this](Connection& conn) -> Status {
                                         ZZ_ASSIGN_OR_RETURN(Savepoint s, Savepoint::Open(conn));
                                         ZZ_RETURN_IF_ERROR(Put(conn, 2));
                                         ZZ_RETURN_IF_ERROR(s.Release());
                                         return Status::Rule("late_refusal", "v", "no");
                                       },
                                       Undo::kSavepoint}});
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), "late_refusal");
  EXPECT_EQ(Values(db()), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(Memory(), (std::vector<std::int64_t>{1}));
}

// After Close() the queued jobs have run and their completions were called; later writes are
// refused with 503 on the caller's thread, outside any lock of the database.
TEST_F(GroupTest, CloseRunsWhatIsQueuedAndRefusesTheRest) {
  std::promise<Status> queued;
  db().WriteAsync(Insert(1), [&queued](const Status& s) { queued.set_value(s); });
  db().Close();
  EXPECT_TRUE(queued.get_future().get().ok());
  bool answered = false;
  db().WriteAsync(Insert(2), [&](const Status& s) {
    answered = true;
    EXPECT_EQ(s.kind(), StatusKind::kUnavailable);
    // Re-entering the database from the callback would deadlock under its lock.
    EXPECT_EQ(db().commits(), db().commits());
  });
  EXPECT_TRUE(answered);
  EXPECT_EQ(Values(db()), (std::vector<std::int64_t>{1}));
}

}  // namespace
}  // namespace zhizhi::store

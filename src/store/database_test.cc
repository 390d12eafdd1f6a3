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

#include <gtest/gtest.h>

#include "store/scratch_database.h"

namespace zhizhi::store {
namespace {

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

}  // namespace
}  // namespace zhizhi::store

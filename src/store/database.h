// The system of record: one SQLite file in WAL mode under the data directory.
//
// Write discipline: every change runs as a job on the single writer thread. The writer takes all
// jobs that are waiting (up to a batch limit), runs each inside its own SAVEPOINT of one shared
// transaction and commits once — group commit: many acknowledged writes per fsync. A job that
// fails is rolled back to its savepoint alone, so a rejected request writes nothing while its
// neighbours in the batch still commit. A job's completion is reported only after the COMMIT is
// durable (synchronous=FULL).
//
// Reads borrow a read-only connection from a pool; each Read() call sees one consistent snapshot.
//
// Checkpoints (copying the WAL back into the database file) run on their own thread and
// connection, never inside a commit, so the writer's commit path is only WAL appends and fsync.
// To let a WAL under continuous writes start over, the writer copies the last few frames itself
// between two transactions; it never waits for a lock.
//
// Thread-safety: all public methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::store {

struct DatabaseOptions {
  int max_batch = 512;        // jobs per group commit
  int read_pool = 8;          // read-only connections kept open
  int checkpoint_ms = 250;    // period of the background checkpointer
  int restart_frames = 1024;  // WAL frames (4 KiB pages) past which the WAL is started over
};

class Database {
 public:
  using WriteJob = std::function<Status(Connection&)>;
  using WriteDone = std::function<void(const Status&)>;

  // Opens (creating if needed) `path`, applies pending schema migrations and starts the writer.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                DatabaseOptions options = {});
  ~Database();  // drains queued writes, then stops the writer
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `job` on the writer thread and blocks until its group is durable (or rolled back).
  Status Write(WriteJob job);
  // Same, but calls `done` on the writer thread instead of blocking.
  void WriteAsync(WriteJob job, WriteDone done);

  // Runs `fn(Connection&)` on a pooled read-only connection inside one read transaction.
  template <typename Fn>
  auto Read(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    ReadLease lease(this);
    Connection& conn = *lease.conn;
    conn.Prepare("BEGIN").Run();  // the lease ends the read transaction, also when `fn` throws
    return fn(conn);
  }

  // Called on the writer thread after a group's COMMIT failed and was rolled back, so that
  // in-memory state built inside its jobs can be rebuilt from the database (each module that
  // keeps such state adds one).
  void AddRollbackListener(std::function<void(Connection&)> listener);

  const std::string& path() const { return path_; }
  int schema_version() const { return schema_version_; }
  // Group commits done and jobs run since start (for /metrics and benchmarks).
  std::uint64_t commits() const;
  std::uint64_t jobs() const;
  // Frames (pages) in the WAL after the last commit; it falls when the WAL starts over.
  std::int64_t wal_frames() const { return wal_frames_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    WriteJob run;
    WriteDone done;
  };
  struct ReadLease {
    explicit ReadLease(Database* db);
    ~ReadLease();
    Database* db;
    std::unique_ptr<Connection> conn;
  };

  Database(std::string path, DatabaseOptions options) : path_(std::move(path)), options_(options) {}
  void WriterLoop();
  void CheckpointLoop();
  void FinishCheckpoint();  // writer thread, between transactions
  void RunBatch(std::vector<Job>& batch);
  Result<std::unique_ptr<Connection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> conn);

  const std::string path_;
  const DatabaseOptions options_;
  int schema_version_ = 0;
  std::unique_ptr<Connection> writer_conn_;

  mutable std::mutex mu_;
  std::condition_variable cv_;             // wakes the writer
  std::condition_variable checkpoint_cv_;  // wakes the checkpointer (at stop)
  std::deque<Job> queue_;
  bool stopping_ = false;
  bool writer_waiting_ = false;  // the writer sleeps on cv_ and must be woken
  std::uint64_t commits_ = 0;
  std::uint64_t jobs_ = 0;
  std::atomic<std::int64_t> wal_frames_{0};  // frames in the WAL after the last commit
  std::atomic<bool> restart_wanted_{false};  // the checkpointer left only a tail to copy
  std::thread writer_;
  std::thread checkpointer_;
  std::unique_ptr<Connection> checkpoint_conn_;
  std::vector<std::function<void(Connection&)>> rollback_listeners_;  // writer thread only

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;
};

}  // namespace zhizhi::store

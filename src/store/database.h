// The system of record: one SQLite file in WAL mode under the data directory.
//
// Write discipline: every change runs as a job on the single writer thread. The writer takes all
// jobs that are waiting (up to a batch limit), runs them in one shared transaction and commits
// once — group commit: many acknowledged writes per fsync. A job's completion is reported only
// after the COMMIT is durable (synchronous=FULL). A failed job never leaves a write behind (see
// Undo): by default each job runs inside its own SAVEPOINT and is rolled back to it alone, so a
// rejected request writes nothing while its neighbours in the group still commit.
//
// Memory follows the database: what a job changes in memory it registers an undo for
// (Connection::OnRollback); whenever the job's writes are rolled back — its savepoint, or its
// whole group because a later job or the COMMIT failed — the undos run, newest first, before any
// other job runs. So no module's memory ever keeps a change that the database does not.
//
// Reads borrow a read-only connection from a pool; each Read() call sees one consistent snapshot.
//
// Checkpoints (copying the WAL back into the database file) run on their own thread and
// connection, never inside a commit, so the writer's commit path is only WAL appends and fsync.
// To let a WAL under continuous writes start over, the writer copies the last few frames itself
// between two transactions; it never waits for a lock.
//
// Thread-safety: all public methods may be called from any thread. Completion callbacks run on
// the writer thread (or on the caller's, when the database is closed), never under a lock of
// the Database.
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
#include <type_traits>
#include <vector>

#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::store {

struct DatabaseOptions {
  int max_batch = 512;        // jobs per group commit
  int read_pool = 8;          // read-only connections kept open
  int checkpoint_ms = 250;    // period of the background checkpointer
  int restart_frames = 1024;  // WAL frames (4 KiB pages) past which the WAL is started over
  std::string base_vfs;       // SQLite VFS under the WAL layer; empty: the default (tests: faults)
  // Tests only: false leaves memory as rolled-back jobs left it (Connection::OnRollback), to show
  // that the fault tests notice.
  bool undo_memory = true;
};

// How a write job that fails is undone.
enum class Undo {
  // The job runs inside its own SAVEPOINT and a failure rolls back to it: only this job's writes
  // go. Right for any job.
  kSavepoint,
  // No savepoint, for hot jobs that check everything before their first write (a gate pass).
  // A savepoint is not free: SQLite copies every page that a job is the first to change after
  // it (~25 KB and ~26 mallocs per gate pass). A job that fails before writing anything costs
  // its neighbours nothing (its memory undos run). A job that fails after writing — a database
  // error, a bug — rolls back the whole group: it keeps its own error, every other job of the
  // group fails as kUnavailable (so clients retry), and every job's memory undos run.
  kGroup,
};

class Database {
 public:
  using WriteJob = std::function<Status(Connection&)>;
  using WriteDone = std::function<void(const Status&)>;

  // Opens (creating if needed) `path`, applies pending schema migrations and starts the writer.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                DatabaseOptions options = {});
  ~Database();  // Close()
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Stops taking jobs (later ones fail as kUnavailable), runs every job already queued, stops
  // the writer and the checkpointer and folds the WAL back. Whoever owns modules that queue
  // jobs capturing them closes the database before destroying them. Idempotent.
  void Close();

  // Runs `job` on the writer thread and blocks until its group is durable (or rolled back).
  Status Write(WriteJob job);
  // Same, but calls `done` on the writer thread instead of blocking.
  void WriteAsync(WriteJob job, WriteDone done, Undo undo = Undo::kSavepoint);

  // Runs `fn(Connection&)` on a pooled read-only connection inside one read transaction. `fn`
  // returns a Status or a Result; when no connection can be had or the transaction cannot
  // begin, Read returns that error without calling `fn`.
  template <typename Fn>
  auto Read(Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    using Returned = std::invoke_result_t<Fn&, Connection&>;
    static_assert(StatusOrResult<Returned>, "a read returns a Status or a Result<T>");
    auto acquired = AcquireReader();
    if (!acquired.ok()) return acquired.status();
    ReadLease lease(this, std::move(acquired).value());
    // The lease ends the read transaction, also when `fn` throws.
    if (Status begin = lease.conn->Prepare("BEGIN").Run(); !begin.ok()) return begin;
    return fn(*lease.conn);
  }

  const std::string& path() const { return path_; }
  int schema_version() const { return schema_version_; }
  // Group commits done and jobs run since start (for /metrics and benchmarks).
  std::uint64_t commits() const;
  std::uint64_t jobs() const;
  // Groups rolled back whole since start (a failed COMMIT or a kGroup job that failed mid-write).
  std::uint64_t groups_rolled_back() const;
  // Frames (pages) in the WAL after the last commit; it falls when the WAL starts over.
  std::int64_t wal_frames() const { return wal_frames_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    WriteJob run;
    WriteDone done;
    Undo undo = Undo::kSavepoint;
  };
  struct ReadLease {
    ReadLease(Database* db, std::unique_ptr<Connection> conn) : db(db), conn(std::move(conn)) {}
    ReadLease(const ReadLease&) = delete;
    ReadLease& operator=(const ReadLease&) = delete;
    ~ReadLease();
    Database* db;
    std::unique_ptr<Connection> conn;
  };

  Database(std::string path, DatabaseOptions options) : path_(std::move(path)), options_(options) {}
  void WriterLoop();
  void CheckpointLoop();
  void FinishCheckpoint();  // writer thread, between transactions
  void RunBatch(std::vector<Job>& batch);
  // Runs one job of the group; returns false when the whole group must be rolled back (the
  // job's result then says why).
  bool RunJob(Job& job, Status& result);
  // Rolls the group's transaction back (if SQLite has not already), runs every undo of its jobs,
  // and gives `cause` to every job of the group that has no error yet.
  void RollBackGroup(std::vector<Status>& results, const Status& cause);
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
  std::uint64_t groups_rolled_back_ = 0;
  std::atomic<std::int64_t> wal_frames_{0};  // frames in the WAL after the last commit
  std::atomic<bool> restart_wanted_{false};  // the checkpointer left only a tail to copy
  std::thread writer_;
  std::thread checkpointer_;
  std::unique_ptr<Connection> checkpoint_conn_;
  std::once_flag closed_;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;
};

}  // namespace zhizhi::store

#include "store/database.h"

#include <chrono>
#include <future>
#include <optional>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "base/thread_name.h"
#include "store/migrations.h"
#include "store/savepoint.h"

namespace zhizhi::store {

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, DatabaseOptions options) {
  std::unique_ptr<Database> db(new Database(path, options));
  ZZ_ASSIGN_OR_RETURN(db->writer_conn_,
                      Connection::Open(path, Connection::Mode::kReadWrite, options.base_vfs));
  ZZ_ASSIGN_OR_RETURN(db->schema_version_, ApplyMigrations(*db->writer_conn_));
  if (!options.undo_memory) db->writer_conn_->DisableUndoForTests();
  // The writer never checkpoints; the checkpointer thread does, on its own connection.
  ZZ_RETURN_IF_ERROR(db->writer_conn_->Exec("PRAGMA wal_autocheckpoint=0"));
  ZZ_ASSIGN_OR_RETURN(db->checkpoint_conn_,
                      Connection::Open(path, Connection::Mode::kReadWrite, options.base_vfs));
  ZZ_RETURN_IF_ERROR(db->checkpoint_conn_->Exec("PRAGMA wal_autocheckpoint=0"));
  ZZ_RETURN_IF_ERROR(db->writer_conn_->Exec("PRAGMA journal_size_limit=16777216"));
  // Deleted and overwritten content is zeroed where that costs no extra I/O: what retention
  // deletes and what key rotation re-seals does not linger in free space.
  ZZ_RETURN_IF_ERROR(db->writer_conn_->Exec("PRAGMA secure_delete=FAST"));
  // After each commit SQLite tells the writer how many frames the WAL holds; the checkpointer
  // reads the figure to decide when the WAL should start over (CheckpointLoop).
  sqlite3_wal_hook(
      db->writer_conn_->handle(),
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Database*>(self)->wal_frames_.store(frames, std::memory_order_relaxed);
        return SQLITE_OK;
      },
      db.get());
  db->writer_ = std::thread([raw = db.get()] {
    NameThisThread("zz-writer");
    raw->WriterLoop();
  });
  db->checkpointer_ = std::thread([raw = db.get()] {
    NameThisThread("zz-checkpoint");
    raw->CheckpointLoop();
  });
  return db;
}

Database::~Database() {
  Close();
}

void Database::Close() {
  std::call_once(closed_, [this] {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    checkpoint_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (checkpointer_.joinable()) checkpointer_.join();
    checkpoint_conn_.reset();
    {
      std::lock_guard lock(readers_mu_);
      readers_.clear();
    }
    if (writer_conn_) {
      // Fold the WAL back into the main file so a copied data directory is self-contained. If
      // it fails the WAL stays beside the file, and SQLite reads it at the next open.
      Status folded = writer_conn_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
      if (!folded.ok()) spdlog::warn("event=checkpoint_failed error=\"{}\"", folded.ToString());
    }
  });
}

Status Database::Write(WriteJob job) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  WriteAsync(std::move(job), [&promise](const Status& status) { promise.set_value(status); });
  return future.get();
}

void Database::WriteAsync(WriteJob job, WriteDone done, Undo undo) {
  bool refused = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      refused = true;
    } else {
      queue_.push_back(Job{std::move(job), std::move(done), undo});
      // A busy writer takes the whole queue when its commit is done; waking it per job would
      // only cost context switches.
      if (!writer_waiting_) return;
    }
  }
  if (refused) return done(Status::Unavailable("the database is shutting down"));
  cv_.notify_one();
}

void Database::WriterLoop() {
  std::vector<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      writer_waiting_ = true;
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      writer_waiting_ = false;
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
    if (restart_wanted_.exchange(false, std::memory_order_acq_rel)) FinishCheckpoint();
  }
}

void Database::FinishCheckpoint() {
  // The checkpointer has copied all but the last few frames. Between two transactions the writer
  // copies the rest itself (a PASSIVE checkpoint on its own connection never waits), so the WAL
  // is fully copied back and the next write transaction starts it over from the beginning.
  Statement s = writer_conn_->Prepare("PRAGMA wal_checkpoint(PASSIVE)");
  if (!s.Step() && !s.status().ok()) {
    spdlog::warn("event=checkpoint_failed error=\"{}\"", s.status().ToString());
  }
}

bool Database::RunJob(Job& job, Status& result) {
  Connection& conn = *writer_conn_;
  std::optional<Savepoint> savepoint;
  if (job.undo == Undo::kSavepoint) {
    auto opened = Savepoint::Open(conn);
    if (!opened.ok()) {
      result = opened.status();
      return false;
    }
    savepoint.emplace(std::move(opened).value());
  }
  const size_t undo_mark = conn.undo_mark();
  const std::int64_t changes = conn.TotalChanges();
  try {
    result = job.run(conn);
  } catch (const std::exception& e) {
    result = Status::Internal(std::string("write job threw: ") + e.what());
  }
  if (!conn.InTransaction()) {
    // SQLite rolled the whole transaction back itself (a full disk, an I/O error), or the job
    // ended it: the jobs before this one lost their writes, and the ones after must not run
    // outside a transaction, where each statement would commit on its own.
    if (result.ok()) result = Status::Internal("a write job ended the transaction");
    return false;
  }
  if (savepoint) {
    // Should the savepoint itself fail to roll back or release, nobody can say what of this
    // job is left in the transaction: the group goes.
    Status ended = result.ok() ? savepoint->Release() : savepoint->RollBack();
    if (!ended.ok()) {
      if (result.ok()) result = ended;
      return false;
    }
    return true;
  }
  if (result.ok()) return true;
  if (conn.TotalChanges() != changes)
    return false;           // failed after writing: only the group's
                            // rollback can undo those writes
  conn.RunUndo(undo_mark);  // refused before its first write: nothing to undo but memory
  return true;
}

void Database::RunBatch(std::vector<Job>& batch) {
  Connection& conn = *writer_conn_;
  std::vector<Status> results(batch.size());
  // Cached statements: BEGIN, the savepoints and COMMIT cost no SQL parsing on the hot path.
  Status begin = conn.Prepare("BEGIN IMMEDIATE").Run();
  if (!begin.ok()) {
    for (auto& job : batch)
      job.done(begin);
    return;
  }
  bool rolled_back = false;
  for (size_t i = 0; i < batch.size() && !rolled_back; ++i) {
    if (RunJob(batch[i], results[i])) continue;
    rolled_back = true;
    spdlog::error("event=group_rolled_back jobs={} failed_job={} error=\"{}\"", batch.size(), i,
                  results[i].ToString());
    RollBackGroup(results, Status::Unavailable("the write was rolled back with its group (" +
                                               results[i].ToString() + "); retry"));
  }
  if (!rolled_back) {
    Status commit = conn.Prepare("COMMIT").Run();
    if (commit.ok()) {
      conn.ForgetUndo();
    } else {
      spdlog::error("event=group_commit_failed jobs={} error=\"{}\"", batch.size(),
                    commit.ToString());
      RollBackGroup(results, commit);
    }
  }
  {
    std::lock_guard lock(mu_);
    ++commits_;
    jobs_ += batch.size();
  }
  for (size_t i = 0; i < batch.size(); ++i)
    batch[i].done(results[i]);
}

void Database::RollBackGroup(std::vector<Status>& results, const Status& cause) {
  Connection& conn = *writer_conn_;
  if (conn.InTransaction()) {
    Status rolled = conn.Exec("ROLLBACK");
    // SQLite documents no way for a ROLLBACK of a write transaction to fail and leave it open;
    // should it happen, the next BEGIN fails and so does every job, loudly.
    if (!rolled.ok()) spdlog::error("event=rollback_failed error=\"{}\"", rolled.ToString());
  }
  conn.RunUndo(0);  // every job's memory, newest first: as it was before the group
  for (auto& result : results) {
    if (result.ok()) result = cause;
  }
  std::lock_guard lock(mu_);
  ++groups_rolled_back_;
}

void Database::CheckpointLoop() {
  std::uint64_t checkpointed = 0;  // commits already covered
  std::unique_lock lock(mu_);
  while (!stopping_) {
    checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(options_.checkpoint_ms));
    if (stopping_ || commits_ == checkpointed) continue;
    checkpointed = commits_;
    lock.unlock();
    // PASSIVE never waits for the writer or readers; what it cannot copy now it copies next
    // time. Under continuous writes it never reaches the end of the WAL, which then would grow
    // without end. So once the WAL holds more than restart_frames, the checkpointer repeats its
    // PASSIVE copy while each round leaves fewer frames behind (the writer appends while it
    // copies) and, when at most kTailFrames are left, asks the writer to copy those between two
    // transactions (FinishCheckpoint). The writer never waits for a lock: the RESTART checkpoint
    // this replaces blocked it in SQLite's busy handler (sleeps of 1, 2, 5 ms…) several times a
    // second under load.
    constexpr std::int64_t kTailFrames = 256;  // ~1 MiB: the writer copies it in about a ms
    for (int round = 0; round < 4 && !restart_wanted_.load(std::memory_order_acquire); ++round) {
      // The pragma answers one row: busy, frames in the WAL, frames checkpointed.
      Statement passive = checkpoint_conn_->Prepare("PRAGMA wal_checkpoint(PASSIVE)");
      if (!passive.Step()) {
        if (!passive.status().ok()) {
          spdlog::warn("event=checkpoint_failed error=\"{}\"", passive.status().ToString());
        }
        break;
      }
      const std::int64_t copied = passive.Int(2);
      const std::int64_t frames = wal_frames_.load(std::memory_order_relaxed);
      if (frames <= options_.restart_frames || copied < 0) break;
      if (frames - copied <= kTailFrames) restart_wanted_.store(true, std::memory_order_release);
    }
    lock.lock();
  }
}

std::uint64_t Database::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

std::uint64_t Database::jobs() const {
  std::lock_guard lock(mu_);
  return jobs_;
}

std::uint64_t Database::groups_rolled_back() const {
  std::lock_guard lock(mu_);
  return groups_rolled_back_;
}

Database::ReadLease::~ReadLease() {
  if (conn && conn->InTransaction()) {
    // A read transaction that cannot end would pin its snapshot: drop the connection instead.
    if (!conn->Prepare("ROLLBACK").Run().ok()) return;
  }
  db->ReleaseReader(std::move(conn));
}

Result<std::unique_ptr<Connection>> Database::AcquireReader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!readers_.empty()) {
      auto conn = std::move(readers_.back());
      readers_.pop_back();
      return conn;
    }
  }
  return Connection::Open(path_, Connection::Mode::kReadOnly, options_.base_vfs);
}

void Database::ReleaseReader(std::unique_ptr<Connection> conn) {
  if (!conn) return;
  std::lock_guard lock(readers_mu_);
  if (static_cast<int>(readers_.size()) < options_.read_pool) readers_.push_back(std::move(conn));
}

}  // namespace zhizhi::store

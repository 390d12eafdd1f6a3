// Faults on purpose, for the fault-injection tests (LevelDB's fault_injection_test is the
// model): a SQLite VFS that makes the n-th write or sync from now fail, or the disk full, and a
// SQLite allocator that makes the n-th allocation from now fail.
//
//   auto& vfs = testkit::FaultVfs::Instance();          // registers "zhizhi-fault" once
//   options.database.base_vfs = vfs.name();              // under zhizhi's WAL layer
//   vfs.FailWriteAfter(3);                               // the 4th write from now fails
//
// The VFS passes everything else to SQLite's default VFS. Counters are shared by every file
// opened through it (one test database at a time).
//
// Thread-safety: all methods are thread-safe; the counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>

#include "base/status.h"

namespace zhizhi::testkit {

class FaultVfs {
 public:
  static FaultVfs& Instance();
  const char* name() const { return "zhizhi-fault"; }

  // The (n+1)-th write (xWrite or xTruncate) from now fails once with SQLITE_IOERR_WRITE.
  void FailWriteAfter(std::int64_t n) { write_countdown_.store(n); }
  // The (n+1)-th sync from now fails once with SQLITE_IOERR_FSYNC.
  void FailSyncAfter(std::int64_t n) { sync_countdown_.store(n); }
  // While full, every write that would grow a file fails with SQLITE_FULL.
  void SetDiskFull(bool full) { disk_full_.store(full); }
  // No more faults.
  void Clear();

  std::int64_t writes() const { return writes_.load(); }
  std::int64_t syncs() const { return syncs_.load(); }
  std::int64_t faults() const { return faults_.load(); }

  // Called by the VFS's file methods: whether this write or sync is to fail, and how.
  int OnWrite(bool grows);
  int OnSync();

 private:
  FaultVfs() = default;

  std::atomic<std::int64_t> write_countdown_{-1};
  std::atomic<std::int64_t> sync_countdown_{-1};
  std::atomic<bool> disk_full_{false};
  std::atomic<std::int64_t> writes_{0}, syncs_{0}, faults_{0};
};

// SQLite's allocator, wrapped so that the n-th allocation from now fails. Install() replaces the
// allocator of the whole process: SQLite must hold no connection then (it is shut down and
// started again); Uninstall() puts the original back under the same condition.
class FaultyAllocator {
 public:
  static Status Install();
  static Status Uninstall();
  // The (n+1)-th allocation or reallocation from now returns null, once.
  static void FailAfter(std::int64_t n);
  static void Clear() { FailAfter(-1); }
  static std::int64_t faults();
};

}  // namespace zhizhi::testkit

#include "testkit/fault_vfs.h"

#include <sqlite3.h>

#include <mutex>
#include <new>

#include "store/vfs_shim.h"

namespace zhizhi::testkit {

namespace {

// Takes one from `countdown` if it is armed; true when it reaches the fault.
bool Due(std::atomic<std::int64_t>& countdown) {
  std::int64_t left = countdown.load();
  while (left >= 0) {
    if (countdown.compare_exchange_weak(left, left - 1)) return left == 0;
  }
  return false;
}

using store::ShimFile;

sqlite3_file* Real(sqlite3_file* file) {
  return reinterpret_cast<ShimFile*>(file)->real;
}
const sqlite3_io_methods* M(sqlite3_file* file) {
  return Real(file)->pMethods;
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  sqlite3_int64 size = 0;
  const bool grows = M(file)->xFileSize(Real(file), &size) != SQLITE_OK || offset + amount > size;
  if (int rc = FaultVfs::Instance().OnWrite(grows); rc != SQLITE_OK) return rc;
  return M(file)->xWrite(Real(file), data, amount, offset);
}
int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = FaultVfs::Instance().OnWrite(false); rc != SQLITE_OK) return rc;
  return M(file)->xTruncate(Real(file), size);
}
int Sync(sqlite3_file* file, int flags) {
  if (int rc = FaultVfs::Instance().OnSync(); rc != SQLITE_OK) return rc;
  return M(file)->xSync(Real(file), flags);
}

// Pass-through (no memory maps: every page is read through the base) but for the faults.
const sqlite3_io_methods kMethods = [] {
  sqlite3_io_methods m = store::PassThroughMethods();
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  return m;
}();

constexpr size_t kRealOffset = store::ShimRealOffset(sizeof(ShimFile));

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  return store::OpenShimFile(vfs, name, file, flags, out_flags, kRealOffset, &kMethods);
}

// ---- the allocator

sqlite3_mem_methods original_allocator{};
std::atomic<std::int64_t> allocation_countdown{-1};
std::atomic<std::int64_t> allocation_faults{0};

void* FaultyMalloc(int n) {
  if (Due(allocation_countdown)) {
    ++allocation_faults;
    return nullptr;
  }
  return original_allocator.xMalloc(n);
}
void* FaultyRealloc(void* p, int n) {
  if (Due(allocation_countdown)) {
    ++allocation_faults;
    return nullptr;
  }
  return original_allocator.xRealloc(p, n);
}
void FaultyFree(void* p) {
  original_allocator.xFree(p);
}
int FaultySize(void* p) {
  return original_allocator.xSize(p);
}
int FaultyRoundup(int n) {
  return original_allocator.xRoundup(n);
}
int FaultyInit(void* data) {
  return original_allocator.xInit(data);
}
void FaultyShutdown(void* data) {
  original_allocator.xShutdown(data);
}

// Shuts SQLite down, sets its allocator, starts it again.
Status Reconfigure(const sqlite3_mem_methods& methods) {
  if (sqlite3_shutdown() != SQLITE_OK) return Status::Internal("sqlite3_shutdown failed");
  sqlite3_mem_methods copy = methods;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &copy) != SQLITE_OK) {
    return Status::Internal("SQLite's allocator cannot be set now (a connection is open?)");
  }
  if (sqlite3_initialize() != SQLITE_OK) return Status::Internal("sqlite3_initialize failed");
  return Status::Ok();
}

}  // namespace

FaultVfs& FaultVfs::Instance() {
  static FaultVfs* instance = [] {
    static sqlite3_vfs vfs{};
    store::InitShimVfs(vfs, sqlite3_vfs_find(nullptr), "zhizhi-fault", sizeof(ShimFile), Open);
    sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
    return new FaultVfs();  // lives as long as the process: SQLite keeps the VFS
  }();
  return *instance;
}

void FaultVfs::Clear() {
  write_countdown_ = -1;
  sync_countdown_ = -1;
  disk_full_ = false;
}

int FaultVfs::OnWrite(bool grows) {
  ++writes_;
  if (disk_full_.load() && grows) {
    ++faults_;
    return SQLITE_FULL;
  }
  if (Due(write_countdown_)) {
    ++faults_;
    return SQLITE_IOERR_WRITE;
  }
  return SQLITE_OK;
}

int FaultVfs::OnSync() {
  ++syncs_;
  if (Due(sync_countdown_)) {
    ++faults_;
    return SQLITE_IOERR_FSYNC;
  }
  return SQLITE_OK;
}

Status FaultyAllocator::Install() {
  static std::once_flag saved;
  std::call_once(saved, [] {
    sqlite3_shutdown();
    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &original_allocator);
  });
  sqlite3_mem_methods faulty = original_allocator;
  faulty.xMalloc = FaultyMalloc;
  faulty.xRealloc = FaultyRealloc;
  faulty.xFree = FaultyFree;
  faulty.xSize = FaultySize;
  faulty.xRoundup = FaultyRoundup;
  faulty.xInit = FaultyInit;
  faulty.xShutdown = FaultyShutdown;
  return Reconfigure(faulty);
}

Status FaultyAllocator::Uninstall() {
  Clear();
  return Reconfigure(original_allocator);
}

void FaultyAllocator::FailAfter(std::int64_t n) {
  allocation_countdown = n;
}

std::int64_t FaultyAllocator::faults() {
  return allocation_faults.load();
}

}  // namespace zhizhi::testkit

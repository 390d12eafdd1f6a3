#include "testkit/fault_vfs.h"

#include <sqlite3.h>

#include <mutex>
#include <new>

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

sqlite3_vfs* Base(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

// An open file: our header, then the base VFS's file.
struct File {
  sqlite3_file header;
  sqlite3_file* real;
};

constexpr size_t kRealOffset = (sizeof(File) + 15) / 16 * 16;

sqlite3_file* Real(sqlite3_file* file) {
  return reinterpret_cast<File*>(file)->real;
}
const sqlite3_io_methods* M(sqlite3_file* file) {
  return Real(file)->pMethods;
}

int Close(sqlite3_file* file) {
  return M(file)->xClose(Real(file));
}
int Read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  return M(file)->xRead(Real(file), data, amount, offset);
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
int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  return M(file)->xFileSize(Real(file), size);
}
int Lock(sqlite3_file* file, int level) {
  return M(file)->xLock(Real(file), level);
}
int Unlock(sqlite3_file* file, int level) {
  return M(file)->xUnlock(Real(file), level);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  return M(file)->xCheckReservedLock(Real(file), out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  return M(file)->xFileControl(Real(file), op, arg);
}
int SectorSize(sqlite3_file* file) {
  return M(file)->xSectorSize(Real(file));
}
int DeviceCharacteristics(sqlite3_file* file) {
  return M(file)->xDeviceCharacteristics(Real(file));
}
int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return M(file)->xShmMap(Real(file), region, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return M(file)->xShmLock(Real(file), offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) {
  M(file)->xShmBarrier(Real(file));
}
int ShmUnmap(sqlite3_file* file, int remove) {
  return M(file)->xShmUnmap(Real(file), remove);
}
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;  // no memory map: every page goes through Read
  return SQLITE_OK;
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return SQLITE_OK;
}

const sqlite3_io_methods kMethods = {
    .iVersion = 3,
    .xClose = Close,
    .xRead = Read,
    .xWrite = Write,
    .xTruncate = Truncate,
    .xSync = Sync,
    .xFileSize = FileSize,
    .xLock = Lock,
    .xUnlock = Unlock,
    .xCheckReservedLock = CheckReservedLock,
    .xFileControl = FileControl,
    .xSectorSize = SectorSize,
    .xDeviceCharacteristics = DeviceCharacteristics,
    .xShmMap = ShmMap,
    .xShmLock = ShmLock,
    .xShmBarrier = ShmBarrier,
    .xShmUnmap = ShmUnmap,
    .xFetch = Fetch,
    .xUnfetch = Unfetch,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = reinterpret_cast<File*>(file);
  f->header.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  f->real->pMethods = nullptr;
  const int rc = Base(vfs)->xOpen(Base(vfs), name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr) return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  f->header.pMethods = &kMethods;
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Base(vfs)->xDelete(Base(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Base(vfs)->xAccess(Base(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, size, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xDlOpen(Base(vfs), name);
}
void DlError(sqlite3_vfs* vfs, int size, char* out) {
  Base(vfs)->xDlError(Base(vfs), size, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Base(vfs)->xDlSym(Base(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) {
  Base(vfs)->xDlClose(Base(vfs), handle);
}
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xRandomness(Base(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int microseconds) {
  return Base(vfs)->xSleep(Base(vfs), microseconds);
}
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return Base(vfs)->xCurrentTime(Base(vfs), out);
}
int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xGetLastError(Base(vfs), size, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Base(vfs)->xCurrentTimeInt64(Base(vfs), out);
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
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(kRealOffset) + base->szOsFile;
    vfs.mxPathname = base->mxPathname;
    vfs.zName = "zhizhi-fault";
    vfs.pAppData = base;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
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

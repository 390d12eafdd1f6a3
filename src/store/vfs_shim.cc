#include "store/vfs_shim.h"

namespace zhizhi::store {

namespace {

sqlite3_file* Real(sqlite3_file* file) {
  return reinterpret_cast<ShimFile*>(file)->real;
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
  return M(file)->xWrite(Real(file), data, amount, offset);
}
int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  return M(file)->xTruncate(Real(file), size);
}
int Sync(sqlite3_file* file, int flags) {
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
  if (M(file)->iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return M(file)->xShmMap(Real(file), region, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  if (M(file)->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return M(file)->xShmLock(Real(file), offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) {
  if (M(file)->iVersion >= 2) M(file)->xShmBarrier(Real(file));
}
int ShmUnmap(sqlite3_file* file, int remove) {
  if (M(file)->iVersion < 2) return SQLITE_OK;
  return M(file)->xShmUnmap(Real(file), remove);
}
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;  // "no mapping": SQLite reads instead
  return SQLITE_OK;
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return ShimBase(vfs)->xDelete(ShimBase(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return ShimBase(vfs)->xAccess(ShimBase(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return ShimBase(vfs)->xFullPathname(ShimBase(vfs), name, size, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return ShimBase(vfs)->xDlOpen(ShimBase(vfs), name);
}
void DlError(sqlite3_vfs* vfs, int size, char* out) {
  ShimBase(vfs)->xDlError(ShimBase(vfs), size, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return ShimBase(vfs)->xDlSym(ShimBase(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) {
  ShimBase(vfs)->xDlClose(ShimBase(vfs), handle);
}
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return ShimBase(vfs)->xRandomness(ShimBase(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int microseconds) {
  return ShimBase(vfs)->xSleep(ShimBase(vfs), microseconds);
}
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return ShimBase(vfs)->xCurrentTime(ShimBase(vfs), out);
}
int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return ShimBase(vfs)->xGetLastError(ShimBase(vfs), size, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return ShimBase(vfs)->xCurrentTimeInt64(ShimBase(vfs), out);
}

}  // namespace

sqlite3_io_methods PassThroughMethods() {
  return sqlite3_io_methods{
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
}

void InitShimVfs(sqlite3_vfs& vfs, sqlite3_vfs* base, const char* name, std::size_t shim_file_size,
                 int (*open)(sqlite3_vfs*, const char*, sqlite3_file*, int, int*)) {
  vfs.iVersion = base->iVersion >= 2 && base->xCurrentTimeInt64 != nullptr ? 2 : 1;
  vfs.szOsFile = static_cast<int>(ShimRealOffset(shim_file_size)) + base->szOsFile;
  vfs.mxPathname = base->mxPathname;
  vfs.zName = name;
  vfs.pAppData = base;
  vfs.xOpen = open;
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
}

int OpenShimFile(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags,
                 std::size_t real_offset, const sqlite3_io_methods* methods) {
  auto* shim = reinterpret_cast<ShimFile*>(file);
  shim->header.pMethods = nullptr;
  shim->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_offset);
  shim->real->pMethods = nullptr;
  const int rc = ShimBase(vfs)->xOpen(ShimBase(vfs), name, shim->real, flags, out_flags);
  if (shim->real->pMethods == nullptr) return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  shim->header.pMethods = methods;
  return rc;
}

}  // namespace zhizhi::store

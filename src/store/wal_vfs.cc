#include "store/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace zhizhi::store {

namespace {

constexpr char kName[] = "zhizhi-wal";
// A group of a few hundred passes writes ~1 MB of frames; a larger transaction flushes as it goes.
constexpr sqlite3_int64 kCapacity = 4 << 20;
// The unix VFS writes at most 17 bits' worth per call (it masks the length), so a flush goes in
// pieces of this size: SQLite itself never writes more than a 64 KiB page and its header.
constexpr size_t kMaxWrite = 124 << 10;

sqlite3_vfs* Base(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

// One open file: SQLite's header (our methods) first, the base VFS's file right after it.
struct File {
  sqlite3_file header;
  sqlite3_file* real = nullptr;
  bool wal = false;
  bool commit_page_next = false;  // the last write was a commit frame's header
  sqlite3_int64 next = -1;        // where the last write ended: a write there is an append
  sqlite3_int64 start = 0;        // file offset of buffer[0]
  std::vector<char> buffer;       // appended frames, not yet written
};

constexpr size_t kRealOffset = (sizeof(File) + 15) / 16 * 16;

File* Of(sqlite3_file* file) {
  return reinterpret_cast<File*>(file);
}

const sqlite3_io_methods* Real(File* f) {
  return f->real->pMethods;
}

int Flush(File* f) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < f->buffer.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const size_t n = std::min(kMaxWrite, f->buffer.size() - done);
    rc = Real(f)->xWrite(f->real, f->buffer.data() + done, static_cast<int>(n),
                         f->start + static_cast<sqlite3_int64>(done));
  }
  // Called only where SQLite sees the failure as a failed write or sync (or reports it as an
  // I/O error): the transaction then rolls back, and its frames are not written again.
  f->buffer.clear();
  return rc;
}

int Close(sqlite3_file* file) {
  File* f = Of(file);
  const int flushed = Flush(f);
  const int closed = Real(f)->xClose(f->real);
  f->~File();
  return flushed != SQLITE_OK ? flushed : closed;
}

int Read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  const auto gathered = static_cast<sqlite3_int64>(f->buffer.size());
  const sqlite3_int64 end = offset + amount;
  if (gathered == 0 || end <= f->start || offset >= f->start + gathered) {
    return Real(f)->xRead(f->real, data, amount, offset);
  }
  if (offset >= f->start && end <= f->start + gathered) {  // a frame spilled by this transaction
    std::memcpy(data, f->buffer.data() + (offset - f->start), amount);
    return SQLITE_OK;
  }
  // Partly gathered (SQLite reads whole headers and pages, so not expected): write what is
  // gathered first. A failure is reported as an I/O error, on which SQLite rolls the whole
  // transaction back, so it never commits frames that did not reach the file.
  if (Flush(f) != SQLITE_OK) return SQLITE_IOERR_READ;
  return Real(f)->xRead(f->real, data, amount, offset);
}

// SQLite writes a 24-byte header before each frame's page. Its bytes 4–7 hold the database's size
// in pages on the last frame of a transaction (a commit frame) and zero on the others (the WAL
// file format).
bool IsCommitFrameHeader(const char* bytes, int amount) {
  return amount == 24 && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

int Gather(File* f, const char* bytes, int amount, sqlite3_int64 offset) {
  const bool append = offset == f->next;
  f->next = offset + amount;
  if (append && static_cast<sqlite3_int64>(f->buffer.size()) + amount > kCapacity) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (append && amount <= kCapacity) {
    try {  // no exception may cross SQLite's C frames
      if (f->buffer.capacity() == 0) f->buffer.reserve(kCapacity);
    } catch (const std::bad_alloc&) {
      return Real(f)->xWrite(f->real, bytes, amount, offset);  // buffer is empty: unbuffered
    }
    if (f->buffer.empty()) f->start = offset;
    f->buffer.insert(f->buffer.end(), bytes, bytes + amount);  // within the reserved capacity
    return SQLITE_OK;
  }
  // Not an append (the log's header after a restart, a checksum or a frame rewritten by its own
  // transaction): what is gathered goes first, so the file sees the writes in their order, and
  // this one goes straight to the file.
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Real(f)->xWrite(f->real, bytes, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  if (!f->wal) return Real(f)->xWrite(f->real, data, amount, offset);
  const auto* bytes = static_cast<const char*>(data);
  const bool commit_page = f->commit_page_next;
  f->commit_page_next = IsCommitFrameHeader(bytes, amount);
  if (int rc = Gather(f, bytes, amount, offset); rc != SQLITE_OK) return rc;
  // The transaction's last page: all of it goes to the file now, before SQLite syncs the log or
  // publishes the commit in the WAL index, and a failure fails the commit.
  return commit_page ? Flush(f) : SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Real(f)->xTruncate(f->real, size);
}

int Sync(sqlite3_file* file, int flags) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Real(f)->xSync(f->real, flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  File* f = Of(file);
  const int rc = Real(f)->xFileSize(f->real, size);
  if (rc == SQLITE_OK && !f->buffer.empty()) {
    *size = std::max(*size, f->start + static_cast<sqlite3_int64>(f->buffer.size()));
  }
  return rc;
}

int Lock(sqlite3_file* file, int level) {
  File* f = Of(file);
  return Real(f)->xLock(f->real, level);
}

int Unlock(sqlite3_file* file, int level) {
  File* f = Of(file);
  return Real(f)->xUnlock(f->real, level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  File* f = Of(file);
  return Real(f)->xCheckReservedLock(f->real, out);
}

// No flush here: SQLite ignores the result of some file controls (size hints), so a failed
// write would go unnoticed; none of them needs the gathered frames in the file.
int FileControl(sqlite3_file* file, int op, void* arg) {
  File* f = Of(file);
  return Real(f)->xFileControl(f->real, op, arg);
}

int SectorSize(sqlite3_file* file) {
  File* f = Of(file);
  return Real(f)->xSectorSize(f->real);
}

int DeviceCharacteristics(sqlite3_file* file) {
  File* f = Of(file);
  return Real(f)->xDeviceCharacteristics(f->real);
}

int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  File* f = Of(file);
  if (Real(f)->iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return Real(f)->xShmMap(f->real, region, size, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  File* f = Of(file);
  if (Real(f)->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return Real(f)->xShmLock(f->real, offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) {
  File* f = Of(file);
  if (Real(f)->iVersion >= 2) Real(f)->xShmBarrier(f->real);
}

int ShmUnmap(sqlite3_file* file, int remove) {
  File* f = Of(file);
  if (Real(f)->iVersion < 2) return SQLITE_OK;
  return Real(f)->xShmUnmap(f->real, remove);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  File* f = Of(file);
  *out = nullptr;  // "no mapping": SQLite reads instead (it never maps the log)
  if (Real(f)->iVersion < 3 || f->wal) return SQLITE_OK;
  return Real(f)->xFetch(f->real, offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  File* f = Of(file);
  if (Real(f)->iVersion < 3) return SQLITE_OK;
  return Real(f)->xUnfetch(f->real, offset, page);
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
  File* f = new (file) File;
  f->header.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  f->real->pMethods = nullptr;
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = Base(vfs)->xOpen(Base(vfs), name, f->real, flags, out_flags);
  // SQLite closes a file whose open failed only if its methods are set; so do we.
  if (f->real->pMethods == nullptr) {
    f->~File();
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  f->header.pMethods = &kMethods;
  return rc;
}

// The rest goes to the base VFS, with its own pointer (its functions may read their own fields).
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

}  // namespace

const char* RegisterWalVfs(const std::string& base_name) {
  // One registration per base, kept for the life of the process (SQLite holds the pointers).
  struct Registered {
    sqlite3_vfs vfs{};
    std::string name;
  };
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Registered>> registered;
  std::lock_guard lock(mu);
  if (auto it = registered.find(base_name); it != registered.end()) {
    return it->second ? it->second->name.c_str() : nullptr;
  }
  auto& entry = registered[base_name];
  sqlite3_vfs* base = sqlite3_vfs_find(base_name.empty() ? nullptr : base_name.c_str());
  if (base == nullptr) return nullptr;
  entry = std::make_unique<Registered>();
  entry->name = base_name.empty() ? std::string(kName) : std::string(kName) + "+" + base_name;
  sqlite3_vfs& vfs = entry->vfs;
  {
    vfs.iVersion = base->iVersion >= 2 && base->xCurrentTimeInt64 != nullptr ? 2 : 1;
    vfs.szOsFile = static_cast<int>(kRealOffset) + base->szOsFile;
    vfs.mxPathname = base->mxPathname;
    vfs.zName = entry->name.c_str();
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
  }
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) {
    entry.reset();
    return nullptr;
  }
  return entry->name.c_str();
}

}  // namespace zhizhi::store

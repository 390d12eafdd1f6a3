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

#include "store/vfs_shim.h"

namespace zhizhi::store {

namespace {

constexpr char kName[] = "zhizhi-wal";
// A group of a few hundred passes writes ~1 MB of frames; a larger transaction flushes as it goes.
constexpr sqlite3_int64 kCapacity = 4 << 20;
// The unix VFS writes at most 17 bits' worth per call (it masks the length), so a flush goes in
// pieces of this size: SQLite itself never writes more than a 64 KiB page and its header.
constexpr size_t kMaxWrite = 124 << 10;

// One open file: SQLite's header (our methods) and the base's file first (vfs_shim.h), the base
// VFS's file right after this struct.
struct File {
  ShimFile shim;
  bool wal = false;
  bool commit_page_next = false;  // the last write was a commit frame's header
  sqlite3_int64 next = -1;        // where the last write ended: a write there is an append
  sqlite3_int64 start = 0;        // file offset of buffer[0]
  std::vector<char> buffer;       // appended frames, not yet written
};

constexpr size_t kRealOffset = ShimRealOffset(sizeof(File));

File* Of(sqlite3_file* file) {
  return reinterpret_cast<File*>(file);
}

const sqlite3_io_methods* Real(File* f) {
  return f->shim.real->pMethods;
}

int Flush(File* f) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < f->buffer.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const size_t n = std::min(kMaxWrite, f->buffer.size() - done);
    rc = Real(f)->xWrite(f->shim.real, f->buffer.data() + done, static_cast<int>(n),
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
  const int closed = Real(f)->xClose(f->shim.real);
  f->~File();
  return flushed != SQLITE_OK ? flushed : closed;
}

int Read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  const auto gathered = static_cast<sqlite3_int64>(f->buffer.size());
  const sqlite3_int64 end = offset + amount;
  if (gathered == 0 || end <= f->start || offset >= f->start + gathered) {
    return Real(f)->xRead(f->shim.real, data, amount, offset);
  }
  if (offset >= f->start && end <= f->start + gathered) {  // a frame spilled by this transaction
    std::memcpy(data, f->buffer.data() + (offset - f->start), amount);
    return SQLITE_OK;
  }
  // Partly gathered (SQLite reads whole headers and pages, so not expected): write what is
  // gathered first. A failure is reported as an I/O error, on which SQLite rolls the whole
  // transaction back, so it never commits frames that did not reach the file.
  if (Flush(f) != SQLITE_OK) return SQLITE_IOERR_READ;
  return Real(f)->xRead(f->shim.real, data, amount, offset);
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
      return Real(f)->xWrite(f->shim.real, bytes, amount, offset);  // buffer is empty: unbuffered
    }
    if (f->buffer.empty()) f->start = offset;
    f->buffer.insert(f->buffer.end(), bytes, bytes + amount);  // within the reserved capacity
    return SQLITE_OK;
  }
  // Not an append (the log's header after a restart, a checksum or a frame rewritten by its own
  // transaction): what is gathered goes first, so the file sees the writes in their order, and
  // this one goes straight to the file.
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Real(f)->xWrite(f->shim.real, bytes, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  if (!f->wal) return Real(f)->xWrite(f->shim.real, data, amount, offset);
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
  return Real(f)->xTruncate(f->shim.real, size);
}

int Sync(sqlite3_file* file, int flags) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Real(f)->xSync(f->shim.real, flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  File* f = Of(file);
  const int rc = Real(f)->xFileSize(f->shim.real, size);
  if (rc == SQLITE_OK && !f->buffer.empty()) {
    *size = std::max(*size, f->start + static_cast<sqlite3_int64>(f->buffer.size()));
  }
  return rc;
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  File* f = Of(file);
  *out = nullptr;  // "no mapping": SQLite reads instead (it never maps the log)
  if (Real(f)->iVersion < 3 || f->wal) return SQLITE_OK;
  return Real(f)->xFetch(f->shim.real, offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  File* f = Of(file);
  if (Real(f)->iVersion < 3) return SQLITE_OK;
  return Real(f)->xUnfetch(f->shim.real, offset, page);
}

// Pass-through but for what gathering changes.
const sqlite3_io_methods kMethods = [] {
  sqlite3_io_methods m = PassThroughMethods();
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSize;
  m.xFetch = Fetch;
  m.xUnfetch = Unfetch;
  return m;
}();

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = new (file) File;
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = OpenShimFile(vfs, name, file, flags, out_flags, kRealOffset, &kMethods);
  if (f->shim.header.pMethods == nullptr) f->~File();  // SQLite will not close it
  return rc;
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
  sqlite3_vfs* base = sqlite3_vfs_find(base_name.empty() ? nullptr : base_name.c_str());
  if (base == nullptr) return nullptr;
  auto& entry = registered[base_name];
  entry = std::make_unique<Registered>();
  entry->name = base_name.empty() ? std::string(kName) : std::string(kName) + "+" + base_name;
  sqlite3_vfs& vfs = entry->vfs;
  InitShimVfs(vfs, base, entry->name.c_str(), sizeof(File), Open);
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) {
    registered.erase(base_name);
    return nullptr;
  }
  return entry->name.c_str();
}

}  // namespace zhizhi::store

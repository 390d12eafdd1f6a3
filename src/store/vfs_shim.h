// VFS shims: a SQLite VFS over another one whose open files wrap the other's files — the
// `zhizhi-wal` layer (wal_vfs.h) and the test kit's fault VFS. What every shim passes straight to
// the VFS or the file below it is here once; a shim overrides only what it changes.
//
// A shim's file struct starts with a ShimFile (SQLite's header, then the pointer to the base's
// file, which lives in the same allocation at `real_offset`).
//
// Thread-safety: as SQLite's; each open file belongs to one connection.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <string>

namespace zhizhi::store {

struct ShimFile {
  sqlite3_file header;
  sqlite3_file* real = nullptr;
};

// Where the base's file starts behind a shim file struct of `size` bytes (16-byte aligned).
constexpr std::size_t ShimRealOffset(std::size_t size) {
  return (size + 15) / 16 * 16;
}

// I/O methods that pass every call to the wrapped file; a version-1 base answers the shared-
// memory calls as SQLite expects of one that has none, and no call maps memory (xFetch gives no
// mapping, so SQLite reads). Copy and override.
sqlite3_io_methods PassThroughMethods();

// Fills `vfs` for a shim named `name` over `base`: every call but xOpen goes to `base` (kept in
// pAppData); szOsFile is the shim's file struct plus the base's. `name` must outlive the VFS.
void InitShimVfs(sqlite3_vfs& vfs, sqlite3_vfs* base, const char* name, std::size_t shim_file_size,
                 int (*open)(sqlite3_vfs*, const char*, sqlite3_file*, int, int*));

// The base VFS of a shim VFS.
inline sqlite3_vfs* ShimBase(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

// Opens the base's file behind `file` (a ShimFile at its start, the base's file at
// `real_offset`) and, when that worked, gives it `methods`. SQLite closes a file whose open failed
// only if its methods are set, so they stay null then.
int OpenShimFile(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags,
                 std::size_t real_offset, const sqlite3_io_methods* methods);

}  // namespace zhizhi::store

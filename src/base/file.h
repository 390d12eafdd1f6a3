// Reading a whole file into memory, with its size checked before a byte is read: a file larger
// than the caller's limit (a 10 GB feed) costs nothing to refuse; and writing one durably.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace zhizhi {

// The file's bytes; 404 not_found (field "file") when it cannot be read, 413 too_large when it
// has more than `limit` bytes.
Result<std::string> ReadWholeFile(const std::string& path, std::uint64_t limit);

// Writes `bytes` to PATH.tmp (mode 0600), fsyncs it, renames it to `path` and fsyncs the folder:
// a reader sees the old file or the whole new one, never a part.
Status WriteFileDurably(const std::string& path, const std::string& bytes);

}  // namespace zhizhi

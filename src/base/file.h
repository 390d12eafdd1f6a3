// Reading a whole file into memory, with its size checked before a byte is read: a file larger
// than the caller's limit (a 10 GB feed) costs nothing to refuse.
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

}  // namespace zhizhi

#include "base/file.h"

#include <filesystem>
#include <fstream>

namespace zhizhi {

Result<std::string> ReadWholeFile(const std::string& path, std::uint64_t limit) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path + ": " + ec.message(), "file");
  if (size > limit) {
    return Status::TooLarge(path + " has " + std::to_string(size) + " bytes; at most " +
                            std::to_string(limit) + " are read at once: split it");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(size)))
    return Status::NotFound("cannot read " + path, "file");
  return bytes;
}

}  // namespace zhizhi

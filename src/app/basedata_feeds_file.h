// A file of the base-data feeds (basedata_feeds.h), written through one big buffer. GBK files
// are converted buffer by buffer (always at a row boundary, so no character is cut) with iconv's
// GBK converter rather than base/csv.h's GB18030 one, so that a character GBK does not have is an
// error instead of a four-byte GB18030 sequence a GBK reader cannot read. An error is kept and
// reported by Close.
//
// Thread-safety: one thread per file.
#pragma once

#include <iconv.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/status.h"

namespace zhizhi::app::feeds {

class FeedFile {
 public:
  FeedFile(const std::filesystem::path& path, bool gbk);
  ~FeedFile();
  FeedFile(const FeedFile&) = delete;
  FeedFile& operator=(const FeedFile&) = delete;

  std::string& out() { return buffer_; }
  // Ends a row (the caller wrote its line break) and writes the buffer out once it is big.
  void EndRow() {
    ++rows_;
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  size_t rows() const { return rows_; }

  Status Close();

 private:
  static constexpr size_t kFlushBytes = 8 << 20;

  void Fail(const char* what);
  void Flush();

  std::string path_;
  std::ofstream out_;
  iconv_t cd_ = nullptr;
  std::string buffer_;
  std::string converted_;
  size_t rows_ = 0;
  Status status_;
};

}  // namespace zhizhi::app::feeds

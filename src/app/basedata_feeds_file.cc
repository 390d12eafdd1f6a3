#include "app/basedata_feeds_file.h"

#include <cerrno>

namespace zhizhi::app::feeds {

FeedFile::FeedFile(const std::filesystem::path& path, bool gbk) : path_(path.string()) {
  out_.open(path, std::ios::binary | std::ios::trunc);
  if (!out_) Fail("cannot create");
  if (gbk) {
    cd_ = iconv_open("GBK", "UTF-8");
    if (cd_ == reinterpret_cast<iconv_t>(-1)) {
      cd_ = nullptr;
      Fail("no UTF-8 to GBK converter");
    }
  }
  buffer_.reserve(kFlushBytes + 4096);
}

FeedFile::~FeedFile() {
  if (cd_ != nullptr) iconv_close(cd_);
}

Status FeedFile::Close() {
  Flush();
  if (status_.ok()) {
    out_.close();
    if (out_.fail()) Fail("cannot close");
  }
  return status_;
}

void FeedFile::Fail(const char* what) {
  if (status_.ok()) status_ = Status::Internal(std::string(what) + " " + path_);
}

void FeedFile::Flush() {
  if (!status_.ok() || buffer_.empty()) {
    buffer_.clear();
    return;
  }
  if (cd_ == nullptr) {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  } else {
    converted_.resize(buffer_.size() + 64);  // GBK never takes more bytes than UTF-8
    char* in = buffer_.data();
    size_t in_left = buffer_.size();
    char* to = converted_.data();
    size_t to_left = converted_.size();
    if (iconv(cd_, &in, &in_left, &to, &to_left) == static_cast<size_t>(-1)) {
      Fail(errno == EILSEQ ? "a character GBK does not have in" : "cannot convert to GBK");
      buffer_.clear();
      return;
    }
    out_.write(converted_.data(), static_cast<std::streamsize>(converted_.size() - to_left));
  }
  if (!out_) Fail("cannot write");
  buffer_.clear();
}

}  // namespace zhizhi::app::feeds

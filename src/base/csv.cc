#include "base/csv.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <type_traits>

#include "base/text.h"

namespace zhizhi {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

struct IconvCloser {
  void operator()(iconv_t cd) const { iconv_close(cd); }
};
using IconvHandle = std::unique_ptr<std::remove_pointer_t<iconv_t>, IconvCloser>;

std::string WhereInFile(std::string_view bytes, size_t offset) {
  const auto newlines = std::count(bytes.begin(), bytes.begin() + offset, '\n');
  return "at byte " + std::to_string(offset) + " (line " + std::to_string(newlines + 1) + ")";
}

// Converts `in` from encoding `from` to encoding `to`. `out_size` is a first guess of the output
// size (grown as needed). Input `from` cannot read (ill-formed or truncated) is
// Status::InvalidArgument("text", …) with *bad_offset set to the offset of the first byte it
// could not convert; a converter iconv does not have is Status::Internal.
Result<std::string> Iconv(const char* from, const char* to, std::string_view in, size_t out_size,
                          size_t* bad_offset) {
  IconvHandle cd(iconv_open(to, from));
  if (cd.get() == reinterpret_cast<iconv_t>(-1)) {
    cd.release();
    return Status::Internal(std::string(from) + " to " + to +
                            " converter unavailable: " + std::strerror(errno));
  }
  std::string out(out_size, '\0');
  // iconv's prototype is not const-correct; it never writes through the input pointer.
  char* in_ptr = const_cast<char*>(in.data());
  size_t in_left = in.size();
  size_t written = 0;
  while (in_left > 0) {
    char* out_ptr = out.data() + written;
    size_t out_left = out.size() - written;
    const size_t rc = iconv(cd.get(), &in_ptr, &in_left, &out_ptr, &out_left);
    written = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    const int err = errno;  // EILSEQ, or EINVAL for a sequence cut off at the end
    *bad_offset = static_cast<size_t>(in_ptr - in.data());
    return Status::InvalidArgument(
        "text", std::string("cannot convert from ") + from + ": " + std::strerror(err));
  }
  out.resize(written);
  return out;
}

// Turns file bytes into UTF-8 text; sets *encoding to "utf-8" or "gb18030".
Result<std::string> DecodeToUtf8(std::string bytes, std::string* encoding) {
  *encoding = "utf-8";
  if (bytes.starts_with(kUtf8Bom)) {
    const size_t bad = FindInvalidUtf8(std::string_view(bytes).substr(kUtf8Bom.size()));
    if (bad != std::string_view::npos) {
      return Status::InvalidArgument("file",
                                     "file starts with a UTF-8 byte order mark but is not UTF-8 " +
                                         WhereInFile(bytes, bad + kUtf8Bom.size()));
    }
    bytes.erase(0, kUtf8Bom.size());
    return bytes;
  }
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    return Status::InvalidArgument(
        "file", "file is UTF-16 text; save it as \"CSV UTF-8\" (or plain CSV) and import again");
  }
  if (IsValidUtf8(bytes)) return bytes;
  size_t bad = 0;
  // 2 GB18030 bytes make at most 3 UTF-8 bytes.
  Result<std::string> converted =
      Iconv("GB18030", "UTF-8", bytes, bytes.size() + bytes.size() / 2 + 16, &bad);
  if (!converted.ok()) {
    if (converted.status().kind() != StatusKind::kInvalid) return converted.status();
    return Status::InvalidArgument("file", "file is not UTF-8 or GBK " + WhereInFile(bytes, bad));
  }
  *encoding = "gb18030";
  return converted;
}

}  // namespace

Result<std::string> ConvertGb18030ToUtf8(std::string_view bytes) {
  size_t bad = 0;
  Result<std::string> converted =
      Iconv("GB18030", "UTF-8", bytes, bytes.size() + bytes.size() / 2 + 16, &bad);
  if (!converted.ok() && converted.status().kind() == StatusKind::kInvalid)
    return Status::InvalidArgument("file", "file is not GBK " + WhereInFile(bytes, bad));
  return converted;
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string message = "cannot open " + path + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(std::move(message), "file");
    return Status::Internal(std::move(message));
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Internal("cannot read " + path);
  return bytes;
}

// Returns the slot for field number n of *fields, cleared, reusing an existing string if any.
std::string* FieldSlot(std::vector<std::string>* fields, size_t n) {
  if (n < fields->size()) {
    (*fields)[n].clear();
  } else {
    fields->emplace_back();
  }
  return &(*fields)[n];
}

}  // namespace

Result<CsvReader> CsvReader::Open(const std::string& path) {
  ZZ_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return FromBuffer(std::move(bytes));
}

Result<CsvReader> CsvReader::FromBuffer(std::string bytes) {
  std::string encoding;
  ZZ_ASSIGN_OR_RETURN(std::string text, DecodeToUtf8(std::move(bytes), &encoding));
  return CsvReader(std::move(text), std::move(encoding));
}

bool CsvReader::AtLineBreak() const {
  return pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r');
}

void CsvReader::ConsumeLineBreak() {
  if (pos_ >= text_.size()) return;
  if (text_[pos_] == '\r') ++pos_;
  if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
  ++next_line_;
}

void CsvReader::SkipEmptyLines() {
  while (AtLineBreak())
    ConsumeLineBreak();
}

void CsvReader::AppendUnquoted(std::string* field) {
  const char* const begin = text_.data() + pos_;
  const char* const end = text_.data() + text_.size();
  const char* p = begin;
  while (p < end && *p != ',' && *p != '\n' && *p != '\r')
    ++p;
  field->append(begin, p);
  pos_ += static_cast<size_t>(p - begin);
}

bool CsvReader::AppendQuoted(std::string* field) {
  const int start_line = next_line_;
  const char* const end = text_.data() + text_.size();
  const char* p = text_.data() + pos_ + 1;  // after the opening quote
  while (true) {
    const char* chunk = p;
    while (p < end && *p != '"') {
      if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n'))) ++next_line_;
      ++p;
    }
    field->append(chunk, p);
    if (p == end) {
      pos_ = text_.size();
      status_ = Status::InvalidArgument(
          "file", "unterminated quoted field starting at line " + std::to_string(start_line));
      return false;
    }
    ++p;                         // the quote
    if (p < end && *p == '"') {  // "" is an escaped quote
      field->push_back('"');
      ++p;
      continue;
    }
    pos_ = static_cast<size_t>(p - text_.data());
    AppendUnquoted(field);  // lenient: `"ab"cd` reads as abcd
    return true;
  }
}

bool CsvReader::Next(std::vector<std::string>* fields) {
  if (!status_.ok()) return false;
  SkipEmptyLines();
  if (pos_ >= text_.size()) {
    fields->clear();
    return false;
  }
  record_line_ = next_line_;
  size_t n = 0;
  while (true) {
    std::string* field = FieldSlot(fields, n++);
    if (pos_ < text_.size() && text_[pos_] == '"') {
      if (!AppendQuoted(field)) {
        fields->clear();
        return false;
      }
    } else {
      AppendUnquoted(field);
    }
    if (pos_ < text_.size() && text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    ConsumeLineBreak();
    break;
  }
  fields->resize(n);
  return true;
}

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::string> ConvertUtf8ToGb18030(std::string_view utf8) {
  if (!IsValidUtf8(utf8)) return Status::InvalidArgument("text", "text is not UTF-8");
  size_t bad = 0;
  // 3 UTF-8 bytes make 2 GB18030 bytes, 4 make 4. GB18030 encodes every code point, so valid
  // UTF-8 that does not convert is a fault of the converter, not of the text.
  Result<std::string> converted = Iconv("UTF-8", "GB18030", utf8, utf8.size() + 16, &bad);
  if (!converted.ok() && converted.status().kind() == StatusKind::kInvalid) {
    return Status::Internal("GB18030 conversion failed at byte " + std::to_string(bad) + ": " +
                            converted.status().message());
  }
  return converted;
}

}  // namespace zhizhi

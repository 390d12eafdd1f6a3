// CsvReader: reads RFC 4180 CSV exported from spreadsheets (Excel, WPS) for bulk imports.
// The whole file is loaded and converted to UTF-8 up front (GB18030/GBK exports are detected and
// converted with iconv); records are then split with a single pointer scan, reusing the caller's
// strings. A CsvReader is not synchronised: use one per thread (it is movable, not shared).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace zhizhi {

class CsvReader {
 public:
  // Reads the whole file. Strips a UTF-8 BOM. If the bytes are not valid UTF-8 they are converted
  // from GB18030 (a superset of GBK); if that fails too the error is
  // Status::InvalidArgument("file", "... not UTF-8 or GBK at byte N (line L)"). A file with a UTF-8
  // BOM must be UTF-8; UTF-16 files are refused with a hint to re-save them.
  // A missing file is Status::NotFound; other read failures Status::Internal.
  static Result<CsvReader> Open(const std::string& path);
  // Same detection on bytes in memory (pass them with std::move to avoid a copy).
  static Result<CsvReader> FromBuffer(std::string bytes);

  const std::string& encoding() const { return encoding_; }  // "utf-8" or "gb18030"

  // Reads the next record into *fields (resized to the record; existing strings are reused).
  // Returns false at the end of input or on error (then status() is not ok, e.g. "unterminated
  // quoted field starting at line N"). Handles quoted fields with "" escapes, commas and line
  // breaks inside quotes, CRLF, LF and lone CR line ends, a last line without a line end; skips
  // completely empty lines. Lenient like Excel: a quote inside an unquoted field is kept as is, and
  // text after a closing quote is appended to the field.
  bool Next(std::vector<std::string>* fields);

  int line() const { return record_line_; }     // 1-based line where the last record started
  size_t position() const { return pos_; }      // bytes of the UTF-8 text consumed so far
  size_t size() const { return text_.size(); }  // total bytes of the UTF-8 text
  const Status& status() const { return status_; }

 private:
  CsvReader(std::string text, std::string encoding)
      : text_(std::move(text)), encoding_(std::move(encoding)) {}

  void SkipEmptyLines();
  bool AtLineBreak() const;
  void ConsumeLineBreak();
  void AppendUnquoted(std::string* field);
  bool AppendQuoted(std::string* field);  // false on an unterminated quote

  std::string text_;
  std::string encoding_;
  size_t pos_ = 0;
  int next_line_ = 1;
  int record_line_ = 0;
  Status status_;
};

// Writing CSV: `field` quoted per RFC 4180 when it holds a comma, quote or line break.
std::string CsvField(std::string_view field);
// UTF-8 text as GB18030 (a superset of GBK) for spreadsheets and upload tools that expect it;
// Status::InvalidArgument("text", …) when `utf8` is not valid UTF-8.
Result<std::string> ConvertUtf8ToGb18030(std::string_view utf8);
// GB18030 (GBK) bytes as UTF-8; Status::InvalidArgument("file", "… not GBK at byte N (line L)").
Result<std::string> ConvertGb18030ToUtf8(std::string_view bytes);

}  // namespace zhizhi

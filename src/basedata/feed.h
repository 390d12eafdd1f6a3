// Reading one source feed (a CSV file with a header line, or JSON lines) through its mapping:
// rows become our fields as text, code lists applied; each row that cannot be taken is an issue
// with its line and a stable code, and the rest of the file goes on. What makes the whole file
// unusable — the wrong encoding, a mapping column the header lacks, a broken CSV quote, a file
// over kMaxFeedBytes — is the reader's status, and nothing of the file may be kept.
//
// Row issue codes: missing_key, duplicate_source_id (the later rows; the first is kept),
// invalid_json, wrong_type (a JSON value that is an object or array), unknown_code (a coded
// field's value is not in the list: the field is left empty, the row kept), invalid_utf8.
//
// Thread-safety: one reader per thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/csv.h"
#include "base/status.h"
#include "basedata/mapping.h"

namespace zhizhi::basedata {

// Feeds are read into memory whole (then converted to UTF-8): larger files must be split.
inline constexpr std::uint64_t kMaxFeedBytes = 2ull << 30;

struct RowIssue {
  int line = 0;
  std::string source_id;
  std::string code;
  std::string field;
  std::string message;
  bool rejected = false;  // the row was not taken (else only `field` was left empty)
};

struct SourceRow {
  int line = 0;
  std::string source_id;
  bool withdrawn = false;
  std::array<std::string, kMaxMappedFields> values;  // per FieldsOf(kind); "" when absent
};

class FeedReader {
 public:
  // Decodes `bytes` as the mapping says (UTF-8, BOM allowed, or GBK/GB18030) and, for CSV,
  // reads the header and finds the mapping's columns.
  static Result<FeedReader> Open(const Mapping& mapping, std::string bytes);
  // The same from a file; a file over kMaxFeedBytes is refused before it is read.
  static Result<FeedReader> OpenFile(const Mapping& mapping, const std::string& path);

  // The next row taken; issues of this and of skipped rows are appended to *issues. False at the
  // end or on an error that spoils the file (then status() is not ok).
  bool Next(SourceRow* row, std::vector<RowIssue>* issues);
  const Status& status() const { return status_; }
  // Share of the text read, 0..1 (for progress).
  double progress() const;

 private:
  explicit FeedReader(const Mapping& mapping) : mapping_(mapping) {}
  bool NextCsv(SourceRow* row, std::vector<RowIssue>* issues);
  bool NextJsonl(SourceRow* row, std::vector<RowIssue>* issues);
  // Applies trimming and code lists; false when the row is rejected.
  bool Finish(SourceRow* row, std::vector<RowIssue>* issues);

  Mapping mapping_;
  Status status_;
  std::unique_ptr<CsvReader> csv_;  // CSV
  std::vector<std::string> cells_;
  int key_column_ = -1, withdrawn_column_ = -1;
  std::array<int, kMaxMappedFields> column_of_{};  // per field: CSV column or -1
  std::string text_;                               // JSONL
  size_t pos_ = 0;
  int line_ = 0;
  std::unordered_map<std::string, int> first_line_;
};

}  // namespace zhizhi::basedata

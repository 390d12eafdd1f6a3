// Bulk import of registry records from UTF-8 (or GBK) CSV files with a header row, as district
// and site offices keep them in spreadsheets. Columns carry the API's field names; rows go
// through the same parsers and rules as the API.
//
// By default a file is all-or-nothing: one bad row and nothing is written, with every bad row
// reported (line, field, code, message). With `partial`, good rows are kept and bad rows reported.
//
// Thread-safety: one import at a time per data directory (the Platform lock ensures it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "registry/registry.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::registry {

// Kinds and their columns; the importer refuses unknown columns and missing required ones.
struct ImportKind {
  std::string_view name;
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
};
const std::vector<ImportKind>& ImportKinds();

struct ImportRowError {
  int line = 0;
  std::string field;
  std::string code;
  std::string message;
};

struct ImportReport {
  std::string kind;
  std::string encoding;
  std::int64_t rows = 0;      // data rows read
  std::int64_t imported = 0;  // rows written (0 when rolled back)
  std::int64_t rejected = 0;
  bool committed = false;
  double seconds = 0;
  std::vector<ImportRowError> errors;  // every rejected row, in file order
};

struct ImportOptions {
  bool partial = false;
  // Called every few thousand rows with (bytes done, bytes total, rows done).
  std::function<void(size_t, size_t, std::int64_t)> progress;
  // When set, one audit row (import.KIND, with every person the file touched) is written in the
  // import's transaction.
  const security::AuditLog* audit = nullptr;
  security::Actor actor;
};

// Fails only when the file as a whole cannot be imported (unreadable, unknown kind, bad header);
// row problems are in the report.
Result<ImportReport> ImportCsv(store::Database& db, Registry& registry, const std::string& kind,
                               const std::string& path, const ImportOptions& options);

}  // namespace zhizhi::registry

// The daily export file: when no police endpoint is configured, submitted messages (outbox target
// `police_export`) are written once a day to a CSV file that an officer uploads by hand to the
// police system; the answers (receipt numbers or rejections) are then recorded through
// POST /api/v1/residence-registrations/{id}/answer.
//
// The file carries full ID numbers (the upload needs them), so it is created with mode 0600 in
// DATA_DIR/exports, written to a temporary name, fsync'd and renamed: a file either exists
// complete or not at all. Its rows are marked sent only after the rename, so a crash in between
// exports them again next time (each row carries its idempotency key, so a duplicate upload is
// recognisable). Columns and encodings are in docs/residence.md.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "residence/residence.h"
#include "security/field_cipher.h"
#include "store/database.h"

namespace zhizhi::residence {

struct ExportOptions {
  std::string dir;                 // DATA_DIR/exports
  std::string encoding = "utf-8";  // utf-8 (with BOM, for Excel) or gbk (GB18030, no BOM)
};

struct ExportReport {
  std::string file;  // empty when there was nothing to export
  int rows = 0;
};

Result<ExportReport> WriteDailyExport(store::Database& db, Residence& residence,
                                      const security::FieldCipher& cipher,
                                      const ExportOptions& options, std::int64_t now_ms);

// The CSV text of rows (UTF-8); exposed for tests.
struct ExportRow {
  std::int64_t outbox_id = 0;
  std::string idempotency_key;
  std::string payload;
  std::string id_sealed;  // persons.id_cipher of the row's person, read when the file is written
};
Result<std::string> ExportCsv(const std::vector<ExportRow>& rows,
                              const security::FieldCipher& cipher);

}  // namespace zhizhi::residence

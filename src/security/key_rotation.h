// The field key's life: checking at start that the key fits the database, and rotating it.
//
// Every column sealed with FieldCipher is listed in SealedColumns(); rotation re-seals exactly
// those (and recomputes their keyed lookup hashes), re-hashes the audit chain and replaces the
// database's key check, all in one transaction: either everything is under the new key or
// nothing changed. A module that seals a new column adds it to the list (a test fails when a
// `*_cipher` column of the schema is missing from it).
//
// The key file is replaced after the commit: the new key is first written to field.key.new, and
// a start that finds the database sealed with field.key.new finishes the swap (field.key becomes
// field.key.old), so a crash at any point leaves a directory that opens.
//
// Thread-safety: functions run on the caller's thread; rotation runs one writer job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "security/audit_log.h"
#include "security/field_cipher.h"
#include "store/database.h"

namespace zhizhi::security {

struct SealedColumn {
  const char* table;
  const char* key;            // the row's primary key column
  const char* cipher;         // the sealed column (BLOB: nonce || MAC || ciphertext)
  const char* lookup_hash;    // the keyed lookup hash column recomputed from the plaintext, or null
  const char* lookup_prefix;  // SQL expression prefixed to the plaintext for the hash, or null
};
// Every sealed column of the schema.
const std::vector<SealedColumn>& SealedColumns();

// Makes sure `cipher` is the key the database was sealed with (meta.key_check), finishing an
// interrupted rotation when DATA_DIR/field.key.new is the right key (then `cipher` is replaced).
// A database without a key check gets one. Fails when the key is wrong.
Status EnsureFieldKey(store::Database& db, FieldCipher* cipher, const std::string& data_dir);

struct RotationReport {
  std::int64_t sealed_values = 0;  // values re-sealed, over every sealed column
  std::int64_t audit_rows = 0;     // audit rows re-hashed
  std::string new_key_path;        // where the new key is now
  std::string old_key_path;        // where the old key was kept ("" when it came from the env)
};

// Rotates the field key of an open data directory: a new random key, every sealed value and
// lookup hash and the audit chain re-done under it in one transaction, then the key file
// replaced. With the key in ZHIZHI_FIELD_KEY the new key is written to `new_key_file` (which must
// not exist) and the operator sets the variable to it. `cipher` is the key in use; on success it
// is replaced by the new one.
Result<RotationReport> RotateFieldKey(store::Database& db, FieldCipher* cipher,
                                      const std::string& data_dir, const std::string& new_key_file,
                                      const Actor& actor);

}  // namespace zhizhi::security

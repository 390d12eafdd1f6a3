// FieldCipher encrypts personal identifiers at rest (libsodium secretbox, XSalsa20-Poly1305) and
// computes keyed lookup hashes (BLAKE2b) so the database can find a person by ID number without
// holding the number in clear: the SQLite file alone reveals no ID number.
//
// The 32-byte master key comes from the environment variable ZHIZHI_FIELD_KEY (64 hex chars) or
// from DATA_DIR/field.key, created with mode 0600 on first start. Three subkeys are derived from
// it (sealing, lookup hashing, the audit chain) so no use can leak another. The database keeps a
// keyed check value (KeyCheck) so that a wrong key is refused at start instead of producing
// garbage; `zhizhi keys rotate` replaces the key (security/key_rotation.h).
//
// Thread-safety: immutable after construction; all methods are const and thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/status.h"

namespace zhizhi::security {

class FieldCipher {
 public:
  static constexpr size_t kKeyBytes = 32;
  using Key = std::array<unsigned char, kKeyBytes>;

  // Loads or creates the key for `data_dir` as described above.
  static Result<FieldCipher> ForDataDir(const std::string& data_dir);
  static FieldCipher FromMasterKey(const Key& master);

  // nonce || MAC || ciphertext.
  std::string Seal(std::string_view plaintext) const;
  Result<std::string> Unseal(std::string_view sealed) const;
  // 32 raw bytes; equal inputs give equal hashes under the same key.
  std::string LookupHash(std::string_view text) const;
  // 32 raw bytes: the keyed hash that links audit rows (security/audit_log.h).
  std::string ChainHash(std::string_view text) const;
  // A value that identifies the key without revealing it (stored in the database's meta table).
  std::string KeyCheck() const;

  // A new random master key.
  static Key GenerateKey();
  // The master key in DATA_DIR/field.key or ZHIZHI_FIELD_KEY, as ForDataDir finds it; creates
  // the file if neither exists.
  static Result<Key> LoadKey(const std::string& data_dir);
  // Reads a key file written by WriteKeyFile.
  static Result<Key> ReadKeyFile(const std::string& path);
  // Writes `key` as hex to `path` with mode 0600 (O_EXCL: the file must not exist), fsynced.
  static Status WriteKeyFile(const std::string& path, const Key& key);
  static constexpr const char* kKeyFileName = "field.key";
  static constexpr const char* kKeyEnvironment = "ZHIZHI_FIELD_KEY";

 private:
  FieldCipher() = default;
  Key seal_key_{};
  Key hash_key_{};
  Key chain_key_{};
};

// Initialises libsodium once; safe to call repeatedly from any thread.
Status InitSodium();

// Hex helpers for keys and tokens.
std::string ToHex(std::string_view bytes);
Result<std::string> FromHex(std::string_view hex);
// Lowercase hex SHA-256 of `bytes` (the police wire format, the lottery's hashes).
std::string Sha256Hex(std::string_view bytes);

}  // namespace zhizhi::security

#include "security/key_rotation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace zhizhi::security {

namespace {

constexpr const char* kNewKeyName = "field.key.new";
constexpr const char* kOldKeyName = "field.key.old";

bool KeyFromEnvironment() {
  const char* env = std::getenv(FieldCipher::kKeyEnvironment);
  return env != nullptr && *env != '\0';
}

bool Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open " + dir + ": " + std::strerror(errno));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Internal("cannot sync " + dir);
  return Status::Ok();
}

// field.key -> field.key.old, field.key.new -> field.key, durably.
Status SwapKeyFiles(const std::string& data_dir) {
  const std::string current = data_dir + "/" + FieldCipher::kKeyFileName;
  const std::string next = data_dir + "/" + kNewKeyName;
  const std::string old = data_dir + "/" + kOldKeyName;
  if (Exists(current) && ::rename(current.c_str(), old.c_str()) != 0) {
    return Status::Internal("cannot rename " + current + ": " + std::strerror(errno));
  }
  if (::rename(next.c_str(), current.c_str()) != 0) {
    return Status::Internal("cannot rename " + next + ": " + std::strerror(errno));
  }
  return SyncDirectory(data_dir);
}

Result<std::optional<std::string>> ReadKeyCheck(store::Database& db) {
  return db.Read([](store::Connection& conn) -> Result<std::optional<std::string>> {
    auto s = conn.Prepare("SELECT value FROM meta WHERE key = 'key_check'");
    if (s.Step()) return std::optional<std::string>(s.Blob(0));
    if (!s.status().ok()) return s.status();
    return std::optional<std::string>();
  });
}

Status WriteKeyCheck(store::Connection& conn, const FieldCipher& cipher) {
  return conn
      .Prepare(
          "INSERT INTO meta(key, value) VALUES ('key_check', ?) ON CONFLICT(key) DO UPDATE SET "
          "value = excluded.value")
      .BindBlob(1, cipher.KeyCheck())
      .Run();
}

// Re-seals one column: every value unsealed with `old`, sealed with `next`, its lookup hash
// recomputed. Fails (and so rolls everything back) on a value the old key cannot open.
Result<std::int64_t> Reseal(store::Connection& conn, const SealedColumn& column,
                            const FieldCipher& old, const FieldCipher& next) {
  const std::string prefix = column.lookup_prefix ? column.lookup_prefix : "''";
  const std::string select = std::string("SELECT ") + column.key + ", " + column.cipher + ", " +
                             prefix + " FROM " + column.table + " WHERE " + column.cipher +
                             " IS NOT NULL";
  std::string update = std::string("UPDATE ") + column.table + " SET " + column.cipher + " = ?1";
  if (column.lookup_hash) update += std::string(", ") + column.lookup_hash + " = ?2";
  update += std::string(" WHERE ") + column.key + " = ?3";
  ZZ_ASSIGN_OR_RETURN(auto read, conn.PrepareUncached(select));
  ZZ_ASSIGN_OR_RETURN(auto write, conn.PrepareUncached(update));
  std::int64_t count = 0;
  for (;;) {
    const int rc = sqlite3_step(read.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW)
      return Status::Internal("reading " + std::string(column.table) + ": " + conn.LastError());
    const std::int64_t key = sqlite3_column_int64(read.get(), 0);
    const std::string sealed(static_cast<const char*>(sqlite3_column_blob(read.get(), 1)),
                             static_cast<size_t>(sqlite3_column_bytes(read.get(), 1)));
    const auto* prefix_text = sqlite3_column_text(read.get(), 2);
    const std::string hash_prefix = prefix_text ? reinterpret_cast<const char*>(prefix_text) : "";
    auto plain = old.Unseal(sealed);
    if (!plain.ok()) {
      return Status::Internal(std::string(column.table) + "." + column.cipher + " of row " +
                              std::to_string(key) + " does not open with the current key");
    }
    const std::string resealed = next.Seal(*plain);
    const std::string hash = next.LookupHash(hash_prefix + *plain);
    sodium_memzero(plain->data(), plain->size());
    sqlite3_reset(write.get());
    // A bind that fails (the copy runs out of memory) would write another row's value or NULL.
    int bound = sqlite3_bind_blob(write.get(), 1, resealed.data(),
                                  static_cast<int>(resealed.size()), SQLITE_TRANSIENT);
    if (bound == SQLITE_OK && column.lookup_hash) {
      bound = sqlite3_bind_blob(write.get(), 2, hash.data(), static_cast<int>(hash.size()),
                                SQLITE_TRANSIENT);
    }
    if (bound == SQLITE_OK) bound = sqlite3_bind_int64(write.get(), 3, key);
    if (bound != SQLITE_OK || sqlite3_step(write.get()) != SQLITE_DONE) {
      return Status::Internal("re-sealing " + std::string(column.table) + ": " + conn.LastError());
    }
    ++count;
  }
  return count;
}

}  // namespace

const std::vector<SealedColumn>& SealedColumns() {
  static const std::vector<SealedColumn> columns = {
      // Registry::LookupKey hashes "id_type:id_number".
      {"persons", "id", "id_cipher", "id_hash", "id_type || ':'"},
      // Face templates (biometrics) and, with `serve --keep-face-photos`, the enrolment photos.
      {"faces", "id", "embedding", nullptr, nullptr},
      {"faces", "id", "photo", nullptr, nullptr},
      // Base data (basedata/record_store.h) hashes resident ID numbers like the registry.
      {"source_records", "id", "id_cipher", "id_hash", "'01:'"},
      {"entities", "id", "id_cipher", "id_hash", "'01:'"},
      // A lottery's secret, sealed until its draw is over (lottery/lottery_service.h).
      {"lotteries", "id", "secret_cipher", nullptr, nullptr},
      // The login a terminal of another maker takes for the downlink (gate/devices.cc).
      {"devices", "id", "downlink_password", nullptr, nullptr},
  };
  return columns;
}

Status EnsureFieldKey(store::Database& db, FieldCipher* cipher, const std::string& data_dir) {
  ZZ_ASSIGN_OR_RETURN(auto stored, ReadKeyCheck(db));
  const std::string next_path = data_dir + "/" + kNewKeyName;
  if (!stored) {
    return db.Write([&](store::Connection& conn) { return WriteKeyCheck(conn, *cipher); });
  }
  if (*stored == cipher->KeyCheck()) {
    // A rotation that did not commit leaves its new key behind: it sealed nothing.
    if (!KeyFromEnvironment() && Exists(next_path)) ::unlink(next_path.c_str());
    return Status::Ok();
  }
  if (!KeyFromEnvironment() && Exists(next_path)) {
    ZZ_ASSIGN_OR_RETURN(FieldCipher::Key key, FieldCipher::ReadKeyFile(next_path));
    FieldCipher next = FieldCipher::FromMasterKey(key);
    sodium_memzero(key.data(), key.size());
    if (*stored == next.KeyCheck()) {
      // A rotation committed but stopped before swapping the files: finish it.
      ZZ_RETURN_IF_ERROR(SwapKeyFiles(data_dir));
      spdlog::warn("event=key_rotation_finished data={}", data_dir);
      *cipher = next;
      return Status::Ok();
    }
  }
  return Status::Internal(
      std::string("the field key does not fit this database: it was sealed with another key (") +
      (KeyFromEnvironment() ? "check ZHIZHI_FIELD_KEY" : "check " + data_dir + "/field.key") +
      "); refusing to start rather than misread or mix keys");
}

Result<RotationReport> RotateFieldKey(store::Database& db, FieldCipher* cipher,
                                      const std::string& data_dir, const std::string& new_key_file,
                                      const Actor& actor) {
  const bool from_env = KeyFromEnvironment();
  RotationReport report;
  report.new_key_path = from_env ? new_key_file : data_dir + "/" + kNewKeyName;
  if (from_env && new_key_file.empty()) {
    return Status::InvalidArgument(
        "new-key-file",
        "the key comes from ZHIZHI_FIELD_KEY: give --new-key-file PATH for the "
        "new key, then set ZHIZHI_FIELD_KEY to it");
  }
  if (!from_env && Exists(report.new_key_path)) ::unlink(report.new_key_path.c_str());
  FieldCipher::Key key = FieldCipher::GenerateKey();
  Status written = FieldCipher::WriteKeyFile(report.new_key_path, key);
  FieldCipher next = FieldCipher::FromMasterKey(key);
  sodium_memzero(key.data(), key.size());
  ZZ_RETURN_IF_ERROR(written);

  const AuditLog old_audit(cipher);
  const AuditLog next_audit(&next);
  Status status = db.Write([&](store::Connection& conn) -> Status {
    report.sealed_values = 0;
    for (const SealedColumn& column : SealedColumns()) {
      ZZ_ASSIGN_OR_RETURN(std::int64_t n, Reseal(conn, column, *cipher, next));
      report.sealed_values += n;
    }
    ZZ_ASSIGN_OR_RETURN(report.audit_rows, store::QueryInt(conn, "SELECT COUNT(*) FROM audit_log"));
    ZZ_RETURN_IF_ERROR(old_audit.Rehash(conn, next));
    ZZ_RETURN_IF_ERROR(WriteKeyCheck(conn, next));
    return next_audit.Append(
        conn, actor,
        AuditRecord{"key.rotate",
                    "",
                    {},
                    {{"sealed_values", report.sealed_values}, {"audit_rows", report.audit_rows}}});
  });
  if (!status.ok()) {
    ::unlink(report.new_key_path.c_str());
    return status;
  }
  if (!from_env) {
    ZZ_RETURN_IF_ERROR(SwapKeyFiles(data_dir));
    report.new_key_path = data_dir + "/" + FieldCipher::kKeyFileName;
    report.old_key_path = data_dir + "/" + kOldKeyName;
  }
  *cipher = next;
  return report;
}

}  // namespace zhizhi::security

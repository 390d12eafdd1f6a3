// The audit trail: who read or changed which person's data, and the security events (logins,
// logouts, password changes, users, key rotation, retention), when and from where.
//
// Append-only and hash-chained: each row's hash is a keyed BLAKE2b (FieldCipher::ChainHash) over
// the previous row's hash and every field of the row, so changing, inserting or deleting a row
// breaks the chain at that row, and without the field key the chain cannot be forged again.
// Triggers refuse UPDATE and DELETE in SQL. Verify() walks the chain (`zhizhi audit verify`).
// What the chain alone cannot show is the removal of the newest rows; the head (seq and hash)
// that Verify reports can be written down elsewhere to pin it (docs/security.md).
//
// Rows of changes are appended inside the same writer job as the change, so a change and its
// audit row commit or roll back together. Reads of personal data are appended in a job of their
// own before the data is answered (Record), so nothing is shown that was not recorded.
//
// Thread-safety: Append runs on the writer thread (inside a job); everything else is const and
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "security/field_cipher.h"
#include "security/principal.h"
#include "store/database.h"
#include "store/page.h"

namespace zhizhi::security {

// Who acted, and from where.
struct Actor {
  std::string name;
  std::string role;
  std::int64_t user_id = 0;
  std::int64_t token_id = 0;
  std::string ip;          // without the port; empty for the command line
  std::string request_id;  // empty for the command line

  // `remote` is "ADDRESS:PORT" as the server records it.
  static Actor Of(const Principal& principal, std::string_view remote, std::string_view request_id);
  // The command line (`zhizhi keys rotate`, `retention run`, `user add`, …).
  static Actor Command(std::string name);
};

struct AuditRecord {
  std::string action;  // e.g. person.read, person.create, session.create
  std::string target;  // e.g. person:12, project:P1, user:3 (may be empty)
  std::vector<std::int64_t> persons;
  nlohmann::json detail = nlohmann::json::object();
};

class AuditLog {
 public:
  explicit AuditLog(const FieldCipher* cipher) : cipher_(cipher) {}

  // Appends one row in the caller's write transaction.
  Status Append(store::Connection& conn, const Actor& actor, const AuditRecord& record) const;
  // Appends one row in a writer job of its own and waits for it to be durable.
  Status Record(store::Database& db, const Actor& actor, const AuditRecord& record) const;

  struct Problem {
    std::int64_t seq = 0;  // the row at fault (or where the chain breaks)
    std::string what;
  };
  struct Verification {
    std::int64_t rows = 0;
    std::int64_t head_seq = 0;
    std::string head_hash;          // hex
    std::vector<Problem> problems;  // empty when the chain is intact (at most 100 listed)
  };
  // Walks the whole chain (any connection; a read transaction gives one snapshot).
  Result<Verification> Verify(store::Connection& conn) const;

  // Rows oldest first, optionally only those about one person, within [from_ms, to_ms).
  // With `security_only`, only the security events: log-ins and their failures, lock-outs,
  // sessions, users, refused calls (`access.refused`), key rotation, audit reads and verifications
  // (actions session.*, password.*, user.*, access.*, key.*, audit.*).
  Result<nlohmann::json> Query(store::Connection& conn, std::optional<std::int64_t> person_id,
                               std::int64_t from_ms, std::int64_t to_ms, const store::Page& page,
                               bool security_only = false) const;

  // Key rotation: verifies the chain under this log's key and writes every hash anew under
  // `next`'s, in the caller's transaction. Refuses a chain that does not verify.
  Status Rehash(store::Connection& conn, const FieldCipher& next) const;

 private:
  const FieldCipher* cipher_;
};

}  // namespace zhizhi::security

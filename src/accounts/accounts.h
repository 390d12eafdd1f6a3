// Accounts: the people who use zhizhi — users with a role (district_admin, site_manager,
// police, inspector), their projects, their Argon2id passwords — and their sessions.
//
// A session is a row of `api_tokens` with the user's id and an expiry, checked by
// security::TokenAuthenticator like every token. Logging in verifies the password on the calling
// thread (Argon2id is slow on purpose; at most two verifications run at once) and then writes
// the token and its audit row in one writer job.
//
// Lock-out: after `lockout_failures` wrong passwords in a row for one user name, further
// attempts for that name are refused with 429 for `lockout_ms`, without checking the password.
// The counters are kept in memory: a restart forgets them (an attacker cannot restart the
// server), and a failed login never writes anything but its audit row.
//
// Every change (user created, disabled, enabled, password changed, session opened or closed) and
// every failed login is an audit row written in the same transaction as the change.
//
// Thread-safety: all public methods are thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/field_reader.h"
#include "base/status.h"
#include "security/audit_log.h"
#include "security/principal.h"
#include "security/token_authenticator.h"
#include "store/database.h"
#include "store/page.h"

namespace zhizhi::accounts {

struct AccountOptions {
  std::int64_t session_ttl_ms = 8LL * 3'600'000;  // a session lasts a working day
  int lockout_failures = 5;                       // wrong passwords in a row before the lock
  std::int64_t lockout_ms = 15LL * 60'000;
  // Now, for session expiry, lock-out windows and login rate limits (tests set a ManualClock).
  Clock clock = SystemClock();
};

struct UserDraft {
  std::string name;
  std::string password;
  std::string role;
  std::vector<std::string> projects;  // site managers only
  bool pii = false;
  std::vector<std::string> areas;  // grid workers only: the grids (or communities) they serve
};

// name: 2–64 of [A-Za-z0-9._@-]; role one of the user roles; projects for site managers (at
// least one) and for nobody else; areas for grid workers only (dispatch routes an area's orders
// to its on-duty workers); the password rule (security/password.h).
Result<UserDraft> ParseUser(JsonFieldReader& in);

class Accounts {
 public:
  Accounts(store::Database* db, security::TokenAuthenticator* auth, const security::AuditLog* audit,
           AccountOptions options = {});

  // --- users ---
  Result<nlohmann::json> CreateUser(const UserDraft& draft, const security::Actor& by);
  Result<nlohmann::json> SetDisabled(std::int64_t user_id, bool disabled,
                                     const security::Actor& by);
  Result<nlohmann::json> GetUser(std::int64_t user_id) const;
  Result<nlohmann::json> ListUsers(const store::Page& page) const;
  Result<std::optional<std::int64_t>> FindUserId(const std::string& name) const;

  // --- sessions ---
  // {"token","expires_at","user"}; 401 on a wrong name or password or a disabled user, 429
  // (locked_out, with retry_after seconds in the details) while the name is locked.
  Result<nlohmann::json> Login(const std::string& name, const std::string& password,
                               const security::Actor& from);
  // Revokes the caller's session; 422 not_a_session for the admin token and device tokens.
  Result<nlohmann::json> Logout(const security::Principal& who, const security::Actor& from);
  // Checks the current password, applies the rule, stores the new hash and ends every other
  // session of the user.
  Result<nlohmann::json> ChangePassword(const security::Principal& who, const std::string& current,
                                        const std::string& next, const security::Actor& from);

  // The clock the accounts keep time by; the login rate limit of the API reads it too.
  const Clock& clock() const { return options_.clock; }

 private:
  struct Failures {
    int count = 0;
    std::int64_t locked_until = 0;
  };
  // 0 when `name` may try now, else the milliseconds until it may.
  // Milliseconds `name` stays locked out; sets *ran_out when a lock has just run out.
  std::int64_t LockedFor(const std::string& name, std::int64_t now, bool* ran_out);
  // Counts a wrong password; true when it locks the name out now.
  bool RecordFailure(const std::string& name, std::int64_t now);
  void ClearFailures(const std::string& name);
  bool CheckPassword(const std::string& password, const std::string& hash);

  store::Database* db_;
  security::TokenAuthenticator* auth_;
  const security::AuditLog* audit_;
  const AccountOptions options_;

  std::mutex mu_;
  std::unordered_map<std::string, Failures> failures_;  // by user name
  std::counting_semaphore<2> hashing_{2};               // Argon2id runs at once (64 MiB each)
};

}  // namespace zhizhi::accounts

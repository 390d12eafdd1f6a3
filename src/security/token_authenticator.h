// Bearer-token authentication against the `api_tokens` table.
//
// Tokens are 32 random bytes shown once (hex); only their BLAKE2b hash is stored. Kinds of token:
//   - the administrator token, created on the first start with an empty data directory and
//     written to DATA_DIR/admin.token (0600, never logged) — for automation;
//   - device tokens (gate terminals), one per device;
//   - sessions: a token of a user (`user_id`), created by a login and expiring; the user's role,
//     `pii` and projects are read from the user at every check, so disabling a user or changing
//     their projects takes effect at once.
//
// Thread-safety: all methods may be called concurrently. Principals are cached per token hash
// until they expire; every change that can end or alter a token's rights (logout, user disabled,
// password changed, projects changed) calls Invalidate() after its commit. A generation counter
// keeps a lookup that raced with such a change from caching what it read before it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "base/clock.h"
#include "base/status.h"
#include "security/principal.h"
#include "store/database.h"

namespace zhizhi::security {

class TokenAuthenticator {
 public:
  // `clock` decides when sessions expire (tests pass a ManualClock's).
  explicit TokenAuthenticator(store::Database* db, Clock clock = SystemClock())
      : db_(db), clock_(std::move(clock)) {}

  // Resolves `Authorization` header value `Bearer <token>` to a principal, or 401.
  Result<Principal> Authenticate(std::string_view authorization_header);

  // Creates a token row and returns the token text (shown once).
  Result<std::string> CreateToken(const std::string& name, const std::string& role, bool pii);

  // Writes a new administrator token to `path` (0600, O_EXCL) if the database has no tokens yet.
  // Returns true when a token was created.
  Result<bool> EnsureAdminToken(const std::string& path);

  // Drops every cached principal; call after committing a change to tokens or users.
  void Invalidate();

  static std::string HashToken(std::string_view token);
  // A fresh token: 32 random bytes as 64 hex characters.
  static Result<std::string> NewToken();
  // The principal of a token row, read in `conn` (any connection); 401 when it is unknown,
  // revoked, expired, or its user is disabled.
  static Result<Principal> LoadPrincipal(store::Connection& conn, const std::string& token_hash,
                                         std::int64_t now_ms);

 private:
  store::Database* db_;
  const Clock clock_;
  std::mutex mu_;
  std::uint64_t generation_ = 0;                      // guarded by mu_
  std::unordered_map<std::string, Principal> cache_;  // token hash -> principal
};

}  // namespace zhizhi::security

// Bearer-token authentication against the `api_tokens` table.
//
// Tokens are 32 random bytes shown once (hex); only their BLAKE2b hash is stored. On the first
// start with an empty data directory the administrator token is created and written to
// DATA_DIR/admin.token with mode 0600; it is never logged.
//
// Thread-safety: Authenticate() may be called concurrently. Tokens without expiry are cached per
// token hash; revocation (issue 7) must clear the cache entry.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "security/principal.h"
#include "store/database.h"

namespace zhizhi::security {

class TokenAuthenticator {
 public:
  explicit TokenAuthenticator(store::Database* db) : db_(db) {}

  // Resolves `Authorization` header value `Bearer <token>` to a principal, or 401.
  Result<Principal> Authenticate(std::string_view authorization_header);

  // Creates a token row and returns the token text (shown once).
  Result<std::string> CreateToken(const std::string& name, const std::string& role, bool pii);

  // Writes a new administrator token to `path` (0600, O_EXCL) if the database has no tokens yet.
  // Returns true when a token was created.
  Result<bool> EnsureAdminToken(const std::string& path);

  static std::string HashToken(std::string_view token);
  // A fresh token: 32 random bytes as 64 hex characters.
  static Result<std::string> NewToken();

 private:
  store::Database* db_;
  std::mutex mu_;
  std::unordered_map<std::string, Principal> cache_;  // token hash -> principal
};

}  // namespace zhizhi::security

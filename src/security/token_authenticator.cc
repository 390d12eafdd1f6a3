#include "security/token_authenticator.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <sodium.h>

#include "security/field_cipher.h"

namespace zhizhi::security {

namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxCached = 20'000;

bool LooksLikeToken(std::string_view token) {
  if (token.size() != kTokenBytes * 2) return false;
  return std::all_of(token.begin(), token.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string TokenAuthenticator::HashToken(std::string_view token) {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return out;
}

Result<Principal> TokenAuthenticator::Authenticate(std::string_view header) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.empty()) {
    return Status::Unauthenticated(
        "missing Authorization header; send `Authorization: Bearer TOKEN`");
  }
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  if (header.size() <= kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), header.begin(), same)) {
    return Status::Unauthenticated("Authorization header must use the Bearer scheme");
  }
  const std::string_view token = header.substr(kScheme.size());
  if (!LooksLikeToken(token)) return Status::Unauthenticated("invalid token");
  const std::string hash = HashToken(token);
  const std::int64_t now = clock_();
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(hash); it != cache_.end()) {
      if (it->second.expires_at == 0 || it->second.expires_at > now) return it->second;
      cache_.erase(it);
      return Status::Unauthenticated("token expired");
    }
    generation = generation_;
  }
  auto found = db_->Read([&](store::Connection& conn) { return LoadPrincipal(conn, hash, now); });
  if (!found.ok()) return found.status();
  std::lock_guard lock(mu_);
  // Not when a change was committed while we read: what we read may be what it changed.
  if (generation == generation_) {
    if (cache_.size() >= kMaxCached) cache_.clear();  // bounded: it refills from the database
    cache_.emplace(hash, *found);
  }
  return found;
}

Result<Principal> TokenAuthenticator::LoadPrincipal(store::Connection& conn,
                                                    const std::string& hash, std::int64_t now) {
  auto stmt = conn.Prepare(
      "SELECT t.id, t.name, t.role, t.pii, t.expires_at, t.revoked_at, t.device_id, "
      "d.project_code, t.user_id, u.name, u.role, u.pii, u.disabled_at "
      "FROM api_tokens t LEFT JOIN devices d ON d.id = t.device_id "
      "LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?");
  stmt.BindBlob(1, hash);
  if (!stmt.Step()) {
    if (!stmt.status().ok()) return stmt.status();
    return Status::Unauthenticated("invalid token");
  }
  if (!stmt.IsNull(5)) return Status::Unauthenticated("token revoked");
  if (!stmt.IsNull(4) && stmt.Int(4) <= now) return Status::Unauthenticated("token expired");
  Principal principal;
  principal.token_id = stmt.Int(0);
  principal.name = stmt.Text(1);
  principal.role = stmt.Text(2);
  bool pii = stmt.Int(3) != 0;
  principal.expires_at = stmt.IsNull(4) ? 0 : stmt.Int(4);
  if (!stmt.IsNull(8)) {
    // A session: the user decides.
    if (stmt.IsNull(9)) return Status::Unauthenticated("invalid token");
    if (!stmt.IsNull(12)) return Status::Unauthenticated("user disabled");
    principal.user_id = stmt.Int(8);
    principal.name = stmt.Text(9);
    principal.role = stmt.Text(10);
    pii = stmt.Int(11) != 0;
  }
  principal.rights = RightsOfRole(principal.role);
  if (pii) principal.rights |= static_cast<std::uint32_t>(Right::kPii);
  principal.all_projects = RoleSeesAllProjects(principal.role);
  if (!stmt.IsNull(6)) {
    // A gate terminal: scoped to the project of its device.
    principal.device_id = stmt.Int(6);
    principal.all_projects = false;
    principal.projects = {stmt.Text(7)};
  } else if (principal.user_id != 0 && !principal.all_projects) {
    auto projects =
        conn.Prepare("SELECT project_code FROM user_projects WHERE user_id = ? ORDER BY 1");
    projects.Bind(1, principal.user_id);
    while (projects.Step())
      principal.projects.push_back(projects.Text(0));
    if (!projects.status().ok()) return projects.status();
  }
  return principal;
}

void TokenAuthenticator::Invalidate() {
  std::lock_guard lock(mu_);
  ++generation_;
  cache_.clear();
}

Result<std::string> TokenAuthenticator::NewToken() {
  ZZ_RETURN_IF_ERROR(InitSodium());
  std::string raw(kTokenBytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return ToHex(raw);
}

Result<std::string> TokenAuthenticator::CreateToken(const std::string& name,
                                                    const std::string& role, bool pii) {
  ZZ_ASSIGN_OR_RETURN(std::string token, NewToken());
  const std::string hash = HashToken(token);
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) {
    return conn
        .Prepare(
            "INSERT INTO api_tokens(name, role, pii, token_hash, created_at) VALUES (?,?,?,?,?)")
        .Bind(1, name)
        .Bind(2, role)
        .Bind(3, pii ? 1 : 0)
        .BindBlob(4, hash)
        .Bind(5, clock_())
        .Run();
  }));
  return token;
}

Result<bool> TokenAuthenticator::EnsureAdminToken(const std::string& path) {
  auto count = db_->Read([](store::Connection& conn) {
    return store::QueryInt(conn, "SELECT COUNT(*) FROM api_tokens");
  });
  if (!count.ok()) return count.status();
  if (*count > 0) return false;
  ZZ_ASSIGN_OR_RETURN(std::string token, CreateToken("admin", "district_admin", /*pii=*/true));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot create " + path + ": " + std::strerror(errno));
  const std::string line = token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::fchmod(fd, 0600);
  ::close(fd);
  if (!ok) return Status::Internal("cannot write " + path);
  return true;
}

}  // namespace zhizhi::security

#include "accounts/accounts.h"

#include <algorithm>

#include "base/civil_time.h"
#include "security/password.h"

namespace zhizhi::accounts {

namespace {

using nlohmann::json;
using security::Actor;
using security::AuditRecord;

bool IsUserName(std::string_view name) {
  if (name.size() < 2 || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
}

Status StepStatus(const store::Statement& s) {
  return s.status().ok() ? Status::Ok() : s.status();
}

Result<json> UserJson(store::Connection& conn, std::int64_t id) {
  auto s = conn.Prepare(
      "SELECT id, name, role, pii, created_at, created_by, disabled_at, password_changed_at "
      "FROM users WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    return Status::NotFound("no user " + std::to_string(id));
  }
  json user = {{"id", s.Int(0)},
               {"name", s.Text(1)},
               {"role", s.Text(2)},
               {"pii", s.Int(3) != 0},
               {"created_at", FormatRfc3339(s.Int(4))},
               {"created_by", s.OptText(5) ? json(*s.OptText(5)) : json()},
               {"disabled", !s.IsNull(6)},
               {"disabled_at", s.IsNull(6) ? json() : json(FormatRfc3339(s.Int(6)))},
               {"password_changed_at", FormatRfc3339(s.Int(7))}};
  auto projects =
      conn.Prepare("SELECT project_code FROM user_projects WHERE user_id = ? ORDER BY 1");
  projects.Bind(1, id);
  json list = json::array();
  while (projects.Step())
    list.push_back(projects.Text(0));
  ZZ_RETURN_IF_ERROR(StepStatus(projects));
  user["projects"] = std::move(list);
  auto areas = conn.Prepare("SELECT area_code FROM user_areas WHERE user_id = ? ORDER BY 1");
  areas.Bind(1, id);
  json area_list = json::array();
  while (areas.Step())
    area_list.push_back(areas.Text(0));
  ZZ_RETURN_IF_ERROR(StepStatus(areas));
  user["areas"] = std::move(area_list);
  return user;
}

Status RevokeTokensOfUser(store::Connection& conn, std::int64_t user_id, std::int64_t except_token,
                          std::int64_t now) {
  return conn
      .Prepare(
          "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND id != ? AND "
          "revoked_at IS NULL")
      .Bind(1, now)
      .Bind(2, user_id)
      .Bind(3, except_token)
      .Run();
}

}  // namespace

Result<UserDraft> ParseUser(JsonFieldReader& in) {
  UserDraft d;
  d.name = in.Text("name", 64);
  // Read like every text (trimmed): login reads it the same way, so both agree.
  d.password = in.Text("password", 128);
  d.role = in.Text("role", 32);
  auto projects = in.OptTextList("projects", 1000, 32);
  auto areas = in.OptTextList("areas", 100, 32);
  d.pii = in.OptBool("pii").value_or(false);
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (!IsUserName(d.name)) {
    return Status::InvalidArgument("name", "name must be 2–64 of [A-Za-z0-9._@-]");
  }
  if (!security::IsUserRole(d.role)) {
    return Status::InvalidArgument(
        "role",
        "role must be district_admin, site_manager, police, inspector, lottery_operator, notary, "
        "dispatcher or grid_worker");
  }
  if (projects) d.projects = std::move(*projects);
  if (d.role == "site_manager" && d.projects.empty()) {
    return Status::InvalidArgument("projects", "a site manager needs at least one project");
  }
  if (d.role != "site_manager" && !d.projects.empty()) {
    return Status::InvalidArgument("projects", "projects are assigned to site managers only; a " +
                                                   d.role + " sees the whole district");
  }
  if (areas) d.areas = std::move(*areas);
  if (d.role != "grid_worker" && !d.areas.empty()) {
    return Status::InvalidArgument("areas", "areas are served by grid workers only");
  }
  ZZ_RETURN_IF_ERROR(security::CheckPasswordRule(d.password, d.name, "password"));
  return d;
}

Accounts::Accounts(store::Database* db, security::TokenAuthenticator* auth,
                   const security::AuditLog* audit, AccountOptions options)
    : db_(db), auth_(auth), audit_(audit), options_(options) {}

bool Accounts::CheckPassword(const std::string& password, const std::string& hash) {
  hashing_.acquire();
  const bool ok = hash.empty() ? (security::VerifyDummyPassword(password), false)
                               : security::VerifyPassword(password, hash);
  hashing_.release();
  return ok;
}

Result<json> Accounts::CreateUser(const UserDraft& d, const Actor& by) {
  hashing_.acquire();
  auto hash = security::HashPassword(d.password);
  hashing_.release();
  if (!hash.ok()) return hash.status();
  json out;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    const std::int64_t now = options_.clock();
    auto insert = conn.Prepare(
        "INSERT INTO users(name, password_hash, role, pii, created_at, created_by, "
        "password_changed_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING");
    insert.Bind(1, d.name).Bind(2, *hash).Bind(3, d.role).Bind(4, d.pii ? 1 : 0);
    insert.Bind(5, now).Bind(6, by.name).Bind(7, now);
    ZZ_RETURN_IF_ERROR(insert.Run());
    if (conn.Changes() == 0) {
      Status exists = Status::AlreadyExists("name", "a user named " + d.name + " exists");
      auto found = conn.Prepare("SELECT id FROM users WHERE name = ?");
      found.Bind(1, d.name);
      if (found.Step()) exists.With("id", found.Int(0));
      return exists;
    }
    const std::int64_t id = conn.LastInsertRowId();
    for (const std::string& code : d.projects) {
      auto project = conn.Prepare("SELECT 1 FROM projects WHERE code = ?");
      project.Bind(1, code);
      if (!project.Step()) {
        ZZ_RETURN_IF_ERROR(StepStatus(project));
        return Status::Rule("project_not_found", "projects", "no project " + code);
      }
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO user_projects(user_id, project_code) VALUES (?,?)")
              .Bind(1, id)
              .Bind(2, code)
              .Run());
    }
    for (const std::string& code : d.areas) {
      auto area = conn.Prepare("SELECT 1 FROM areas WHERE code = ? AND level != 'street'");
      area.Bind(1, code);
      if (!area.Step()) {
        ZZ_RETURN_IF_ERROR(StepStatus(area));
        return Status::Rule("area_not_found", "areas", "no grid or community " + code);
      }
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT OR IGNORE INTO user_areas(user_id, area_code) VALUES (?,?)")
              .Bind(1, id)
              .Bind(2, code)
              .Run());
    }
    ZZ_ASSIGN_OR_RETURN(out, UserJson(conn, id));
    return audit_->Append(conn, by,
                          AuditRecord{"user.create",
                                      "user:" + std::to_string(id),
                                      {},
                                      {{"name", d.name},
                                       {"role", d.role},
                                       {"pii", d.pii},
                                       {"projects", d.projects},
                                       {"areas", d.areas}}});
  });
  if (!status.ok()) return status;
  return out;
}

Result<json> Accounts::SetDisabled(std::int64_t user_id, bool disabled, const Actor& by) {
  json out;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    const std::int64_t now = options_.clock();
    auto s = conn.Prepare("UPDATE users SET disabled_at = ? WHERE id = ?");
    if (disabled) {
      s.Bind(1, now);
    } else {
      s.BindNull(1);
    }
    s.Bind(2, user_id);
    ZZ_RETURN_IF_ERROR(s.Run());
    if (conn.Changes() == 0) return Status::NotFound("no user " + std::to_string(user_id));
    // A disabled user's sessions end now, and stay ended when the user is enabled again.
    if (disabled) ZZ_RETURN_IF_ERROR(RevokeTokensOfUser(conn, user_id, 0, now));
    ZZ_ASSIGN_OR_RETURN(out, UserJson(conn, user_id));
    return audit_->Append(conn, by,
                          AuditRecord{disabled ? "user.disable" : "user.enable",
                                      "user:" + std::to_string(user_id),
                                      {},
                                      {{"name", out["name"]}}});
  });
  if (!status.ok()) return status;
  auth_->Invalidate();
  return out;
}

Result<json> Accounts::GetUser(std::int64_t user_id) const {
  return db_->Read([&](store::Connection& conn) { return UserJson(conn, user_id); });
}

Result<json> Accounts::ListUsers(const store::Page& page) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare("SELECT id FROM users WHERE id > ? ORDER BY id LIMIT ?");
    s.Bind(1, page.after_id).Bind(2, page.limit);
    std::vector<std::int64_t> ids;
    while (s.Step())
      ids.push_back(s.Int(0));
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    json items = json::array();
    for (std::int64_t id : ids) {
      ZZ_ASSIGN_OR_RETURN(json user, UserJson(conn, id));
      items.push_back(std::move(user));
    }
    json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
    if (ids.size() == static_cast<size_t>(page.limit)) {
      out["next_cursor"] = page.NextCursor(std::to_string(ids.back()));
    }
    return out;
  });
}

Result<std::optional<std::int64_t>> Accounts::FindUserId(const std::string& name) const {
  return db_->Read([&](store::Connection& conn) -> Result<std::optional<std::int64_t>> {
    auto s = conn.Prepare("SELECT id FROM users WHERE name = ?");
    s.Bind(1, name);
    if (s.Step()) return std::optional<std::int64_t>(s.Int(0));
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    return std::optional<std::int64_t>();
  });
}

// ------------------------------------------------------------------------------- lock-out

std::int64_t Accounts::LockedFor(const std::string& name, std::int64_t now, bool* ran_out) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(name);
  if (it == failures_.end()) return 0;
  if (it->second.locked_until > now) return it->second.locked_until - now;
  if (it->second.locked_until != 0) {
    failures_.erase(it);  // the lock has run out: start over
    *ran_out = true;
  }
  return 0;
}

bool Accounts::RecordFailure(const std::string& name, std::int64_t now) {
  std::lock_guard lock(mu_);
  if (failures_.size() > 100'000) {
    // Bounded memory under a flood of made-up names (the per-IP login limit comes first).
    std::erase_if(failures_, [now](const auto& entry) { return entry.second.locked_until < now; });
  }
  Failures& f = failures_[name];
  if (++f.count < options_.lockout_failures) return false;
  const bool newly = f.locked_until == 0;
  f.locked_until = now + options_.lockout_ms;
  return newly;
}

void Accounts::ClearFailures(const std::string& name) {
  std::lock_guard lock(mu_);
  failures_.erase(name);
}

// ------------------------------------------------------------------------------- sessions

Result<json> Accounts::Login(const std::string& name, const std::string& password,
                             const Actor& from) {
  const std::int64_t started = options_.clock();
  // Security events (MLPS 等保三级): who tried which name, from where, and what came of it —
  // never the password.
  Actor attempt = from;
  attempt.name = name;
  attempt.role = "-";
  bool ran_out = false;
  if (const std::int64_t wait = LockedFor(name, started, &ran_out); wait > 0) {
    const std::int64_t seconds = (wait + 999) / 1000;
    ZZ_RETURN_IF_ERROR(audit_->Record(
        *db_, attempt,
        AuditRecord{
            "session.refused", "", {}, {{"reason", "locked_out"}, {"retry_after", seconds}}}));
    return Status(Status::RateLimited("too many wrong passwords for " + name + "; try again in " +
                                      std::to_string(seconds) + " s"))
        .With("retry_after", seconds)
        .With("reason", "locked_out");
  }
  if (ran_out) {
    ZZ_RETURN_IF_ERROR(audit_->Record(
        *db_, attempt, AuditRecord{"session.unlocked", "", {}, {{"reason", "expired"}}}));
  }
  struct UserRow {
    std::int64_t id = 0;
    std::string hash;
    bool disabled = false;
  };
  auto row = db_->Read([&](store::Connection& conn) -> Result<UserRow> {
    auto s = conn.Prepare("SELECT id, password_hash, disabled_at FROM users WHERE name = ?");
    s.Bind(1, name);
    UserRow r;
    if (s.Step()) {
      r.id = s.Int(0);
      r.hash = s.Text(1);
      r.disabled = !s.IsNull(2);
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    return r;
  });
  if (!row.ok()) return row.status();
  // An unknown name costs one verification too, so timing does not tell which names exist.
  const bool password_ok = CheckPassword(password, row->hash);
  const std::int64_t now = options_.clock();
  if (!password_ok || row->disabled) {
    const bool locked = !password_ok && RecordFailure(name, now);
    attempt.user_id = row->id;
    const char* reason =
        row->id == 0 ? "unknown_user" : (!password_ok ? "wrong_password" : "user_disabled");
    ZZ_RETURN_IF_ERROR(
        audit_->Record(*db_, attempt,
                       AuditRecord{"session.failed",
                                   row->id == 0 ? std::string() : "user:" + std::to_string(row->id),
                                   {},
                                   {{"reason", reason}}}));
    if (locked) {
      ZZ_RETURN_IF_ERROR(audit_->Record(
          *db_, attempt,
          AuditRecord{
              "session.locked",
              row->id == 0 ? std::string() : "user:" + std::to_string(row->id),
              {},
              {{"failures", options_.lockout_failures}, {"seconds", options_.lockout_ms / 1000}}}));
    }
    if (password_ok) return Status::Unauthenticated("this user is disabled");
    return Status::Unauthenticated("wrong name or password");
  }
  ClearFailures(name);
  ZZ_ASSIGN_OR_RETURN(const std::string token, security::TokenAuthenticator::NewToken());
  const std::int64_t expires_at = now + options_.session_ttl_ms;
  json out;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    // The user may have been disabled while the password was checked.
    ZZ_ASSIGN_OR_RETURN(json user, UserJson(conn, row->id));
    if (user["disabled"].get<bool>()) return Status::Unauthenticated("this user is disabled");
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO api_tokens(name, role, pii, token_hash, created_at, expires_at, "
                     "user_id) VALUES (?,?,?,?,?,?,?)")
            .Bind(1, name)
            .Bind(2, user["role"].get<std::string>())
            .Bind(3, user["pii"].get<bool>() ? 1 : 0)
            .BindBlob(4, security::TokenAuthenticator::HashToken(token))
            .Bind(5, now)
            .Bind(6, expires_at)
            .Bind(7, row->id)
            .Run());
    const std::int64_t token_id = conn.LastInsertRowId();
    Actor actor = from;
    actor.name = name;
    actor.role = user["role"].get<std::string>();
    actor.user_id = row->id;
    actor.token_id = token_id;
    ZZ_RETURN_IF_ERROR(audit_->Append(conn, actor,
                                      AuditRecord{"session.create",
                                                  "user:" + std::to_string(row->id),
                                                  {},
                                                  {{"expires_at", FormatRfc3339(expires_at)}}}));
    out = {{"token", token}, {"expires_at", FormatRfc3339(expires_at)}, {"user", user}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<json> Accounts::Logout(const security::Principal& who, const Actor& from) {
  if (!who.is_session()) {
    return Status::Rule("not_a_session", "",
                        "this token is not a session (the administrator token and device tokens "
                        "are revoked otherwise)");
  }
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .Bind(1, options_.clock())
            .Bind(2, who.token_id)
            .Run());
    return audit_->Append(
        conn, from, AuditRecord{"session.delete", "user:" + std::to_string(who.user_id), {}, {}});
  });
  if (!status.ok()) return status;
  auth_->Invalidate();
  return json{{"revoked", true}};
}

Result<json> Accounts::ChangePassword(const security::Principal& who, const std::string& current,
                                      const std::string& next, const Actor& from) {
  if (!who.is_session()) {
    return Status::Rule("not_a_session", "",
                        "only a user's session can change that user's password");
  }
  bool ran_out = false;
  if (const std::int64_t wait = LockedFor(who.name, options_.clock(), &ran_out); wait > 0) {
    const std::int64_t seconds = (wait + 999) / 1000;
    ZZ_RETURN_IF_ERROR(audit_->Record(
        *db_, from,
        AuditRecord{
            "session.refused",
            "user:" + std::to_string(who.user_id),
            {},
            {{"reason", "locked_out"}, {"retry_after", seconds}, {"what", "password change"}}}));
    return Status(Status::RateLimited("too many wrong passwords; try again in " +
                                      std::to_string(seconds) + " s"))
        .With("retry_after", seconds)
        .With("reason", "locked_out");
  }
  ZZ_RETURN_IF_ERROR(security::CheckPasswordRule(next, who.name, "new_password"));
  if (next == current) {
    return Status::InvalidArgument("new_password", "new_password equals the current password");
  }
  auto hash = db_->Read([&](store::Connection& conn) -> Result<std::string> {
    auto s = conn.Prepare("SELECT password_hash FROM users WHERE id = ?");
    s.Bind(1, who.user_id);
    if (!s.Step()) return Status::Unauthenticated("user vanished");
    return s.Text(0);
  });
  if (!hash.ok()) return hash.status();
  if (!CheckPassword(current, *hash)) {
    const bool locked = RecordFailure(who.name, options_.clock());
    ZZ_RETURN_IF_ERROR(audit_->Record(*db_, from,
                                      AuditRecord{"password.failed",
                                                  "user:" + std::to_string(who.user_id),
                                                  {},
                                                  {{"reason", "wrong_password"}}}));
    if (locked) {
      ZZ_RETURN_IF_ERROR(audit_->Record(*db_, from,
                                        AuditRecord{"session.locked",
                                                    "user:" + std::to_string(who.user_id),
                                                    {},
                                                    {{"failures", options_.lockout_failures},
                                                     {"seconds", options_.lockout_ms / 1000}}}));
    }
    return Status::Rule("wrong_password", "current_password",
                        "current_password is not this user's password");
  }
  hashing_.acquire();
  auto fresh = security::HashPassword(next);
  hashing_.release();
  if (!fresh.ok()) return fresh.status();
  json out;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    const std::int64_t now = options_.clock();
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?")
            .Bind(1, *fresh)
            .Bind(2, now)
            .Bind(3, who.user_id)
            .Run());
    // Whoever else holds a session of this user (a stolen token?) is logged out.
    ZZ_RETURN_IF_ERROR(RevokeTokensOfUser(conn, who.user_id, who.token_id, now));
    ZZ_ASSIGN_OR_RETURN(out, UserJson(conn, who.user_id));
    return audit_->Append(
        conn, from, AuditRecord{"password.change", "user:" + std::to_string(who.user_id), {}, {}});
  });
  if (!status.ok()) return status;
  ClearFailures(who.name);
  auth_->Invalidate();
  return out;
}

}  // namespace zhizhi::accounts

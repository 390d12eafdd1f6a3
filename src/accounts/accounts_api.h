// HTTP handlers of the accounts module: users (district_admin), sessions (login is the one
// public /api/v1 call), the caller's own password, and the audit trail (district_admin).
//
// Thread-safety: handlers run concurrently; the parts they use are thread-safe.
#pragma once

#include "accounts/accounts.h"
#include "http/rate_limiter.h"
#include "http/router.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::accounts {

// `login_limiter` bounds login attempts per client address (429 with Retry-After).
void AddAccountRoutes(http::Router& router, Accounts& accounts, store::Database& db,
                      const security::AuditLog& audit, http::RateLimiter& login_limiter);

}  // namespace zhizhi::accounts

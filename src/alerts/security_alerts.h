// Alerts about the platform's own security (issue 24): a principal refused again and again —
// kBurst calls within a minute (security/refusal_log.h) — is someone probing what they may not
// see, or a misconfigured terminal. Raised as an event (AlertBook::Raise): it stays until a
// person resolves it.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>

#include "alerts/alert_book.h"
#include "security/audit_log.h"

namespace zhizhi::alerts {

// The alert of `refusals` refused calls of `actor` within a minute: orange, about the user
// (subject `user`) or, for a token that is no user's (a gate device, the administrator), the
// token (subject `token`).
AlertDraft RefusalBurstAlert(const security::Actor& actor, int refusals, std::int64_t now_ms);

}  // namespace zhizhi::alerts

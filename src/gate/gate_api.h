// HTTP handlers of the smart gate: the "Smart gate" rows of api-v1.md, device management, gate
// policy, blacklist and the live WebSocket feeds.
//
// Audit: device and policy changes and blacklisting are audited in the same transaction; the
// muster list, attendance sheets, trajectories and live-feed subscriptions (personal data read
// by a user) are audited before they are answered. Gate terminals' traffic (events, roster,
// heartbeats) is not: it is the gate working, not a person reading personal data, and it is
// itself recorded in gate_events (docs/security.md).
//
// Thread-safety: handlers run concurrently; they share only the Gate, the Database and the
// AuditLog, which are thread-safe.
#pragma once

#include "gate/gate.h"
#include "http/router.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::gate {

void AddGateRoutes(http::Router& router, Gate& gate, store::Database& db,
                   const security::AuditLog& audit);

}  // namespace zhizhi::gate

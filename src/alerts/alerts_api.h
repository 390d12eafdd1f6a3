// HTTP routes of the alerts module: alerts (list with counts, one alert with its history,
// acknowledge, resolve, scan now), approved leave and post-conflict exemptions.
#pragma once

#include "alerts/alert_engine.h"
#include "alerts/records.h"
#include "http/router.h"
#include "registry/registry.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::alerts {

// For callers limited to some projects, alerts and exemptions of other projects are absent (404)
// and lists hold only their projects' rows. Acknowledging and resolving an alert, leave and
// exemptions, and reads of one person's alerts or leave are rows of the audit trail. A
// duplicate_identity alert names a second person (detail.duplicate_of, a person link): for such a
// caller who may not see that person (`registry`), both are taken out of the answer.
void AddAlertRoutes(http::Router& router, store::Database& db, AlertEngine& engine,
                    const security::AuditLog& audit, const registry::Registry& registry);

}  // namespace zhizhi::alerts

// HTTP routes of the alerts module: alerts (list with counts, one alert with its history,
// acknowledge, resolve, scan now), approved leave and post-conflict exemptions.
#pragma once

#include "alerts/alert_engine.h"
#include "alerts/records.h"
#include "http/router.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::alerts {

// For callers limited to some projects, alerts and exemptions of other projects are absent (404)
// and lists hold only their projects' rows. Acknowledging and resolving an alert, leave and
// exemptions, and reads of one person's alerts or leave are rows of the audit trail.
void AddAlertRoutes(http::Router& router, store::Database& db, AlertEngine& engine,
                    const security::AuditLog& audit);

}  // namespace zhizhi::alerts

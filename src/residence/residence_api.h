// HTTP routes of the residence module: the registrations (the police view with the police role's
// rights: fields in full, ID numbers only with `pii`), submission, answers recorded by hand,
// and the sync status of the upstream targets.
#pragma once

#include "http/router.h"
#include "residence/outbox_sender.h"
#include "residence/residence.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::residence {

// What the sync status says about the targets besides their counts.
struct SyncDescription {
  const PoliceAdapter* adapter = nullptr;
  ExportOptions export_options;
  int export_hour = 17;
};

// `sender` may be null (no export on demand then). Callers limited to some projects see only
// their projects' records (others are 404); every read, submission, answer and export on demand
// is a row of the audit trail.
void AddResidenceRoutes(http::Router& router, store::Database& db, Residence& residence,
                        OutboxSender* sender, SyncDescription sync,
                        const security::AuditLog& audit);

}  // namespace zhizhi::residence

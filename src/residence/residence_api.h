// HTTP routes of the residence module: the registrations (the police view with the police role's
// rights: fields in full, ID numbers only with `pii`), submission, answers recorded by hand,
// and the sync status of the upstream targets.
#pragma once

#include "http/router.h"
#include "residence/outbox_sender.h"
#include "residence/residence.h"
#include "store/database.h"

namespace zhizhi::residence {

// What the sync status says about the targets besides their counts.
struct SyncDescription {
  const PoliceAdapter* adapter = nullptr;
  ExportOptions export_options;
  int export_hour = 17;
};

// `sender` may be null (no export on demand then).
void AddResidenceRoutes(http::Router& router, store::Database& db, Residence& residence,
                        OutboxSender* sender, SyncDescription sync);

}  // namespace zhizhi::residence

// HTTP handlers of the base data (api-v1.md "Base data"):
//   POST /api/v1/sources/{source}/imports      a source feed with its mapping → an import
//   POST /api/v1/sources/workforce/sync        the workforce registry taken in now
//   GET  /api/v1/imports/{id}                  its status (running/linked/failed), counts, issues
//   GET  /api/v1/people|houses|units           search (name, ID number with pii, phone, address)
//   GET  /api/v1/people|houses|units/{id}      a golden record with provenance, records, links
//   GET  /api/v1/linkage/reviews               the grey-zone pairs with their per-field weights
//   GET  /api/v1/linkage/decisions             reviewers' decisions (undone ones too)
//   POST /api/v1/linkage/decisions             "same" or "different" about two person records
//   POST /api/v1/linkage/decisions/{id}/undo   takes a decision back
//
// Every read of personal data is audited before it is answered; ID numbers are masked without
// the `pii` right.
//
// Thread-safety: handlers are called concurrently; BaseData is thread-safe.
#pragma once

#include "basedata/base_data.h"
#include "http/router.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::basedata {

void AddBaseDataRoutes(http::Router& router, BaseData& base_data, store::Database& db,
                       const security::AuditLog& audit);

}  // namespace zhizhi::basedata

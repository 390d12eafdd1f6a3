// HTTP handlers of the standard addresses (api-v1.md "Standard addresses"):
//   POST /api/v1/addresses:standardize   up to 1,000 addresses → their standard form
//   GET  /api/v1/divisions[/{code}]      the gazetteer, a level at a time
//   GET  /api/v1/addresses               the district's standard addresses (门楼牌, 层户)
//   POST /api/v1/addresses/imports       CSV of standard addresses (administrators), audited
//
// Thread-safety: handlers are called concurrently; AddressService is thread-safe.
#pragma once

#include "address/address_service.h"
#include "http/router.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::address {

// Most addresses one standardize call takes.
inline constexpr size_t kMaxBatch = 1000;

void AddAddressRoutes(http::Router& router, AddressService& service, store::Database& db,
                      const security::AuditLog& audit);

}  // namespace zhizhi::address

// HTTP handlers of the registry: the "Registry" rows of api-v1.md and a few reads around them.
//
// Every change is audited in the same transaction; every answer that carries persons' ID numbers
// (a person, a look-up by ID number, person and worker lists, the one-click view with its post
// holders) is audited before it is sent. A caller limited to some projects reaches only their
// projects and persons (scope checks registered here for {code}, {id} of persons and
// certificates; corps are district reference data).
//
// Thread-safety: handlers are called concurrently; they share only the Database and Registry,
// which are thread-safe.
#pragma once

#include "http/router.h"
#include "registry/registry.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::registry {

void AddRegistryRoutes(http::Router& router, store::Database& db, Registry& registry,
                       const security::AuditLog& audit);

}  // namespace zhizhi::registry

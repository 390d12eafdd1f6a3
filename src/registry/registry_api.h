// HTTP handlers of the registry: the "Registry" rows of api-v1.md and a few reads around them.
//
// Thread-safety: handlers are called concurrently; they share only the Database and Registry,
// which are thread-safe.
#pragma once

#include "http/router.h"
#include "registry/registry.h"
#include "store/database.h"

namespace zhizhi::registry {

void AddRegistryRoutes(http::Router& router, store::Database& db, Registry& registry);

}  // namespace zhizhi::registry

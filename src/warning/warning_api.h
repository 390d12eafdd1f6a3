// HTTP handlers of the five-colour warning and the areas (docs/dispatch.md):
//   GET  /api/v1/warnings/areas?level=&parent=   every area of a level with its colour
//   warnings.read GET  /api/v1/warnings/areas/{code}           one area: reasons, children, history
//   warnings.read GET  /api/v1/warnings/rulebook               the rulebook in force warnings.read
//   GET  /api/v1/areas?level=&parent=            the area tree warnings.read POST /api/v1/areas a
//   grid under a community               admin
//
// Thread-safety: handlers are called concurrently; Warning and Areas are thread-safe.
#pragma once

#include "http/router.h"
#include "warning/areas.h"
#include "warning/warning.h"

namespace zhizhi::warning {

void AddWarningRoutes(http::Router& router, Warning& warning, Areas& areas);

}  // namespace zhizhi::warning

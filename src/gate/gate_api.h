// HTTP handlers of the smart gate: the "Smart gate" rows of api-v1.md, device management, gate
// policy, blacklist and the live WebSocket feeds.
//
// Thread-safety: handlers run concurrently; they share only the Gate, which is thread-safe.
#pragma once

#include "gate/gate.h"
#include "http/router.h"

namespace zhizhi::gate {

void AddGateRoutes(http::Router& router, Gate& gate);

}  // namespace zhizhi::gate

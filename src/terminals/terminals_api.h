// HTTP handlers of other makers' terminals: the Uface callbacks under
// /api/v1/terminals/uface/{secret} and ZKTeco's PUSH paths at the server root (/iclock/…, also
// with eSSL firmware's .aspx). The rows of api-v1.md "Terminals of other vendors".
//
// These routes are public to the router (no bearer token: terminals cannot send one) and
// authenticate the terminal themselves (terminals.h). Their answers are what each device
// expects: Uface JSON {"result":1,"success":true}; ZKTeco text/plain "OK: n" with a Date header.
//
// Thread-safety: handlers run concurrently; they share only Terminals, which is thread-safe.
#pragma once

#include "http/router.h"
#include "terminals/downlink.h"
#include "terminals/terminals.h"

namespace zhizhi::terminals {

void AddTerminalRoutes(http::Router& router, Terminals& terminals, Downlink& downlink);

}  // namespace zhizhi::terminals

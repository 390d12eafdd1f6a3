// HTTP routes of the alerts module: alerts (list with counts, one alert with its history,
// acknowledge, resolve, scan now), approved leave and post-conflict exemptions.
#pragma once

#include "alerts/alert_engine.h"
#include "alerts/records.h"
#include "http/router.h"
#include "store/database.h"

namespace zhizhi::alerts {

void AddAlertRoutes(http::Router& router, store::Database& db, AlertEngine& engine);

}  // namespace zhizhi::alerts

// HTTP handlers of the IoT module (docs/iot.md, api-v1.md "IoT"):
//   POST /api/v1/iot/devices                 register a device → its MQTT credentials   iot.admin
//   GET  /api/v1/iot/devices?kind=&state=&project=&q=   devices with counts            iot.read
//   GET  /api/v1/iot/devices/{device}        state, parts, alarms, operator sessions    iot.read
//   POST /api/v1/iot/alarms/{alarm}/verdict  the person on duty: real or false alarm    iot.duty
//   GET  /api/v1/iot/stats                   devices, messages taken and dropped, alarms iot.read
// A site manager sees the devices of their projects only (others are 404); a device at an
// address (not on a project) is the district's.
//
// Thread-safety: handlers are called concurrently; Iot is thread-safe.
#pragma once

#include "http/router.h"
#include "iot/iot.h"

namespace zhizhi::iot {

void AddIotRoutes(http::Router& router, Iot& iot);

}  // namespace zhizhi::iot

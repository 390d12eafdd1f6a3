// JSON telemetry of the devices that do not speak GB/T 26875.3 (wireless smoke detectors,
// electrical-fire monitors, water-pressure sensors; cranes have crane.h), read strictly:
//
//   {"time":"2026-03-02T07:31:05+08:00","values":{"residual_current_ma":320,"temperature_c":41}}
//
// Each kind has its measures with their physical ranges; an unknown key or measure, a wrong type,
// a value out of range, a time without an offset or more than 4 KB refuses the message whole,
// naming the field. Booleans (a smoke detector's `smoke`) read as 1 or 0.
//
// The limits that make alarms (docs/iot.md): residual current ≥ 300 mA or a cable at ≥ 70 °C
// (electrical_fire), pressure below 0.05 MPa (water_pressure_low), smoke (fire_alarm), battery
// below 10 % (fire_fault).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace zhizhi::iot {

// A device's JSON message (telemetry here, a crane's reading or log-in in crane.h): at most
// 4 KB and one JSON object; `what` names it in the errors.
Result<nlohmann::json> ParseDeviceJson(std::string_view text, std::string_view what);
// The envelope every reading shares — {"time": RFC 3339 with an offset, "values": a non-empty
// object} and no other field: its time (the values are read by the caller, from `doc`).
Result<std::int64_t> ReadEnvelope(const nlohmann::json& doc);

struct Telemetry {
  std::int64_t time_ms = 0;
  std::map<std::string, double> values;
};

// The kinds with JSON telemetry here: smoke_detector, electrical_fire, water_pressure.
bool HasTelemetry(std::string_view kind);
Result<Telemetry> ParseTelemetry(std::string_view kind, std::string_view json_text);
// The same, from a message already parsed.
Result<Telemetry> ReadTelemetry(std::string_view kind, const nlohmann::json& doc);

inline constexpr double kResidualCurrentAlarmMa = 300;
inline constexpr double kCableTemperatureAlarmC = 70;
inline constexpr double kWaterPressureLowMpa = 0.05;
inline constexpr double kBatteryLowPct = 10;

}  // namespace zhizhi::iot

#include "iot/telemetry.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "base/civil_time.h"

namespace zhizhi::iot {

namespace {

using nlohmann::json;

struct Measure {
  std::string_view kind, name;
  double low, high;
  bool boolean = false;
};

constexpr Measure kMeasures[] = {
    {"smoke_detector", "smoke", 0, 1, true},
    {"smoke_detector", "battery_pct", 0, 100},
    {"smoke_detector", "temperature_c", -40, 125},
    {"electrical_fire", "residual_current_ma", 0, 5000},
    {"electrical_fire", "temperature_c", -40, 250},
    {"electrical_fire", "current_a", 0, 2000},
    {"electrical_fire", "voltage_v", 0, 1000},
    {"water_pressure", "pressure_mpa", 0, 4},
    {"water_pressure", "level_m", 0, 50},
    {"water_pressure", "battery_pct", 0, 100},
};

}  // namespace

bool HasTelemetry(std::string_view kind) {
  return kind == "smoke_detector" || kind == "electrical_fire" || kind == "water_pressure";
}

Result<nlohmann::json> ParseDeviceJson(std::string_view text, std::string_view what) {
  if (text.size() > 4096)
    return Status::InvalidArgument("", std::string(what) + " is at most 4 KB");
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::InvalidJson(std::string(what) + " is a JSON object");
  return doc;
}

Result<std::int64_t> ReadEnvelope(const json& doc) {
  for (const auto& item : doc.items()) {
    if (item.key() != "time" && item.key() != "values")
      return Status::InvalidArgument(item.key(), "unknown field " + item.key());
  }
  if (!doc.contains("time") || !doc["time"].is_string())
    return Status::InvalidArgument("time", "time: RFC 3339 with an offset");
  ZZ_ASSIGN_OR_RETURN(Timestamp time,
                      Timestamp::ParseRfc3339(doc["time"].get<std::string>(), "time"));
  if (!doc.contains("values") || !doc["values"].is_object() || doc["values"].empty())
    return Status::InvalidArgument("values", "values: an object of the device's measures");
  return time.unix_ms;
}

Result<Telemetry> ParseTelemetry(std::string_view kind, std::string_view text) {
  ZZ_ASSIGN_OR_RETURN(json doc, ParseDeviceJson(text, "telemetry"));
  return ReadTelemetry(kind, doc);
}

Result<Telemetry> ReadTelemetry(std::string_view kind, const json& doc) {
  if (!HasTelemetry(kind))
    return Status::InvalidArgument(
        "", std::string("a ") + std::string(kind) + " sends GB/T 26875.3 frames, not JSON");
  Telemetry t;
  ZZ_ASSIGN_OR_RETURN(t.time_ms, ReadEnvelope(doc));
  for (const auto& item : doc["values"].items()) {
    const Measure* m = nullptr;
    for (const Measure& candidate : kMeasures)
      if (candidate.kind == kind && candidate.name == item.key()) m = &candidate;
    const std::string field = "values." + item.key();
    if (m == nullptr) return Status::InvalidArgument(field, "unknown measure " + item.key());
    double v = 0;
    if (m->boolean) {
      if (!item.value().is_boolean()) return Status::InvalidArgument(field, "true or false");
      v = item.value().get<bool>() ? 1 : 0;
    } else {
      if (!item.value().is_number()) return Status::InvalidArgument(field, "a number");
      v = item.value().get<double>();
      if (!std::isfinite(v) || v < m->low || v > m->high)
        return Status::InvalidArgument(field, item.key() + " out of range");
    }
    t.values[item.key()] = v;
  }
  return t;
}

}  // namespace zhizhi::iot

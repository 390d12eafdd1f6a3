// Tower-crane telemetry (起重机械智慧监管): what a crane's safety monitoring system reports about
// every 30 s and on every alarm, read strictly, and judged against its model's limits
// (rules/cranes.json; domain.md "Tower cranes").
//
//   {"time":"2026-03-02T07:31:05+08:00","values":{"load_t":4.2,"radius_m":22.5,"height_m":38,
//    "slew_deg":135,"wind_speed_ms":9.1,"tilt_permille":1.2,"moment_ratio":0.87}}
//
// A reading is refused whole (with the field) when it is not that: unknown keys, wrong types,
// values out of their physical range, a time without an offset. Judging it gives each limit it
// reaches — `crane_overload` (moment or load against the model's load chart), `crane_wind`,
// `crane_tilt` — as a pre-warning or an alarm, with the value and the limit.
//
// Thread-safety: pure functions; CraneLimits is immutable after Parse.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace zhizhi::iot {

struct CraneReading {
  std::int64_t time_ms = 0;
  std::optional<double> load_t, radius_m, height_m, slew_deg, wind_speed_ms, tilt_permille,
      moment_ratio;
};

// Reads a telemetry message (the JSON text a crane publishes).
Result<CraneReading> ParseCraneReading(std::string_view json_text);
// The same, from a message already parsed (the intake parses once).
Result<CraneReading> ReadCraneReading(const nlohmann::json& doc);

struct ModelLimits {
  double moment_prewarning = 0.9, moment_alarm = 1.0;
  double load_prewarning = 0.9, load_alarm = 1.0;
  double wind_prewarning_ms = 13.8, wind_alarm_ms = 20.0;
  double tilt_alarm_permille = 4.0;
  std::vector<std::pair<double, double>> load_chart;  // (radius m, rated load t), radius rising

  // The rated load at `radius` (none without a chart; 0 beyond its last point).
  std::optional<double> RatedLoad(double radius) const;
};

class CraneLimits {
 public:
  static Result<CraneLimits> Parse(std::string_view json_text, std::string_view origin);
  static const CraneLimits& Default();  // rules/cranes.json, compiled in
  const ModelLimits& For(std::string_view model) const;
  const std::string& version() const { return version_; }

 private:
  std::string version_;
  ModelLimits default_;
  std::map<std::string, ModelLimits, std::less<>> models_;
};

struct CraneFinding {
  std::string type;     // crane_overload, crane_wind, crane_tilt
  std::string level;    // prewarning or alarm
  std::string measure;  // moment_ratio, load_ratio, wind_speed_ms, tilt_permille
  double value = 0, limit = 0;
};

// Every limit the reading reaches, the most serious per measure.
std::vector<CraneFinding> JudgeCrane(const ModelLimits& limits, const CraneReading& reading);

}  // namespace zhizhi::iot

#include "iot/crane.h"

#include <cmath>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "iot/telemetry.h"

namespace zhizhi::iot {

extern const char kDefaultCraneLimitsJson[];  // generated from rules/cranes.json by CMake

using nlohmann::json;

namespace {

struct Range {
  const char* name;
  double low, high;
  std::optional<double> CraneReading::*field;
};

// Physical ranges: a reading outside them is a broken sensor or a forged message, not a crane.
const Range kRanges[] = {
    {"load_t", 0, 100, &CraneReading::load_t},
    {"radius_m", 0, 120, &CraneReading::radius_m},
    {"height_m", -50, 400, &CraneReading::height_m},
    {"slew_deg", -720, 720, &CraneReading::slew_deg},
    {"wind_speed_ms", 0, 80, &CraneReading::wind_speed_ms},
    {"tilt_permille", -100, 100, &CraneReading::tilt_permille},
    {"moment_ratio", 0, 5, &CraneReading::moment_ratio},
};

Status Bad(std::string_view origin, const std::string& field, const std::string& message) {
  return Status::InvalidArgument(field, std::string(origin) + ": " + field + ": " + message);
}

Result<ModelLimits> ParseModel(const json& m, const ModelLimits& base, std::string_view origin,
                               const std::string& where) {
  if (!m.is_object()) return Bad(origin, where, "an object");
  ModelLimits l = base;
  const std::pair<const char*, double ModelLimits::*> numbers[] = {
      {"moment_prewarning", &ModelLimits::moment_prewarning},
      {"moment_alarm", &ModelLimits::moment_alarm},
      {"load_prewarning", &ModelLimits::load_prewarning},
      {"load_alarm", &ModelLimits::load_alarm},
      {"wind_prewarning_ms", &ModelLimits::wind_prewarning_ms},
      {"wind_alarm_ms", &ModelLimits::wind_alarm_ms},
      {"tilt_alarm_permille", &ModelLimits::tilt_alarm_permille}};
  for (const auto& item : m.items()) {
    bool known = item.key() == "load_chart";
    for (const auto& [name, member] : numbers) {
      if (item.key() != name) continue;
      known = true;
      if (!item.value().is_number() || !(item.value().get<double>() > 0))
        return Bad(origin, where + "." + name, "a positive number");
      l.*member = item.value().get<double>();
    }
    if (!known) return Bad(origin, where + "." + item.key(), "unknown key");
  }
  if (l.moment_prewarning > l.moment_alarm || l.load_prewarning > l.load_alarm ||
      l.wind_prewarning_ms > l.wind_alarm_ms)
    return Bad(origin, where, "a pre-warning above its alarm");
  if (m.contains("load_chart")) {
    l.load_chart.clear();
    const json& chart = m["load_chart"];
    if (!chart.is_array() || chart.size() < 2)
      return Bad(origin, where + ".load_chart", "at least two [radius, load] points");
    for (const json& p : chart) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number() ||
          !(p[1].get<double>() > 0))
        return Bad(origin, where + ".load_chart", "points are [radius m, rated load t]");
      if (!l.load_chart.empty() && !(p[0].get<double>() > l.load_chart.back().first))
        return Bad(origin, where + ".load_chart", "radii rise from point to point");
      l.load_chart.emplace_back(p[0].get<double>(), p[1].get<double>());
    }
  }
  return l;
}

}  // namespace

Result<CraneReading> ParseCraneReading(std::string_view text) {
  ZZ_ASSIGN_OR_RETURN(json doc, ParseDeviceJson(text, "a crane reading"));
  return ReadCraneReading(doc);
}

Result<CraneReading> ReadCraneReading(const json& doc) {
  CraneReading r;
  ZZ_ASSIGN_OR_RETURN(r.time_ms, ReadEnvelope(doc));
  for (const auto& item : doc["values"].items()) {
    const Range* range = nullptr;
    for (const Range& candidate : kRanges)
      if (item.key() == candidate.name) range = &candidate;
    const std::string field = "values." + item.key();
    if (range == nullptr) return Status::InvalidArgument(field, "unknown measure " + item.key());
    if (!item.value().is_number()) return Status::InvalidArgument(field, "a number");
    const double v = item.value().get<double>();
    if (!std::isfinite(v) || v < range->low || v > range->high)
      return Status::InvalidArgument(field, item.key() + " out of range (" +
                                                std::to_string(range->low) + "…" +
                                                std::to_string(range->high) + ")");
    r.*(range->field) = v;
  }
  return r;
}

std::optional<double> ModelLimits::RatedLoad(double radius) const {
  if (load_chart.empty()) return std::nullopt;
  if (radius <= load_chart.front().first) return load_chart.front().second;
  for (std::size_t i = 1; i < load_chart.size(); ++i) {
    const auto& [r0, l0] = load_chart[i - 1];
    const auto& [r1, l1] = load_chart[i];
    if (radius <= r1) return l0 + (l1 - l0) * (radius - r0) / (r1 - r0);
  }
  return 0.0;  // beyond the jib's last point
}

Result<CraneLimits> CraneLimits::Parse(std::string_view text, std::string_view origin) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::InvalidJson(std::string(origin) + ": not a JSON object");
  CraneLimits limits;
  for (const auto& item : doc.items()) {
    const std::string& k = item.key();
    if (k != "name" && k != "version" && k != "comment" && k != "default" && k != "models")
      return Bad(origin, k, "unknown key");
  }
  if (!doc.contains("version") || !doc["version"].is_string())
    return Bad(origin, "version", "a string");
  limits.version_ = doc["version"].get<std::string>();
  ZZ_ASSIGN_OR_RETURN(limits.default_, ParseModel(doc.value("default", json::object()),
                                                  ModelLimits{}, origin, "default"));
  if (doc.contains("models")) {
    if (!doc["models"].is_object()) return Bad(origin, "models", "an object");
    for (const auto& [name, m] : doc["models"].items()) {
      ZZ_ASSIGN_OR_RETURN(ModelLimits model,
                          ParseModel(m, limits.default_, origin, "models." + name));
      limits.models_.emplace(name, std::move(model));
    }
  }
  return limits;
}

const CraneLimits& CraneLimits::Default() {
  static const CraneLimits limits = [] {
    auto parsed = Parse(kDefaultCraneLimitsJson, "rules/cranes.json (compiled in)");
    if (!parsed.ok()) {
      spdlog::critical("{}", parsed.status().ToString());
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return limits;
}

const ModelLimits& CraneLimits::For(std::string_view model) const {
  const auto it = models_.find(model);
  return it == models_.end() ? default_ : it->second;
}

std::vector<CraneFinding> JudgeCrane(const ModelLimits& l, const CraneReading& r) {
  std::vector<CraneFinding> out;
  const auto judge = [&](const char* type, const char* measure, std::optional<double> value,
                         std::optional<double> prewarning, double alarm) {
    if (!value) return;
    if (*value >= alarm) {
      out.push_back({type, "alarm", measure, *value, alarm});
    } else if (prewarning && *value >= *prewarning) {
      out.push_back({type, "prewarning", measure, *value, *prewarning});
    }
  };
  judge("crane_overload", "moment_ratio", r.moment_ratio, l.moment_prewarning, l.moment_alarm);
  if (r.load_t && r.radius_m) {
    if (const auto rated = l.RatedLoad(*r.radius_m)) {
      // Nothing may hang beyond the chart: any load there is an overload.
      const double ratio = *rated > 0 ? *r.load_t / *rated : (*r.load_t > 0 ? 99.0 : 0.0);
      judge("crane_overload", "load_ratio", ratio, l.load_prewarning, l.load_alarm);
    }
  }
  judge("crane_wind", "wind_speed_ms", r.wind_speed_ms, l.wind_prewarning_ms, l.wind_alarm_ms);
  if (r.tilt_permille) {
    // Above the limit either way.
    const double tilt = std::fabs(*r.tilt_permille);
    if (tilt > l.tilt_alarm_permille)
      out.push_back({"crane_tilt", "alarm", "tilt_permille", tilt, l.tilt_alarm_permille});
  }
  return out;
}

}  // namespace zhizhi::iot

#include "dispatch/dispatch_rules.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

namespace zhizhi::dispatch {

extern const char kDefaultDispatchRulesJson[];  // generated from rules/dispatch.json by CMake

using nlohmann::json;

namespace {

Status Bad(std::string_view origin, const std::string& field, const std::string& message) {
  return Status::InvalidArgument(field, std::string(origin) + ": " + field + ": " + message);
}

bool IsLabel(const json& v) {
  return v.is_object() && v.contains("zh") && v["zh"].is_string() && v.contains("en") &&
         v["en"].is_string();
}

}  // namespace

std::optional<int> SeverityRank(std::string_view severity) {
  if (severity == "red") return 0;
  if (severity == "orange") return 1;
  if (severity == "yellow") return 2;
  if (severity == "blue") return 3;
  return std::nullopt;
}

Result<DispatchRules> DispatchRules::Parse(std::string_view text, std::string_view origin) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::InvalidJson(std::string(origin) + ": not a JSON object");
  DispatchRules rules;
  for (const auto& item : doc.items()) {
    const std::string& k = item.key();
    if (k != "name" && k != "version" && k != "comment" && k != "departments" &&
        k != "categories" && k != "from_alerts")
      return Bad(origin, k, "unknown key");
  }
  if (!doc.contains("version") || !doc["version"].is_string())
    return Bad(origin, "version", "a string");
  rules.version_ = doc["version"].get<std::string>();
  if (!doc.contains("departments") || !doc["departments"].is_object())
    return Bad(origin, "departments", "an object of {code: {zh, en}}");
  for (const auto& [code, label] : doc["departments"].items())
    if (!IsLabel(label)) return Bad(origin, "departments." + code, "{\"zh\":…,\"en\":…}");
  if (!doc.contains("categories") || !doc["categories"].is_object() || doc["categories"].empty())
    return Bad(origin, "categories", "an object of categories");
  for (const auto& [code, c] : doc["categories"].items()) {
    const std::string field = "categories." + code;
    if (!c.is_object() || !c.contains("zh") || !c.contains("en"))
      return Bad(origin, field, "{zh, en, department, working_days or hours}");
    for (const auto& key : c.items()) {
      if (key.key() != "zh" && key.key() != "en" && key.key() != "department" &&
          key.key() != "working_days" && key.key() != "hours" && key.key() != "route")
        return Bad(origin, field + "." + key.key(), "unknown key");
    }
    Category category;
    category.code = code;
    category.label = {{"zh", c["zh"]}, {"en", c["en"]}};
    if (!c.contains("department") || !c["department"].is_string() ||
        !doc["departments"].contains(c["department"].get<std::string>()))
      return Bad(origin, field, "department must name one of departments");
    category.department = c["department"].get<std::string>();
    const bool days = c.contains("working_days"), hours = c.contains("hours");
    if (days == hours) return Bad(origin, field, "either working_days or hours");
    const json& n = days ? c["working_days"] : c["hours"];
    if (!n.is_number_integer() || n.get<int>() < 1 || n.get<int>() > 365)
      return Bad(origin, field, "the deadline is a whole number 1–365");
    (days ? category.working_days : category.hours) = n.get<int>();
    if (c.contains("route")) {
      if (c["route"] != "grid" && c["route"] != "department")
        return Bad(origin, field + ".route", "route is grid or department");
      category.to_department = c["route"] == "department";
    }
    rules.categories_.emplace(code, std::move(category));
  }
  if (doc.contains("from_alerts")) {
    if (!doc["from_alerts"].is_array()) return Bad(origin, "from_alerts", "an array");
    for (const json& r : doc["from_alerts"]) {
      AlertRule rule;
      if (!r.is_object() || !r.contains("types") || !r["types"].is_array() ||
          !r.contains("category") || !r["category"].is_string())
        return Bad(origin, "from_alerts", "each rule is {types, category, severity_at_least?}");
      for (const json& t : r["types"]) {
        if (!t.is_string()) return Bad(origin, "from_alerts", "types are strings");
        rule.types.insert(t.get<std::string>());
      }
      rule.category = r["category"].get<std::string>();
      if (!rules.categories_.count(rule.category))
        return Bad(origin, "from_alerts", "no category " + rule.category);
      if (r.contains("severity_at_least")) {
        const auto rank = r["severity_at_least"].is_string()
                              ? SeverityRank(r["severity_at_least"].get<std::string>())
                              : std::nullopt;
        if (!rank)
          return Bad(origin, "from_alerts", "severity_at_least: red, orange, yellow, blue");
        rule.severity_at_least = *rank;
      }
      rules.from_alerts_.push_back(std::move(rule));
    }
  }
  rules.document_ = std::move(doc);
  return rules;
}

const DispatchRules& DispatchRules::Default() {
  static const DispatchRules rules = [] {
    auto parsed = Parse(kDefaultDispatchRulesJson, "rules/dispatch.json (compiled in)");
    if (!parsed.ok()) {
      spdlog::critical("{}", parsed.status().ToString());
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return rules;
}

const Category* DispatchRules::Find(std::string_view category) const {
  const auto it = categories_.find(category);
  return it == categories_.end() ? nullptr : &it->second;
}

const Category* DispatchRules::ForAlert(std::string_view type, std::string_view severity) const {
  const auto rank = SeverityRank(severity);
  if (!rank) return nullptr;
  for (const AlertRule& rule : from_alerts_) {
    if (rule.types.count(std::string(type)) && *rank <= rule.severity_at_least)
      return Find(rule.category);
  }
  return nullptr;
}

}  // namespace zhizhi::dispatch

// The dispatch rulebook (rules/dispatch.json, compiled in): work-order categories with their
// deadline (working days of the holiday calendar, or hours for the urgent ones) and department,
// the departments, and which alerts become work orders by themselves.
//
// Thread-safety: immutable after Parse.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace zhizhi::dispatch {

struct Category {
  std::string code;
  nlohmann::json label;  // {"zh","en"}
  std::string department;
  int working_days = 0;  // one of these two is set
  int hours = 0;
  // Who an order of the category goes to when nobody is named: the nearest on-duty grid worker
  // of its area (`grid`, the default), or its department's own dispatchers (`department`: the
  // order stays received, the department is told).
  bool to_department = false;
};

struct AlertRule {
  std::set<std::string> types;
  std::string category;
  int severity_at_least = 3;  // 0 red … 3 blue: every severity by default
};

class DispatchRules {
 public:
  static Result<DispatchRules> Parse(std::string_view json_text, std::string_view origin);
  static const DispatchRules& Default();

  const Category* Find(std::string_view category) const;
  // The category an alert of `type` and `severity` becomes, if any rule takes it.
  const Category* ForAlert(std::string_view type, std::string_view severity) const;
  const std::map<std::string, Category, std::less<>>& categories() const { return categories_; }
  const nlohmann::json& document() const { return document_; }
  const std::string& version() const { return version_; }

 private:
  std::string version_;
  std::map<std::string, Category, std::less<>> categories_;
  std::vector<AlertRule> from_alerts_;
  nlohmann::json document_;
};

// 0 red, 1 orange, 2 yellow, 3 blue; nullopt for anything else.
std::optional<int> SeverityRank(std::string_view severity);

}  // namespace zhizhi::dispatch

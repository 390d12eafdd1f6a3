#include "warning/rulebook.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

namespace zhizhi::warning {

extern const char kDefaultWarningRulesJson[];  // generated from rules/warning.json by CMake

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, kIndicatorCount> kIndicatorNames = {
    "alerts_red",          "alerts_orange",   "alerts_yellow", "alerts_blue",  "iot_alarms",
    "residence_anomalies", "basedata_checks", "cases_red",     "cases_orange", "cases_yellow",
    "cases_blue",          "disputes_open",   "orders_overdue"};

Status Bad(std::string_view origin, const std::string& field, const std::string& message) {
  return Status::InvalidArgument(field, std::string(origin) + ": " + field + ": " + message);
}

}  // namespace

std::string_view IndicatorName(int indicator) {
  return indicator >= 0 && indicator < kIndicatorCount ? kIndicatorNames[indicator] : "";
}

std::optional<int> ParseIndicator(std::string_view name) {
  for (int i = 0; i < kIndicatorCount; ++i)
    if (kIndicatorNames[i] == name) return i;
  return std::nullopt;
}

Result<Rulebook> Rulebook::Parse(std::string_view text, std::string_view origin) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::InvalidJson(std::string(origin) + ": not a JSON object");
  Rulebook book;
  for (const auto& item : doc.items()) {
    const std::string& k = item.key();
    if (k != "name" && k != "version" && k != "comment" && k != "indicators" && k != "colours")
      return Bad(origin, k, "unknown key");
  }
  if (!doc.contains("name") || !doc["name"].is_string()) return Bad(origin, "name", "a string");
  if (!doc.contains("version") || !doc["version"].is_string() ||
      doc["version"].get<std::string>().empty())
    return Bad(origin, "version", "a non-empty string");
  book.name_ = doc["name"].get<std::string>();
  book.version_ = doc["version"].get<std::string>();
  for (int i = 0; i < kIndicatorCount; ++i)
    book.labels_[i] = {{"zh", kIndicatorNames[i]}, {"en", kIndicatorNames[i]}};
  if (doc.contains("indicators")) {
    if (!doc["indicators"].is_object()) return Bad(origin, "indicators", "an object");
    for (const auto& [name, label] : doc["indicators"].items()) {
      const auto indicator = ParseIndicator(name);
      if (!indicator) return Bad(origin, "indicators." + name, "no such indicator");
      if (!label.is_object() || !label.contains("zh") || !label["zh"].is_string() ||
          !label.contains("en") || !label["en"].is_string())
        return Bad(origin, "indicators." + name, "{\"zh\":…,\"en\":…} is needed");
      book.labels_[*indicator] = {{"zh", label["zh"]}, {"en", label["en"]}};
    }
  }
  if (!doc.contains("colours") || !doc["colours"].is_array())
    return Bad(origin, "colours", "an array of {colour, when}");
  int previous = -1;
  for (const json& entry : doc["colours"]) {
    if (!entry.is_object() || !entry.contains("colour") || !entry["colour"].is_string() ||
        !entry.contains("when") || !entry["when"].is_array())
      return Bad(origin, "colours", "each entry is {\"colour\":…,\"when\":[…]}");
    const std::string colour = entry["colour"].get<std::string>();
    int index = -1;
    for (int c = 0; c < 4; ++c)
      if (kColours[c] == colour) index = c;
    if (index < 0)
      return Bad(origin, "colours",
                 colour +
                     " is not a warning colour (red, orange, yellow, blue; green is what is "
                     "left)");
    if (index <= previous)
      return Bad(origin, "colours",
                 colour + " is out of order or twice: red, orange, yellow, blue");
    previous = index;
    for (const json& when : entry["when"]) {
      if (!when.is_object() || !when.contains("indicator") || !when["indicator"].is_string() ||
          !when.contains("at_least"))
        return Bad(origin, "colours." + colour, "each condition is {indicator, at_least}");
      const auto indicator = ParseIndicator(when["indicator"].get<std::string>());
      if (!indicator)
        return Bad(origin, "colours." + colour,
                   "no indicator " + when["indicator"].get<std::string>());
      Condition condition{*indicator, {}};
      const json& at = when["at_least"];
      const auto positive = [](const json& v) {
        return v.is_number_integer() && v.get<std::int64_t>() >= 1;
      };
      if (positive(at)) {
        condition.at_least.fill(at.get<std::int64_t>());
      } else if (at.is_object() && at.size() == 3 && at.contains("grid") &&
                 at.contains("community") && at.contains("street") && positive(at["grid"]) &&
                 positive(at["community"]) && positive(at["street"])) {
        condition.at_least[static_cast<int>(Level::kStreet)] = at["street"].get<std::int64_t>();
        condition.at_least[static_cast<int>(Level::kCommunity)] =
            at["community"].get<std::int64_t>();
        condition.at_least[static_cast<int>(Level::kGrid)] = at["grid"].get<std::int64_t>();
      } else {
        return Bad(origin, "colours." + colour,
                   "at_least is a whole number ≥ 1, or {grid, community, street} of them");
      }
      book.colours_[index].push_back(condition);
    }
  }
  book.document_ = std::move(doc);
  return book;
}

const Rulebook& Rulebook::Default() {
  static const Rulebook book = [] {
    auto parsed = Parse(kDefaultWarningRulesJson, "rules/warning.json (compiled in)");
    if (!parsed.ok()) {
      spdlog::critical("{}", parsed.status().ToString());
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return book;
}

Rulebook::Verdict Rulebook::Evaluate(Level level, const IndicatorValues& values) const {
  Verdict verdict;
  for (int c = 0; c < 4; ++c) {
    for (const Condition& condition : colours_[c]) {
      const std::int64_t threshold = condition.at_least[static_cast<int>(level)];
      if (values[condition.indicator] >= threshold)
        verdict.met.push_back({condition.indicator, values[condition.indicator], threshold});
    }
    if (!verdict.met.empty()) {
      verdict.colour = c;
      return verdict;
    }
  }
  return verdict;
}

}  // namespace zhizhi::warning

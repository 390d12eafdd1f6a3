// The five-colour rulebook (rules/warning.json, compiled in; `serve --warning-rules FILE` for
// another): which indicator values make an area red, orange, yellow or blue — green when no
// condition holds. Versioned like the gate's rulebook: every colour records the version that gave
// it.
//
// Thread-safety: immutable after Parse.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "warning/areas.h"

namespace zhizhi::warning {

// What is counted per area (over the area and the areas under it); warning.h says how.
enum Indicator : int {
  kAlertsRed,
  kAlertsOrange,
  kAlertsYellow,
  kAlertsBlue,
  kIotAlarms,
  kResidenceAnomalies,
  kBaseDataChecks,
  kCasesRed,
  kCasesOrange,
  kCasesYellow,
  kCasesBlue,
  kDisputesOpen,
  kOrdersOverdue,
  kIndicatorCount
};
std::string_view IndicatorName(int indicator);
std::optional<int> ParseIndicator(std::string_view name);

// The five colours, most serious first; green is the last.
inline constexpr std::array<std::string_view, 5> kColours = {"red", "orange", "yellow", "blue",
                                                             "green"};

using IndicatorValues = std::array<std::int64_t, kIndicatorCount>;

class Rulebook {
 public:
  static Result<Rulebook> Parse(std::string_view json_text, std::string_view origin);
  static const Rulebook& Default();  // rules/warning.json

  struct Met {
    int indicator;
    std::int64_t value;
    std::int64_t at_least;
  };
  struct Verdict {
    int colour = 4;        // index into kColours
    std::vector<Met> met;  // the conditions of that colour that hold
  };
  Verdict Evaluate(Level level, const IndicatorValues& values) const;

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  // {"zh","en"} label of an indicator.
  const nlohmann::json& Label(int indicator) const { return labels_[indicator]; }
  // The whole rulebook as JSON (GET /api/v1/warnings/rulebook).
  const nlohmann::json& document() const { return document_; }

 private:
  struct Condition {
    int indicator;
    std::array<std::int64_t, 3> at_least;  // by Level
  };
  std::string name_, version_;
  std::array<std::vector<Condition>, 4> colours_;  // red … blue
  std::array<nlohmann::json, kIndicatorCount> labels_;
  nlohmann::json document_;
};

}  // namespace zhizhi::warning

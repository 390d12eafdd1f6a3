// Crane telemetry read strictly and judged against the model's limits (rules/cranes.json): the
// issue's 105 % moment, the load chart read between its points, wind and tilt, and readings that
// are refused whole.
#include "iot/crane.h"

#include <gtest/gtest.h>

namespace zhizhi::iot {
namespace {

std::vector<std::string> Codes(const std::vector<CraneFinding>& findings) {
  std::vector<std::string> out;
  for (const CraneFinding& f : findings)
    out.push_back(f.type + "/" + f.level + "/" + f.measure);
  return out;
}

CraneReading Read(const std::string& values) {
  auto r = ParseCraneReading(R"({"time":"2026-03-02T07:31:05+08:00","values":)" + values + "}");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CraneReading{};
}

TEST(Crane, AMomentOf105PercentIsAnOverloadAlarm) {
  const ModelLimits& limits = CraneLimits::Default().For("QTZ80 (TC6010-6)");
  EXPECT_EQ(Codes(JudgeCrane(limits, Read(R"({"moment_ratio":1.05})"))),
            (std::vector<std::string>{"crane_overload/alarm/moment_ratio"}));
  EXPECT_EQ(Codes(JudgeCrane(limits, Read(R"({"moment_ratio":0.92})"))),
            (std::vector<std::string>{"crane_overload/prewarning/moment_ratio"}));
  EXPECT_TRUE(JudgeCrane(limits, Read(R"({"moment_ratio":0.85})")).empty());
}

TEST(Crane, TheLoadChartIsReadBetweenItsPoints) {
  const ModelLimits& limits = CraneLimits::Default().For("QTZ80 (TC6010-6)");
  EXPECT_DOUBLE_EQ(*limits.RatedLoad(10), 6.0);
  EXPECT_DOUBLE_EQ(*limits.RatedLoad(20), 4.8);  // halfway from 6.0 at 15 m to 3.6 at 25 m
  EXPECT_DOUBLE_EQ(*limits.RatedLoad(61), 0.0);  // beyond the jib
  // 4.6 t at 20 m is 96 % of 4.8 t: a pre-warning; 5.0 t is over.
  EXPECT_EQ(Codes(JudgeCrane(limits, Read(R"({"load_t":4.6,"radius_m":20})"))),
            (std::vector<std::string>{"crane_overload/prewarning/load_ratio"}));
  EXPECT_EQ(Codes(JudgeCrane(limits, Read(R"({"load_t":5.0,"radius_m":20})"))),
            (std::vector<std::string>{"crane_overload/alarm/load_ratio"}));
  EXPECT_EQ(Codes(JudgeCrane(limits, Read(R"({"load_t":0.2,"radius_m":65})"))),
            (std::vector<std::string>{"crane_overload/alarm/load_ratio"}));
  // A model nobody listed has no chart: only the moment, wind and tilt.
  EXPECT_TRUE(
      JudgeCrane(CraneLimits::Default().For("unknown"), Read(R"({"load_t":50,"radius_m":20})"))
          .empty());
}

TEST(Crane, WindAndTiltAtTheirLimits) {
  const ModelLimits& limits = CraneLimits::Default().For("");
  EXPECT_EQ(Codes(JudgeCrane(limits, Read(R"({"wind_speed_ms":13.8})"))),
            (std::vector<std::string>{"crane_wind/prewarning/wind_speed_ms"}));
  EXPECT_EQ(Codes(JudgeCrane(limits, Read(R"({"wind_speed_ms":20.0,"tilt_permille":-4.5})"))),
            (std::vector<std::string>{"crane_wind/alarm/wind_speed_ms",
                                      "crane_tilt/alarm/tilt_permille"}));
  EXPECT_TRUE(JudgeCrane(limits, Read(R"({"wind_speed_ms":9,"tilt_permille":4.0})")).empty());
}

TEST(Crane, ReadingsThatAreNotCraneReadingsAreRefusedWhole) {
  const auto field = [](std::string_view text) {
    auto r = ParseCraneReading(text);
    return r.ok() ? std::string("ok") : r.status().field();
  };
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05","values":{"load_t":1}})"), "time");  // no zone
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05Z","values":{"load_t":"1"}})"), "values.load_t");
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05Z","values":{"load_t":-1}})"), "values.load_t");
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05Z","values":{"moment_ratio":1e308}})"),
            "values.moment_ratio");
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05Z","values":{"hook":1}})"), "values.hook");
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05Z","values":{}})"), "values");
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05Z","values":{"load_t":1},"x":1})"), "x");
  EXPECT_FALSE(ParseCraneReading("[1,2]").ok());
  EXPECT_FALSE(ParseCraneReading(std::string(5000, ' ')).ok());
  EXPECT_EQ(field(R"({"time":"2026-03-02T07:31:05Z","values":{"load_t":1.5,"radius_m":30}})"),
            "ok");
}

TEST(Crane, LimitsThatCannotBeAppliedAreRefused) {
  for (const char* text : {
           R"({"version":"1","default":{"moment_prewarning":1.2,"moment_alarm":1.0}})",
           R"({"version":"1","models":{"X":{"load_chart":[[10,5],[5,3]]}}})",
           R"({"version":"1","models":{"X":{"load_chart":[[10,5]]}}})",
           R"({"version":"1","models":{"X":{"wind":3}}})",
           R"({"version":"1","default":{"tilt_alarm_permille":0}})",
       }) {
    EXPECT_FALSE(CraneLimits::Parse(text, "test").ok()) << text;
  }
}

}  // namespace
}  // namespace zhizhi::iot

// Attendance of one person on one day from their gate passes: first in, last out, hours inside,
// passes counted (duplicates excluded), and whether the day ended without an out (the automatic
// clock-out marks such days).
//
// Thread-safety: pure.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace zhizhi::gate {

struct Pass {
  std::int64_t time_ms = 0;
  bool entering = true;
  bool duplicate = false;
  bool auto_clock_out = false;
  bool exceptional = false;
};

struct DayAttendance {
  std::optional<std::int64_t> first_in_ms;
  std::optional<std::int64_t> last_out_ms;
  double hours = 0;  // sum of in→out intervals
  int passes = 0;    // allowed, not duplicates, not automatic
  int duplicates = 0;
  int exceptional = 0;            // passes in modes 7, 8, 9
  bool missing_out = false;       // the last pass of the day is an in
  bool auto_clocked_out = false;  // the platform closed the day
};

// `passes` are one person's allowed passes of one day, in time order.
DayAttendance ComputeAttendance(const std::vector<Pass>& passes);

}  // namespace zhizhi::gate

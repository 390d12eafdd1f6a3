#include "gate/attendance.h"

namespace zhizhi::gate {

DayAttendance ComputeAttendance(const std::vector<Pass>& passes) {
  DayAttendance day;
  std::optional<std::int64_t> open_since;
  std::int64_t inside_ms = 0;
  bool last_is_in = false;
  for (const Pass& pass : passes) {
    if (pass.duplicate) {
      ++day.duplicates;
      continue;
    }
    if (pass.auto_clock_out) {
      day.auto_clocked_out = true;
      continue;  // the platform closed the day; it is not a real out
    }
    ++day.passes;
    if (pass.exceptional) ++day.exceptional;
    if (pass.entering) {
      if (!day.first_in_ms) day.first_in_ms = pass.time_ms;
      if (!open_since) open_since = pass.time_ms;
      last_is_in = true;
    } else {
      day.last_out_ms = pass.time_ms;
      if (open_since) {
        inside_ms += pass.time_ms - *open_since;
        open_since.reset();
      }
      last_is_in = false;
    }
  }
  day.hours = static_cast<double>(inside_ms) / 3'600'000.0;
  day.missing_out = last_is_in;
  return day;
}

}  // namespace zhizhi::gate

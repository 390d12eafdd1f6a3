#include "gate/attendance.h"

#include <gtest/gtest.h>

namespace zhizhi::gate {
namespace {

constexpr std::int64_t kHour = 3'600'000;

TEST(AttendanceTest, FirstInLastOutAndHoursInside) {
  // 07:00 in, 11:30 out, 13:00 in, 17:30 out: 9 hours inside over a 10.5 hour span.
  const std::vector<Pass> passes = {{7 * kHour, true},
                                    {11 * kHour + kHour / 2, false},
                                    {13 * kHour, true},
                                    {17 * kHour + kHour / 2, false}};
  const DayAttendance day = ComputeAttendance(passes);
  EXPECT_EQ(day.first_in_ms, 7 * kHour);
  EXPECT_EQ(day.last_out_ms, 17 * kHour + kHour / 2);
  EXPECT_DOUBLE_EQ(day.hours, 9.0);
  EXPECT_EQ(day.passes, 4);
  EXPECT_FALSE(day.missing_out);
}

TEST(AttendanceTest, DuplicatesAreCountedButIgnored) {
  const std::vector<Pass> passes = {
      {7 * kHour, true}, {7 * kHour + 20'000, true, /*duplicate=*/true}, {17 * kHour, false}};
  const DayAttendance day = ComputeAttendance(passes);
  EXPECT_EQ(day.passes, 2);
  EXPECT_EQ(day.duplicates, 1);
  EXPECT_DOUBLE_EQ(day.hours, 10.0);
}

TEST(AttendanceTest, AutoClockOutMarksTheDayWithoutInventingHours) {
  const std::vector<Pass> passes = {{7 * kHour, true},
                                    {23 * kHour, false, false, /*auto_clock_out=*/true}};
  const DayAttendance day = ComputeAttendance(passes);
  EXPECT_TRUE(day.auto_clocked_out);
  EXPECT_TRUE(day.missing_out);
  EXPECT_FALSE(day.last_out_ms.has_value());
  EXPECT_DOUBLE_EQ(day.hours, 0.0);
  EXPECT_EQ(day.passes, 1);
}

TEST(AttendanceTest, OutWithoutInCountsThePassOnly) {
  const DayAttendance day = ComputeAttendance({{9 * kHour, false}});
  EXPECT_FALSE(day.first_in_ms.has_value());
  EXPECT_EQ(day.last_out_ms, 9 * kHour);
  EXPECT_DOUBLE_EQ(day.hours, 0.0);
  EXPECT_EQ(day.passes, 1);
}

TEST(AttendanceTest, ExceptionalPassesAreFlagged) {
  Pass emergency{16 * kHour, false};
  emergency.exceptional = true;
  const DayAttendance day = ComputeAttendance({{8 * kHour, true}, emergency});
  EXPECT_EQ(day.exceptional, 1);
  EXPECT_DOUBLE_EQ(day.hours, 8.0);
}

}  // namespace
}  // namespace zhizhi::gate

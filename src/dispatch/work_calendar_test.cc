#include "dispatch/work_calendar.h"

#include <string>

#include <gtest/gtest.h>

namespace zhizhi::dispatch {
namespace {

int64_t At(const std::string& rfc3339) {
  auto t = Timestamp::ParseRfc3339(rfc3339, "test");
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? t->unix_ms : 0;
}

Date Day(const std::string& ymd) {
  auto d = Date::Parse(ymd, "test");
  EXPECT_TRUE(d.ok()) << ymd;
  return d.ok() ? *d : Date{};
}

// The deadline of `days` working days after `created`, by the compiled-in calendar.
std::string Due(const std::string& created, int days) {
  return FormatRfc3339(WorkCalendar::Default().DueAfterWorkingDays(At(created), days));
}

// A one-year calendar around the given holidays and working_days lists (JSON text).
std::string Calendar(const std::string& holidays, const std::string& working_days,
                     const std::string& extra_year_key = "") {
  return R"({"name":"test","version":"t1","time_zone":"+08:00","years":{"2026":{)"
         R"("source":"test","holidays":)" +
         holidays + R"(,"working_days":)" + working_days + extra_year_key + "}}}";
}

Status ParseError(const std::string& json) {
  auto parsed = WorkCalendar::Parse(json, "test.json");
  EXPECT_FALSE(parsed.ok()) << json;
  return parsed.ok() ? Status::Ok() : parsed.status();
}

TEST(WorkCalendar, CompiledInCalendarKnows2025And2026) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  EXPECT_EQ(calendar.version(), "2026.1");
  EXPECT_TRUE(calendar.Knows(2025));
  EXPECT_TRUE(calendar.Knows(2026));
  EXPECT_FALSE(calendar.Knows(2024));
  EXPECT_FALSE(calendar.Knows(2027));
}

TEST(WorkCalendar, PlainWeekFridayPlusOneIsEndOfMonday) {
  EXPECT_EQ(Due("2026-03-06T10:00:00+08:00", 1), "2026-03-10T00:00:00+08:00");
  // Created late on a Monday: Tuesday is the first day counted.
  EXPECT_EQ(Due("2026-03-09T23:59:59+08:00", 1), "2026-03-11T00:00:00+08:00");
}

TEST(WorkCalendar, AcrossAWeekend) {
  // Friday + 3: Monday, Tuesday, Wednesday.
  EXPECT_EQ(Due("2026-03-06T10:00:00+08:00", 3), "2026-03-12T00:00:00+08:00");
  // Thursday + 5: Friday, Monday..Thursday.
  EXPECT_EQ(Due("2026-03-05T08:00:00+08:00", 5), "2026-03-13T00:00:00+08:00");
}

TEST(WorkCalendar, CountsInChinaDatesNotUtc) {
  // 2026-03-05T17:00Z is already Friday 01:00 in China, so Monday is the first working day.
  EXPECT_EQ(Due("2026-03-05T17:00:00Z", 1), "2026-03-10T00:00:00+08:00");
  EXPECT_EQ(Due("2026-03-05T15:59:59Z", 1), "2026-03-07T00:00:00+08:00");
}

TEST(WorkCalendar, SpringFestival2026) {
  // Friday 2026-02-13; Saturday 02-14 is an adjusted working day, 02-15..02-23 are off.
  EXPECT_EQ(Due("2026-02-13T10:00:00+08:00", 1), "2026-02-15T00:00:00+08:00");
  EXPECT_EQ(Due("2026-02-13T10:00:00+08:00", 2), "2026-02-25T00:00:00+08:00");
  // 02-24..02-27 (Tue..Fri), then Saturday 02-28 is worked.
  EXPECT_EQ(Due("2026-02-13T10:00:00+08:00", 6), "2026-03-01T00:00:00+08:00");
  EXPECT_EQ(Due("2026-02-13T10:00:00+08:00", 7), "2026-03-03T00:00:00+08:00");
}

TEST(WorkCalendar, NationalDay2026) {
  // Oct 1..7 off; Oct 8 Thu, Oct 9 Fri, Oct 10 Sat (adjusted working day).
  EXPECT_EQ(Due("2026-09-30T16:00:00+08:00", 3), "2026-10-11T00:00:00+08:00");
  EXPECT_EQ(Due("2026-09-30T16:00:00+08:00", 4), "2026-10-13T00:00:00+08:00");
}

TEST(WorkCalendar, CreatedOnAHoliday) {
  EXPECT_EQ(Due("2026-10-03T09:00:00+08:00", 1), "2026-10-09T00:00:00+08:00");
  // Sunday 2026-09-27 is the last day of 中秋节; Monday 09-28 is an ordinary working day.
  EXPECT_EQ(Due("2026-09-27T09:00:00+08:00", 1), "2026-09-29T00:00:00+08:00");
  // Created on an adjusted working Saturday: that day still does not count.
  EXPECT_EQ(Due("2026-10-10T09:00:00+08:00", 1), "2026-10-13T00:00:00+08:00");
}

TEST(WorkCalendar, NewYear2026SundayIsWorked) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  EXPECT_FALSE(calendar.IsWorkingDay(Day("2026-01-01")));
  EXPECT_FALSE(calendar.IsWorkingDay(Day("2026-01-02")));
  EXPECT_FALSE(calendar.IsWorkingDay(Day("2026-01-03")));
  EXPECT_TRUE(calendar.IsWorkingDay(Day("2026-01-04")));
  // From the last day of 2025 across the New Year holiday to Sunday 01-04.
  EXPECT_EQ(Due("2025-12-31T18:00:00+08:00", 1), "2026-01-05T00:00:00+08:00");
  EXPECT_EQ(Due("2025-12-31T18:00:00+08:00", 2), "2026-01-06T00:00:00+08:00");
}

TEST(WorkCalendar, Year2025Arrangement) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  EXPECT_FALSE(calendar.IsWorkingDay(Day("2025-01-01")));  // Wednesday, 1 day, no swap
  EXPECT_TRUE(calendar.IsWorkingDay(Day("2025-01-02")));
  EXPECT_TRUE(calendar.IsWorkingDay(Day("2025-01-26")));  // Sunday worked
  EXPECT_FALSE(calendar.IsWorkingDay(Day("2025-02-04")));
  EXPECT_TRUE(calendar.IsWorkingDay(Day("2025-04-27")));  // Sunday worked
  EXPECT_FALSE(calendar.IsWorkingDay(Day("2025-10-08")));
  EXPECT_TRUE(calendar.IsWorkingDay(Day("2025-10-11")));  // Saturday worked
  // Tuesday 2025-09-30 + 2: Oct 1..8 off, Thu 10-09, Fri 10-10.
  EXPECT_EQ(Due("2025-09-30T12:00:00+08:00", 2), "2025-10-11T00:00:00+08:00");
  EXPECT_EQ(Due("2025-09-30T12:00:00+08:00", 3), "2025-10-12T00:00:00+08:00");
}

TEST(WorkCalendar, UnknownYearCountsWeekendsOnly) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  EXPECT_FALSE(calendar.Knows(2031));
  EXPECT_TRUE(calendar.IsWorkingDay(Day("2031-01-01")));  // a Wednesday; no holiday data
  EXPECT_TRUE(calendar.IsWorkingDay(Day("2031-10-01")));
  EXPECT_FALSE(calendar.IsWorkingDay(Day("2031-01-04")));  // Saturday
  EXPECT_EQ(calendar.DayName(Day("2031-10-01")), "");
  EXPECT_EQ(Due("2031-01-03T10:00:00+08:00", 1), "2031-01-07T00:00:00+08:00");
  EXPECT_EQ(Due("2030-12-31T10:00:00+08:00", 1), "2031-01-02T00:00:00+08:00");
}

TEST(WorkCalendar, CoversRange) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  EXPECT_TRUE(
      calendar.CoversRange(At("2025-01-01T00:00:00+08:00"), At("2026-12-31T23:59:59+08:00")));
  EXPECT_FALSE(
      calendar.CoversRange(At("2026-12-31T10:00:00+08:00"), At("2027-01-01T00:00:00+08:00")));
  EXPECT_FALSE(
      calendar.CoversRange(At("2024-12-31T10:00:00+08:00"), At("2025-01-02T00:00:00+08:00")));
  EXPECT_TRUE(calendar.CoversRange(At("2026-05-01T00:00:00+08:00"),
                                   At("2026-04-01T00:00:00+08:00")));  // empty
  // A deadline: ends at 00:00 of the day after its last counted day.
  const int64_t from = At("2026-12-29T10:00:00+08:00");
  const int64_t due_in_2026 = calendar.DueAfterWorkingDays(from, 2);  // end of Thu 12-31
  EXPECT_EQ(FormatRfc3339(due_in_2026), "2027-01-01T00:00:00+08:00");
  EXPECT_TRUE(calendar.CoversRange(from, due_in_2026 - 1));
  EXPECT_FALSE(calendar.CoversRange(from, calendar.DueAfterWorkingDays(from, 3)));
}

TEST(WorkCalendar, WorkingDaysBetween) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  // Sat 02-14 (worked) and Tue 02-24; the day of `from` does not count, the day of `to` does.
  EXPECT_EQ(
      calendar.WorkingDaysBetween(At("2026-02-13T10:00:00+08:00"), At("2026-02-24T09:00:00+08:00")),
      2);
  EXPECT_EQ(
      calendar.WorkingDaysBetween(At("2026-03-06T10:00:00+08:00"), At("2026-03-06T18:00:00+08:00")),
      0);
  EXPECT_EQ(
      calendar.WorkingDaysBetween(At("2026-03-10T10:00:00+08:00"), At("2026-03-06T18:00:00+08:00")),
      0);
  // Every working day of each year (248 in both, by the notices).
  EXPECT_EQ(
      calendar.WorkingDaysBetween(At("2024-12-31T12:00:00+08:00"), At("2025-12-31T12:00:00+08:00")),
      248);
  EXPECT_EQ(
      calendar.WorkingDaysBetween(At("2025-12-31T12:00:00+08:00"), At("2026-12-31T12:00:00+08:00")),
      248);
}

TEST(WorkCalendar, WorkingDaysBetweenAgreesWithDueAfterWorkingDays) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  const int64_t start = At("2024-12-20T09:30:00+08:00");
  for (int offset = 0; offset < 800; offset += 3) {
    const int64_t from = start + int64_t{offset} * 86'400'000;
    int by_day = 0;
    for (Date d = DateInChina(from).AddDays(1); d <= DateInChina(from).AddDays(40);
         d = d.AddDays(1)) {
      by_day += calendar.IsWorkingDay(d);
    }
    ASSERT_EQ(
        calendar.WorkingDaysBetween(from, StartOfDayInChina(DateInChina(from).AddDays(41)) - 1),
        by_day)
        << FormatRfc3339(from);
    for (int n : {1, 2, 5, 10, 22}) {
      const int64_t due = calendar.DueAfterWorkingDays(from, n);
      const Date last = DateInChina(due - 1);
      ASSERT_TRUE(calendar.IsWorkingDay(last)) << FormatRfc3339(from) << " + " << n;
      ASSERT_EQ(calendar.WorkingDaysBetween(from, due - 1), n) << FormatRfc3339(from) << " + " << n;
      ASSERT_EQ(FormatRfc3339(due).substr(10), "T00:00:00+08:00");
    }
  }
}

TEST(WorkCalendar, DayName) {
  const WorkCalendar& calendar = WorkCalendar::Default();
  EXPECT_EQ(calendar.DayName(Day("2026-02-17")), "春节");
  EXPECT_EQ(calendar.DayName(Day("2026-02-14")), "春节调休");
  EXPECT_EQ(calendar.DayName(Day("2026-01-04")), "元旦调休");
  EXPECT_EQ(calendar.DayName(Day("2025-10-06")), "国庆节、中秋节");
  EXPECT_EQ(calendar.DayName(Day("2026-09-26")), "中秋节");
  EXPECT_EQ(calendar.DayName(Day("2026-03-10")), "");
  EXPECT_EQ(calendar.DayName(Day("2026-03-14")), "");  // an ordinary Saturday
}

TEST(WorkCalendar, ParsesAWeekendHolidayAndAWeekendWorkingDay) {
  auto parsed = WorkCalendar::Parse(Calendar(R"([{"name":"H","days":["2026-03-07","2026-03-09"]}])",
                                             R"([{"name":"W","days":["2026-03-15"]}])"),
                                    "test.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->version(), "t1");
  EXPECT_TRUE(parsed->Knows(2026));
  EXPECT_FALSE(parsed->Knows(2025));
  EXPECT_FALSE(parsed->IsWorkingDay(Day("2026-03-07")));  // Saturday holiday: still off
  EXPECT_FALSE(parsed->IsWorkingDay(Day("2026-03-09")));  // Monday holiday
  EXPECT_TRUE(parsed->IsWorkingDay(Day("2026-03-15")));   // Sunday worked
  EXPECT_EQ(parsed->DayName(Day("2026-03-15")), "W");
  // Friday 03-06 + 1: the weekend and Monday are off.
  EXPECT_EQ(FormatRfc3339(parsed->DueAfterWorkingDays(At("2026-03-06T10:00:00+08:00"), 1)),
            "2026-03-11T00:00:00+08:00");
  // Thursday 03-12 + 2: Friday, then Saturday off and Sunday worked.
  EXPECT_EQ(FormatRfc3339(parsed->DueAfterWorkingDays(At("2026-03-12T10:00:00+08:00"), 2)),
            "2026-03-16T00:00:00+08:00");
}

TEST(WorkCalendar, RejectsAWorkingDayOnAWeekday) {
  const Status s =
      ParseError(Calendar("[]", R"([{"name":"W","days":["2026-03-14","2026-03-04"]}])"));
  EXPECT_EQ(s.code(), "invalid_argument");
  EXPECT_EQ(s.field(), "years.2026.working_days[0].days[1]");
  EXPECT_NE(s.message().find("2026-03-04"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Wednesday"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("test.json"), std::string::npos) << s.message();
}

TEST(WorkCalendar, RejectsADayInBothLists) {
  const Status s = ParseError(Calendar(R"([{"name":"H","days":["2026-02-14"]}])",
                                       R"([{"name":"W","days":["2026-02-14"]}])"));
  EXPECT_EQ(s.field(), "years.2026.working_days[0].days[0]");
  EXPECT_NE(s.message().find("2026-02-14"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("both"), std::string::npos) << s.message();
}

TEST(WorkCalendar, RejectsADayListedTwice) {
  const Status s = ParseError(
      Calendar(R"([{"name":"A","days":["2026-05-01"]},{"name":"B","days":["2026-05-01"]}])", "[]"));
  EXPECT_EQ(s.field(), "years.2026.holidays[1].days[0]");
}

TEST(WorkCalendar, RejectsBadDates) {
  Status s = ParseError(Calendar(R"([{"name":"H","days":["2026-02-30"]}])", "[]"));
  EXPECT_EQ(s.field(), "years.2026.holidays[0].days[0]");
  EXPECT_NE(s.message().find("2026-02-30"), std::string::npos) << s.message();
  s = ParseError(Calendar(R"([{"name":"H","days":["2026-2-3"]}])", "[]"));
  EXPECT_EQ(s.field(), "years.2026.holidays[0].days[0]");
  s = ParseError(Calendar(R"([{"name":"H","days":[20260203]}])", "[]"));
  EXPECT_EQ(s.field(), "years.2026.holidays[0].days[0]");
  // A day outside its year.
  s = ParseError(Calendar(R"([{"name":"H","days":["2025-12-31"]}])", "[]"));
  EXPECT_EQ(s.field(), "years.2026.holidays[0].days[0]");
  EXPECT_NE(s.message().find("2025-12-31"), std::string::npos) << s.message();
  s = ParseError(Calendar(R"([{"name":"H","days":[]}])", "[]"));
  EXPECT_EQ(s.field(), "years.2026.holidays[0].days");
}

TEST(WorkCalendar, RejectsUnknownAndMissingKeys) {
  Status s = ParseError(Calendar("[]", "[]", R"(,"note":"x")"));
  EXPECT_EQ(s.field(), "years.2026.note");
  s = ParseError(Calendar(R"([{"name":"H","days":["2026-03-09"],"half_day":true}])", "[]"));
  EXPECT_EQ(s.field(), "years.2026.holidays[0].half_day");
  s = ParseError(R"({"name":"n","version":"v","time_zone":"+08:00","years":{},"extra":1})");
  EXPECT_EQ(s.field(), "extra");
  s = ParseError(R"({"name":"n","time_zone":"+08:00","years":{}})");
  EXPECT_EQ(s.field(), "version");
  s = ParseError(R"({"name":"n","version":"v","time_zone":"+08:00","years":{"2026":{}}})");
  EXPECT_EQ(s.field(), "years.2026.source");
}

TEST(WorkCalendar, RejectsOtherMalformedInput) {
  EXPECT_EQ(ParseError("not json").field(), "$");
  EXPECT_EQ(ParseError("[]").field(), "$");
  EXPECT_EQ(ParseError(R"({"name":"n","version":"v","time_zone":"Z","years":{}})").field(),
            "time_zone");
  EXPECT_EQ(
      ParseError(R"({"name":"n","version":"v","time_zone":"+08:00","years":{"26":{}}})").field(),
      "years.26");
  EXPECT_EQ(ParseError(R"({"name":"n","version":"v","time_zone":"+08:00","years":[]})").field(),
            "years");
}

}  // namespace
}  // namespace zhizhi::dispatch

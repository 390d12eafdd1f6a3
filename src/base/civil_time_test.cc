#include "base/civil_time.h"

#include <cstdio>

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

TEST(DateTest, FromYmdKnowsLeapYears) {
  EXPECT_TRUE(Date::FromYmd(2024, 2, 29));
  EXPECT_TRUE(Date::FromYmd(2000, 2, 29));
  EXPECT_FALSE(Date::FromYmd(1900, 2, 29));
  EXPECT_FALSE(Date::FromYmd(2100, 2, 29));
  EXPECT_FALSE(Date::FromYmd(2023, 2, 29));
  EXPECT_FALSE(Date::FromYmd(2023, 4, 31));
  EXPECT_TRUE(Date::FromYmd(2023, 12, 31));
  EXPECT_FALSE(Date::FromYmd(2023, 13, 1));
  EXPECT_FALSE(Date::FromYmd(2023, 0, 1));
  EXPECT_FALSE(Date::FromYmd(2023, 1, 0));
  EXPECT_FALSE(Date::FromYmd(0, 1, 1));
  EXPECT_FALSE(Date::FromYmd(10000, 1, 1));
  EXPECT_TRUE(Date::FromYmd(1, 1, 1));
  EXPECT_TRUE(Date::FromYmd(9999, 12, 31));
}

TEST(DateTest, KnownDayNumbers) {
  EXPECT_EQ((Date{1970, 1, 1}.DaysSinceEpoch()), 0);
  EXPECT_EQ((Date{2000, 3, 1}.DaysSinceEpoch()), 11017);
  EXPECT_EQ((Date{2026, 3, 2}.DaysSinceEpoch()), 20514);
  EXPECT_EQ((Date{1969, 12, 31}.DaysSinceEpoch()), -1);
  EXPECT_EQ((Date{1, 1, 1}.DaysSinceEpoch()), -719162);
  EXPECT_EQ((Date{9999, 12, 31}.DaysSinceEpoch()), 2932896);
  EXPECT_EQ(Date::FromDays(-1), (Date{1969, 12, 31}));
  EXPECT_EQ(Date::FromDays(11017), (Date{2000, 3, 1}));
}

TEST(DateTest, EveryDayRoundTripsAndIsConsecutive) {
  Date previous = *Date::FromYmd(1, 1, 1);
  for (int64_t days = -719162 + 1; days <= 2932896; ++days) {
    const Date d = Date::FromDays(days);
    ASSERT_EQ(d.DaysSinceEpoch(), days);
    ASSERT_TRUE(Date::FromYmd(d.year, d.month, d.day)) << d.ToString();
    ASSERT_LT(previous, d);
    previous = d;
  }
  EXPECT_EQ(previous, (Date{9999, 12, 31}));
}

TEST(DateTest, AddDaysAndOrdering) {
  EXPECT_EQ((Date{2024, 2, 28}.AddDays(1)), (Date{2024, 2, 29}));
  EXPECT_EQ((Date{2023, 2, 28}.AddDays(1)), (Date{2023, 3, 1}));
  EXPECT_EQ((Date{2026, 1, 1}.AddDays(-1)), (Date{2025, 12, 31}));
  EXPECT_LT((Date{2025, 12, 31}), (Date{2026, 1, 1}));
  EXPECT_LT((Date{2026, 1, 31}), (Date{2026, 2, 1}));
}

TEST(DateTest, ParseIsStrict) {
  Result<Date> d = Date::Parse("2024-02-29", "birth_date");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, (Date{2024, 2, 29}));
  EXPECT_EQ(d->ToString(), "2024-02-29");
  for (const char* bad : {"2024-2-29", "2024/02/29", "20240229", " 2024-02-29", "2024-02-29 ",
                          "2024-02-29T00:00:00Z", "", "abcd-ef-gh", "+024-02-29"}) {
    Result<Date> r = Date::Parse(bad, "birth_date");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "invalid_argument");
    EXPECT_EQ(r.status().field(), "birth_date");
    EXPECT_TRUE(Contains(r.status().message(), "YYYY-MM-DD"));
  }
  Result<Date> feb30 = Date::Parse("2023-02-30", "start");
  ASSERT_FALSE(feb30.ok());
  EXPECT_TRUE(Contains(feb30.status().message(), "not a real calendar date"));
  EXPECT_FALSE(Date::Parse("0000-01-01", "start").ok());
}

TEST(DateTest, ToStringPadsYear) {
  EXPECT_EQ((Date{801, 3, 4}.ToString()), "0801-03-04");
}

// Written by hand for years 0–9999; the same text as printf's %04d-%02d-%02d, also outside.
TEST(DateTest, ToStringIsPrintfsText) {
  for (int year : {-5, 0, 1, 9, 10, 99, 100, 999, 1000, 1970, 2024, 2026, 9999, 10000, 12345}) {
    for (int month : {0, 1, 9, 10, 12, 13}) {
      for (int day : {0, 1, 9, 10, 29, 31, 32}) {
        char expected[32];
        std::snprintf(expected, sizeof expected, "%04d-%02d-%02d", year, month, day);
        EXPECT_EQ((Date{year, month, day}.ToString()), expected)
            << year << " " << month << " " << day;
      }
    }
  }
}

TEST(ClockTest, NowAndToday) {
  const int64_t before = NowUnixMs();
  const Date utc = TodayIn(0);
  const Date china = TodayInChina();
  const int64_t after = NowUnixMs();
  EXPECT_GT(before, 1'704'067'200'000);  // after 2024-01-01
  EXPECT_LE(before, after);
  // Midnight may pass between the readings, so accept either side.
  const Date utc_before = Timestamp{before, 0}.LocalDate();
  const Date utc_after = Timestamp{after, 0}.LocalDate();
  EXPECT_TRUE(utc == utc_before || utc == utc_after);
  EXPECT_TRUE(china == utc || china == utc.AddDays(1) || china == utc.AddDays(2));
}

TEST(TimestampTest, ParsesOffsetsAndFractions) {
  Result<Timestamp> t = Timestamp::ParseRfc3339("2026-03-02T07:31:05+08:00", "time");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->unix_ms, 1'772'407'865'000);
  EXPECT_EQ(t->offset_minutes, 480);
  EXPECT_EQ(t->LocalDate(), (Date{2026, 3, 2}));

  Result<Timestamp> z = Timestamp::ParseRfc3339("2026-03-01T23:31:05.123Z", "time");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->unix_ms, 1'772'407'865'123);
  EXPECT_EQ(z->offset_minutes, 0);
  EXPECT_EQ(z->LocalDate(), (Date{2026, 3, 1}));

  Result<Timestamp> lower = Timestamp::ParseRfc3339("2026-03-01t23:31:05.1234567z", "time");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->unix_ms, 1'772'407'865'123);  // truncated, not rounded

  Result<Timestamp> one = Timestamp::ParseRfc3339("2026-03-01T23:31:05.9Z", "time");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->unix_ms % 1000, 900);

  Result<Timestamp> west = Timestamp::ParseRfc3339("1969-12-31T20:00:00-05:30", "time");
  ASSERT_TRUE(west.ok());
  EXPECT_EQ(west->unix_ms, 5'400'000);  // 01:30Z on 1970-01-01
  EXPECT_EQ(west->offset_minutes, -330);

  Result<Timestamp> space = Timestamp::ParseRfc3339("2026-03-02 07:31:05+08:00", "time");
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(space->unix_ms, t->unix_ms);
}

TEST(TimestampTest, RejectsMissingOffsetClearly) {
  Result<Timestamp> t = Timestamp::ParseRfc3339("2026-03-02T07:31:05", "time");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().field(), "time");
  EXPECT_EQ(t.status().code(), "invalid_argument");
  EXPECT_TRUE(Contains(t.status().message(), "time has no UTC offset; "));
}

TEST(TimestampTest, RejectsInvalid) {
  const char* bad[] = {
      "2026-02-29T07:31:05Z",             // not a leap year
      "2026-03-02T24:00:00Z",             // hour
      "2026-03-02T07:60:00Z",             // minute
      "2026-03-02T07:31:61Z",             // second
      "2026-03-02T23:59:60Z",             // leap second
      "2026-03-02T07:31:05.Z",            // empty fraction
      "2026-03-02T07:31:05.1234567890Z",  // 10 digits
      "2026-03-02T07:31:05+0800",         // offset without colon
      "2026-03-02T07:31:05+24:00",        // offset out of range
      "2026-03-02T07:31:05+08:00 ",       // trailing space
      "2026-03-02T07:31Z",                // no seconds
      "2026-03-02",                       // no time
      "2026-03-02X07:31:05Z",             // separator
      "2026-3-2T07:31:05Z",
      "",
      "2026-03-02T07:31:05ZZ",
  };
  for (const char* text : bad) {
    Result<Timestamp> t = Timestamp::ParseRfc3339(text, "time");
    EXPECT_FALSE(t.ok()) << text;
    if (!t.ok()) {
      EXPECT_EQ(t.status().field(), "time");
      EXPECT_FALSE(t.status().message().empty());
    }
  }
}

TEST(TimestampTest, ErrorMessagesSayWhatIsWrong) {
  const auto message = [](const char* text) {
    Result<Timestamp> t = Timestamp::ParseRfc3339(text, "time");
    return t.ok() ? std::string("accepted") : t.status().message();
  };
  EXPECT_TRUE(Contains(message("2026-03-02T23:59:60Z"), "leap second"));
  EXPECT_TRUE(Contains(message("2026-02-29T07:31:05Z"), "2026-02-29 is not a real calendar date"));
  EXPECT_TRUE(Contains(message("2026-03-02T24:00:00Z"), "out of range"));
  EXPECT_TRUE(Contains(message("2026-03-02T07:31:05.Z"), "1 to 9 digits"));
  EXPECT_TRUE(Contains(message("2026-03-02T07:31:05+0800"), "like \"+08:00\""));
  EXPECT_TRUE(Contains(message("2026-03-02"), "time of day is missing"));
  EXPECT_TRUE(Contains(message("2026-03-02\x01\xFF"), "\"2026-03-02??\""));  // JSON-safe echo
}

TEST(TimestampTest, Formats) {
  EXPECT_EQ((Timestamp{1'772'407'865'000, 480}.ToRfc3339()), "2026-03-02T07:31:05+08:00");
  EXPECT_EQ((Timestamp{1'772'407'865'123, 0}.ToRfc3339()), "2026-03-01T23:31:05.123Z");
  EXPECT_EQ((Timestamp{1'772'407'865'007, -330}.ToRfc3339()), "2026-03-01T18:01:05.007-05:30");
  EXPECT_EQ((Timestamp{-1, 0}.ToRfc3339()), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T08:00:00+08:00");
  EXPECT_EQ(FormatRfc3339(0, 0), "1970-01-01T00:00:00Z");
}

TEST(TimestampTest, RoundTrips) {
  for (const char* text : {"2026-03-02T07:31:05+08:00", "2026-03-01T23:31:05.123Z",
                           "1900-02-28T00:00:00.001-12:00", "2024-02-29T23:59:59.999+14:00"}) {
    Result<Timestamp> t = Timestamp::ParseRfc3339(text, "time");
    ASSERT_TRUE(t.ok()) << text;
    EXPECT_EQ(t->ToRfc3339(), text);
  }
}

TEST(TimestampTest, LocalDateFollowsOffset) {
  const Timestamp late_utc{1'772'407'865'000, 0};  // 2026-03-01T23:31:05Z
  EXPECT_EQ(late_utc.LocalDate(), (Date{2026, 3, 1}));
  EXPECT_EQ((Timestamp{late_utc.unix_ms, 480}.LocalDate()), (Date{2026, 3, 2}));
  EXPECT_EQ((Timestamp{-1, 0}.LocalDate()), (Date{1969, 12, 31}));
}

}  // namespace
}  // namespace zhizhi

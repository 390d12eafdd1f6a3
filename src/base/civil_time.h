// Calendar dates and RFC 3339 instants, computed with plain integer arithmetic (Howard Hinnant's
// days_from_civil), independent of the process time zone, locale and timegm.
// Dates and timestamps are plain values; all functions are thread-safe (the clock is only read).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace zhizhi {

// A person's sex as recorded on the resident ID (17th digit odd = male). Lives here so that both
// person records and resident_id.h can use it; resident_id.h includes this header.
enum class Sex { kMale, kFemale };

// A proleptic Gregorian calendar date, years 1..9999.
struct Date {
  int year = 1970, month = 1, day = 1;

  // nullopt unless y-m-d is a real calendar date with 1 <= y <= 9999.
  static std::optional<Date> FromYmd(int y, int m, int d);
  // Strict "YYYY-MM-DD"; errors are Status::InvalidArgument(field, <human message>).
  static Result<Date> Parse(std::string_view text, const std::string& field);
  // Inverse of DaysSinceEpoch (1970-01-01 is day 0). Results outside years 1..9999 are not valid.
  static Date FromDays(int64_t days_since_1970);

  int64_t DaysSinceEpoch() const;
  Date AddDays(int64_t n) const;
  std::string ToString() const;  // YYYY-MM-DD

  auto operator<=>(const Date&) const = default;
};

constexpr int kChinaUtcOffsetMinutes = 480;  // China Standard Time, UTC+8, no DST

// Today's date at the given fixed UTC offset, from the system clock.
Date TodayIn(int utc_offset_minutes);
Date TodayInChina();
// Milliseconds since 1970-01-01T00:00:00Z from the system clock.
int64_t NowUnixMs();

// An instant plus the UTC offset it was written with.
struct Timestamp {
  int64_t unix_ms = 0;
  int offset_minutes = 0;

  // RFC 3339 date-time: "2026-03-02T07:31:05+08:00", "2026-03-02T07:31:05.123Z". Accepts lowercase
  // t/z and a space instead of T (RFC 3339 section 5.6 note); 1..9 fractional digits, truncated to
  // milliseconds; offsets -23:59..+23:59 ("-00:00" is read as UTC). A time without an offset, an
  // impossible date or time, and leap second 60 are rejected with Status::InvalidArgument(field,
  // ...).
  static Result<Timestamp> ParseRfc3339(std::string_view text, const std::string& field);

  // With its own offset, e.g. "2026-03-02T07:31:05+08:00"; offset 0 is written "Z"; milliseconds
  // only when nonzero ("07:31:05.123").
  std::string ToRfc3339() const;
  // Calendar date at its own offset.
  Date LocalDate() const;

  bool operator==(const Timestamp&) const = default;
};

std::string FormatRfc3339(int64_t unix_ms, int offset_minutes = kChinaUtcOffsetMinutes);

// The instant 00:00 China Standard Time of `date` begins, and the China date of an instant.
int64_t StartOfDayInChina(const Date& date);
Date DateInChina(int64_t unix_ms);

}  // namespace zhizhi

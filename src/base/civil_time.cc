#include "base/civil_time.h"

#include <chrono>
#include <cstdio>

#include "base/text.h"

namespace zhizhi {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

bool IsLeapYear(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms": days_from_civil.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

// Floor division, so that instants before 1970 fall on the right day.
int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

// Parses exactly `width` ASCII digits at text[pos]; false if any is not a digit.
bool ReadDigits(std::string_view text, size_t pos, size_t width, int* out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

// Reads "YYYY-MM-DD" at the start of `text` without checking that the date is real.
bool ReadYmd(std::string_view text, int* y, int* m, int* d) {
  return text.size() >= 10 && ReadDigits(text, 0, 4, y) && text[4] == '-' &&
         ReadDigits(text, 5, 2, m) && text[7] == '-' && ReadDigits(text, 8, 2, d);
}

struct TimeOfDay {
  int hour = 0, minute = 0, second = 0, millis = 0;
};

// Reads "HH:MM:SS[.fraction]" at text[*pos], advancing *pos. Returns an error message or "".
std::string ReadTimeOfDay(std::string_view text, size_t* pos, TimeOfDay* t) {
  size_t p = *pos;
  if (!ReadDigits(text, p, 2, &t->hour) || p + 2 >= text.size() || text[p + 2] != ':' ||
      !ReadDigits(text, p + 3, 2, &t->minute) || p + 5 >= text.size() || text[p + 5] != ':' ||
      !ReadDigits(text, p + 6, 2, &t->second)) {
    return "time must be HH:MM:SS";
  }
  if (t->hour > 23 || t->minute > 59) return "time of day is out of range";
  if (t->second == 60) return "leap second 60 is not supported";
  if (t->second > 59) return "time of day is out of range";
  p += 8;
  if (p < text.size() && text[p] == '.') {
    ++p;
    size_t digits = 0;
    t->millis = 0;
    while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
      if (digits < 3) t->millis = t->millis * 10 + (text[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0 || digits > 9) return "fractional seconds must have 1 to 9 digits";
    for (size_t i = digits; i < 3; ++i)
      t->millis *= 10;
  }
  *pos = p;
  return "";
}

// Reads "Z" or "+HH:MM"/"-HH:MM" that must end `text`. Returns an error message or "".
std::string ReadOffset(std::string_view text, size_t pos, int* offset_minutes) {
  if (pos >= text.size()) {
    return "time has no UTC offset; add \"Z\" for UTC or \"+08:00\" for China Standard Time";
  }
  const char sign = text[pos];
  if ((sign == 'Z' || sign == 'z') && pos + 1 == text.size()) {
    *offset_minutes = 0;
    return "";
  }
  int hours = 0, minutes = 0;
  if ((sign != '+' && sign != '-') || text.size() != pos + 6 ||
      !ReadDigits(text, pos + 1, 2, &hours) || text[pos + 3] != ':' ||
      !ReadDigits(text, pos + 4, 2, &minutes)) {
    return "UTC offset must be \"Z\" or like \"+08:00\"";
  }
  if (hours > 23 || minutes > 59) return "UTC offset is out of range";
  *offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
  return "";
}

void AppendTwoDigits(std::string* out, int value) {
  out->push_back(static_cast<char>('0' + value / 10));
  out->push_back(static_cast<char>('0' + value % 10));
}

}  // namespace

std::optional<Date> Date::FromYmd(int y, int m, int d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  return Date{y, m, d};
}

Result<Date> Date::Parse(std::string_view text, const std::string& field) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || !ReadYmd(text, &y, &m, &d)) {
    return Status::InvalidArgument(field, "date must be YYYY-MM-DD, got " + QuoteForMessage(text));
  }
  const std::optional<Date> date = FromYmd(y, m, d);
  if (!date) {
    return Status::InvalidArgument(field, std::string(text) + " is not a real calendar date");
  }
  return *date;
}

// Howard Hinnant's civil_from_days.
Date Date::FromDays(int64_t days_since_1970) {
  const int64_t z = days_since_1970 + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int64_t y = yoe + era * 400 + (m <= 2);
  return Date{static_cast<int>(y), m, d};
}

int64_t Date::DaysSinceEpoch() const {
  return DaysFromCivil(year, month, day);
}

Date Date::AddDays(int64_t n) const {
  return FromDays(DaysSinceEpoch() + n);
}

std::string Date::ToString() const {
  // By hand for the years of real dates: every gate pass formats its local date on the writer,
  // and snprintf was ~2.5 % of the writer's time there (docs/benchmarks.md).
  if (year >= 0 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31) {
    std::string out = "0000-00-00";
    auto put = [&out](size_t end, int value, int digits) {
      for (int i = 0; i < digits; ++i, value /= 10)
        out[end - i] = static_cast<char>('0' + value % 10);
    };
    put(3, year, 4);
    put(6, month, 2);
    put(9, day, 2);
    return out;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

int64_t NowUnixMs() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Date TodayIn(int utc_offset_minutes) {
  return Timestamp{NowUnixMs(), utc_offset_minutes}.LocalDate();
}

Date TodayInChina() {
  return TodayIn(kChinaUtcOffsetMinutes);
}

Result<Timestamp> Timestamp::ParseRfc3339(std::string_view text, const std::string& field) {
  const auto fail = [&](const std::string& why) {
    return Status::InvalidArgument(
        field, why + " (expected RFC 3339 like \"2026-03-02T07:31:05+08:00\", got " +
                   QuoteForMessage(text) + ")");
  };
  int y = 0, m = 0, d = 0;
  if (!ReadYmd(text, &y, &m, &d)) return fail("date must be YYYY-MM-DD");
  const std::optional<Date> date = Date::FromYmd(y, m, d);
  if (!date) return fail(std::string(text.substr(0, 10)) + " is not a real calendar date");
  if (text.size() == 10) return fail("time of day is missing");
  const char sep = text[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return fail("date and time must be separated by T");
  size_t pos = 11;
  TimeOfDay t;
  if (std::string why = ReadTimeOfDay(text, &pos, &t); !why.empty()) return fail(why);
  int offset = 0;
  if (std::string why = ReadOffset(text, pos, &offset); !why.empty()) return fail(why);
  const int64_t local_ms = date->DaysSinceEpoch() * kMsPerDay +
                           ((t.hour * 60LL + t.minute) * 60 + t.second) * 1000 + t.millis;
  return Timestamp{local_ms - offset * 60'000LL, offset};
}

std::string Timestamp::ToRfc3339() const {
  const int64_t local_ms = unix_ms + offset_minutes * 60'000LL;
  const int64_t ms_of_day = local_ms - FloorDiv(local_ms, kMsPerDay) * kMsPerDay;
  const int seconds = static_cast<int>(ms_of_day / 1000);
  const int millis = static_cast<int>(ms_of_day % 1000);
  std::string out = LocalDate().ToString();
  out.push_back('T');
  AppendTwoDigits(&out, seconds / 3600);
  out.push_back(':');
  AppendTwoDigits(&out, seconds / 60 % 60);
  out.push_back(':');
  AppendTwoDigits(&out, seconds % 60);
  if (millis != 0) {
    out.push_back('.');
    out.push_back(static_cast<char>('0' + millis / 100));
    AppendTwoDigits(&out, millis % 100);
  }
  if (offset_minutes == 0) {
    out.push_back('Z');
    return out;
  }
  const int abs_offset = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  out.push_back(offset_minutes < 0 ? '-' : '+');
  AppendTwoDigits(&out, abs_offset / 60);
  out.push_back(':');
  AppendTwoDigits(&out, abs_offset % 60);
  return out;
}

Date Timestamp::LocalDate() const {
  return Date::FromDays(FloorDiv(unix_ms + offset_minutes * 60'000LL, kMsPerDay));
}

std::string FormatRfc3339(int64_t unix_ms, int offset_minutes) {
  return Timestamp{unix_ms, offset_minutes}.ToRfc3339();
}

int64_t StartOfDayInChina(const Date& date) {
  return date.DaysSinceEpoch() * 86'400'000LL - kChinaUtcOffsetMinutes * 60'000LL;
}

Date DateInChina(int64_t unix_ms) {
  const int64_t shifted = unix_ms + kChinaUtcOffsetMinutes * 60'000LL;
  return Date::FromDays(shifted >= 0 ? shifted / 86'400'000LL
                                     : -((-shifted + 86'399'999LL) / 86'400'000LL));
}

}  // namespace zhizhi

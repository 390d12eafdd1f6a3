// The working-day calendar that work-order deadlines are counted in (issue 28): Saturdays, Sundays
// and national holidays are off, except the weekend days the State Council makes working days
// (调休上班). Each year's arrangement is data (rules/calendar_cn.json, from the yearly 国务院办公厅
// 关于节假日安排的通知); a year not in the data counts weekends only, and Knows()/CoversRange()
// tell the caller so. Days are China dates (UTC+8).
//
// A WorkCalendar is immutable once parsed; all const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "base/civil_time.h"
#include "base/status.h"

namespace zhizhi::dispatch {

class WorkCalendar {
 public:
  // The most working days a deadline may count (a year's worth).
  static constexpr int kMaxDays = 365;

  // Parses the calendar JSON. Every error is Status::InvalidArgument whose field is the JSON path
  // (e.g. "years.2026.working_days[0].days[1]") and whose message names `origin` and the day: an
  // unknown or missing key, a date that is not a real YYYY-MM-DD, a day outside its year, an
  // adjusted working day that is not a Saturday or Sunday, a day listed twice (in one list or in
  // both). A holiday on a weekend is fine: it just stays off.
  static Result<WorkCalendar> Parse(std::string_view json, std::string_view origin);
  // The compiled-in rules/calendar_cn.json. Aborts if it does not parse (a build defect: unit tests
  // parse it).
  static const WorkCalendar& Default();

  const std::string& version() const { return version_; }
  // Whether the year's arrangement is in the data. An unknown year counts weekends only.
  bool Knows(int year) const;
  bool IsWorkingDay(const Date& day) const;
  // The name of the holiday ("春节") or adjusted working day ("春节调休"); empty for other days.
  std::string DayName(const Date& day) const;

  // The deadline `days` (1..kMaxDays; asserted, clamped in release builds) working days after the
  // instant `from_ms`: the China date of `from_ms` never counts, counting starts the next day, and
  // the deadline is the end of the Nth working day, i.e. 00:00 China time of the day after it.
  std::int64_t DueAfterWorkingDays(std::int64_t from_ms, int days) const;
  // Working days from the day after the China date of `from_ms` up to and including the China date
  // of `to_ms`; 0 when to_ms <= from_ms.
  int WorkingDaysBetween(std::int64_t from_ms, std::int64_t to_ms) const;
  // Whether every China date in [from_ms, to_ms] lies in a known year (true for an empty range).
  // For a deadline from DueAfterWorkingDays pass `due_ms - 1`: the deadline instant itself is
  // 00:00 of the day after the last counted day, which may be in the next year.
  bool CoversRange(std::int64_t from_ms, std::int64_t to_ms) const;

 private:
  enum class Kind { kHoliday, kWorkingDay };
  struct SpecialDay {
    Kind kind;
    std::string name;
  };

  WorkCalendar() = default;
  bool IsWorkingDay(std::int64_t days_since_epoch) const;

  std::string version_;
  std::set<int> known_years_;
  std::map<std::int64_t, SpecialDay> special_days_;  // by Date::DaysSinceEpoch()
};

}  // namespace zhizhi::dispatch

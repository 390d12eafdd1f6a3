#include "dispatch/work_calendar.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>

#include <nlohmann/json.hpp>

namespace zhizhi::dispatch {

extern const char kDefaultCalendarJson[];  // generated from rules/calendar_cn.json by CMake

namespace {

using nlohmann::json;

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

// 0 = Monday … 6 = Sunday; 1970-01-01 (day 0) was a Thursday.
int Weekday(int64_t days_since_epoch) {
  return static_cast<int>(days_since_epoch + 3 - 7 * FloorDiv(days_since_epoch + 3, 7));
}

bool IsWeekend(int64_t days_since_epoch) {
  return Weekday(days_since_epoch) >= 5;
}

// Monday to Friday days before `days_since_epoch`, counted from an arbitrary Monday; only
// differences mean anything.
int64_t WeekdaysBefore(int64_t days_since_epoch) {
  const int64_t since_monday = days_since_epoch + 3;  // 1969-12-29 was a Monday
  const int64_t weeks = FloorDiv(since_monday, 7);
  return 5 * weeks + std::min<int64_t>(since_monday - 7 * weeks, 5);
}

std::string WeekdayName(int64_t days_since_epoch) {
  static constexpr const char* kNames[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                           "Friday", "Saturday", "Sunday"};
  return kNames[Weekday(days_since_epoch)];
}

// Every error names the file and the JSON path, so a broken calendar is fixed in one go.
class CalendarReader {
 public:
  explicit CalendarReader(std::string_view origin) : origin_(origin) {}

  Status Error(const std::string& path, const std::string& what) const {
    return Status::InvalidArgument(path, origin_ + ": " + path + ": " + what);
  }

  static std::string Path(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : where + "." + std::string(key);
  }

  // The object's keys must be exactly `keys`: none unknown, none missing.
  Status ExactKeys(const json& object, std::initializer_list<std::string_view> keys,
                   const std::string& where) const {
    for (const auto& [key, value] : object.items()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        return Error(Path(where, key), "unknown key");
      }
    }
    for (std::string_view key : keys) {
      if (!object.contains(key)) return Error(Path(where, key), "missing");
    }
    return Status::Ok();
  }

  Result<std::string> NonEmptyString(const json& object, std::string_view key,
                                     const std::string& where) const {
    const json& value = object.at(key);
    if (!value.is_string() || value.get<std::string>().empty()) {
      return Error(Path(where, key), "must be a non-empty string");
    }
    return value.get<std::string>();
  }

 private:
  std::string origin_;
};

}  // namespace

Result<WorkCalendar> WorkCalendar::Parse(std::string_view json_text, std::string_view origin) {
  const CalendarReader r(origin);
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return r.Error("$", "not a JSON object");
  ZZ_RETURN_IF_ERROR(r.ExactKeys(doc, {"name", "version", "time_zone", "years"}, ""));
  ZZ_RETURN_IF_ERROR(r.NonEmptyString(doc, "name", "").status());
  WorkCalendar calendar;
  ZZ_ASSIGN_OR_RETURN(calendar.version_, r.NonEmptyString(doc, "version", ""));
  // Deadlines are counted in China dates; the field says so in the file, for its readers.
  if (doc["time_zone"] != "+08:00") return r.Error("time_zone", "must be \"+08:00\"");
  if (!doc["years"].is_object()) return r.Error("years", "must be an object keyed by year");

  for (const auto& [year_key, arrangement] : doc["years"].items()) {
    const std::string where = "years." + year_key;
    auto first_day = Date::Parse(year_key + "-01-01", where);
    if (year_key.size() != 4 || !first_day.ok()) return r.Error(where, "key is not a year (YYYY)");
    const int year = first_day->year;
    if (!arrangement.is_object()) return r.Error(where, "must be an object");
    ZZ_RETURN_IF_ERROR(r.ExactKeys(arrangement, {"source", "holidays", "working_days"}, where));
    ZZ_RETURN_IF_ERROR(r.NonEmptyString(arrangement, "source", where).status());

    for (const Kind kind : {Kind::kHoliday, Kind::kWorkingDay}) {
      const std::string list_path =
          where + (kind == Kind::kHoliday ? ".holidays" : ".working_days");
      const json& list = arrangement[kind == Kind::kHoliday ? "holidays" : "working_days"];
      if (!list.is_array()) return r.Error(list_path, "must be a list of {name, days}");
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string entry_path = list_path + "[" + std::to_string(i) + "]";
        const json& entry = list[i];
        if (!entry.is_object()) return r.Error(entry_path, "must be an object {name, days}");
        ZZ_RETURN_IF_ERROR(r.ExactKeys(entry, {"name", "days"}, entry_path));
        ZZ_ASSIGN_OR_RETURN(std::string name, r.NonEmptyString(entry, "name", entry_path));
        const json& days = entry["days"];
        if (!days.is_array() || days.empty()) {
          return r.Error(entry_path + ".days", "must be a non-empty list of \"YYYY-MM-DD\"");
        }
        for (size_t j = 0; j < days.size(); ++j) {
          const std::string day_path = entry_path + ".days[" + std::to_string(j) + "]";
          if (!days[j].is_string()) return r.Error(day_path, "must be a \"YYYY-MM-DD\" string");
          const std::string text = days[j].get<std::string>();
          auto date = Date::Parse(text, day_path);
          if (!date.ok()) return r.Error(day_path, date.status().message());
          if (date->year != year) return r.Error(day_path, text + " is not in " + year_key);
          const int64_t day = date->DaysSinceEpoch();
          if (kind == Kind::kWorkingDay && !IsWeekend(day)) {
            return r.Error(day_path, text + " is a " + WeekdayName(day) +
                                         "; an adjusted working day must be a Saturday or Sunday");
          }
          auto [it, inserted] = calendar.special_days_.emplace(day, SpecialDay{kind, name});
          if (!inserted) {
            return r.Error(day_path, it->second.kind == kind
                                         ? text + " is listed twice"
                                         : text + " is both a holiday and an adjusted working day");
          }
        }
      }
    }
    calendar.known_years_.insert(year);
  }
  return calendar;
}

const WorkCalendar& WorkCalendar::Default() {
  // Never freed: other threads may still count deadlines while the process exits.
  static const WorkCalendar* calendar = [] {
    auto parsed = Parse(kDefaultCalendarJson, "rules/calendar_cn.json (compiled in)");
    if (!parsed.ok()) {
      // The compiled-in file is checked by unit tests; failing here is a build defect.
      std::fprintf(stderr, "%s\n", parsed.status().message().c_str());
      std::abort();
    }
    return std::make_unique<WorkCalendar>(std::move(parsed).value()).release();
  }();
  return *calendar;
}

bool WorkCalendar::Knows(int year) const {
  return known_years_.contains(year);
}

bool WorkCalendar::IsWorkingDay(int64_t days_since_epoch) const {
  const auto it = special_days_.find(days_since_epoch);
  if (it != special_days_.end()) return it->second.kind == Kind::kWorkingDay;
  return !IsWeekend(days_since_epoch);
}

bool WorkCalendar::IsWorkingDay(const Date& day) const {
  return IsWorkingDay(day.DaysSinceEpoch());
}

std::string WorkCalendar::DayName(const Date& day) const {
  const auto it = special_days_.find(day.DaysSinceEpoch());
  return it == special_days_.end() ? std::string() : it->second.name;
}

int64_t WorkCalendar::DueAfterWorkingDays(int64_t from_ms, int days) const {
  assert(days >= 1 && days <= kMaxDays);
  days = std::clamp(days, 1, kMaxDays);
  int64_t day = DateInChina(from_ms).DaysSinceEpoch();  // the day of creation never counts
  for (int counted = 0; counted < days;) {
    ++day;
    if (IsWorkingDay(day)) ++counted;
  }
  return StartOfDayInChina(Date::FromDays(day + 1));
}

int WorkCalendar::WorkingDaysBetween(int64_t from_ms, int64_t to_ms) const {
  if (to_ms <= from_ms) return 0;
  const int64_t first = DateInChina(from_ms).DaysSinceEpoch() + 1;
  const int64_t last = DateInChina(to_ms).DaysSinceEpoch();
  if (last < first) return 0;
  int64_t count = WeekdaysBefore(last + 1) - WeekdaysBefore(first);
  // Then correct for the arranged days in range: holidays off a weekday, weekends made working.
  for (auto it = special_days_.lower_bound(first); it != special_days_.end() && it->first <= last;
       ++it) {
    const bool weekend = IsWeekend(it->first);
    if (it->second.kind == Kind::kHoliday && !weekend) --count;
    if (it->second.kind == Kind::kWorkingDay && weekend) ++count;
  }
  return static_cast<int>(std::min<int64_t>(count, INT_MAX));
}

bool WorkCalendar::CoversRange(int64_t from_ms, int64_t to_ms) const {
  if (to_ms < from_ms) return true;
  const int last_year = DateInChina(to_ms).year;
  for (int year = DateInChina(from_ms).year; year <= last_year; ++year) {
    if (!Knows(year)) return false;
  }
  return true;
}

}  // namespace zhizhi::dispatch

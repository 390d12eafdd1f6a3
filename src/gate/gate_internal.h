// Small helpers shared by the gate's own files (gate.cc, passes.cc, roster.cc, …); not part of
// the module's interface.
//
// Thread-safety: pure functions and constants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/civil_time.h"

namespace zhizhi::gate::internal {

// gate_events.flags
inline constexpr int kFlagDuplicate = 1;
inline constexpr int kFlagExceptional = 2;
inline constexpr int kFlagAutoClockOut = 4;
inline constexpr int kFlagStale = 8;
// A vendor terminal opened for a pass the server denies (its roster is behind): the pass is
// recorded as denied, and this flag says the door opened anyway.
inline constexpr int kFlagTerminalOpened = 16;

inline constexpr std::int64_t kDayMs = 86'400'000;
inline constexpr std::int64_t kChinaOffsetMs = kChinaUtcOffsetMinutes * 60'000LL;

// Today's China date in days since 1970: what certificate validity is judged against.
std::int64_t Today();
// The China date of an instant, as YYYY-MM-DD (gate_events.local_date).
std::string LocalDateOf(std::int64_t unix_ms);
// Whether `unix_ms` falls on another China date than `now_ms`.
inline bool OnAnotherDay(std::int64_t unix_ms, std::int64_t now_ms) {
  return (unix_ms + kChinaOffsetMs) / kDayMs != (now_ms + kChinaOffsetMs) / kDayMs;
}

// The JSON text of a list of codes, as stored in gate_events.reasons and .warnings, and back.
void AppendJsonArray(std::string& out, const std::vector<std::string>& list);
std::string JsonArrayText(const std::vector<std::string>& list);
std::vector<std::string> FromJsonArray(const std::string& text);

}  // namespace zhizhi::gate::internal

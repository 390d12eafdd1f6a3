// Who is calling, and what they may do.
//
// Three things decide whether a call is allowed:
//   - the right the route declares (http::Route::right), which the caller's role must grant;
//   - for a caller limited to some projects (a site manager, a gate device), every path
//     parameter: the project, person, certificate or device it names must be theirs, else the
//     answer is 404 as if it did not exist (http::Router::AddScopeCheck);
//   - lists filter their rows by the same project scope.
// Roles map to fixed sets of rights (RightsOfRole). The `pii` right is granted per user, not per
// role, because it is about what a caller may see (full ID numbers), not what they may do.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zhizhi::security {

enum class Right : std::uint32_t {
  kAuthenticated = 0,           // any valid token
  kRegistryRead = 1u << 0,      // corps, projects, teams, the one-click view, certificates
  kRegistryWrite = 1u << 1,     // registry changes within the caller's projects
  kPii = 1u << 2,               // may see full ID numbers
  kAdmin = 1u << 3,             // district administration: projects, users, blacklist, audit
  kGateRead = 1u << 4,          // on-site, attendance, devices, gate policy, live feeds
  kGateAdmin = 1u << 5,         // register devices, gate policy
  kGateDevice = 1u << 6,        // a gate terminal: events, roster, heartbeat of its own project
  kAlertRead = 1u << 7,         // alerts, leave and post exemptions
  kAlertWrite = 1u << 8,        // acknowledge/resolve alerts, record leave and exemptions
  kPersonRead = 1u << 9,        // persons, enrolment lists, trajectories (personal data)
  kResidenceRead = 1u << 10,    // residence registrations (the police view) and sync status
  kResidenceWrite = 1u << 11,   // submit registrations, record upstream answers, sync export
  kAddressRead = 1u << 12,      // the gazetteer, the standardiser, the standard addresses
  kBaseDataRead = 1u << 13,     // base data: people, houses, units, imports, the review queue
  kBaseDataWrite = 1u << 14,    // base data: source imports, reviewers' linkage decisions
  kLotteryRead = 1u << 15,      // lotteries with their drafts, for those who run or notarise them
  kLotteryOperate = 1u << 16,   // create lotteries, put their inputs, commit them
  kLotteryNotarise = 1u << 17,  // enter a draw's public entropy, sign its record off
  kWarningRead = 1u << 18,      // the five-colour warning of areas, with its reasons and history
  kOrderRead = 1u << 19,        // work orders (a grid worker: only those assigned to them)
  kOrderDispatch = 1u << 20,    // create, assign, supervise, close and reopen work orders; areas
  kOrderWork = 1u << 21,        // a grid worker's own orders: accept, report, finish; their duty
  kIotRead = 1u << 22,          // IoT devices, their parts, alarms and crane sessions
  kIotDuty = 1u << 23,          // the person on duty: an IoT alarm's verdict (real or false)
  kIotAdmin = 1u << 24,         // register IoT devices (their broker credentials)
};

constexpr std::uint32_t operator|(Right a, Right b) {
  return static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b);
}
constexpr std::uint32_t operator|(std::uint32_t a, Right b) {
  return a | static_cast<std::uint32_t>(b);
}

// Returns the stable name used in the OpenAPI document and in errors.
std::string_view RightName(Right right);

// The roles a user can have; `device` is for gate terminals and is never a user's role.
inline constexpr std::string_view kUserRoles[] = {"district_admin", "site_manager",     "police",
                                                  "inspector",      "lottery_operator", "notary",
                                                  "dispatcher",     "grid_worker"};
bool IsUserRole(std::string_view role);

// Rights of a role name; 0 for an unknown role.
std::uint32_t RightsOfRole(std::string_view role);
// Whether a role sees the whole district (true) or only its assigned projects.
bool RoleSeesAllProjects(std::string_view role);

struct Principal {
  std::int64_t token_id = 0;
  std::int64_t user_id = 0;     // 0 for tokens that are not a user's session (admin, devices)
  std::int64_t expires_at = 0;  // unix ms; 0 = never
  std::int64_t device_id = 0;   // for gate terminals
  std::string name;
  std::string role;
  std::uint32_t rights = 0;
  bool all_projects = false;
  std::vector<std::string> projects;  // scope when !all_projects

  bool Has(Right right) const {
    return right == Right::kAuthenticated || (rights & static_cast<std::uint32_t>(right)) != 0;
  }
  bool MaySeeProject(std::string_view code) const;
  bool is_session() const { return user_id != 0; }

  // The command line (import, key rotation, retention): every right, the whole district.
  static Principal System(std::string name);
};

// `330102********1234` for an 18-character resident ID; other lengths keep a proportionate head
// and tail so that no more than about half of any number is shown.
std::string MaskIdNumber(std::string_view id_number);

}  // namespace zhizhi::security

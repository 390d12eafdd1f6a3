// Who is calling, and what they may do.
//
// Rights are checked per route (each route declares the right it needs) and, for lists, per
// row through the project scope. Roles map to fixed sets of rights; the `pii` right is granted
// separately because it is about what a caller may see, not what they may do. Users, sessions
// and the full role set (site_manager, police, inspector, device) arrive with the security issue;
// today the administrator token is the only principal.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zhizhi::security {

enum class Right : std::uint32_t {
  kAuthenticated = 0,  // any valid token
  kRegistryRead = 1u << 0,
  kRegistryWrite = 1u << 1,
  kPii = 1u << 2,  // may see full ID numbers
  kAdmin = 1u << 3,
  kGateRead = 1u << 4,    // on-site, attendance, trajectories, devices
  kGateAdmin = 1u << 5,   // register devices, gate policy, blacklist
  kGateDevice = 1u << 6,  // a gate terminal: events, roster, heartbeat of its own project
  kAlertRead = 1u << 7,   // alerts, leave and post exemptions
  kAlertWrite = 1u << 8,  // acknowledge/resolve alerts, record leave and exemptions
  // Bits 9 and 10 are left to the security branch's rights.
  kResidenceRead = 1u << 11,   // residence registrations (the police view) and sync status
  kResidenceWrite = 1u << 12,  // submit registrations, record upstream answers
};

constexpr std::uint32_t operator|(Right a, Right b) {
  return static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b);
}

// Returns the stable name used in the OpenAPI document and in errors.
std::string_view RightName(Right right);

// Rights of a role name (`district_admin`, ...); 0 for an unknown role.
std::uint32_t RightsOfRole(std::string_view role);

struct Principal {
  std::int64_t token_id = 0;
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
};

// `330102********1234` for an 18-character resident ID; other lengths keep a proportionate head
// and tail so that no more than about half of any number is shown.
std::string MaskIdNumber(std::string_view id_number);

}  // namespace zhizhi::security

#include "security/principal.h"

#include <algorithm>

namespace zhizhi::security {

std::string_view RightName(Right right) {
  switch (right) {
    case Right::kAuthenticated:
      return "authenticated";
    case Right::kRegistryRead:
      return "registry.read";
    case Right::kRegistryWrite:
      return "registry.write";
    case Right::kPii:
      return "pii";
    case Right::kAdmin:
      return "admin";
    case Right::kGateRead:
      return "gate.read";
    case Right::kGateAdmin:
      return "gate.admin";
    case Right::kGateDevice:
      return "gate.device";
    case Right::kPersonRead:
      return "persons.read";
    case Right::kAlertRead:
      return "alerts.read";
    case Right::kAlertWrite:
      return "alerts.write";
    case Right::kResidenceRead:
      return "residence.read";
    case Right::kResidenceWrite:
      return "residence.write";
    case Right::kAddressRead:
      return "addresses.read";
    case Right::kBaseDataRead:
      return "basedata.read";
    case Right::kBaseDataWrite:
      return "basedata.write";
    case Right::kLotteryRead:
      return "lottery.read";
    case Right::kLotteryOperate:
      return "lottery.operate";
    case Right::kLotteryNotarise:
      return "lottery.notarise";
    case Right::kWarningRead:
      return "warnings.read";
    case Right::kOrderRead:
      return "orders.read";
    case Right::kOrderDispatch:
      return "orders.dispatch";
    case Right::kIotRead:
      return "iot.read";
    case Right::kIotDuty:
      return "iot.duty";
    case Right::kIotAdmin:
      return "iot.admin";
    case Right::kOrderWork:
      return "orders.work";
  }
  return "unknown";
}

bool IsUserRole(std::string_view role) {
  return std::find(std::begin(kUserRoles), std::end(kUserRoles), role) != std::end(kUserRoles);
}

std::uint32_t RightsOfRole(std::string_view role) {
  if (role == "district_admin") {
    // Everything a person can do; `pii` comes with the user, not the role.
    return Right::kRegistryRead | Right::kRegistryWrite | Right::kAdmin | Right::kGateRead |
           Right::kGateAdmin | Right::kPersonRead | Right::kAlertRead | Right::kAlertWrite |
           Right::kResidenceRead | Right::kResidenceWrite | Right::kAddressRead |
           Right::kBaseDataRead | Right::kBaseDataWrite | Right::kLotteryRead |
           Right::kLotteryOperate | Right::kWarningRead | Right::kOrderRead |
           Right::kOrderDispatch | Right::kIotRead | Right::kIotDuty | Right::kIotAdmin;
  }
  if (role == "site_manager") {
    // Everything about their own projects; nothing district-wide.
    return Right::kRegistryRead | Right::kRegistryWrite | Right::kGateRead | Right::kGateAdmin |
           Right::kPersonRead | Right::kAlertRead | Right::kAlertWrite | Right::kResidenceRead |
           Right::kResidenceWrite | Right::kAddressRead | Right::kIotRead | Right::kIotDuty |
           Right::kIotAdmin;
  }
  if (role == "police") {
    // Residence registrations (with the identity fields they carry), the standard addresses
    // they are registered at, and the base data (population, housing, units) they keep.
    return Right::kResidenceRead | Right::kAddressRead | Right::kBaseDataRead;
  }
  if (role == "inspector") {
    // Read-only over projects (with their posts) and alerts; no personal-data lists.
    return Right::kRegistryRead | Right::kAlertRead | Right::kAddressRead | Right::kWarningRead |
           Right::kOrderRead | Right::kIotRead;
  }
  if (role == "dispatcher") {
    // The command centre on duty: the warning map, the alerts behind it, and every work order.
    return Right::kWarningRead | Right::kOrderRead | Right::kOrderDispatch | Right::kAlertRead |
           Right::kAddressRead | Right::kIotRead | Right::kIotDuty;
  }
  if (role == "grid_worker") {
    // A grid worker's phone: the orders assigned to them (scope: the assignee), and their duty.
    return Right::kOrderRead | Right::kOrderWork;
  }
  if (role == "lottery_operator") {
    // The housing bureau's staff who prepare and run a resettlement draw.
    return Right::kLotteryRead | Right::kLotteryOperate;
  }
  if (role == "notary") {
    // The notary: watches every draft, enters the public entropy, signs the record off. The
    // entropy is theirs alone — not even a district admin can enter it.
    return Right::kLotteryRead | Right::kLotteryNotarise;
  }
  if (role == "device") return static_cast<std::uint32_t>(Right::kGateDevice);
  return 0;
}

bool RoleSeesAllProjects(std::string_view role) {
  return role == "district_admin" || role == "police" || role == "inspector" ||
         role == "dispatcher";
}

bool Principal::MaySeeProject(std::string_view code) const {
  return all_projects || std::find(projects.begin(), projects.end(), code) != projects.end();
}

Principal Principal::System(std::string name) {
  Principal p;
  p.name = std::move(name);
  p.role = "district_admin";
  p.rights = RightsOfRole(p.role) | Right::kPii;
  p.all_projects = true;
  return p;
}

std::string MaskIdNumber(std::string_view id) {
  const size_t n = id.size();
  if (n == 0) return {};
  size_t head = 0;
  size_t tail = 0;
  if (n >= 18) {
    head = 6;
    tail = 4;
  } else if (n >= 8) {
    head = n / 4;
    tail = n / 4;
  } else if (n >= 4) {
    tail = 1;
  }
  std::string out(id.substr(0, head));
  out.append(n - head - tail, '*');
  out.append(id.substr(n - tail));
  return out;
}

}  // namespace zhizhi::security

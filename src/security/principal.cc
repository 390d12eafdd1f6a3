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
    case Right::kAlertRead:
      return "alerts.read";
    case Right::kAlertWrite:
      return "alerts.write";
    case Right::kResidenceRead:
      return "residence.read";
    case Right::kResidenceWrite:
      return "residence.write";
  }
  return "unknown";
}

std::uint32_t RightsOfRole(std::string_view role) {
  if (role == "district_admin") {
    return Right::kRegistryRead | Right::kRegistryWrite |
           static_cast<std::uint32_t>(Right::kAdmin) |
           static_cast<std::uint32_t>(Right::kGateRead) |
           static_cast<std::uint32_t>(Right::kGateAdmin) |
           static_cast<std::uint32_t>(Right::kAlertRead) |
           static_cast<std::uint32_t>(Right::kAlertWrite) |
           static_cast<std::uint32_t>(Right::kResidenceRead) |
           static_cast<std::uint32_t>(Right::kResidenceWrite);
  }
  // The police see residence registrations and nothing else; full ID numbers only with `pii`.
  if (role == "police") return static_cast<std::uint32_t>(Right::kResidenceRead);
  if (role == "device") return static_cast<std::uint32_t>(Right::kGateDevice);
  return 0;
}

bool Principal::MaySeeProject(std::string_view code) const {
  return all_projects || std::find(projects.begin(), projects.end(), code) != projects.end();
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

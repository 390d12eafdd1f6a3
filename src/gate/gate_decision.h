// GatePolicy and GateDecider: the rules of a pass, as a pure function of facts.
//
// A pass is allowed when no check in `deny` mode fails. Identity checks (unknown person, not
// enrolled, exited, unknown device) always deny; the others — certificates, safety training,
// blacklist, face score, liveness, anti-passback — deny, only warn, or are off per project.
// Out passes and exceptional pass modes (7 clear-out, 8 one-key open, 9 emergency) are
// recorded, not gated — nobody is ever locked in: they are allowed with every failing check as a
// warning.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "registry/code_lists.h"

namespace zhizhi::gate {

// Stable deny reason codes (api-v1.md).
namespace reason {
inline constexpr std::string_view kUnknownPerson = "unknown_person";
inline constexpr std::string_view kNotEnrolled = "not_enrolled";
inline constexpr std::string_view kExited = "exited";
inline constexpr std::string_view kCertificateMissing = "certificate_missing";
inline constexpr std::string_view kCertificateExpired = "certificate_expired";
inline constexpr std::string_view kTrainingMissing = "training_missing";
inline constexpr std::string_view kBlacklisted = "blacklisted";
inline constexpr std::string_view kFaceMismatch = "face_mismatch";
inline constexpr std::string_view kLivenessFailed = "liveness_failed";
inline constexpr std::string_view kDeviceUnknown = "device_unknown";
inline constexpr std::string_view kAntiPassback = "anti_passback";
// The project passed completion acceptance: its site is closed (a policy may warn instead).
inline constexpr std::string_view kProjectCompleted = "project_completed";
// A terminal of another vendor decides at the door and reports afterwards: it did not open (a
// stranger, a face it did not match, a time rule of its own). Recorded as a deny whatever the
// other checks say — the record follows the door.
inline constexpr std::string_view kTerminalRefused = "terminal_refused";
}  // namespace reason

enum class CheckMode { kDeny, kWarn, kOff };

struct GatePolicy {
  // Mode per configurable check (reason code); absent = deny.
  std::map<std::string, CheckMode, std::less<>> modes;
  double face_threshold = 0.5;  // terminal-reported similarity in [0, 1]
  int duplicate_window_s = 60;  // repeated passes within this window are duplicates

  CheckMode ModeOf(std::string_view check) const;
  bool operator==(const GatePolicy&) const = default;
  nlohmann::json ToJson() const;
  // Validates a policy document (unknown checks, modes, ranges) — 400 on anything wrong.
  static Result<GatePolicy> FromJson(const nlohmann::json& json);

  // The checks a project may configure.
  static const std::vector<std::string_view>& ConfigurableChecks();
};

// A certificate as the gate sees it: validity in days since 1970 (China dates).
struct CertificateFact {
  std::string kind;
  std::string type_code;
  std::int64_t valid_from_day = 0;
  std::int64_t valid_to_day = 0;
  bool revoked = false;

  bool operator==(const CertificateFact&) const = default;
  bool ValidOn(std::int64_t day) const {
    return !revoked && valid_from_day <= day && day <= valid_to_day;
  }
};

// Requirement groups: each group is satisfied by any one of its (kind, type) certificates.
using Requirements = registry::CertificateRequirements;

struct RequirementCheck {
  bool missing = false;  // some group has no certificate at all
  bool expired = false;  // some group has certificates, none valid today
};
RequirementCheck CheckRequirements(const Requirements& required,
                                   const std::vector<CertificateFact>& certificates,
                                   std::int64_t today);

// Everything the decider needs to know about one pass.
struct PassFacts {
  bool device_enabled = true;
  bool identified = false;  // a registered person was identified
  bool enrolled = false;    // has an enrolment on the device's project
  bool exited = false;      // ... which has ended
  RequirementCheck certificates;
  bool training_ok = true;
  bool blacklisted = false;
  std::optional<double> score;       // terminal-reported face similarity
  std::optional<bool> face_matched;  // server-side recognition of a claimed person (1:1)
  std::optional<bool> liveness;      // terminal-reported liveness
  bool entering = true;              // direction in
  bool inside = false;               // already inside the site
  bool duplicate = false;            // same direction again within the duplicate window
  bool stale = false;                // older than the person's last recorded pass (offline replay)
  bool exceptional = false;          // pass modes 7, 8, 9
  bool project_completed = false;    // the device's project is completed
  bool terminal_refused = false;     // a vendor terminal reported that it did not open
};

struct GateDecision {
  bool allow = false;
  std::vector<std::string> reasons;   // failing checks in deny mode
  std::vector<std::string> warnings;  // failing checks in warn mode (or any, when exceptional)
};

GateDecision Decide(const PassFacts& facts, const GatePolicy& policy);

// Whether a person may pass at all, ignoring per-event facts (score, liveness, direction):
// used for the roster terminals pull.
bool MayPass(const PassFacts& standing, const GatePolicy& policy);

// Pass modes of domain.md: 1 face … 11 other. 7, 8 and 9 are exceptional.
bool IsValidPassMode(int mode);
bool IsExceptionalPassMode(int mode);

}  // namespace zhizhi::gate

#include "gate/gate_decision.h"

#include <algorithm>

namespace zhizhi::gate {

namespace {

std::string_view ModeName(CheckMode mode) {
  switch (mode) {
    case CheckMode::kDeny:
      return "deny";
    case CheckMode::kWarn:
      return "warn";
    case CheckMode::kOff:
      return "off";
  }
  return "deny";
}

}  // namespace

const std::vector<std::string_view>& GatePolicy::ConfigurableChecks() {
  static const std::vector<std::string_view> checks = {
      reason::kCertificateMissing, reason::kCertificateExpired, reason::kTrainingMissing,
      reason::kBlacklisted,        reason::kFaceMismatch,       reason::kLivenessFailed,
      reason::kAntiPassback,       reason::kProjectCompleted};
  return checks;
}

CheckMode GatePolicy::ModeOf(std::string_view check) const {
  auto it = modes.find(check);
  return it == modes.end() ? CheckMode::kDeny : it->second;
}

nlohmann::json GatePolicy::ToJson() const {
  nlohmann::json checks = nlohmann::json::object();
  for (std::string_view check : ConfigurableChecks()) {
    checks[std::string(check)] = std::string(ModeName(ModeOf(check)));
  }
  return {{"checks", checks},
          {"face_threshold", face_threshold},
          {"duplicate_window_s", duplicate_window_s}};
}

Result<GatePolicy> GatePolicy::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) return Status::InvalidJson("policy must be a JSON object");
  GatePolicy policy;
  for (const auto& [key, value] : json.items()) {
    if (key == "checks") {
      if (!value.is_object()) return Status::InvalidArgument("checks", "checks must be an object");
      for (const auto& [check, mode] : value.items()) {
        const auto& all = ConfigurableChecks();
        if (std::find(all.begin(), all.end(), check) == all.end()) {
          return Status::InvalidArgument("checks." + check, "unknown check " + check);
        }
        if (!mode.is_string()) {
          return Status::InvalidArgument("checks." + check, "mode must be deny, warn or off");
        }
        const auto& m = mode.get_ref<const std::string&>();
        if (m == "deny") {
          policy.modes[check] = CheckMode::kDeny;
        } else if (m == "warn") {
          policy.modes[check] = CheckMode::kWarn;
        } else if (m == "off") {
          policy.modes[check] = CheckMode::kOff;
        } else {
          return Status::InvalidArgument("checks." + check, "mode must be deny, warn or off");
        }
      }
    } else if (key == "face_threshold") {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1) {
        return Status::InvalidArgument(key, "face_threshold must be a number in [0, 1]");
      }
      policy.face_threshold = value.get<double>();
    } else if (key == "duplicate_window_s") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
          value.get<std::int64_t>() > 3600) {
        return Status::InvalidArgument(key, "duplicate_window_s must be an integer in 0..3600");
      }
      policy.duplicate_window_s = value.get<int>();
    } else {
      // GET returns project_code beside the policy, so a fetched policy can be PUT back.
      if (key == "project_code") continue;
      return Status::InvalidArgument(key, "unknown field " + key);
    }
  }
  return policy;
}

RequirementCheck CheckRequirements(const Requirements& required,
                                   const std::vector<CertificateFact>& certificates,
                                   std::int64_t today) {
  RequirementCheck check;
  for (const auto& any_of : required) {
    bool held = false;
    bool valid = false;
    for (const CertificateFact& cert : certificates) {
      for (const auto& [kind, type] : any_of) {
        if (cert.kind != kind || cert.type_code != type) continue;
        held = true;
        valid = valid || cert.ValidOn(today);
      }
    }
    if (!held) {
      check.missing = true;
    } else if (!valid) {
      check.expired = true;
    }
  }
  return check;
}

GateDecision Decide(const PassFacts& f, const GatePolicy& policy) {
  GateDecision d;
  // Nobody is ever locked in: a way out, like an exceptional mode, is recorded, not gated.
  const bool record_only = f.exceptional || !f.entering;
  auto fail = [&](std::string_view check, bool configurable) {
    const CheckMode mode = configurable ? policy.ModeOf(check) : CheckMode::kDeny;
    if (mode == CheckMode::kOff) return;
    if (mode == CheckMode::kWarn || record_only) {
      d.warnings.emplace_back(check);
    } else {
      d.reasons.emplace_back(check);
    }
  };
  if (!f.device_enabled) fail(reason::kDeviceUnknown, false);
  if (!f.identified) {
    fail(reason::kUnknownPerson, false);
  } else if (!f.enrolled) {
    fail(reason::kNotEnrolled, false);
  } else if (f.exited) {
    fail(reason::kExited, false);
  }
  if (f.identified) {
    if (f.certificates.missing) fail(reason::kCertificateMissing, true);
    if (f.certificates.expired) fail(reason::kCertificateExpired, true);
    if (!f.training_ok) fail(reason::kTrainingMissing, true);
    if (f.blacklisted) fail(reason::kBlacklisted, true);
    if (f.project_completed) fail(reason::kProjectCompleted, true);
  }
  if ((f.score && *f.score < policy.face_threshold) || (f.face_matched && !*f.face_matched)) {
    fail(reason::kFaceMismatch, true);
  }
  if (f.liveness && !*f.liveness) fail(reason::kLivenessFailed, true);
  // Entering while already inside — unless it is a double scan (duplicate) or a late replay of
  // an offline terminal, whose order against later passes is already history.
  if (f.identified && f.entering && f.inside && !f.duplicate && !f.stale) {
    fail(reason::kAntiPassback, true);
  }
  // Not even a way out is recorded as passed when the door stayed shut.
  if (f.terminal_refused) d.reasons.emplace_back(reason::kTerminalRefused);
  d.allow = d.reasons.empty();
  return d;
}

bool MayPass(const PassFacts& standing, const GatePolicy& policy) {
  PassFacts f = standing;
  f.score.reset();
  f.face_matched.reset();
  f.liveness.reset();
  f.inside = false;
  return Decide(f, policy).allow;
}

bool IsValidPassMode(int mode) {
  return mode >= 1 && mode <= 11;
}

bool IsExceptionalPassMode(int mode) {
  return mode == 7 || mode == 8 || mode == 9;
}

}  // namespace zhizhi::gate

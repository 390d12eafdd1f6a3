// Alerts about the platform's own security (issue 24): a principal refused again and again —
// kBurst calls within a minute (security/refusal_log.h) — is someone probing what they may not
// see, or a misconfigured terminal. Raised as an event (AlertBook::Raise): it stays until a
// person resolves it.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>

#include "alerts/alert_book.h"
#include "security/audit_log.h"

namespace zhizhi::alerts {

// The alert of `refusals` refused calls of `actor` within a minute: orange, about the user
// (subject `user`) or, for a token that is no user's (a gate device, the administrator), the
// token (subject `token`).
AlertDraft RefusalBurstAlert(const security::Actor& actor, int refusals, std::int64_t now_ms);

// A gate terminal's identity used from elsewhere: a ZKTeco SN from another address than the one
// it is bound to, or a Uface callback path with another device's deviceKey in the body. Red,
// about the device, on its project; one per device and source address until resolved.
struct TerminalMisuse {
  std::int64_t device_id = 0;
  std::string project;
  std::string vendor;
  std::string serial;
  std::string bound_address;  // empty when not a ZKTeco binding
  std::string from_address;
  std::string claimed_serial;  // empty unless the body named another device
};
AlertDraft TerminalImpersonationAlert(const TerminalMisuse& misuse, std::int64_t now_ms);

// A terminal nobody registered (`serial`, from `from_address`): yellow, district-wide (no
// project), one per serial and address until resolved — a device to register, or someone
// trying serials.
AlertDraft TerminalUnregisteredAlert(const std::string& vendor, const std::string& serial,
                                     const std::string& from_address, std::int64_t now_ms);

}  // namespace zhizhi::alerts

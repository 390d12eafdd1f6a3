// The sub-commands of docs/security.md: `zhizhi user add|disable|enable`, `zhizhi keys rotate`
// (a new field key, everything re-sealed), `zhizhi audit verify` (exit 2 when the hash chain was
// tampered with) and `zhizhi retention run`.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddUserCommand(CLI::App& app);
Command AddKeysCommand(CLI::App& app);
Command AddAuditCommand(CLI::App& app);
Command AddRetentionCommand(CLI::App& app);

}  // namespace zhizhi::app

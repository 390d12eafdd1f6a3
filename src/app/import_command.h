// `zhizhi import`: bulk-loads registry records of one kind from a CSV file (UTF-8 or GBK)
// through the same parsers as the API, all or nothing unless --partial, then drafts the
// residence registrations and runs one alert scan.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddImportCommand(CLI::App& app);

}  // namespace zhizhi::app

// The alert module's sub-commands: `zhizhi scan` runs every detector over the district, `zhizhi
// report posts` prints the post ledger (and writes it as CSV). Both open the database without
// the data directory's lock, so they are safe beside a running server.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::alerts {
struct ScanReport;
}

namespace zhizhi::app {

Command AddScanCommand(CLI::App& app);
Command AddReportCommand(CLI::App& app);

// The line a scan prints (also after an import).
void PrintScan(const alerts::ScanReport& report);

}  // namespace zhizhi::app

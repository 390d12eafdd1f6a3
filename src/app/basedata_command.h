// `zhizhi import-source`: imports one source feed of base data (population, housing, units) into
// a data directory through its mapping, as POST /api/v1/sources/{source}/imports does but for
// files of any size up to basedata::kMaxFeedBytes, then links its kind — with any import of that
// kind an earlier --no-link left waiting (unless --no-link again: the server links what waits at
// its next start). Prints the import's status as JSON on stdout.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddImportSourceCommand(CLI::App& app);

}  // namespace zhizhi::app

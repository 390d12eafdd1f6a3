// `zhizhi demo`: seeds the demo district (demo_district.h), and faces from the sample photos
// when the face models are there (demo_faces.h), into an empty data directory.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddDemoCommand(CLI::App& app);

}  // namespace zhizhi::app

// Faces for the demo district: the people of the sample photos (npm `@vladmandic/face-api`,
// fetched by scripts/lib.sh) enrolled as a few of the demo's workers, through the real face
// pipeline — an ID-card chip photo (102×126) and a live capture of each face, checked for
// quality, liveness, against the chip photo and against every other enrolled face, exactly as
// POST /api/v1/persons/{id}/faces. Faces the pipeline refuses are counted, never forced in.
//
// There are about twenty faces in the samples: a demo of 40,000 people has real faces for that
// many, on the first live projects, enough for the person view and face_image passes; everyone
// else gets demo templates, marked as such (SeedDemoTemplates below).
//
// Thread-safety: call from one thread, after Platform::StartFaces with a face engine.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "app/platform.h"
#include "base/status.h"

namespace zhizhi::app {

struct DemoFacesSummary {
  int photos = 0;    // sample photos read
  int faces = 0;     // faces detected in them
  int persons = 0;   // persons given an ID-card photo and a live face
  int enrolled = 0;  // face templates stored (active or duplicate)
  // "source code" → count, e.g. "id_card face_quality" (the samples are party photos: many
  // faces are turned or rolled, which an ID-card photo must not be).
  std::map<std::string, int> refused;
};

// Enrols the faces of the photos in `samples_dir` (sample*.jpg) for workers of the live projects,
// found with the analyzer loaded from `models_dir`.
Result<DemoFacesSummary> SeedDemoFaces(Platform& platform, const std::string& models_dir,
                                       const std::string& samples_dir);

struct DemoTemplatesSummary {
  int persons = 0;       // given demo templates
  int without_live = 0;  // of them, only the chip photo: the live face is still to be taken
};

// Everyone else enrolled (any person without an active face) gets demo templates
// (Faces::EnrolDemoTemplates): a district's workers had their faces taken at the gate when they
// entered. About one in `without_live_one_in` has only the chip photo yet — their residence
// registrations wait for it, the few a real district has overdue. Needs Platform::StartFaces
// (with or without models).
Result<DemoTemplatesSummary> SeedDemoTemplates(Platform& platform, std::uint64_t seed,
                                               int without_live_one_in = 200);

}  // namespace zhizhi::app

// FaceMatcher: what the gate needs from server-side face recognition, without depending on it.
//
// A terminal that sends `face_image` asks the server to recognise the person: 1:N among the faces
// of the people enrolled on the device's project (falling back to the district, so that a known
// face on the wrong site is named and denied as not_enrolled/exited rather than unknown), or 1:1
// against the person it claims (`person_id` or `id_number` sent with the photo). The face module
// implements this (face/faces.h); the platform wires it into the gate.
//
// Identify() runs the models off the calling thread and calls `done` exactly once, from any
// thread. A photo that is not a usable JPEG is an error (400/422); a photo without a usable face
// is a verdict with matched = false (the pass is recorded and denied).
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::gate {

struct FaceCandidate {
  std::int64_t person_id = 0;
  double score = 0;
};

struct FaceQuery {
  std::string project;                         // the device's project
  std::string jpeg;                            // the photo, decoded from base64
  std::optional<std::int64_t> claimed_person;  // 1:1 when set
};

struct FaceVerdict {
  int faces = 0;                          // faces found in the photo
  std::optional<std::int64_t> person_id;  // who it is (1:N) — for 1:1 the claim, if matched
  bool matched = false;                   // best score ≥ the match threshold
  std::string scope;                      // "project", "district" or "claim"
  std::optional<double> score;            // best (1:N) or claimed-person (1:1) cosine
  std::optional<double> liveness;         // probability of a live capture
  bool live = false;                      // liveness ≥ its threshold
  std::vector<FaceCandidate> candidates;  // best persons first (at most 3)
  // 1:1 refused, but the face is another person's enrolled face (at or above the duplicate
  // threshold): someone passing with a borrowed ID card.
  std::optional<FaceCandidate> enrolled_as;
  nlohmann::json quality;  // face/quality.h, when a face was found
  std::string note;        // why nothing matched: no_face, poor_quality, …

  // Stored with the gate event (gate_events.face).
  nlohmann::json ToJson() const;
};

// A recorded pass that claimed one person (ID card or person_id) and showed another enrolled
// person's face (FaceVerdict::enrolled_as).
struct ImpostorPass {
  std::int64_t claimed_person = 0;
  FaceCandidate enrolled_as;
  std::optional<double> claim_score;  // the face against the claimed person's faces
  std::optional<double> liveness;
  std::string project;
  std::int64_t device_id = 0;
  std::int64_t seq = 0;      // gate_events.seq of the pass
  std::int64_t time_ms = 0;  // when it happened (an offline terminal sends it later)
};

class FaceMatcher {
 public:
  virtual ~FaceMatcher() = default;
  virtual void Identify(FaceQuery query, std::function<void(Result<FaceVerdict>)> done) = 0;
  // Called inside the writer job that stored such a pass, after it; a non-OK status rolls the
  // pass back.
  virtual Status RecordImpostor(store::Connection& conn, const ImpostorPass& pass) = 0;
};

}  // namespace zhizhi::gate

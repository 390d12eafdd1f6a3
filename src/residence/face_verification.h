// Whether a person's identity is verified for a residence registration: "ID checked, face
// enrolled and matched to the ID photo" (人证比对). The ID number was checked when the person was
// registered (GB 11643 for resident IDs); the face part is the face module's (issue 8) `faces`
// table: an active ID-card photo (source id_card, read from the card's chip) and an active live
// face whose score against that photo was recorded (id_score; the face module refuses a live
// face below its id_photo threshold, so a recorded score is a match).
//
// This is the one place the residence module reads face status; the face module tells the
// residence module when a person's faces change (Faces::AddFaceListener, wired by Platform).
// Verification is never assumed: without both faces the draft lists `face_verified` as missing.
//
// Thread-safety: a pure function of the connection it is given.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::residence {

struct FaceVerification {
  bool verified = false;
  // Why not, for the draft's view: id_photo_missing, live_face_missing (else verified).
  std::string state;
};

Result<FaceVerification> CheckFaceVerification(store::Connection& conn, std::int64_t person_id);

}  // namespace zhizhi::residence

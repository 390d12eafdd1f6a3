#include "residence/face_verification.h"

namespace zhizhi::residence {

Result<FaceVerification> CheckFaceVerification(store::Connection& conn, std::int64_t person_id) {
  FaceVerification v;
  auto s = conn.Prepare(
      "SELECT COALESCE(SUM(source = 'id_card'), 0), "
      "COALESCE(SUM(source = 'live' AND id_score IS NOT NULL), 0) "
      "FROM faces WHERE person_id = ? AND status = 'active'");
  s.Bind(1, person_id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::Internal("face verification query returned no row");
  }
  if (s.Int(0) == 0) {
    v.state = "id_photo_missing";
  } else if (s.Int(1) == 0) {
    v.state = "live_face_missing";
  } else {
    v.verified = true;
    v.state = "verified";
  }
  return v;
}

}  // namespace zhizhi::residence

#include "residence/face_verification.h"

namespace zhizhi::residence {

Result<FaceVerification> CheckFaceVerification(store::Connection& conn, std::int64_t person_id) {
  FaceVerification v;
  auto table = conn.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'faces'");
  if (!table.Step()) {
    ZZ_RETURN_IF_ERROR(table.status());
    v.state = "face_module_missing";
    return v;
  }
  // Dynamic SQL only because the table may not exist at compile time of other statements; the
  // text is constant, so it is cached like any other.
  auto s =
      conn.Prepare(std::string("SELECT COALESCE(SUM(source = 'id_card'), 0), "
                               "COALESCE(SUM(source = 'live' AND id_score IS NOT NULL), 0) "
                               "FROM faces WHERE person_id = ? AND status = 'active'"));
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

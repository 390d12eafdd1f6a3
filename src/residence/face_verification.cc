#include "residence/face_verification.h"

namespace zhizhi::residence {

Result<FaceVerification> CheckFaceVerification(store::Connection& conn, std::int64_t person_id) {
  FaceVerification v;
  // Text-cached (the table may not exist: a literal's statement is cached only when prepared).
  auto s =
      conn.Prepare(std::string("SELECT COALESCE(SUM(source = 'id_card'), 0), "
                               "COALESCE(SUM(source = 'live' AND id_score IS NOT NULL), 0) "
                               "FROM faces WHERE person_id = ? AND status = 'active'"));
  s.Bind(1, person_id);
  if (!s.Step()) {
    if (s.status().ok()) return Status::Internal("face verification query returned no row");
    // No such table: the face module is not installed. Any other failure is an error.
    auto table =
        conn.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'faces'");
    if (table.Step()) return s.status();
    ZZ_RETURN_IF_ERROR(table.status());
    v.state = "face_module_missing";
    return v;
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

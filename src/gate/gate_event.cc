#include "gate/gate_event.h"

#include <algorithm>
#include <cctype>

#include "base/base64.h"
#include "base/resident_id.h"
#include "base/text.h"
#include "gate/gate_decision.h"

namespace zhizhi::gate {

Result<GateEventInput> ParseGateEvent(FieldReader& in) {
  GateEventInput e;
  e.event_id = in.Text("event_id", 64);
  const std::string time = in.Text("time", 40);
  e.person_id = in.OptInteger("person_id");
  auto id_number = in.OptText("id_number", 32);
  auto id_type = in.OptText("id_type", 4);
  auto face = in.OptText("face_image", 8 << 20);
  e.score = in.OptNumber("score");
  e.liveness = in.OptBool("liveness");
  e.direction = in.OptText("direction", 8);
  auto pass_mode = in.OptInteger("pass_mode");
  e.operator_name = in.OptText("operator", 64);
  e.operator_reason = in.OptText("operator_reason", 200);
  ZZ_RETURN_IF_ERROR(in.Finish());

  ZZ_ASSIGN_OR_RETURN(e.time, Timestamp::ParseRfc3339(time, "time"));
  const int identifications = (e.person_id ? 1 : 0) + (id_number ? 1 : 0);
  if (identifications > 1 || (identifications == 0 && !face)) {
    return Status::InvalidArgument(
        "person_id",
        "send one of person_id, id_number or face_image (face_image may come with person_id or "
        "id_number as the claim to check it against)");
  }
  if (face && e.score) {
    return Status::InvalidArgument("score",
                                   "score is the terminal's own match; with face_image the server "
                                   "computes it");
  }
  if (e.person_id && *e.person_id <= 0) {
    return Status::InvalidArgument("person_id", "person_id must be a positive integer");
  }
  if (id_number) {
    e.id_type = id_type.value_or("01");
    if (e.id_type == "01") {
      ZZ_ASSIGN_OR_RETURN(auto id, ResidentIdNumber::Parse(*id_number, "id_number"));
      e.id_number = id.str();
    } else {
      e.id_number = ToUpperAscii(*id_number);
    }
  }
  if (face) {
    ZZ_ASSIGN_OR_RETURN(e.face_jpeg, DecodeBase64(*face, "face_image"));
    if (e.face_jpeg->empty()) return Status::InvalidArgument("face_image", "face_image is empty");
  }
  if (e.score && (*e.score < 0 || *e.score > 1)) {
    return Status::InvalidArgument("score", "score must be a similarity in [0, 1]");
  }
  if (e.direction && *e.direction != "in" && *e.direction != "out") {
    return Status::InvalidArgument("direction", "direction must be in or out");
  }
  if (pass_mode) {
    if (*pass_mode < 1 || *pass_mode > 11 || !IsValidPassMode(static_cast<int>(*pass_mode))) {
      return Status::InvalidArgument("pass_mode", "pass_mode must be 1–11");
    }
    e.pass_mode = static_cast<int>(*pass_mode);
  } else {
    e.pass_mode = id_number && !face ? 5 : 1;  // ID card, else face
  }
  if (IsExceptionalPassMode(e.pass_mode) && (!e.operator_name || !e.operator_reason)) {
    return Status::InvalidArgument(e.operator_name ? "operator_reason" : "operator",
                                   "pass modes 7, 8 and 9 need an operator and a reason");
  }
  return e;
}

}  // namespace zhizhi::gate

#include "gate/pass_answer.h"

#include <cmath>

#include "base/text.h"
#include "gate/gate_internal.h"

namespace zhizhi::gate {

using nlohmann::json;
using namespace internal;

json PassAnswer::ToJson() const {
  json out = {{"event_id", event_id},
              {"seq", seq},
              {"decision", allow ? "allow" : "deny"},
              {"reasons", reasons},
              {"warnings", warnings},
              {"person_id", person_id ? json(*person_id) : json()},
              {"direction", direction},
              {"duplicate", (flags & kFlagDuplicate) != 0}};
  if (replayed) out["replayed"] = true;
  if (face_score || face_liveness) {
    out["face"] = {
        {"score", face_score ? json(std::round(*face_score * 1000) / 1000) : json()},
        {"liveness", face_liveness ? json(std::round(*face_liveness * 1000) / 1000) : json()}};
  }
  return out;
}

std::string PassAnswer::ToJsonText() const {
  std::string out;
  out.reserve(192 + event_id.size());
  out.append(R"({"decision":")").append(allow ? "allow" : "deny");
  out.append(R"(","direction":)");
  AppendJsonString(out, direction);
  out.append(R"(,"duplicate":)").append((flags & kFlagDuplicate) != 0 ? "true" : "false");
  out.append(R"(,"event_id":)");
  AppendJsonString(out, event_id);
  if (face_score || face_liveness) {
    const auto rounded = [](std::optional<double> v) {
      return v ? json(std::round(*v * 1000) / 1000).dump() : std::string("null");
    };
    out.append(R"(,"face":{"liveness":)").append(rounded(face_liveness));
    out.append(R"(,"score":)").append(rounded(face_score)).append("}");
  }
  out.append(R"(,"person_id":)").append(person_id ? std::to_string(*person_id) : "null");
  out.append(R"(,"reasons":)");
  AppendJsonArray(out, reasons);
  if (replayed) out.append(R"(,"replayed":true)");
  out.append(R"(,"seq":)").append(std::to_string(seq));
  out.append(R"(,"warnings":)");
  AppendJsonArray(out, warnings);
  out.push_back('}');
  return out;
}

Result<std::optional<PassAnswer>> PassAnswer::Stored(store::Connection& conn,
                                                     std::int64_t device_id,
                                                     const std::string& event_id) {
  auto s = conn.Prepare(
      "SELECT seq, person_id, decision, reasons, warnings, flags, direction, time_ms, "
      "project_code FROM gate_events WHERE device_id = ? AND event_id = ?");
  s.Bind(1, device_id).Bind(2, event_id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return std::optional<PassAnswer>();
  }
  PassAnswer a;
  a.event_id = event_id;
  a.seq = s.Int(0);
  a.person_id = s.OptInt(1);
  a.allow = s.Text(2) == "allow";
  a.reasons = FromJsonArray(s.Text(3));
  a.warnings = FromJsonArray(s.Text(4));
  a.flags = static_cast<int>(s.Int(5));
  a.direction = s.Text(6);
  a.time_ms = s.Int(7);
  a.project = s.Text(8);
  a.replayed = true;
  return std::optional<PassAnswer>(std::move(a));
}

}  // namespace zhizhi::gate

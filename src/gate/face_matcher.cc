#include "gate/face_matcher.h"

#include <cmath>

namespace zhizhi::gate {

namespace {

nlohmann::json Rounded(const std::optional<double>& v) {
  return v ? nlohmann::json(std::round(*v * 1000) / 1000) : nlohmann::json();
}

}  // namespace

nlohmann::json FaceVerdict::ToJson() const {
  nlohmann::json candidates_json = nlohmann::json::array();
  for (const FaceCandidate& c : candidates) {
    candidates_json.push_back({{"person_id", c.person_id}, {"score", Rounded(c.score)}});
  }
  nlohmann::json out = {{"faces", faces},
                        {"matched", matched},
                        {"scope", scope},
                        {"score", Rounded(score)},
                        {"liveness", Rounded(liveness)},
                        {"live", live},
                        {"candidates", std::move(candidates_json)}};
  if (enrolled_as) {
    out["enrolled_as"] = {{"person_id", enrolled_as->person_id},
                          {"score", Rounded(enrolled_as->score)}};
  }
  if (!quality.is_null()) out["quality"] = quality;
  if (!note.empty()) out["note"] = note;
  return out;
}

}  // namespace zhizhi::gate

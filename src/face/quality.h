// The quality gate: is a detected face good enough to enrol, or to identify someone at a gate?
//
// Measured from what the pipeline already has — the detector box, the 68 landmarks and the
// aligned 112×112 face — so it costs microseconds:
//   - size: the face box side in pixels of the photo;
//   - sharpness: variance of the Laplacian of the aligned grey face (blur and heavy JPEG
//     compression lower it);
//   - pose from the landmarks, in the frame where the eyes are level: yaw as the nose tip's
//     sideways offset from the eye–mouth midline in eye distances (0 = frontal), pitch as where the
//     nose tip sits between the eyes and the mouth (≈ 0.5 frontal; higher looks down, lower looks
//     up), roll as the angle of the eye line in degrees;
//   - brightness: mean grey level of the aligned face.
// Each limit that fails adds a stable reason code: face_too_small, face_blurred, face_turned,
// face_tilted_up_down, face_rolled, face_too_dark, face_too_bright. The limits are configuration;
// docs/faces.md says how the defaults were measured.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace zhizhi::face {

struct QualityLimits {
  float min_face_px = 80;
  float min_sharpness = 25;
  float max_yaw = 0.45f;
  float min_pitch = 0.30f;
  float max_pitch = 0.72f;
  float max_roll_deg = 35;
  float min_brightness = 40;
  float max_brightness = 220;

  // A live capture for enrolment; an ID-card chip photo (small, soft, always frontal); a capture
  // at a gate (identification only: pose and size matter, a little blur does not).
  static QualityLimits Live();
  static QualityLimits IdCard();
  static QualityLimits Gate();
};

struct Quality {
  float face_px = 0;
  float sharpness = 0;
  float yaw = 0;
  float pitch = 0;
  float roll_deg = 0;
  float brightness = 0;
  std::vector<std::string> reasons;  // empty when every limit holds

  bool ok() const { return reasons.empty(); }
  nlohmann::json ToJson() const;
};

using Landmarks68 = std::array<cv::Point2f, 68>;

// Pose, size, sharpness and brightness of one face against `limits`.
// `aligned` is the 112×112 BGR face from the 5-point alignment.
Quality AssessQuality(float face_px, const Landmarks68& landmarks, const cv::Mat& aligned,
                      const QualityLimits& limits);

// Yaw, pitch and roll (degrees) from 68 landmarks, as described above.
struct Pose {
  float yaw = 0;
  float pitch = 0;
  float roll_deg = 0;
};
Pose PoseOf(const Landmarks68& landmarks);

// The five alignment points (eye centres, nose tip, mouth corners) from the 68.
std::array<cv::Point2f, 5> FivePoints(const Landmarks68& landmarks);

}  // namespace zhizhi::face

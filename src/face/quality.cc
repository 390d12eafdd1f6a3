#include "face/quality.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace zhizhi::face {

namespace {

cv::Point2f Mean(const Landmarks68& p, std::initializer_list<int> ids) {
  cv::Point2f sum(0, 0);
  for (int i : ids)
    sum += p[static_cast<size_t>(i)];
  return sum * (1.0f / static_cast<float>(ids.size()));
}

float Round(float v, float step) {
  return std::round(v / step) * step;
}

}  // namespace

QualityLimits QualityLimits::Live() {
  return QualityLimits{};
}

QualityLimits QualityLimits::IdCard() {
  QualityLimits l;
  l.min_face_px = 48;   // chip photos are 102×126 with the face filling most of it
  l.min_sharpness = 8;  // and soft: upscaled to 112×112, little high-frequency detail
  l.max_yaw = 0.30f;    // but always frontal
  l.max_roll_deg = 15;
  return l;
}

QualityLimits QualityLimits::Gate() {
  QualityLimits l;
  l.min_face_px = 60;
  l.min_sharpness = 10;
  return l;
}

nlohmann::json Quality::ToJson() const {
  return {{"ok", ok()},
          {"reasons", reasons},
          {"face_px", Round(face_px, 1)},
          {"sharpness", Round(sharpness, 0.1f)},
          {"yaw", Round(yaw, 0.01f)},
          {"pitch", Round(pitch, 0.01f)},
          {"roll", Round(roll_deg, 0.1f)},
          {"brightness", Round(brightness, 0.1f)}};
}

std::array<cv::Point2f, 5> FivePoints(const Landmarks68& p) {
  return {Mean(p, {37, 38, 40, 41}), Mean(p, {43, 44, 46, 47}), p[30], Mean(p, {48, 60}),
          Mean(p, {54, 64})};
}

Pose PoseOf(const Landmarks68& p) {
  const auto five = FivePoints(p);
  const cv::Point2f left_eye = five[0], right_eye = five[1];
  const cv::Point2f eye_line = right_eye - left_eye;
  Pose pose;
  pose.roll_deg = static_cast<float>(std::atan2(eye_line.y, eye_line.x) * 180.0 / CV_PI);
  // Rotate every point so that the eyes are level.
  const float c = std::cos(-pose.roll_deg * static_cast<float>(CV_PI) / 180.0f);
  const float s = std::sin(-pose.roll_deg * static_cast<float>(CV_PI) / 180.0f);
  auto level = [&](cv::Point2f q) { return cv::Point2f(c * q.x - s * q.y, s * q.x + c * q.y); };
  const cv::Point2f nose = level(p[30]);
  const cv::Point2f eyes = level((left_eye + right_eye) * 0.5f);
  const cv::Point2f mouth = level((five[3] + five[4]) * 0.5f);
  // The nose tip moves sideways off the eye–mouth midline as the head turns; in units of the
  // eye distance (the jaw-line points of this landmark model are too loose to use).
  const float eye_distance = static_cast<float>(cv::norm(eye_line));
  const float midline = (eyes.x + mouth.x) * 0.5f;
  pose.yaw = eye_distance > 1e-3f ? (nose.x - midline) / eye_distance : 1.0f;
  const float eyes_to_mouth = mouth.y - eyes.y;
  pose.pitch = eyes_to_mouth > 1e-3f ? (nose.y - eyes.y) / eyes_to_mouth : 1.0f;
  return pose;
}

Quality AssessQuality(float face_px, const Landmarks68& landmarks, const cv::Mat& aligned,
                      const QualityLimits& limits) {
  Quality q;
  q.face_px = face_px;
  const Pose pose = PoseOf(landmarks);
  q.yaw = pose.yaw;
  q.pitch = pose.pitch;
  q.roll_deg = pose.roll_deg;
  if (!aligned.empty()) {
    cv::Mat grey, laplacian;
    cv::cvtColor(aligned, grey, cv::COLOR_BGR2GRAY);
    // The central part of the face: no background, no hair.
    const cv::Mat centre = grey(cv::Rect(24, 32, 64, 72));
    cv::Laplacian(centre, laplacian, CV_32F);
    cv::Scalar mean, stddev;
    cv::meanStdDev(laplacian, mean, stddev);
    q.sharpness = static_cast<float>(stddev[0] * stddev[0]);
    q.brightness = static_cast<float>(cv::mean(centre)[0]);
  }
  if (q.face_px < limits.min_face_px) q.reasons.push_back("face_too_small");
  if (q.sharpness < limits.min_sharpness) q.reasons.push_back("face_blurred");
  if (std::fabs(q.yaw) > limits.max_yaw) q.reasons.push_back("face_turned");
  if (q.pitch < limits.min_pitch || q.pitch > limits.max_pitch) {
    q.reasons.push_back("face_tilted_up_down");
  }
  if (std::fabs(q.roll_deg) > limits.max_roll_deg) q.reasons.push_back("face_rolled");
  if (q.brightness < limits.min_brightness) q.reasons.push_back("face_too_dark");
  if (q.brightness > limits.max_brightness) q.reasons.push_back("face_too_bright");
  return q;
}

}  // namespace zhizhi::face

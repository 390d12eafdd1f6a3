// FaceAnalyzer: the recognition pipeline on one photo, with the ONNX models of
// `faceplugin-face-recognition-js` run by OpenCV's dnn module (facts in shared/docs/domain.md):
//
//   decoded BGR photo
//   → detect      fr_detect.onnx, 320×240 input, boxes already decoded (normalised x1 y1 x2 y2)
//                 and face scores; threshold 0.65, NMS 0.4; each box made square on its height
//   → landmarks   fr_landmark.onnx, the box as a 64×64 grey patch → 68 points; when the head is
//                 rolled more than 10° the patch is cut again rotated upright and the points
//                 re-estimated (the model was trained on upright faces)
//   → align       5 points (eye centres, nose tip, mouth corners) → least-squares similarity
//                 transform onto the 112×112 reference points (no shear, unlike a 3-point affine)
//   → embed       fr_feature.onnx, RGB (p − 127) / 128 → 512-d, L2-normalised: cosine = dot
//   → liveness    fr_liveness.onnx, the box widened 2.7× as 128×128 RGB → softmax, class 0 = real
//   → quality     face/quality.h
//
// The largest face is the subject; `faces` counts all. Each stage's time is recorded.
//
// Thread-safety: an analyzer owns its networks and is NOT thread-safe (cv::dnn::Net::forward
// mutates the net). FaceEngine gives each worker thread its own analyzer.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "base/status.h"
#include "face/quality.h"

namespace zhizhi::face {

// The four model files in a models directory and an identifier of the embedding model (a hash of
// fr_feature.onnx): embeddings of different models are not comparable, so each stored template
// records the model it came from.
struct ModelFiles {
  std::string dir;
  std::string detect, landmark, feature, liveness;
  std::string feature_id;  // "fr_feature:" + 16 hex digits
};

// Checks that `dir` holds the four models; a clear error naming what is missing otherwise.
Result<ModelFiles> LocateModels(const std::string& dir);

struct DetectedFace {
  cv::Rect2f box;  // square, in photo pixels
  float confidence = 0;
};

struct StageTimes {
  double decode_ms = 0, detect_ms = 0, landmarks_ms = 0, align_ms = 0, embed_ms = 0,
         liveness_ms = 0;
};

struct FaceResult {
  DetectedFace detection;
  Landmarks68 landmarks{};
  cv::Mat aligned;  // 112×112 BGR
  Quality quality;
  float liveness = 0;  // probability that the capture is of a live face
  std::vector<float> embedding;
};

struct Analysis {
  int faces = 0;                   // faces detected
  float second_face_ratio = 0;     // side of the second-largest face / the largest
  std::optional<FaceResult> face;  // the largest face, when any
  StageTimes times;
};

struct AnalyzeOptions {
  QualityLimits quality;
  bool liveness = true;  // run the liveness model
};

class FaceAnalyzer {
 public:
  static Result<std::unique_ptr<FaceAnalyzer>> Load(const ModelFiles& models);

  // --- stages
  std::vector<DetectedFace> Detect(const cv::Mat& bgr);
  Landmarks68 Landmarks(const cv::Mat& bgr, const cv::Rect2f& box);
  static cv::Mat Align(const cv::Mat& bgr, const std::array<cv::Point2f, 5>& five);
  std::vector<float> Embed(const cv::Mat& aligned);
  float Liveness(const cv::Mat& bgr, const cv::Rect2f& box);

  // The whole pipeline on the largest face.
  Analysis Analyze(const cv::Mat& bgr, const AnalyzeOptions& options);

  static constexpr float kDetectThreshold = 0.65f;

 private:
  FaceAnalyzer() = default;
  Landmarks68 LandmarksAt(const cv::Mat& bgr, cv::Point2f centre, float side, float angle_deg);

  cv::dnn::Net detect_, landmark_, feature_, liveness_;
};

// The 112×112 reference points of the alignment (ArcFace convention).
const std::array<cv::Point2f, 5>& ReferencePoints();
// The least-squares similarity (rotation, uniform scale, translation) taking `from` onto `to`.
cv::Mat SimilarityTransform(const std::array<cv::Point2f, 5>& from,
                            const std::array<cv::Point2f, 5>& to);

}  // namespace zhizhi::face

#include "face/analyzer.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include <sodium.h>
#include <opencv2/imgproc.hpp>

#include "face/gallery.h"
#include "security/field_cipher.h"

namespace zhizhi::face {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

Result<cv::dnn::Net> ReadNet(const std::string& path) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
    if (net.empty()) return Status::Internal("face model " + path + " loaded empty");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    return Status::Internal("face model " + path + " does not load: " + e.what());
  }
}

}  // namespace

Result<ModelFiles> LocateModels(const std::string& dir) {
  ModelFiles m;
  m.dir = dir;
  m.detect = dir + "/fr_detect.onnx";
  m.landmark = dir + "/fr_landmark.onnx";
  m.feature = dir + "/fr_feature.onnx";
  m.liveness = dir + "/fr_liveness.onnx";
  std::string missing;
  for (const std::string* path : {&m.detect, &m.landmark, &m.feature, &m.liveness}) {
    if (!IsFile(*path)) missing += (missing.empty() ? "" : ", ") + path->substr(dir.size() + 1);
  }
  if (!missing.empty()) {
    return Status::Unavailable(
        "face models missing in " + dir + ": " + missing +
        " (scripts/run and scripts/test fetch them with npm from faceplugin-face-recognition-js)");
  }
  std::ifstream in(m.feature, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string data = bytes.str();
  unsigned char hash[8];
  ZZ_RETURN_IF_ERROR(security::InitSodium());
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  m.feature_id =
      "fr_feature:" + security::ToHex(std::string_view(reinterpret_cast<char*>(hash), sizeof hash));
  return m;
}

Result<std::unique_ptr<FaceAnalyzer>> FaceAnalyzer::Load(const ModelFiles& models) {
  std::unique_ptr<FaceAnalyzer> a(new FaceAnalyzer());
  ZZ_ASSIGN_OR_RETURN(a->detect_, ReadNet(models.detect));
  ZZ_ASSIGN_OR_RETURN(a->landmark_, ReadNet(models.landmark));
  ZZ_ASSIGN_OR_RETURN(a->feature_, ReadNet(models.feature));
  ZZ_ASSIGN_OR_RETURN(a->liveness_, ReadNet(models.liveness));
  // One inference each now, so that a model that loads but cannot run fails at start, and the
  // first real request does not pay for layer allocation.
  try {
    cv::Mat probe(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
    a->Detect(probe);
    a->Landmarks(probe, cv::Rect2f(100, 60, 120, 120));
    a->Embed(cv::Mat(112, 112, CV_8UC3, cv::Scalar(128, 128, 128)));
    a->Liveness(probe, cv::Rect2f(100, 60, 120, 120));
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("face models do not run: ") + e.what());
  }
  return a;
}

const std::array<cv::Point2f, 5>& ReferencePoints() {
  static const std::array<cv::Point2f, 5> points = {
      cv::Point2f(38.2946f, 51.6963f), cv::Point2f(73.5318f, 51.5014f),
      cv::Point2f(56.0252f, 71.7366f), cv::Point2f(41.5493f, 92.3655f),
      cv::Point2f(70.7299f, 92.2041f)};
  return points;
}

cv::Mat SimilarityTransform(const std::array<cv::Point2f, 5>& from,
                            const std::array<cv::Point2f, 5>& to) {
  // Minimise Σ |[a −b; b a]·(x − x̄) + ȳ − y|²: closed form over centred points.
  cv::Point2f from_mean(0, 0), to_mean(0, 0);
  for (size_t i = 0; i < 5; ++i) {
    from_mean += from[i];
    to_mean += to[i];
  }
  from_mean *= 0.2f;
  to_mean *= 0.2f;
  double norm = 0, a = 0, b = 0;
  for (size_t i = 0; i < 5; ++i) {
    const cv::Point2f x = from[i] - from_mean, y = to[i] - to_mean;
    norm += x.dot(x);
    a += x.x * y.x + x.y * y.y;
    b += x.x * y.y - x.y * y.x;
  }
  if (norm < 1e-9) norm = 1e-9;
  a /= norm;
  b /= norm;
  return (cv::Mat_<double>(2, 3) << a, -b, to_mean.x - (a * from_mean.x - b * from_mean.y), b, a,
          to_mean.y - (b * from_mean.x + a * from_mean.y));
}

std::vector<DetectedFace> FaceAnalyzer::Detect(const cv::Mat& bgr) {
  // BGR order, as the package's JavaScript effectively feeds it (its BGR2RGB on an RGBA canvas).
  const cv::Mat blob = cv::dnn::blobFromImage(bgr, 1.0 / 128, cv::Size(320, 240),
                                              cv::Scalar(127, 127, 127), /*swapRB=*/false);
  detect_.setInput(blob, "input");
  std::vector<cv::Mat> outputs;
  detect_.forward(outputs, std::vector<cv::String>{"boxes", "scores"});
  const cv::Mat boxes = outputs[0].reshape(1, static_cast<int>(outputs[0].total() / 4));
  const cv::Mat scores = outputs[1].reshape(1, static_cast<int>(outputs[1].total() / 2));
  std::vector<cv::Rect2d> rects;
  std::vector<float> confidences;
  const auto w = static_cast<float>(bgr.cols), h = static_cast<float>(bgr.rows);
  for (int r = 0; r < boxes.rows && r < scores.rows; ++r) {
    const float score = scores.at<float>(r, 1);
    if (!(score >= kDetectThreshold)) continue;
    const float* b = boxes.ptr<float>(r);
    rects.emplace_back(b[0] * w, b[1] * h, (b[2] - b[0]) * w, (b[3] - b[1]) * h);
    confidences.push_back(score);
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(rects, confidences, kDetectThreshold, 0.4f, keep);
  std::vector<DetectedFace> faces;
  for (int k : keep) {
    const cv::Rect2d& r = rects[static_cast<size_t>(k)];
    if (r.width <= 1 || r.height <= 1) continue;
    // A square on the box height around its centre, as the landmark model expects.
    const auto side = static_cast<float>(r.height);
    const auto cx = static_cast<float>(r.x + r.width / 2),
               cy = static_cast<float>(r.y + r.height / 2);
    faces.push_back({cv::Rect2f(cx - side / 2, cy - side / 2, side, side), confidences[k]});
  }
  std::sort(faces.begin(), faces.end(), [](const DetectedFace& a, const DetectedFace& b) {
    return a.box.area() > b.box.area();
  });
  return faces;
}

Landmarks68 FaceAnalyzer::LandmarksAt(const cv::Mat& bgr, cv::Point2f centre, float side,
                                      float angle_deg) {
  // The affine map photo → 64×64 patch: rotate by `angle_deg` about the centre, scale the square
  // of `side` pixels to 64.
  const double scale = 64.0 / side;
  cv::Mat to_patch = cv::getRotationMatrix2D(centre, angle_deg, scale);
  to_patch.at<double>(0, 2) += 32.0 - centre.x;
  to_patch.at<double>(1, 2) += 32.0 - centre.y;
  cv::Mat patch, grey;
  cv::warpAffine(bgr, patch, to_patch, cv::Size(64, 64), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::cvtColor(patch, grey, cv::COLOR_BGR2GRAY);
  landmark_.setInput(cv::dnn::blobFromImage(grey, 1.0 / 256), "input");
  const cv::Mat out = landmark_.forward("output");
  const float* v = out.ptr<float>();
  cv::Mat to_photo;
  cv::invertAffineTransform(to_patch, to_photo);
  const auto* m = to_photo.ptr<double>();
  const auto* m2 = to_photo.ptr<double>(1);
  Landmarks68 points;
  for (size_t i = 0; i < 68; ++i) {
    const double x = v[2 * i] * 64.0, y = v[2 * i + 1] * 64.0;
    points[i] = cv::Point2f(static_cast<float>(m[0] * x + m[1] * y + m[2]),
                            static_cast<float>(m2[0] * x + m2[1] * y + m2[2]));
  }
  return points;
}

Landmarks68 FaceAnalyzer::Landmarks(const cv::Mat& bgr, const cv::Rect2f& box) {
  const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
  Landmarks68 points = LandmarksAt(bgr, centre, box.height, 0);
  const float roll = PoseOf(points).roll_deg;
  if (std::fabs(roll) > 10) points = LandmarksAt(bgr, centre, box.height, roll);
  return points;
}

cv::Mat FaceAnalyzer::Align(const cv::Mat& bgr, const std::array<cv::Point2f, 5>& five) {
  cv::Mat aligned;
  cv::warpAffine(bgr, aligned, SimilarityTransform(five, ReferencePoints()), cv::Size(112, 112),
                 cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  return aligned;
}

std::vector<float> FaceAnalyzer::Embed(const cv::Mat& aligned) {
  feature_.setInput(cv::dnn::blobFromImage(aligned, 1.0 / 128, cv::Size(),
                                           cv::Scalar(127, 127, 127), /*swapRB=*/true),
                    "input");
  const cv::Mat out = feature_.forward();
  std::vector<float> embedding(out.ptr<float>(), out.ptr<float>() + out.total());
  if (embedding.size() != static_cast<size_t>(kEmbeddingDim) || !Normalise(embedding)) {
    embedding.assign(kEmbeddingDim, 0.0f);
  }
  return embedding;
}

float FaceAnalyzer::Liveness(const cv::Mat& bgr, const cv::Rect2f& box) {
  // The box widened 2.7× around its centre (less where the photo ends), as the package does.
  const float rows = static_cast<float>(bgr.rows), cols = static_cast<float>(bgr.cols);
  const float scale = std::min({(rows - 1) / box.height, (cols - 1) / box.width, 2.7f});
  const float w = box.width * scale, h = box.height * scale;
  float x1 = box.x + box.width / 2 - w / 2, y1 = box.y + box.height / 2 - h / 2;
  x1 = std::clamp(x1, 0.0f, cols - 1 - w);
  y1 = std::clamp(y1, 0.0f, rows - 1 - h);
  const cv::Rect crop = cv::Rect(static_cast<int>(x1), static_cast<int>(y1), static_cast<int>(w),
                                 static_cast<int>(h)) &
                        cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (crop.width < 2 || crop.height < 2) return 0;
  cv::Mat patch;
  cv::resize(bgr(crop), patch, cv::Size(128, 128));
  liveness_.setInput(cv::dnn::blobFromImage(patch, 1.0, cv::Size(), cv::Scalar(), /*swapRB=*/true),
                     "input");
  const cv::Mat out = liveness_.forward();
  const float* logits = out.ptr<float>();
  const auto n = static_cast<int>(out.total());
  float max_logit = logits[0];
  for (int i = 1; i < n; ++i)
    max_logit = std::max(max_logit, logits[i]);
  double sum = 0;
  for (int i = 0; i < n; ++i)
    sum += std::exp(logits[i] - max_logit);
  return static_cast<float>(std::exp(logits[0] - max_logit) / sum);
}

Analysis FaceAnalyzer::Analyze(const cv::Mat& bgr, const AnalyzeOptions& options) {
  Analysis a;
  auto start = Clock::now();
  const std::vector<DetectedFace> faces = Detect(bgr);
  a.times.detect_ms = MsSince(start);
  a.faces = static_cast<int>(faces.size());
  if (faces.empty()) return a;
  if (faces.size() > 1) a.second_face_ratio = faces[1].box.height / faces[0].box.height;
  FaceResult f;
  f.detection = faces[0];
  start = Clock::now();
  f.landmarks = Landmarks(bgr, f.detection.box);
  a.times.landmarks_ms = MsSince(start);
  start = Clock::now();
  f.aligned = Align(bgr, FivePoints(f.landmarks));
  f.quality = AssessQuality(f.detection.box.height, f.landmarks, f.aligned, options.quality);
  a.times.align_ms = MsSince(start);
  start = Clock::now();
  f.embedding = Embed(f.aligned);
  a.times.embed_ms = MsSince(start);
  if (options.liveness) {
    start = Clock::now();
    f.liveness = Liveness(bgr, f.detection.box);
    a.times.liveness_ms = MsSince(start);
  }
  a.face = std::move(f);
  return a;
}

}  // namespace zhizhi::face

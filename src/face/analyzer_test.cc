// The pipeline on real photos: the models of faceplugin-face-recognition-js on the sample photos
// of @vladmandic/face-api (22 people in 6 group photos), both fetched by scripts/lib.sh into
// ZHIZHI_FACE_DATA. The thresholds asserted here are the defaults of FaceThresholds: these tests
// are what keeps them honest (docs/faces.md).
#include "face/analyzer.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/faces.h"
#include "face/gallery.h"

namespace zhizhi::face {
namespace {

const std::string kData = ZHIZHI_FACE_DATA;

// One analyzer per test process (models load once).
FaceAnalyzer& Analyzer() {
  static std::unique_ptr<FaceAnalyzer> analyzer = [] {
    auto models = LocateModels(kData + "/models");
    EXPECT_TRUE(models.ok()) << models.status().ToString();
    if (!models.ok()) return std::unique_ptr<FaceAnalyzer>();
    auto loaded = FaceAnalyzer::Load(*models);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? std::move(loaded).value() : std::unique_ptr<FaceAnalyzer>();
  }();
  return *analyzer;
}

cv::Mat Sample(int n) {
  cv::Mat img = cv::imread(kData + "/samples/sample" + std::to_string(n) + ".jpg");
  EXPECT_FALSE(img.empty()) << "sample" << n << ".jpg missing in " << kData;
  return img;
}

struct Face {
  cv::Rect2f box;
  Quality quality;
  float liveness = 0;
  std::vector<float> embedding;
};

// Every face of a photo, left to right (the pipeline analyses the largest; here each box).
std::vector<Face> AllFaces(const cv::Mat& img,
                           const QualityLimits& limits = QualityLimits::Live()) {
  FaceAnalyzer& a = Analyzer();
  auto detections = a.Detect(img);
  std::sort(detections.begin(), detections.end(),
            [](const DetectedFace& x, const DetectedFace& y) { return x.box.x < y.box.x; });
  std::vector<Face> out;
  for (const auto& d : detections) {
    Face f;
    f.box = d.box;
    const auto landmarks = a.Landmarks(img, d.box);
    const cv::Mat aligned = FaceAnalyzer::Align(img, FivePoints(landmarks));
    f.quality = AssessQuality(d.box.height, landmarks, aligned, limits);
    f.liveness = a.Liveness(img, d.box);
    f.embedding = a.Embed(aligned);
    out.push_back(std::move(f));
  }
  return out;
}

float Cos(const std::vector<float>& a, const std::vector<float>& b) {
  return Dot(a.data(), b.data(), kEmbeddingDim);
}

float BestMatch(const Face& face, const std::vector<Face>& in) {
  float best = -1;
  for (const Face& f : in)
    best = std::max(best, Cos(face.embedding, f.embedding));
  return best;
}

TEST(FaceAnalyzerTest, FindsEveryFaceOfTheSamplePhotos) {
  const int expected[] = {3, 3, 3, 4, 5, 4};
  for (int n = 1; n <= 6; ++n) {
    const auto faces = Analyzer().Detect(Sample(n));
    EXPECT_EQ(static_cast<int>(faces.size()), expected[n - 1]) << "sample" << n;
    for (const auto& f : faces) {
      EXPECT_GE(f.confidence, FaceAnalyzer::kDetectThreshold);
      EXPECT_GT(f.box.height, 150) << "sample" << n;  // faces are 200–310 px in these photos
    }
  }
}

TEST(FaceAnalyzerTest, EmbeddingsAreUnitVectorsAndStable) {
  const cv::Mat img = Sample(3);
  const auto a = AllFaces(img);
  const auto b = AllFaces(img);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].embedding.size(), static_cast<size_t>(kEmbeddingDim));
    EXPECT_NEAR(Cos(a[i].embedding, a[i].embedding), 1.0f, 1e-4);
    EXPECT_NEAR(Cos(a[i].embedding, b[i].embedding), 1.0f, 1e-4);  // deterministic
    EXPECT_GE(a[i].liveness, 0.0f);
    EXPECT_LE(a[i].liveness, 1.0f);
  }
}

TEST(FaceAnalyzerTest, SameFaceUnderFlipRotationBrightnessAndRecompressionMatches) {
  const float threshold = FaceThresholds{}.match;
  int checked = 0;
  for (int n : {3, 5, 6}) {
    const cv::Mat img = Sample(n);
    const auto faces = AllFaces(img);
    std::vector<std::pair<std::string, cv::Mat>> variants;
    cv::Mat v;
    cv::flip(img, v, 1);
    variants.emplace_back("flip", v.clone());
    cv::warpAffine(img, v,
                   cv::getRotationMatrix2D(cv::Point2f(img.cols / 2.0f, img.rows / 2.0f), 12, 1),
                   img.size());
    variants.emplace_back("rotated 12°", v.clone());
    img.convertTo(v, -1, 1.0, 50);
    variants.emplace_back("brighter", v.clone());
    img.convertTo(v, -1, 0.5, 0);
    variants.emplace_back("darker", v.clone());
    std::vector<unsigned char> jpeg;
    cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 20});
    variants.emplace_back("JPEG quality 20", cv::imdecode(jpeg, cv::IMREAD_COLOR));
    for (const auto& [name, variant] : variants) {
      const auto other = AllFaces(variant);
      for (size_t i = 0; i < faces.size(); ++i) {
        if (!faces[i].quality.ok()) continue;  // the gate would not identify from it anyway
        EXPECT_GE(BestMatch(faces[i], other), threshold)
            << "sample" << n << " face " << i << ", " << name;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 40);
}

TEST(FaceAnalyzerTest, DifferentPeopleScoreBelowTheThresholds) {
  const FaceThresholds th;
  std::vector<Face> all;
  for (int n = 1; n <= 6; ++n) {
    for (Face& f : AllFaces(Sample(n))) {
      if (f.quality.ok()) all.push_back(std::move(f));
    }
  }
  ASSERT_GE(all.size(), 15u) << "most sample faces pass the live quality gate";
  float worst = -1;
  for (size_t a = 0; a < all.size(); ++a) {
    for (size_t b = a + 1; b < all.size(); ++b)
      worst = std::max(worst, Cos(all[a].embedding, all[b].embedding));
  }
  EXPECT_LT(worst, th.match);
  EXPECT_LT(worst, th.duplicate);
  EXPECT_LT(worst, th.id_photo);
}

TEST(FaceAnalyzerTest, AnIdCardSizedPhotoMatchesItsPerson) {
  const cv::Mat img = Sample(5);
  const auto faces = AllFaces(img);
  ASSERT_EQ(faces.size(), 5u);
  const Face& face = faces[2];
  ASSERT_TRUE(face.quality.ok());
  // The chip photo of a resident ID card is 102×126 pixels, JPEG.
  const cv::Rect r =
      cv::Rect(static_cast<int>(face.box.x - face.box.width * 0.35f),
               static_cast<int>(face.box.y - face.box.height * 0.45f),
               static_cast<int>(face.box.width * 1.7f), static_cast<int>(face.box.height * 2.1f)) &
      cv::Rect(0, 0, img.cols, img.rows);
  cv::Mat card;
  cv::resize(img(r), card, cv::Size(102, 126), 0, 0, cv::INTER_AREA);
  const auto on_card = AllFaces(card, QualityLimits::IdCard());
  ASSERT_EQ(on_card.size(), 1u);
  EXPECT_GE(Cos(face.embedding, on_card[0].embedding), FaceThresholds{}.id_photo);
  // Everybody else in the photo is far from it.
  for (size_t i = 0; i < faces.size(); ++i) {
    if (i != 2) EXPECT_LT(Cos(faces[i].embedding, on_card[0].embedding), FaceThresholds{}.id_photo);
  }
}

TEST(FaceAnalyzerTest, APhotoWithoutAFaceHasNone) {
  const cv::Mat img = Sample(1);
  // The wall and posters above the people's heads.
  const cv::Mat wall = img(cv::Rect(0, 0, 900, 330)).clone();
  const Analysis a = Analyzer().Analyze(wall, AnalyzeOptions{});
  EXPECT_EQ(a.faces, 0);
  EXPECT_FALSE(a.face.has_value());
  const Analysis grey =
      Analyzer().Analyze(cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 90, 90)), AnalyzeOptions{});
  EXPECT_EQ(grey.faces, 0);
}

TEST(FaceAnalyzerTest, TheQualityGateNamesWhatIsWrong) {
  // A profile (sample 2, left) is turned.
  const auto s2 = AllFaces(Sample(2));
  ASSERT_EQ(s2.size(), 3u);
  const auto& reasons = s2[0].quality.reasons;
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "face_turned"), reasons.end())
      << s2[0].quality.ToJson().dump();
  // A frontal face, then made small, blurred and dark.
  const cv::Mat img = Sample(3);
  const auto faces = AllFaces(img);
  ASSERT_TRUE(faces[0].quality.ok()) << faces[0].quality.ToJson().dump();
  cv::Mat small, blurred, dark;
  cv::resize(img, small, cv::Size(), 0.2, 0.2, cv::INTER_AREA);
  const auto small_faces = AllFaces(small);
  ASSERT_FALSE(small_faces.empty());
  EXPECT_EQ(small_faces[0].quality.reasons.at(0), "face_too_small");
  cv::GaussianBlur(img, blurred, cv::Size(0, 0), 6);
  const auto blurred_faces = AllFaces(blurred);
  ASSERT_FALSE(blurred_faces.empty());
  const auto& blur_reasons = blurred_faces[0].quality.reasons;
  EXPECT_NE(std::find(blur_reasons.begin(), blur_reasons.end(), "face_blurred"), blur_reasons.end())
      << blurred_faces[0].quality.ToJson().dump();
  img.convertTo(dark, -1, 0.2, 0);
  const auto dark_faces = AllFaces(dark);
  ASSERT_FALSE(dark_faces.empty());
  const auto& dark_reasons = dark_faces[0].quality.reasons;
  EXPECT_NE(std::find(dark_reasons.begin(), dark_reasons.end(), "face_too_dark"),
            dark_reasons.end())
      << dark_faces[0].quality.ToJson().dump();
}

TEST(FaceAnalyzerTest, AlignmentIsASimilarityOntoTheReferencePoints) {
  // Points already on the reference map onto themselves; a scaled, rotated copy maps back.
  const auto& ref = ReferencePoints();
  const cv::Mat identity = SimilarityTransform(ref, ref);
  EXPECT_NEAR(identity.at<double>(0, 0), 1.0, 1e-6);
  EXPECT_NEAR(identity.at<double>(0, 1), 0.0, 1e-6);
  EXPECT_NEAR(identity.at<double>(0, 2), 0.0, 1e-4);
  std::array<cv::Point2f, 5> moved;
  const float c = std::cos(0.3f) * 2, s = std::sin(0.3f) * 2;
  for (size_t i = 0; i < 5; ++i) {
    moved[i] = cv::Point2f(c * ref[i].x - s * ref[i].y + 300, s * ref[i].x + c * ref[i].y + 40);
  }
  const cv::Mat back = SimilarityTransform(moved, ref);
  for (size_t i = 0; i < 5; ++i) {
    const double x = back.at<double>(0, 0) * moved[i].x + back.at<double>(0, 1) * moved[i].y +
                     back.at<double>(0, 2);
    const double y = back.at<double>(1, 0) * moved[i].x + back.at<double>(1, 1) * moved[i].y +
                     back.at<double>(1, 2);
    EXPECT_NEAR(x, ref[i].x, 1e-3);
    EXPECT_NEAR(y, ref[i].y, 1e-3);
  }
  // No shear: the linear part is a scaled rotation.
  EXPECT_NEAR(back.at<double>(0, 0), back.at<double>(1, 1), 1e-9);
  EXPECT_NEAR(back.at<double>(0, 1), -back.at<double>(1, 0), 1e-9);
}

TEST(FaceAnalyzerTest, MissingModelsAreNamed) {
  auto missing = LocateModels("/nonexistent/models");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("fr_detect.onnx"), std::string::npos);
  EXPECT_NE(missing.status().message().find("fr_feature.onnx"), std::string::npos);
}

}  // namespace
}  // namespace zhizhi::face

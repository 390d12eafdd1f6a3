// Measures what the face thresholds of docs/faces.md are chosen from, on the sample photos of
// `@vladmandic/face-api` (22 faces of 22 people in 6 group photos):
//   - every detected face with its quality measures and liveness;
//   - cosine of each face with itself under flip, rotation, brightness, JPEG recompression and
//     downscaling (same person);
//   - cosine between the faces of different people, all of them and only those passing the
//     live-enrolment quality gate;
//   - the same faces cut to ID-card size (102×126, JPEG 75) against the originals;
//   - how many pairs of different people reach the duplicate threshold (the false positives of
//     the duplicate-identity and borrowed-ID-card signals).
// Usage: zhizhi_face_calibrate [MODELS_DIR [SAMPLES_DIR]]
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/analyzer.h"
#include "face/faces.h"
#include "face/gallery.h"

using namespace zhizhi::face;

namespace {

struct Face {
  std::string name;
  cv::Rect2f box;
  Quality quality;
  float liveness;
  std::vector<float> embedding;
};

float Cos(const std::vector<float>& a, const std::vector<float>& b) {
  return Dot(a.data(), b.data(), kEmbeddingDim);
}

// Every face of a photo, analysed one by one (the pipeline analyses the largest; here each box).
std::vector<Face> AllFaces(FaceAnalyzer& analyzer, const cv::Mat& img, const std::string& name,
                           const QualityLimits& limits) {
  std::vector<Face> out;
  auto detections = analyzer.Detect(img);
  std::sort(detections.begin(), detections.end(),
            [](const DetectedFace& a, const DetectedFace& b) { return a.box.x < b.box.x; });
  int i = 0;
  for (const auto& d : detections) {
    Face f;
    f.name = name + "#" + std::to_string(i++);
    f.box = d.box;
    const auto landmarks = analyzer.Landmarks(img, d.box);
    const cv::Mat aligned = FaceAnalyzer::Align(img, FivePoints(landmarks));
    f.quality = AssessQuality(d.box.height, landmarks, aligned, limits);
    f.liveness = analyzer.Liveness(img, d.box);
    f.embedding = analyzer.Embed(aligned);
    out.push_back(std::move(f));
  }
  return out;
}

cv::Mat Recompress(const cv::Mat& img, int quality) {
  std::vector<unsigned char> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return cv::imdecode(buf, cv::IMREAD_COLOR);
}

void Percentiles(const char* what, std::vector<float> v) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * (v.size() - 1))]; };
  std::printf("%-44s n=%4zu min %.3f p1 %.3f p50 %.3f p99 %.3f max %.3f\n", what, v.size(),
              v.front(), at(0.01), at(0.5), at(0.99), v.back());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data = ZHIZHI_FACE_DATA;
  const std::string models_dir = argc > 1 ? argv[1] : data + "/models";
  const std::string samples = argc > 2 ? argv[2] : data + "/samples";
  auto models = LocateModels(models_dir);
  if (!models.ok()) {
    std::fprintf(stderr, "%s\n", models.status().ToString().c_str());
    return 1;
  }
  auto loaded = FaceAnalyzer::Load(*models);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
    return 1;
  }
  FaceAnalyzer& analyzer = **loaded;
  const QualityLimits live = QualityLimits::Live();

  std::vector<Face> all;
  std::vector<float> same, same_min_per_face, same_ok, id_card_ok;
  std::vector<std::pair<std::string, std::vector<float>>> per_variant;
  for (int s = 1; s <= 6; ++s) {
    const std::string name = "sample" + std::to_string(s);
    const cv::Mat img = cv::imread(samples + "/" + name + ".jpg");
    if (img.empty()) {
      std::fprintf(stderr, "cannot read %s/%s.jpg\n", samples.c_str(), name.c_str());
      return 1;
    }
    auto faces = AllFaces(analyzer, img, name, live);
    for (const Face& f : faces) {
      std::printf(
          "%-10s box %4.0f conf-ok liveness %.3f sharp %6.1f yaw %+.2f pitch %.2f roll %+5.1f "
          "bright %5.1f %s\n",
          f.name.c_str(), f.box.height, f.liveness, f.quality.sharpness, f.quality.yaw,
          f.quality.pitch, f.quality.roll_deg, f.quality.brightness,
          f.quality.ok() ? "ok" : ("REJECT " + f.quality.reasons.front()).c_str());
    }
    // Variants of the whole photo: each original face against its best match in the variant.
    std::vector<std::pair<std::string, cv::Mat>> variants;
    cv::Mat v;
    cv::flip(img, v, 1);
    variants.emplace_back("flip", v.clone());
    for (double angle : {-15.0, 10.0}) {
      cv::warpAffine(
          img, v, cv::getRotationMatrix2D(cv::Point2f(img.cols / 2.0f, img.rows / 2.0f), angle, 1),
          img.size());
      variants.emplace_back("rotate" + std::to_string(static_cast<int>(angle)), v.clone());
    }
    img.convertTo(v, -1, 1.0, 50);
    variants.emplace_back("brighter+50", v.clone());
    img.convertTo(v, -1, 0.5, 0);
    variants.emplace_back("darker×0.5", v.clone());
    variants.emplace_back("jpeg-q20", Recompress(img, 20));
    cv::resize(img, v, cv::Size(), 0.35, 0.35, cv::INTER_AREA);
    variants.emplace_back("scale×0.35", v.clone());
    std::vector<float> worst(faces.size(), 1.0f);
    for (const auto& [vname, vimg] : variants) {
      const auto vfaces = AllFaces(analyzer, vimg, name, live);
      std::vector<float>* bucket = nullptr;
      for (auto& [n, b] : per_variant) {
        if (n == vname) bucket = &b;
      }
      if (!bucket) bucket = &per_variant.emplace_back(vname, std::vector<float>()).second;
      for (size_t i = 0; i < faces.size(); ++i) {
        float best = -1;
        for (const Face& g : vfaces)
          best = std::max(best, Cos(faces[i].embedding, g.embedding));
        bucket->push_back(best);
        same.push_back(best);
        if (faces[i].quality.ok()) same_ok.push_back(best);
        worst[i] = std::min(worst[i], best);
      }
    }
    same_min_per_face.insert(same_min_per_face.end(), worst.begin(), worst.end());
    // ID-card size: the face cut with margins, 102×126, JPEG quality 75.
    for (const Face& f : faces) {
      const cv::Rect r =
          cv::Rect(static_cast<int>(f.box.x - f.box.width * 0.35f),
                   static_cast<int>(f.box.y - f.box.height * 0.45f),
                   static_cast<int>(f.box.width * 1.7f), static_cast<int>(f.box.height * 2.1f)) &
          cv::Rect(0, 0, img.cols, img.rows);
      cv::Mat card;
      cv::resize(img(r), card, cv::Size(102, 126), 0, 0, cv::INTER_AREA);
      card = Recompress(card, 75);
      const auto cfaces = AllFaces(analyzer, card, name, QualityLimits::IdCard());
      if (cfaces.empty()) {
        std::printf("  %s as an ID-card photo: no face found\n", f.name.c_str());
        continue;
      }
      if (f.quality.ok()) id_card_ok.push_back(Cos(f.embedding, cfaces[0].embedding));
      std::printf("  %s as an ID-card photo: cos %.3f liveness %.3f sharp %.1f face %.0f %s\n",
                  f.name.c_str(), Cos(f.embedding, cfaces[0].embedding), cfaces[0].liveness,
                  cfaces[0].quality.sharpness, cfaces[0].box.height,
                  cfaces[0].quality.ok() ? "ok" : cfaces[0].quality.reasons.front().c_str());
    }
    all.insert(all.end(), faces.begin(), faces.end());
  }
  std::printf("\n");
  for (const auto& [name, scores] : per_variant)
    Percentiles(("same face, " + name).c_str(), scores);
  Percentiles("same face, all variants", same);
  Percentiles("same face, worst variant per face", same_min_per_face);
  Percentiles("same face, all variants, face passes live gate", same_ok);
  Percentiles("ID-card-size photo vs face passing live gate", id_card_ok);
  std::vector<float> different, different_ok;
  std::string worst_pair;
  float worst_score = -1;
  for (size_t a = 0; a < all.size(); ++a) {
    for (size_t b = a + 1; b < all.size(); ++b) {
      const float c = Cos(all[a].embedding, all[b].embedding);
      different.push_back(c);
      if (all[a].quality.ok() && all[b].quality.ok()) different_ok.push_back(c);
      if (c > worst_score) {
        worst_score = c;
        worst_pair = all[a].name + " / " + all[b].name;
      }
    }
  }
  Percentiles("different people, all faces", different);
  Percentiles("different people, both pass the live gate", different_ok);
  std::printf("most similar different people: %s (%.3f)\n", worst_pair.c_str(), worst_score);
  // The borrowed-ID signal (a face refused for its ID card, enrolled as someone else) is false
  // only when two different people score at or above the duplicate threshold.
  const FaceThresholds th;  // the defaults
  for (const auto* set : {&different_ok, &different}) {
    const auto over =
        std::count_if(set->begin(), set->end(), [&](float c) { return c >= th.duplicate; });
    std::printf("different people >= duplicate %.2f (%s): %td of %zu pairs\n", th.duplicate,
                set == &different_ok ? "both pass the live gate" : "all faces", over, set->size());
  }
  return 0;
}

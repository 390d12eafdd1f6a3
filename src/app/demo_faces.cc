#include "app/demo_faces.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/analyzer.h"
#include "face/faces.h"

namespace zhizhi::app {

namespace {

// A crop of `face` `width` × `height` face-sizes around its centre (a little lower: the chin
// matters more than the hair), clamped to the photo.
cv::Mat CropAround(const cv::Mat& photo, const cv::Rect2f& face, float width, float height) {
  const float side = face.width;
  const float cx = face.x + side / 2;
  const float cy = face.y + side * 0.55f;
  cv::Rect r(static_cast<int>(cx - width * side / 2), static_cast<int>(cy - height * side / 2),
             static_cast<int>(width * side), static_cast<int>(height * side));
  r &= cv::Rect(0, 0, photo.cols, photo.rows);
  return photo(r).clone();
}

std::string Jpeg(const cv::Mat& image) {
  std::vector<unsigned char> bytes;
  cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(bytes.begin(), bytes.end());
}

// Workers on live projects with resident IDs, the first projects first: who gets the faces.
Result<std::vector<std::int64_t>> Candidates(store::Database& db, size_t n) {
  return db.Read([&](store::Connection& conn) -> Result<std::vector<std::int64_t>> {
    auto s = conn.Prepare(
        "SELECT e.person_id FROM enrolments e JOIN persons p ON p.id = e.person_id "
        "JOIN projects j ON j.code = e.project_code WHERE e.exit_date IS NULL AND "
        "j.status = 'active' AND p.id_type = '01' AND e.post IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM blacklist b WHERE b.person_id = e.person_id) "
        "GROUP BY e.person_id ORDER BY MIN(e.project_code), e.person_id LIMIT ?");
    s.Bind(1, static_cast<std::int64_t>(n));
    std::vector<std::int64_t> out;
    while (s.Step())
      out.push_back(s.Int(0));
    ZZ_RETURN_IF_ERROR(s.status());
    return out;
  });
}

}  // namespace

Result<DemoFacesSummary> SeedDemoFaces(Platform& platform, const std::string& models_dir,
                                       const std::string& samples_dir) {
  face::Faces* faces = platform.faces();
  if (faces == nullptr || !faces->available()) {
    return Status::Unavailable("the demo's faces need the face models (StartFaces first)");
  }
  ZZ_ASSIGN_OR_RETURN(face::ModelFiles models, face::LocateModels(models_dir));
  ZZ_ASSIGN_OR_RETURN(auto analyzer, face::FaceAnalyzer::Load(models));

  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(samples_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("sample", 0) == 0 && entry.path().extension() == ".jpg") {
      files.push_back(entry.path().string());
    }
  }
  if (ec || files.empty()) {
    return Status::NotFound("no sample*.jpg in " + samples_dir + " (scripts/lib.sh fetches them)");
  }
  std::sort(files.begin(), files.end());  // the same persons get the same faces every time

  DemoFacesSummary summary;
  ZZ_ASSIGN_OR_RETURN(std::vector<std::int64_t> persons, Candidates(platform.db(), 200));
  size_t next = 0;
  auto enrol = [&](std::int64_t person, const cv::Mat& photo, const char* source) {
    std::promise<Result<nlohmann::json>> done;
    faces->Enrol(person, face::EnrolInput{Jpeg(photo), source}, "demo",
                 [&done](Result<nlohmann::json> r) { done.set_value(std::move(r)); });
    Result<nlohmann::json> result = done.get_future().get();
    if (!result.ok()) {
      ++summary.refused[std::string(source) + " " + result.status().code()];
      return false;
    }
    ++summary.enrolled;
    return true;
  };
  for (const std::string& file : files) {
    const cv::Mat photo = cv::imread(file, cv::IMREAD_COLOR);
    if (photo.empty()) continue;
    ++summary.photos;
    std::vector<face::DetectedFace> found = analyzer->Detect(photo);
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.box.x < b.box.x; });
    for (const face::DetectedFace& d : found) {
      ++summary.faces;
      if (next >= persons.size()) break;
      // The chip photo first (a live face needs it to compare with), in an ID card's 102×126.
      cv::Mat card;
      cv::resize(CropAround(photo, d.box, 1.3f, 1.6f), card, cv::Size(102, 126), 0, 0,
                 cv::INTER_AREA);
      const std::int64_t person = persons[next];
      if (!enrol(person, card, "id_card")) continue;  // the next face tries the same person
      ++next;
      if (enrol(person, CropAround(photo, d.box, 1.8f, 2.2f), "live")) ++summary.persons;
    }
  }
  return summary;
}

Result<DemoTemplatesSummary> SeedDemoTemplates(Platform& platform, std::uint64_t seed,
                                               int without_live_one_in) {
  face::Faces* faces = platform.faces();
  if (faces == nullptr) return Status::Unavailable("the demo's templates need StartFaces first");
  ZZ_ASSIGN_OR_RETURN(
      std::vector<std::int64_t> persons,
      platform.db().Read([](store::Connection& conn) -> Result<std::vector<std::int64_t>> {
        auto s = conn.Prepare(
            "SELECT p.id FROM persons p WHERE EXISTS (SELECT 1 FROM enrolments e WHERE "
            "e.person_id = p.id) AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.person_id = p.id "
            "AND f.status = 'active') ORDER BY p.id");
        std::vector<std::int64_t> out;
        while (s.Step())
          out.push_back(s.Int(0));
        ZZ_RETURN_IF_ERROR(s.status());
        return out;
      }));
  DemoTemplatesSummary summary;
  constexpr size_t kBatch = 500;
  for (size_t from = 0; from < persons.size(); from += kBatch) {
    const size_t to = std::min(persons.size(), from + kBatch);
    DemoTemplatesSummary batch;
    ZZ_RETURN_IF_ERROR(platform.db().Write([&](store::Connection& conn) -> Status {
      batch = {};
      for (size_t i = from; i < to; ++i) {
        const std::uint64_t h = (static_cast<std::uint64_t>(persons[i]) * 2654435761u) ^ seed;
        const bool live = without_live_one_in <= 0 || h % without_live_one_in != 0;
        ZZ_RETURN_IF_ERROR(faces->EnrolDemoTemplates(conn, persons[i], live, seed));
        ++batch.persons;
        if (!live) ++batch.without_live;
      }
      return Status::Ok();
    }));
    summary.persons += batch.persons;
    summary.without_live += batch.without_live;
  }
  return summary;
}

}  // namespace zhizhi::app

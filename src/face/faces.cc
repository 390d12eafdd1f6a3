#include "face/faces.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <random>

#include <spdlog/spdlog.h>

#include "base/civil_time.h"

namespace zhizhi::face {

namespace {

using nlohmann::json;

json Round3(double v) {
  return std::round(v * 1000) / 1000;
}

json OptRound3(const std::optional<double>& v) {
  return v ? Round3(*v) : json();
}

Status StepStatus(const store::Statement& s) {
  return s.status();
}

// Runs `fn`, turning an escaping exception into an Internal status (tasks on the face workers
// must always answer their caller).
template <typename Fn>
auto Guarded(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face recognition failed: ") + e.what());
  }
}

}  // namespace

Faces::Faces(store::Database* db, const security::FieldCipher* cipher, FaceEngine* engine,
             FacesOptions options)
    : db_(db),
      cipher_(cipher),
      engine_(engine),
      options_(std::move(options)),
      model_id_(engine ? engine->models().feature_id : ""),
      state_(std::make_unique<State>()) {
  state_->district = MakeGallery(options_.district_index);
}

// ------------------------------------------------------------------------------------ state

std::optional<std::string> Faces::SealEmbedding(const std::vector<float>& v) const {
  if (v.size() != static_cast<size_t>(kEmbeddingDim)) return std::nullopt;
  return cipher_->Seal(
      std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
}

Result<std::vector<float>> Faces::UnsealEmbedding(const std::string& sealed) const {
  ZZ_ASSIGN_OR_RETURN(std::string bytes, cipher_->Unseal(sealed));
  if (bytes.size() != kEmbeddingDim * sizeof(float)) {
    return Status::Internal("a stored face embedding has the wrong size");
  }
  std::vector<float> v(kEmbeddingDim);
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

Gallery& Faces::ProjectGallery(State& st, const std::string& project) {
  auto& gallery = st.projects[project];
  if (!gallery) gallery = MakeGallery("exact");  // a site's roster: exact SIMD scan
  return *gallery;
}

void Faces::Index(State& st, std::int64_t face_id, const Template& t) {
  st.active[face_id] = t;
  st.faces_of[t.person].push_back(face_id);
  st.district->Add(face_id, t.embedding);
  if (auto it = st.projects_of.find(t.person); it != st.projects_of.end()) {
    for (const std::string& project : it->second)
      ProjectGallery(st, project).Add(face_id, t.embedding);
  }
}

void Faces::Unindex(State& st, std::int64_t face_id, const Template& t) {
  st.district->Remove(face_id);
  if (auto it = st.projects_of.find(t.person); it != st.projects_of.end()) {
    for (const std::string& project : it->second) {
      if (auto g = st.projects.find(project); g != st.projects.end()) g->second->Remove(face_id);
    }
  }
  auto& ids = st.faces_of[t.person];
  ids.erase(std::remove(ids.begin(), ids.end(), face_id), ids.end());
  if (ids.empty()) st.faces_of.erase(t.person);
  st.active.erase(face_id);
}

Status Faces::Start() {
  if (!engine_) return Status::Ok();  // nothing can be recognised: no galleries to keep
  return db_->Write([this](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(std::unique_ptr<State> fresh, ReadState(conn));
    ReplaceState(conn, std::move(fresh));
    spdlog::info("event=faces_loaded faces={} persons={} projects={} district_index={}",
                 state_->active.size(), state_->faces_of.size(), state_->projects.size(),
                 state_->district->kind());
    return Status::Ok();
  });
}

Result<std::unique_ptr<Faces::State>> Faces::ReadState(store::Connection& conn) const {
  auto fresh = std::make_unique<State>();
  State& st = *fresh;
  st.district = MakeGallery(options_.district_index);
  {
    auto s = conn.Prepare("SELECT person_id, project_code FROM enrolments WHERE exit_date IS NULL");
    while (s.Step())
      st.projects_of[s.Int(0)].insert(s.Text(1));
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  std::int64_t other_model = 0, demo = 0;
  {
    auto s = conn.Prepare(
        "SELECT id, person_id, source, status, embedding, model FROM faces "
        "WHERE status IN ('active', 'duplicate') ORDER BY id");
    while (s.Step()) {
      if (s.Text(5) != model_id_) {
        ++(s.Text(5) == kDemoModel ? demo : other_model);
        continue;
      }
      ZZ_ASSIGN_OR_RETURN(std::vector<float> embedding, UnsealEmbedding(s.Blob(4)));
      Template t{s.Int(1), s.Text(2), std::move(embedding)};
      if (t.source == "id_card") st.id_photo[t.person] = t.embedding;  // the latest wins
      if (s.Text(3) == "active") Index(st, s.Int(0), t);
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  if (other_model > 0) {
    spdlog::warn("event=faces_of_another_model count={} model={} hint=\"re-enrol these faces\"",
                 other_model, model_id_);
  }
  if (demo > 0) {
    spdlog::info(
        "event=demo_face_templates count={} note=\"the demo's synthetic templates, never "
        "recognised\"",
        demo);
  }
  return fresh;
}

void Faces::ReplaceState(store::Connection& conn, std::unique_ptr<State> fresh) {
  {
    std::unique_lock lock(mu_);
    std::swap(state_, fresh);
  }
  // std::function wants a copyable callable: the old state rides in a shared holder.
  auto old = std::make_shared<std::unique_ptr<State>>(std::move(fresh));
  conn.OnRollback([this, old] {
    std::unique_lock lock(mu_);
    std::swap(state_, *old);
  });
}

void Faces::AddTemplate(store::Connection& conn, std::int64_t face_id, const Template& t) {
  {
    std::unique_lock lock(mu_);
    Index(*state_, face_id, t);
  }
  conn.OnRollback([this, face_id, t] {
    std::unique_lock lock(mu_);
    Unindex(*state_, face_id, t);
  });
}

void Faces::RemoveTemplate(store::Connection& conn, std::int64_t face_id) {
  auto found = state_->active.find(face_id);  // the writer thread: read without the lock
  if (found == state_->active.end()) return;
  const Template t = found->second;
  {
    std::unique_lock lock(mu_);
    Unindex(*state_, face_id, t);
  }
  conn.OnRollback([this, face_id, t] {
    std::unique_lock lock(mu_);
    Index(*state_, face_id, t);
  });
}

Status Faces::RefreshIdPhoto(store::Connection& conn, std::int64_t person_id) {
  std::optional<std::vector<float>> now;
  {
    auto s = conn.Prepare(
        "SELECT embedding FROM faces WHERE person_id = ? AND source = 'id_card' AND model = ? "
        "AND status IN ('active', 'duplicate') ORDER BY id DESC LIMIT 1");
    s.Bind(1, person_id).Bind(2, model_id_);
    if (s.Step()) {
      ZZ_ASSIGN_OR_RETURN(now, UnsealEmbedding(s.Blob(0)));
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  std::optional<std::vector<float>> before;
  if (auto it = state_->id_photo.find(person_id); it != state_->id_photo.end()) {
    before = it->second;
  }
  if (before == now) return Status::Ok();
  auto put = [this, person_id](const std::optional<std::vector<float>>& photo) {
    std::unique_lock lock(mu_);
    if (photo) {
      state_->id_photo[person_id] = *photo;
    } else {
      state_->id_photo.erase(person_id);
    }
  };
  put(now);
  conn.OnRollback([put, before] { put(before); });
  return Status::Ok();
}

void Faces::MoveProjects(State& st, std::int64_t person_id, const std::set<std::string>& from,
                         const std::set<std::string>& to) {
  const auto faces = st.faces_of.find(person_id);
  if (faces != st.faces_of.end()) {
    for (const std::string& project : from) {
      if (to.count(project)) continue;
      if (auto g = st.projects.find(project); g != st.projects.end()) {
        for (std::int64_t id : faces->second)
          g->second->Remove(id);  // exited: no longer recognised on this site
      }
    }
    for (const std::string& project : to) {
      if (from.count(project)) continue;
      for (std::int64_t id : faces->second)
        ProjectGallery(st, project).Add(id, st.active[id].embedding);
    }
  }
  if (to.empty()) {
    st.projects_of.erase(person_id);
  } else {
    st.projects_of[person_id] = to;
  }
}

Status Faces::OnPersonChanged(store::Connection& conn, std::int64_t person_id) {
  if (!engine_) return Status::Ok();
  std::set<std::string> now;
  {
    auto s = conn.Prepare(
        "SELECT project_code FROM enrolments WHERE person_id = ? AND exit_date IS NULL");
    s.Bind(1, person_id);
    while (s.Step())
      now.insert(s.Text(0));
    ZZ_RETURN_IF_ERROR(StepStatus(s));
  }
  std::set<std::string> before;
  if (auto it = state_->projects_of.find(person_id); it != state_->projects_of.end()) {
    before = it->second;
  }
  if (before == now) return Status::Ok();
  {
    std::unique_lock lock(mu_);
    MoveProjects(*state_, person_id, before, now);
  }
  conn.OnRollback([this, person_id, before, now] {
    std::unique_lock lock(mu_);
    MoveProjects(*state_, person_id, now, before);
  });
  return Status::Ok();
}

// ------------------------------------------------------------------------------------ views

Status Faces::ExtendPersonView(store::Connection& conn, std::int64_t person_id, json& view) const {
  auto s = conn.Prepare(
      "SELECT id, source, status, duplicate_of, created_at, model FROM faces WHERE person_id = ? "
      "AND status IN ('active', 'duplicate') ORDER BY id");
  s.Bind(1, person_id);
  int active = 0, live = 0;
  bool id_card = false, demo = false;
  json duplicates = json::array();
  std::optional<std::int64_t> updated;
  while (s.Step()) {
    updated = s.Int(4);
    if (s.Text(2) == "duplicate") {
      duplicates.push_back(
          {{"face_id", s.Int(0)}, {"person_id", s.OptInt(3) ? json(*s.OptInt(3)) : json()}});
      continue;
    }
    ++active;
    demo = demo || s.Text(5) == kDemoModel;
    if (s.Text(1) == "id_card") {
      id_card = true;
    } else {
      ++live;
    }
  }
  ZZ_RETURN_IF_ERROR(StepStatus(s));
  view["face"] = {{"enrolled", active > 0},
                  {"count", active},
                  {"id_card", id_card},
                  {"live", live},
                  {"status", !duplicates.empty() ? "duplicate_review"
                             : active > 0        ? "enrolled"
                                                 : "none"},
                  {"duplicates", std::move(duplicates)},
                  {"demo", demo},  // synthetic demo templates (EnrolDemoTemplates)
                  {"updated_at", updated ? json(FormatRfc3339(*updated)) : json()}};
  return Status::Ok();
}

Result<std::optional<std::string>> Faces::Photo(std::int64_t person_id) const {
  return db_->Read([&](store::Connection& conn) -> Result<std::optional<std::string>> {
    auto s = conn.Prepare(
        "SELECT photo FROM faces WHERE person_id = ? AND status = 'active' AND photo IS NOT NULL "
        "ORDER BY source = 'live' DESC, id DESC LIMIT 1");
    s.Bind(1, person_id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return std::optional<std::string>();
    }
    ZZ_ASSIGN_OR_RETURN(std::string jpeg, cipher_->Unseal(s.Blob(0)));
    return std::optional<std::string>(std::move(jpeg));
  });
}

Result<json> Faces::List(std::int64_t person_id) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(const bool known,
                        store::RowExists(conn, "SELECT 1 FROM persons WHERE id = ?", person_id));
    if (!known) return Status::NotFound("no person " + std::to_string(person_id));
    auto s = conn.Prepare(
        "SELECT id, source, status, model, quality, liveness, id_score, duplicate_of, "
        "duplicate_score, photo IS NOT NULL, created_at, created_by, changed_at FROM faces "
        "WHERE person_id = ? ORDER BY id");
    s.Bind(1, person_id);
    json items = json::array();
    while (s.Step()) {
      items.push_back({{"id", s.Int(0)},
                       {"source", s.Text(1)},
                       {"status", s.Text(2)},
                       {"model", s.Text(3)},
                       {"quality", json::parse(s.Text(4), nullptr, false)},
                       {"liveness", s.IsNull(5) ? json() : Round3(s.Double(5))},
                       {"id_score", s.IsNull(6) ? json() : Round3(s.Double(6))},
                       {"duplicate_of", s.OptInt(7) ? json(*s.OptInt(7)) : json()},
                       {"duplicate_score", s.IsNull(8) ? json() : Round3(s.Double(8))},
                       {"photo_stored", s.Int(9) != 0},
                       {"created_at", FormatRfc3339(s.Int(10))},
                       {"created_by", s.OptText(11) ? json(*s.OptText(11)) : json()},
                       {"changed_at", s.OptInt(12) ? json(FormatRfc3339(*s.OptInt(12))) : json()}});
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    return json{{"person_id", person_id}, {"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

json Faces::Describe() const {
  json out = {{"available", engine_ != nullptr},
              {"model", model_id_.empty() ? json() : json(model_id_)},
              {"thresholds",
               {{"match", Round3(options_.thresholds.match)},
                {"duplicate", Round3(options_.thresholds.duplicate)},
                {"id_photo", Round3(options_.thresholds.id_photo)},
                {"liveness", Round3(options_.thresholds.liveness)}}},
              {"keep_photos", options_.keep_photos}};
  if (!engine_) return out;
  std::shared_lock lock(mu_);
  json projects = json::array();
  std::vector<std::pair<std::string, size_t>> sizes;
  for (const auto& [code, g] : state_->projects)
    sizes.emplace_back(code, g->size());
  std::sort(sizes.begin(), sizes.end());
  for (const auto& [code, n] : sizes)
    projects.push_back({{"project_code", code}, {"faces", n}, {"index", "exact"}});
  out["workers"] = engine_->workers();
  out["district"] = {{"faces", state_->district->size()}, {"index", state_->district->kind()}};
  out["persons"] = state_->faces_of.size();
  out["projects"] = std::move(projects);
  return out;
}

json Faces::Describe(const State& st) {
  const auto digest = [](const std::vector<float>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0);  // the same bits give the same sum
  };
  std::map<std::int64_t, json> active;
  for (const auto& [id, t] : st.active)
    active[id] = {t.person, t.source, digest(t.embedding)};
  std::map<std::int64_t, std::vector<std::int64_t>> faces_of;
  for (const auto& [person, ids] : st.faces_of) {
    auto& sorted = faces_of[person] = ids;
    std::sort(sorted.begin(), sorted.end());
  }
  std::map<std::int64_t, double> id_photo;
  for (const auto& [person, v] : st.id_photo)
    id_photo[person] = digest(v);
  std::map<std::int64_t, std::set<std::string>> projects_of(st.projects_of.begin(),
                                                            st.projects_of.end());
  std::map<std::string, size_t> galleries;  // an empty gallery is as good as none
  for (const auto& [code, g] : st.projects) {
    if (g->size() > 0) galleries[code] = g->size();
  }
  json out = {{"active", json::array()}, {"faces_of", faces_of},
              {"id_photo", id_photo},    {"projects_of", projects_of},
              {"galleries", galleries},  {"district", st.district->size()}};
  for (const auto& [id, t] : active)
    out["active"].push_back({{"id", id}, {"template", t}});
  return out;
}

json Faces::MemorySnapshot() const {
  std::shared_lock lock(mu_);
  return Describe(*state_);
}

Result<json> Faces::LoadSnapshot() const {
  if (!engine_) return MemorySnapshot();  // no galleries are kept
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(std::unique_ptr<State> fresh, ReadState(conn));
    return Describe(*fresh);
  });
}

std::vector<gate::FaceCandidate> Faces::PerPerson(const State& st, const std::vector<Hit>& hits,
                                                  std::int64_t exclude_person, size_t n) {
  std::vector<gate::FaceCandidate> out;
  for (const Hit& h : hits) {  // best first
    auto t = st.active.find(h.key);
    if (t == st.active.end() || t->second.person == exclude_person) continue;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const gate::FaceCandidate& c) {
      return c.person_id == t->second.person;
    });
    if (!seen) out.push_back({t->second.person, h.score});
    if (out.size() == n) break;
  }
  return out;
}

// ------------------------------------------------------------------------------------ enrolment

void Faces::Enrol(std::int64_t person_id, EnrolInput input, std::string created_by, Done done,
                  AlsoWrite also) {
  if (!engine_) {
    return done(Status::Rule("face_recognition_unavailable", "image",
                             "this server has no face recognition (started without face models)"));
  }
  auto exists = db_->Read([&](store::Connection& conn) {
    return store::RowExists(conn, "SELECT 1 FROM persons WHERE id = ?", person_id);
  });
  if (!exists.ok()) return done(exists.status());
  if (!*exists) return done(Status::NotFound("no person " + std::to_string(person_id)));
  auto shared_input = std::make_shared<EnrolInput>(std::move(input));
  Status queued = engine_->Submit([this, person_id, shared_input, created_by, done,
                                   also = std::move(also)](FaceAnalyzer& analyzer) {
    auto analysed = Guarded([&]() -> Result<FaceResult> {
      ZZ_ASSIGN_OR_RETURN(cv::Mat image, DecodeJpeg(shared_input->jpeg, options_.limits, "image"));
      AnalyzeOptions options;
      options.quality =
          shared_input->source == "id_card" ? QualityLimits::IdCard() : QualityLimits::Live();
      Analysis a = analyzer.Analyze(image, options);
      if (!a.face) {
        return Status::Rule("no_face", "image", "no face was found in the photo");
      }
      if (a.second_face_ratio > 0.8f) {
        return Status::Rule("multiple_faces", "image",
                            "the photo shows " + std::to_string(a.faces) +
                                " faces of similar size; enrol one person per photo")
            .With("faces", a.faces);
      }
      const FaceResult& f = *a.face;
      if (!f.quality.ok()) {
        return Status::Rule("face_quality", "image",
                            "the face is not good enough to enrol: " + f.quality.reasons.front())
            .With("quality", f.quality.ToJson());
      }
      if (shared_input->source == "live" && f.liveness < options_.thresholds.liveness) {
        return Status::Rule("liveness_failed", "image",
                            "the capture does not look like a live face (a photo of a photo or "
                            "a screen?)")
            .With("liveness", Round3(f.liveness))
            .With("quality", f.quality.ToJson());
      }
      return std::move(*a.face);
    });
    if (!analysed.ok()) return done(analysed.status());
    auto face = std::make_shared<FaceResult>(std::move(analysed).value());
    auto out = std::make_shared<json>();
    auto refused = std::make_shared<Status>();
    db_->WriteAsync(
        [this, person_id, shared_input, face, created_by, out, refused,
         also](store::Connection& conn) -> Status {
          auto stored = StoreFace(conn, person_id, shared_input->source, shared_input->jpeg, *face,
                                  created_by, refused.get());
          if (!stored.ok()) return stored.status();
          *out = std::move(stored).value();
          return also ? also(conn, *out) : Status::Ok();
        },
        [out, refused, done](const Status& status) {
          if (!status.ok()) return done(status);
          if (!refused->ok()) return done(*refused);  // the attempt is committed, the face is not
          done(std::move(*out));
        });
  });
  if (!queued.ok()) done(queued);
}

Result<json> Faces::StoreFace(store::Connection& conn, std::int64_t person_id,
                              const std::string& source, const std::string& jpeg,
                              const FaceResult& face, const std::string& created_by,
                              Status* refused) {
  std::string id_type;
  {
    auto s = conn.Prepare("SELECT id_type FROM persons WHERE id = ?");
    s.Bind(1, person_id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(StepStatus(s));
      return Status::NotFound("no person " + std::to_string(person_id));
    }
    id_type = s.Text(0);
  }
  const FaceThresholds& th = options_.thresholds;
  std::optional<double> id_score;
  std::vector<gate::FaceCandidate> others;
  {
    std::shared_lock lock(mu_);
    const State& st = *state_;
    if (source == "live") {
      auto photo = st.id_photo.find(person_id);
      if (photo != st.id_photo.end()) {
        id_score = Dot(photo->second.data(), face.embedding.data(), kEmbeddingDim);
      } else if (id_type == "01") {
        // A resident ID card carries a chip photo: compare with it before trusting a capture.
        return Status::Rule("id_photo_missing", "source",
                            "enrol the ID-card photo (source id_card) before a live face: the "
                            "live face is checked against it");
      }
    }
    // The same face under anybody else (identity fraud): the district gallery.
    others = PerPerson(st, st.district->Search(face.embedding, 10), person_id, 3);
  }
  if (id_score && *id_score < th.id_photo) {
    Status mismatch = Status::Rule("face_mismatch", "image",
                                   "the live face does not match the ID-card photo (人证不符)")
                          .With("id_score", Round3(*id_score))
                          .With("threshold", Round3(th.id_photo));
    if (others.empty() || others[0].score < th.duplicate) return mismatch;
    // Somebody else's enrolled face under this ID card: refused all the same, but the attempt
    // is kept (committed) as the evidence of a duplicate_identity alert.
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO identity_attempts(person_id, enrolled_as, channel, claim_score, "
                     "face_score, liveness, actor, created_at) VALUES (?,?,'enrolment',?,?,?,?,?)")
            .Bind(1, person_id)
            .Bind(2, others[0].person_id)
            .Bind(3, *id_score)
            .Bind(4, others[0].score)
            .Bind(5, static_cast<double>(face.liveness))
            .Bind(6, created_by)
            .Bind(7, NowUnixMs())
            .Run());
    ZZ_RETURN_IF_ERROR(AttemptRecorded(conn, person_id));
    spdlog::warn(
        "event=identity_attempt channel=enrolment person_id={} enrolled_as={} id_score={:.3f} "
        "score={:.3f} by={}",
        person_id, others[0].person_id, *id_score, others[0].score, created_by);
    mismatch.With("duplicate_of",
                  json{{"person_id", others[0].person_id}, {"score", Round3(others[0].score)}});
    *refused = mismatch;
    return json{
        {"id", nullptr}, {"person_id", person_id}, {"source", source}, {"status", "refused"}};
  }
  const bool duplicate = !others.empty() && others[0].score >= th.duplicate;
  const std::string status = duplicate ? "duplicate" : "active";
  const std::int64_t now = NowUnixMs();

  auto sealed = SealEmbedding(face.embedding);
  if (!sealed) return Status::Internal("face embedding has the wrong size");
  std::optional<std::string> photo;
  if (options_.keep_photos) photo = cipher_->Seal(jpeg);
  auto insert = conn.Prepare(
      "INSERT INTO faces(person_id, source, status, model, embedding, quality, liveness, "
      "id_score, duplicate_of, duplicate_score, photo, created_at, created_by) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  insert.Bind(1, person_id).Bind(2, source).Bind(3, status).Bind(4, model_id_);
  insert.BindBlob(5, *sealed).Bind(6, face.quality.ToJson().dump());
  insert.Bind(7, static_cast<double>(face.liveness)).Bind(8, id_score);
  if (duplicate) {
    insert.Bind(9, others[0].person_id).Bind(10, others[0].score);
  } else {
    insert.BindNull(9).BindNull(10);
  }
  if (photo) {
    insert.BindBlob(11, *photo);
  } else {
    insert.BindNull(11);
  }
  insert.Bind(12, now).Bind(13, created_by);
  ZZ_RETURN_IF_ERROR(insert.Run());
  const std::int64_t face_id = conn.LastInsertRowId();

  // What the new face replaces: the previous ID-card photo, or live faces past the limit.
  std::vector<std::int64_t> superseded;
  if (!duplicate) {
    auto s = conn.Prepare(
        "SELECT id FROM faces WHERE person_id = ? AND source = ? AND status = 'active' AND id <> ? "
        "ORDER BY id DESC");
    s.Bind(1, person_id).Bind(2, source).Bind(3, face_id);
    int kept = 1;  // the new one
    const int keep = source == "id_card" ? 1 : std::max(1, options_.max_live_faces);
    while (s.Step()) {
      if (kept < keep) {
        ++kept;
      } else {
        superseded.push_back(s.Int(0));
      }
    }
    ZZ_RETURN_IF_ERROR(StepStatus(s));
    for (std::int64_t old : superseded) {
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("UPDATE faces SET status = 'superseded', changed_at = ? WHERE id = ?")
              .Bind(1, now)
              .Bind(2, old)
              .Run());
    }
  }
  ZZ_RETURN_IF_ERROR(FaceChanged(conn, person_id));
  for (std::int64_t old : superseded)
    RemoveTemplate(conn, old);
  if (source == "id_card") ZZ_RETURN_IF_ERROR(RefreshIdPhoto(conn, person_id));
  if (!duplicate) AddTemplate(conn, face_id, Template{person_id, source, face.embedding});
  if (duplicate) {
    spdlog::warn("event=duplicate_identity person_id={} face_id={} duplicate_of={} score={:.3f}",
                 person_id, face_id, others[0].person_id, others[0].score);
  }
  json similar = json::array();
  for (const auto& c : others)
    similar.push_back({{"person_id", c.person_id}, {"score", Round3(c.score)}});
  return json{{"id", face_id},
              {"person_id", person_id},
              {"source", source},
              {"status", status},
              {"enrolled", !duplicate},
              {"quality", face.quality.ToJson()},
              {"liveness", Round3(face.liveness)},
              {"live", face.liveness >= th.liveness},
              {"id_score", OptRound3(id_score)},
              {"id_match", id_score ? json(*id_score >= th.id_photo) : json()},
              {"duplicate_of", duplicate ? json{{"person_id", others[0].person_id},
                                                {"score", Round3(others[0].score)}}
                                         : json()},
              {"superseded", superseded},
              {"model", model_id_},
              {"photo_stored", photo.has_value()},
              {"created_at", FormatRfc3339(now)}};
}

Result<json> Faces::Remove(std::int64_t person_id, std::int64_t face_id, const AlsoWrite& also) {
  const json out = {{"id", face_id}, {"person_id", person_id}, {"status", "removed"}};
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE faces SET status = 'removed', changed_at = ? "
                                    "WHERE id = ? AND person_id = ? AND status <> 'removed'")
                           .Bind(1, NowUnixMs())
                           .Bind(2, face_id)
                           .Bind(3, person_id)
                           .Run());
    if (conn.Changes() == 0) {
      return Status::NotFound("person " + std::to_string(person_id) + " has no face " +
                              std::to_string(face_id));
    }
    ZZ_RETURN_IF_ERROR(FaceChanged(conn, person_id));
    if (also) ZZ_RETURN_IF_ERROR(also(conn, out));
    if (!engine_) return Status::Ok();
    RemoveTemplate(conn, face_id);
    return RefreshIdPhoto(conn, person_id);
  });
  if (!status.ok()) return status;
  return out;
}

Status Faces::EnrolDemoTemplates(store::Connection& conn, std::int64_t person_id, bool live,
                                 std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ (static_cast<std::uint64_t>(person_id) * 0x9E3779B97F4A7C15ull));
  std::normal_distribution<float> normal(0.f, 1.f);
  auto unit = [](std::vector<float> v) {
    const float norm = std::sqrt(Dot(v.data(), v.data(), kEmbeddingDim));
    for (float& x : v)
      x /= norm;
    return v;
  };
  std::vector<float> card(kEmbeddingDim);
  for (float& x : card)
    x = normal(rng);
  card = unit(std::move(card));
  // Noise of the card's size × 0.75 leaves a cosine of about 1 / sqrt(1 + 0.75²) = 0.8.
  std::vector<float> capture(kEmbeddingDim);
  for (int i = 0; i < kEmbeddingDim; ++i)
    capture[i] = card[i] + 0.75f * normal(rng) / std::sqrt(static_cast<float>(kEmbeddingDim));
  capture = unit(std::move(capture));
  const double id_score = Dot(card.data(), capture.data(), kEmbeddingDim);

  const std::int64_t now = NowUnixMs();
  auto store = [&](const char* source, const std::vector<float>& v,
                   std::optional<double> score) -> Status {
    auto sealed = SealEmbedding(v);
    if (!sealed) return Status::Internal("demo embedding has the wrong size");
    auto insert = conn.Prepare(
        "INSERT INTO faces(person_id, source, status, model, embedding, quality, liveness, "
        "id_score, created_at, created_by) VALUES (?,?,'active',?,?,'{\"demo\":true}',?,?,?,"
        "'demo')");
    insert.Bind(1, person_id).Bind(2, source).Bind(3, kDemoModel).BindBlob(4, *sealed);
    insert.BindNull(5).Bind(6, score).Bind(7, now);  // no capture, no liveness
    return insert.Run();
  };
  ZZ_RETURN_IF_ERROR(store("id_card", card, std::nullopt));
  if (live) ZZ_RETURN_IF_ERROR(store("live", capture, id_score));
  return FaceChanged(conn, person_id);
}

// ------------------------------------------------------------------------------------ gate

void Faces::Identify(gate::FaceQuery query, std::function<void(Result<gate::FaceVerdict>)> done) {
  if (!engine_) {
    return done(Status::Rule("face_recognition_unavailable", "face_image",
                             "this server has no face recognition (started without face models)"));
  }
  auto q = std::make_shared<gate::FaceQuery>(std::move(query));
  Status queued = engine_->Submit([this, q, done](FaceAnalyzer& analyzer) {
    auto verdict = Guarded([&]() -> Result<gate::FaceVerdict> {
      ZZ_ASSIGN_OR_RETURN(cv::Mat image, DecodeJpeg(q->jpeg, options_.limits, "face_image"));
      AnalyzeOptions options;
      options.quality = QualityLimits::Gate();
      const Analysis a = analyzer.Analyze(image, options);
      gate::FaceVerdict v;
      v.faces = a.faces;
      v.scope = q->claimed_person ? "claim" : "project";
      if (!a.face) {
        v.note = "no_face";
        return v;
      }
      const FaceResult& f = *a.face;
      v.quality = f.quality.ToJson();
      v.liveness = f.liveness;
      v.live = f.liveness >= options_.thresholds.liveness;
      if (!f.quality.ok()) {
        v.note = "poor_quality";  // not identified: a non-frontal capture can look like anyone
        return v;
      }
      const float threshold = options_.thresholds.match;
      std::shared_lock lock(mu_);
      const State& st = *state_;
      if (q->claimed_person) {
        auto ids = st.faces_of.find(*q->claimed_person);
        if (ids == st.faces_of.end()) {
          v.note = "no_enrolled_face";
        } else {
          float best = -1;
          for (std::int64_t id : ids->second) {
            best = std::max(
                best, Dot(st.active.at(id).embedding.data(), f.embedding.data(), kEmbeddingDim));
          }
          v.score = best;
          v.matched = best >= threshold;
          if (v.matched) v.person_id = *q->claimed_person;
          v.candidates.push_back({*q->claimed_person, best});
        }
        if (!v.matched) {
          // Not the claimed person: is it somebody else of the district (a borrowed ID card)?
          auto other = PerPerson(st, st.district->Search(f.embedding, 10), *q->claimed_person, 1);
          if (!other.empty() && other[0].score >= options_.thresholds.duplicate) {
            v.enrolled_as = other[0];
          }
        }
        return v;
      }
      if (auto g = st.projects.find(q->project); g != st.projects.end()) {
        v.candidates = PerPerson(st, g->second->Search(f.embedding, 10), 0, 3);
      }
      if (v.candidates.empty() || v.candidates[0].score < threshold) {
        // Nobody on this site: is it somebody of the district (enrolled elsewhere, exited)?
        auto district = PerPerson(st, st.district->Search(f.embedding, 10), 0, 3);
        if (!district.empty() && district[0].score >= threshold) {
          v.candidates = std::move(district);
          v.scope = "district";
        }
      }
      if (!v.candidates.empty()) {
        v.score = v.candidates[0].score;
        v.matched = v.candidates[0].score >= threshold;
        if (v.matched) v.person_id = v.candidates[0].person_id;
      }
      if (!v.matched) v.note = "no_match";
      return v;
    });
    done(std::move(verdict));
  });
  if (!queued.ok()) done(queued);
}

Status Faces::RecordImpostor(store::Connection& conn, const gate::ImpostorPass& pass) {
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("INSERT INTO identity_attempts(person_id, enrolled_as, channel, claim_score, "
                   "face_score, liveness, project_code, device_id, gate_seq, created_at) "
                   "VALUES (?,?,'gate',?,?,?,?,?,?,?)")
          .Bind(1, pass.claimed_person)
          .Bind(2, pass.enrolled_as.person_id)
          .Bind(3, pass.claim_score)
          .Bind(4, pass.enrolled_as.score)
          .Bind(5, pass.liveness)
          .Bind(6, pass.project)
          .Bind(7, pass.device_id)
          .Bind(8, pass.seq)
          .Bind(9, pass.time_ms)
          .Run());
  spdlog::warn(
      "event=identity_attempt channel=gate person_id={} enrolled_as={} score={:.3f} project={} "
      "device_id={} seq={}",
      pass.claimed_person, pass.enrolled_as.person_id, pass.enrolled_as.score, pass.project,
      pass.device_id, pass.seq);
  return AttemptRecorded(conn, pass.claimed_person);
}

}  // namespace zhizhi::face

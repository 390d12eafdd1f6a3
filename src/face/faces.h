// Faces: enrolment of face templates, the in-memory galleries, and server-side recognition for
// the gate.
//
// Enrolment (POST /api/v1/persons/{id}/faces): a photo from an ID-card reader (`id_card`, the
// chip photo) or a camera (`live`) is analysed on the FaceEngine's workers — detection, quality
// gate, liveness, embedding — and then, in one writer job:
//   - a live face is compared with the person's ID-card photo (人证比对): below the id_photo
//     threshold it is refused (422 face_mismatch) — and when it is another person's enrolled
//     face (the duplicate threshold), the refusal names `duplicate_of` and the attempt is kept
//     (identity_attempts, no face data) for the duplicate_identity alert;
//   - every face is compared with the enrolled faces of everybody else (the district gallery):
//     at or above the duplicate threshold it is stored as `duplicate` — kept as evidence for the
//     duplicate_identity alert, used by no gallery — and the answer names `duplicate_of`;
//   - otherwise it is stored `active` (the previous ID-card photo, or the oldest live face past
//     `max_live_faces`, becomes `superseded`) and enters the galleries.
// Embeddings are sealed with the FieldCipher like ID numbers; photos are stored only with
// `keep_photos`. A rejected photo writes nothing but such an attempt.
//
// Galleries (face/gallery.h), in memory and changed only inside writer jobs after the rows that
// justify the change (like the gate's state): one per project with the active faces of the people
// actively enrolled there (an exact SIMD scan), and one for the district with every active face
// (adaptive: exact, then int8; or HNSW). Enrolment, exit and face changes reach them in the same
// transaction through the registry's person listener. Every change registers its undo on the
// job's connection (store::Connection::OnRollback), so a job or group that is rolled back takes
// its gallery changes with it.
//
// Recognition (gate::FaceMatcher): a gate photo is analysed on the workers, then searched
// 1:N in the project gallery — and, when nobody there matches, in the district gallery, so that
// a known face on the wrong site is named — or 1:1 against the claimed person's faces (refused:
// the district gallery names whose face it is, and the gate's pass records the attempt).
//
// Thread-safety: all public methods are thread-safe. Gallery reads take a shared lock; writer
// jobs take it exclusively while they change the galleries.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "face/face_engine.h"
#include "face/gallery.h"
#include "face/image.h"
#include "gate/face_matcher.h"
#include "security/field_cipher.h"
#include "store/database.h"

namespace zhizhi::face {

// Cosine thresholds (and the liveness probability) — how the defaults were measured is in
// docs/faces.md; `zhizhi serve --face-*` changes them.
struct FaceThresholds {
  float match = 0.55f;      // gate 1:N and 1:1: the same person
  float duplicate = 0.55f;  // enrolment: the same face already enrolled under another person
  float id_photo = 0.50f;   // enrolment: a live face against the ID-card chip photo
  float liveness = 0.50f;   // probability of a live capture (live enrolment, gate)
};

struct FacesOptions {
  FaceThresholds thresholds;
  bool keep_photos = false;                 // store the enrolment JPEG (sealed)
  std::string district_index = "adaptive";  // exact, int8, hnsw or adaptive
  int max_live_faces = 3;                   // active live templates kept per person
  ImageLimits limits;
};

struct EnrolInput {
  std::string jpeg;    // decoded from base64
  std::string source;  // id_card or live
};

class Faces : public gate::FaceMatcher {
 public:
  // `engine` may be null: faces are then stored and shown but not analysed (enrolment and
  // face_image events answer 422 face_recognition_unavailable).
  Faces(store::Database* db, const security::FieldCipher* cipher, FaceEngine* engine,
        FacesOptions options = {});

  // Loads every active template of the current model into the galleries (a writer job). Call
  // once before serving.
  Status Start();
  bool available() const { return engine_ != nullptr; }

  // Called inside the writer job that stored or removed a face of `person_id` (the alerts
  // engine's duplicate_identity). Add before serving; a non-OK status rolls the change back.
  using FaceListener = std::function<Status(store::Connection&, std::int64_t person_id)>;
  void AddFaceListener(FaceListener listener) { face_listeners_.push_back(std::move(listener)); }
  // Called inside the writer job that recorded an identity attempt about `person_id` (its faces
  // did not change: rosters and registrations need not hear of it; the alerts engine does).
  void AddAttemptListener(FaceListener listener) {
    attempt_listeners_.push_back(std::move(listener));
  }

  // Registry listener: the person's active enrolments may have changed.
  Status OnPersonChanged(store::Connection& conn, std::int64_t person_id);
  // Registry person-view extender: the `face` object of GET /api/v1/persons/{id}.
  Status ExtendPersonView(store::Connection& conn, std::int64_t person_id,
                          nlohmann::json& view) const;

  using Done = std::function<void(Result<nlohmann::json>)>;
  // Runs in the writer job of a change, after it, with the answer (the audit row of the change);
  // its failure rolls the change back.
  using AlsoWrite = std::function<Status(store::Connection&, const nlohmann::json& answer)>;
  // Analyses and stores a face of `person_id`; `done` runs once, on any thread.
  void Enrol(std::int64_t person_id, EnrolInput input, std::string created_by, Done done,
             AlsoWrite also = nullptr);
  // Demo templates (`zhizhi demo`): a chip-photo template and, with `live`, a live template of
  // the model kDemoModel for a person without photos — random unit vectors, the live one the
  // chip one plus noise, its id_score their real cosine (about 0.8) — so that the demo's people
  // are enrolled and verified like people whose faces were taken at the gate. They are marked
  // (model, created_by, `demo` in the views), no gallery holds them (not the loaded model), so
  // nobody is ever recognised by them. Inside a writer job; tells the face listeners.
  static constexpr const char* kDemoModel = "demo:synthetic";
  Status EnrolDemoTemplates(store::Connection& conn, std::int64_t person_id, bool live,
                            std::uint64_t seed);

  // The person's face templates (metadata, never embeddings or photos).
  Result<nlohmann::json> List(std::int64_t person_id) const;
  // The newest active enrolment photo of the person (JPEG), kept only with `keep_photos`:
  // what terminals of other makers recognise from (terminals/downlink.h). nullopt without one.
  Result<std::optional<std::string>> Photo(std::int64_t person_id) const;
  // Marks a template removed and takes it out of every gallery.
  Result<nlohmann::json> Remove(std::int64_t person_id, std::int64_t face_id,
                                const AlsoWrite& also = nullptr);
  // Model, thresholds and gallery sizes, for GET /api/v1/faces/status.
  nlohmann::json Describe() const;

  // gate::FaceMatcher
  void Identify(gate::FaceQuery query,
                std::function<void(Result<gate::FaceVerdict>)> done) override;
  // Keeps the pass as an identity attempt (below) and tells the attempt listeners.
  Status RecordImpostor(store::Connection& conn, const gate::ImpostorPass& pass) override;

  // What the galleries hold now, and what a fresh load from the database would hold, in one
  // comparable form — equal whenever no write is in flight (the fault tests compare them).
  nlohmann::json MemorySnapshot() const;
  Result<nlohmann::json> LoadSnapshot() const;

 private:
  struct Template {
    std::int64_t person = 0;
    std::string source;
    std::vector<float> embedding;
  };
  struct State {
    std::unordered_map<std::int64_t, Template> active;                     // face id → template
    std::unordered_map<std::int64_t, std::vector<std::int64_t>> faces_of;  // person → active ids
    std::unordered_map<std::int64_t, std::vector<float>> id_photo;         // person → chip photo
    std::unordered_map<std::int64_t, std::set<std::string>> projects_of;   // active enrolments
    std::unordered_map<std::string, std::unique_ptr<Gallery>> projects;
    std::unique_ptr<Gallery> district;
  };

  // Reads every active template of the model from the database into a new state.
  Result<std::unique_ptr<State>> ReadState(store::Connection& conn) const;
  static nlohmann::json Describe(const State& st);

  // Changes of the state inside a writer job; each registers its undo on `conn`.
  void ReplaceState(store::Connection& conn, std::unique_ptr<State> fresh);
  void AddTemplate(store::Connection& conn, std::int64_t face_id, const Template& t);
  void RemoveTemplate(store::Connection& conn, std::int64_t face_id);
  // The person's ID-card photo as the database has it now (the latest active or duplicate one).
  Status RefreshIdPhoto(store::Connection& conn, std::int64_t person_id);
  // Moves the person's faces from the galleries of `from` to those of `to` (exclusive lock held).
  static void MoveProjects(State& st, std::int64_t person_id, const std::set<std::string>& from,
                           const std::set<std::string>& to);
  // Inside a writer job: stores the analysed face and updates memory; the JSON answer.
  Result<nlohmann::json> StoreFace(store::Connection& conn, std::int64_t person_id,
                                   const std::string& source, const std::string& jpeg,
                                   const FaceResult& face, const std::string& created_by,
                                   Status* refused);
  // Adds/removes a template to/from the galleries it belongs in (exclusive lock held).
  static void Index(State& st, std::int64_t face_id, const Template& t);
  static void Unindex(State& st, std::int64_t face_id, const Template& t);
  static Gallery& ProjectGallery(State& st, const std::string& project);
  // Best score per person among `hits`, best first, at most `n`.
  static std::vector<gate::FaceCandidate> PerPerson(const State& st, const std::vector<Hit>& hits,
                                                    std::int64_t exclude_person, size_t n);
  std::optional<std::string> SealEmbedding(const std::vector<float>& v) const;
  Status FaceChanged(store::Connection& conn, std::int64_t person_id) const {
    for (const auto& listener : face_listeners_)
      ZZ_RETURN_IF_ERROR(listener(conn, person_id));
    return Status::Ok();
  }
  std::vector<FaceListener> face_listeners_;
  Status AttemptRecorded(store::Connection& conn, std::int64_t person_id) const {
    for (const auto& listener : attempt_listeners_)
      ZZ_RETURN_IF_ERROR(listener(conn, person_id));
    return Status::Ok();
  }
  std::vector<FaceListener> attempt_listeners_;
  Result<std::vector<float>> UnsealEmbedding(const std::string& sealed) const;

  store::Database* db_;
  const security::FieldCipher* cipher_;
  FaceEngine* engine_;
  const FacesOptions options_;
  std::string model_id_;

  mutable std::shared_mutex mu_;
  std::unique_ptr<State> state_;
};

}  // namespace zhizhi::face

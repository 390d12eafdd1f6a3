#include "face/faces_api.h"

#include "base/base64.h"
#include "base/field_reader.h"
#include "http/handler_support.h"

namespace zhizhi::face {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Respond;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

// base64 of the largest photo accepted (ImageLimits::max_bytes) with room for line breaks.
constexpr size_t kMaxImageChars = (4u << 20) / 3 * 4 + 4096;

}  // namespace

void AddFaceRoutes(http::Router& router, Faces& faces_ref, store::Database& db,
                   const registry::Registry& registry_ref, const security::AuditLog& audit_ref) {
  Faces* faces = &faces_ref;
  store::Database* database = &db;
  const registry::Registry* registry = &registry_ref;
  const security::AuditLog* audit = &audit_ref;

  // `duplicate_of` names a person: null for a caller who may not see them (the score stays).
  auto hide_unseen = [=](const security::Principal& principal, json& duplicate_of) {
    if (!duplicate_of.is_object() || principal.all_projects) return;
    const std::int64_t other = duplicate_of.value("person_id", std::int64_t{0});
    auto visible = database->Read(
        [&](store::Connection& conn) { return registry->PersonVisible(conn, other, principal); });
    if (!visible.ok() || !*visible) duplicate_of["person_id"] = nullptr;
  };

  // The person is scope-checked first (persons/{id}); Remove then only finds that person's face.
  router.AddScopeCheck("faces/{face_id}", nullptr);

  router.Add(Route{
      Verb::post, "/api/v1/persons/{id}/faces", Right::kRegistryWrite,
      "Enrol a face: an ID-card chip photo or a live capture, checked for quality and liveness, "
      "against the ID-card photo (人证比对) and against every other person's faces",
      Operation({{"image", "string", true, "base64 JPEG (one face)"},
                 {"source", "string", true, "id_card (chip photo) or live (camera capture)"}},
                {400, 404, 413, 422, 503}, 201),
      nullptr, [=](Request& request, Respond respond) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return respond(Response::Error(id.status()));
        auto body = http::JsonBody(request);
        if (!body.ok()) return respond(Response::Error(body.status()));
        JsonFieldReader in(*body);
        const std::string image = in.Text("image", kMaxImageChars);
        const std::string source = in.Text("source", 16);
        if (auto s = in.Finish(); !s.ok()) return respond(Response::Error(s));
        if (source != "id_card" && source != "live") {
          return respond(
              Response::Error(Status::InvalidArgument("source", "source must be id_card or live")));
        }
        auto jpeg = DecodeBase64(image, "image");
        if (!jpeg.ok()) return respond(Response::Error(jpeg.status()));
        // Biometric data: the stored template and its audit row commit together.
        faces->Enrol(
            *id, EnrolInput{std::move(jpeg).value(), source}, request.principal.name,
            [respond, hide_unseen, principal = request.principal](Result<json> result) {
              if (result.ok()) {
                hide_unseen(principal, (*result)["duplicate_of"]);
              } else if (result.status().details().contains("duplicate_of")) {
                Status refusal = result.status();
                json duplicate_of = refusal.details()["duplicate_of"];
                hide_unseen(principal, duplicate_of);
                refusal.With("duplicate_of", std::move(duplicate_of));
                return respond(Response::Error(refusal));
              }
              respond(Reply(result, 201));
            },
            [audit, actor = http::ActorOf(request), person = *id, source](store::Connection& conn,
                                                                          const json& face) {
              return audit->Append(
                  conn, actor,
                  http::Audit("face.enrol", "person:" + std::to_string(person), {person},
                              {{"face_id", face.value("id", json())},
                               {"source", source},
                               {"status", face.value("status", json())}}));
            });
      }});
  router.Add(Route{Verb::get, "/api/v1/persons/{id}/faces", Right::kPersonRead,
                   "A person's face templates: source, status, quality, liveness, scores (never "
                   "the embedding or the photo)",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     auto list = faces->List(*id);
                     if (!list.ok()) return Reply(list);
                     if (auto s = audit->Record(
                             *database, http::ActorOf(request),
                             http::Audit("face.read", "person:" + std::to_string(*id), {*id}));
                         !s.ok()) {
                       return Response::Error(s);
                     }
                     return Reply(list);
                   }});
  router.Add(
      Route{Verb::delete_, "/api/v1/persons/{id}/faces/{face_id}", Right::kRegistryWrite,
            "Remove a face template (it is no longer recognised anywhere)", Operation({}, {404}),
            [=](Request& request) {
              auto id = http::IdParam(request, "id");
              if (!id.ok()) return Response::Error(id.status());
              auto face_id = http::IdParam(request, "face_id");
              if (!face_id.ok()) return Response::Error(face_id.status());
              return Reply(faces->Remove(*id, *face_id, [&](store::Connection& conn, const json&) {
                return audit->Append(conn, http::ActorOf(request),
                                     http::Audit("face.remove", "person:" + std::to_string(*id),
                                                 {*id}, {{"face_id", *face_id}}));
              }));
            }});
  router.Add(Route{Verb::get, "/api/v1/faces/status", Right::kRegistryRead,
                   "Face recognition: model, thresholds, gallery sizes and indexes",
                   Operation({}, {}), [=](Request& request) {
                     json status = faces->Describe();
                     // A caller limited to some projects sees only their galleries.
                     if (!request.principal.all_projects && status.contains("projects")) {
                       json kept = json::array();
                       for (auto& g : status["projects"]) {
                         if (request.principal.MaySeeProject(g.value("project_code", "")))
                           kept.push_back(std::move(g));
                       }
                       status["projects"] = std::move(kept);
                     }
                     return Response::Json(200, status);
                   }});
}

}  // namespace zhizhi::face

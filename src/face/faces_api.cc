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

void AddFaceRoutes(http::Router& router, Faces& faces_ref) {
  Faces* faces = &faces_ref;

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
        faces->Enrol(*id, EnrolInput{std::move(jpeg).value(), source}, request.principal.name,
                     [respond](Result<json> result) { respond(Reply(result, 201)); });
      }});
  router.Add(Route{Verb::get, "/api/v1/persons/{id}/faces", Right::kRegistryRead,
                   "A person's face templates: source, status, quality, liveness, scores (never "
                   "the embedding or the photo)",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(faces->List(*id));
                   }});
  router.Add(Route{Verb::delete_, "/api/v1/persons/{id}/faces/{face_id}", Right::kRegistryWrite,
                   "Remove a face template (it is no longer recognised anywhere)",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     auto face_id = http::IdParam(request, "face_id");
                     if (!face_id.ok()) return Response::Error(face_id.status());
                     return Reply(faces->Remove(*id, *face_id));
                   }});
  router.Add(Route{Verb::get, "/api/v1/faces/status", Right::kRegistryRead,
                   "Face recognition: model, thresholds, gallery sizes and indexes",
                   Operation({}, {}),
                   [=](Request&) { return Response::Json(200, faces->Describe()); }});
}

}  // namespace zhizhi::face

#include "residence/residence_api.h"

#include "base/field_reader.h"
#include "http/handler_support.h"

namespace zhizhi::residence {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

Result<RegistrationFilter> FilterOf(const Request& request) {
  RegistrationFilter f;
  if (auto status = request.Query("status"); status && !status->empty()) {
    if (!IsKnownStatus(*status)) {
      return Status::InvalidArgument("status",
                                     "status must be one of draft, submitted, accepted, rejected, "
                                     "deregistered, cancelled");
    }
    f.status = *status;
  }
  ZZ_ASSIGN_OR_RETURN(
      std::string kind,
      http::EnumQuery(request, "kind", {"registration", "change", "deregistration", ""}, ""));
  if (!kind.empty()) f.kind = kind;
  if (auto project = request.Query("project"); project && !project->empty()) {
    if (!request.principal.MaySeeProject(*project)) {
      return Status::NotFound("no project " + *project, "project");
    }
    f.project = *project;
  }
  ZZ_ASSIGN_OR_RETURN(f.person_id, http::IdQuery(request, "person_id"));
  return f;
}

Result<Delivery> AnswerOf(const Request& request) {
  ZZ_ASSIGN_OR_RETURN(json body, http::JsonBody(request));
  JsonFieldReader in(body);
  const std::string result = in.Text("result", 16);
  auto receipt = in.OptText("receipt_no", 64);
  auto reason = in.OptText("reason", 500);
  ZZ_RETURN_IF_ERROR(in.Finish());
  Delivery d;
  if (result == "accepted") {
    if (!receipt) return Status::InvalidArgument("receipt_no", "an acceptance needs receipt_no");
    if (reason) return Status::InvalidArgument("reason", "an acceptance has no reason");
    d.kind = Delivery::Kind::kAccepted;
    d.receipt_no = *receipt;
  } else if (result == "rejected") {
    if (!reason) return Status::InvalidArgument("reason", "a rejection needs its reason");
    if (receipt) return Status::InvalidArgument("receipt_no", "a rejection has no receipt_no");
    d.kind = Delivery::Kind::kRejected;
    d.reason = *reason;
  } else {
    return Status::InvalidArgument("result", "result must be accepted or rejected");
  }
  return d;
}

}  // namespace

void AddResidenceRoutes(http::Router& router, store::Database& db_ref, Residence& residence_ref,
                        OutboxSender* sender, SyncDescription sync,
                        const security::AuditLog& audit_ref) {
  store::Database* db = &db_ref;
  Residence* residence = &residence_ref;
  const security::AuditLog* audit = &audit_ref;

  // A record outside the caller's projects does not exist for them.
  router.AddIdScopeCheck(
      "residence-registrations/{id}",
      [db, residence](const security::Principal& p, std::int64_t id) -> Status {
        auto project =
            db->Read([&](store::Connection& conn) { return residence->ProjectOf(conn, id); });
        if (project.ok() && p.MaySeeProject(*project)) return Status::Ok();
        return http::OutOfScope(
            project.status(),
            Status::NotFound("no residence registration " + std::to_string(id), "id"));
      });

  router.Add(Route{
      Verb::get, "/api/v1/residence-registrations", Right::kResidenceRead,
      "Residence registrations (流动人口居住登记) with their changes and deregistrations; "
      "counts by status over the whole filter",
      Operation({}, {400, 404}, 200,
                {{"status", "string", false,
                  "draft, submitted, accepted, rejected, deregistered or cancelled"},
                 {"project", "string", false, "project code"},
                 {"kind", "string", false, "registration, change or deregistration"},
                 {"person_id", "integer", false, "one person's records"},
                 {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        auto filter = FilterOf(request);
        if (!filter.ok()) return Response::Error(filter.status());
        auto page = http::PageOf(request, "residence-registrations", store::CursorKey::kId);
        if (!page.ok()) return Response::Error(page.status());
        // Registrations carry identity data (the police view): every read is audited.
        return Reply(http::ReadAudited(
            *db, *audit, request,
            [&](store::Connection& conn) {
              return residence->List(conn, *filter, *page, request.principal);
            },
            [&](const json& list) {
              return http::Audit("residence.list", "", http::IdsOf(list["items"], "person_id"));
            }));
      }});
  router.Add(Route{
      Verb::get, "/api/v1/residence-registrations/{id}", Right::kResidenceRead,
      "One registration record with its chain, history and deliveries", Operation({}, {404}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        return Reply(http::ReadAudited(
            *db, *audit, request,
            [&](store::Connection& conn) { return residence->Get(conn, *id, request.principal); },
            [&](const json& record) {
              return http::Audit("residence.read", "residence_registration:" + std::to_string(*id),
                                 http::PersonOf(record));
            }));
      }});
  router.Add(Route{
      Verb::post, "/api/v1/residence-registrations/{id}/submit", Right::kResidenceWrite,
      "Send a draft or rejected record to the police adapter (or the daily export); a submitted "
      "record whose delivery failed is queued again",
      Operation({}, {404, 409, 422}), [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        return Reply(http::WriteAudited(
            *db, *audit, request,
            [&](store::Connection& conn) -> Result<json> {
              ZZ_RETURN_IF_ERROR(residence->Submit(conn, *id, request.principal.name));
              return residence->Get(conn, *id, request.principal);
            },
            [&](const json& record) {
              return http::Audit("residence.submit",
                                 "residence_registration:" + std::to_string(*id),
                                 http::PersonOf(record));
            }));
      }});
  router.Add(Route{
      Verb::post, "/api/v1/residence-registrations/{id}/answer", Right::kResidenceWrite,
      "Record the police's answer to a submitted record (manual upload of the daily export)",
      Operation({{"result", "string", true, "accepted or rejected"},
                 {"receipt_no", "string", false, "the police receipt number (accepted)"},
                 {"reason", "string", false, "why it was rejected"}},
                {400, 404, 409, 413}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        auto answer = AnswerOf(request);
        if (!answer.ok()) return Response::Error(answer.status());
        return Reply(http::WriteAudited(
            *db, *audit, request,
            [&](store::Connection& conn) -> Result<json> {
              ZZ_RETURN_IF_ERROR(
                  residence->RecordAnswer(conn, *id, *answer, request.principal.name).status());
              return residence->Get(conn, *id, request.principal);
            },
            [&](const json& record) {
              return http::Audit("residence.answer",
                                 "residence_registration:" + std::to_string(*id),
                                 http::PersonOf(record));
            }));
      }});
  router.Add(Route{
      Verb::get, "/api/v1/sync/status", Right::kResidenceRead,
      "Per upstream target: pending, sent and failed messages, the last error and last success",
      Operation({}, {}), [=](Request&) {
        auto counts =
            db->Read([&](store::Connection& conn) { return residence->SyncCounts(conn); });
        if (!counts.ok()) return Response::Error(counts.status());
        const json zero = {{"pending", 0},
                           {"sent", 0},
                           {"failed", 0},
                           {"last_error", nullptr},
                           {"last_error_at", nullptr},
                           {"last_sent_at", nullptr},
                           {"next_attempt_at", nullptr},
                           {"oldest_pending_since", nullptr}};
        auto with_counts = [&](json target, const std::string& name) {
          json c = counts->contains(name) ? (*counts)[name] : zero;
          c.update(target);
          return c;
        };
        json targets = json::array();
        if (sync.adapter) {
          const PoliceConfig& c = sync.adapter->config();
          targets.push_back(with_counts({{"target", kPoliceTarget},
                                         {"mode", "http"},
                                         {"configured", true},
                                         {"endpoint", c.url},
                                         {"client_id", c.client_id},
                                         {"key_id", c.key_id},
                                         {"label", c.label.empty() ? json() : json(c.label)}},
                                        kPoliceTarget));
        } else {
          targets.push_back(with_counts(
              {{"target", kPoliceTarget}, {"mode", "http"}, {"configured", false}}, kPoliceTarget));
        }
        targets.push_back(with_counts({{"target", kExportTarget},
                                       {"mode", "export"},
                                       {"configured", sync.adapter == nullptr},
                                       {"directory", sync.export_options.dir},
                                       {"encoding", sync.export_options.encoding},
                                       {"export_hour", sync.export_hour}},
                                      kExportTarget));
        return Response::Json(200, {{"targets", std::move(targets)}});
      }});
  router.Add(Route{
      Verb::post, "/api/v1/sync/export", Right::kAdmin,
      "Write the pending daily-export rows to a file now (for a manual upload)",
      Operation({}, {503}), [=](Request& request) {
        if (!sender) return Response::Error(Status::Unavailable("the sender is not running"));
        auto report = sender->ExportNow();
        if (!report.ok()) return Response::Error(report.status());
        // The file holds the rows' identity data (ID numbers in full, for the
        // police's upload).
        if (auto s = audit->Record(*db, http::ActorOf(request),
                                   http::Audit("residence.export", "", {},
                                               {{"file", report->file}, {"rows", report->rows}}));
            !s.ok()) {
          return Response::Error(s);
        }
        return Response::Json(200, {{"file", report->file.empty() ? json() : json(report->file)},
                                    {"rows", report->rows}});
      }});
}

}  // namespace zhizhi::residence

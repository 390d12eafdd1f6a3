#include "alerts/alerts_api.h"

#include "base/field_reader.h"
#include "http/handler_support.h"

namespace zhizhi::alerts {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

Result<AlertFilter> FilterOf(const Request& request) {
  AlertFilter f;
  f.type = request.Query("type");
  if (f.type && !IsKnownType(*f.type)) {
    return Status::InvalidArgument("type", "unknown alert type " + *f.type);
  }
  ZZ_ASSIGN_OR_RETURN(
      std::string severity,
      http::EnumQuery(request, "severity", {"red", "orange", "yellow", "blue", ""}, ""));
  if (!severity.empty()) f.severity = severity;
  ZZ_ASSIGN_OR_RETURN(
      std::string status,
      http::EnumQuery(request, "status", {"open", "acknowledged", "resolved", "active", "all"},
                      "active"));
  f.status = status;
  f.project = request.Query("project");
  if (f.project && !request.principal.MaySeeProject(*f.project)) {
    return Status::NotFound("no project " + *f.project, "project");
  }
  ZZ_ASSIGN_OR_RETURN(f.person_id, http::IdQuery(request, "person_id"));
  return f;
}

// `{"note": …}`; the note is required to resolve (what was done), optional to acknowledge.
Result<std::string> NoteOf(const Request& request, bool required) {
  if (!required && request.body.empty()) return std::string();
  ZZ_ASSIGN_OR_RETURN(json body, http::JsonBody(request));
  JsonFieldReader in(body);
  std::string note = required ? in.Text("note", 1000) : in.OptText("note", 1000).value_or("");
  ZZ_RETURN_IF_ERROR(in.Finish());
  return note;
}

}  // namespace

void AddAlertRoutes(http::Router& router, store::Database& db, AlertEngine& engine_ref,
                    const security::AuditLog& audit_ref, const registry::Registry& registry_ref) {
  store::Database* database = &db;
  AlertEngine* engine = &engine_ref;
  const security::AuditLog* audit = &audit_ref;
  const registry::Registry* registry = &registry_ref;
  auto records = std::make_shared<Records>(engine);

  // The second person a duplicate_identity alert names, out of the answer of a caller limited to
  // some projects who may not see them (as the enrolment's refusal hides them).
  auto hide_unseen = [registry](store::Connection& conn, const security::Principal& p,
                                json& alert) -> Status {
    if (p.all_projects || alert.value("type", "") != type::kDuplicateIdentity) return Status::Ok();
    json& detail = alert["detail"];
    if (!detail.is_object() || !detail["duplicate_of"].is_number_integer()) return Status::Ok();
    const std::int64_t other = detail["duplicate_of"].get<std::int64_t>();
    auto visible = registry->PersonVisible(conn, other, p);
    if (visible.ok() && *visible) return Status::Ok();
    if (!visible.ok() && visible.status().kind() != StatusKind::kNotFound) return visible.status();
    detail["duplicate_of"] = nullptr;
    json kept = json::array();
    const std::string them = std::to_string(other);
    for (json& e : alert["evidence"]) {
      if (e.value("kind", "") == "person" && e.value("id", "") == them) continue;
      kept.push_back(std::move(e));
    }
    alert["evidence"] = std::move(kept);
    return Status::Ok();
  };

  // ---- scope of path parameters for callers limited to some projects (persons/{id} is the
  // registry's): an alert or an exemption of another project is absent.
  router.AddIdScopeCheck(
      "alerts/{id}", [database](const security::Principal& p, std::int64_t id) -> Status {
        auto project =
            database->Read([&](store::Connection& conn) { return AlertBook::ProjectOf(conn, id); });
        if (project.ok() && *project && p.MaySeeProject(**project)) return Status::Ok();
        return http::OutOfScope(project.status(),
                                Status::NotFound("no alert with id " + std::to_string(id), "id"));
      });
  router.AddIdScopeCheck(
      "post-exemptions/{id}",
      [database, records](const security::Principal& p, std::int64_t id) -> Status {
        auto project = database->Read(
            [&](store::Connection& conn) { return records->ExemptionProject(conn, id); });
        if (project.ok() && p.MaySeeProject(*project)) return Status::Ok();
        return http::OutOfScope(project.status(),
                                Status::NotFound("no post exemption " + std::to_string(id), "id"));
      });

  router.Add(Route{
      Verb::get, "/api/v1/alerts", Right::kAlertRead,
      "Alerts, newest first, with counts by type, severity and project over the whole filter",
      Operation({}, {400, 404}, 200,
                {{"type", "string", false, "alert type, e.g. post_conflict"},
                 {"severity", "string", false, "red, orange, yellow or blue"},
                 {"status", "string", false,
                  "open, acknowledged, resolved, active (open + acknowledged; default) or all"},
                 {"project", "string", false, "project code"},
                 {"person_id", "integer", false, "alerts about one person"},
                 {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        auto filter = FilterOf(request);
        if (!filter.ok()) return Response::Error(filter.status());
        auto page = http::PageOf(request, "alerts", store::CursorKey::kId);
        if (!page.ok()) return Response::Error(page.status());
        auto read = [&](store::Connection& conn) -> Result<json> {
          ZZ_ASSIGN_OR_RETURN(json list, AlertBook::List(conn, *filter, *page, request.principal));
          for (json& item : list["items"])
            ZZ_RETURN_IF_ERROR(hide_unseen(conn, request.principal, item));
          return list;
        };
        // One person's alerts are a read of that person's file.
        if (!filter->person_id) return Reply(database->Read(read));
        return Reply(http::ReadAudited(*database, *audit, request, read, [&](const json&) {
          return http::Audit("alert.read", "person:" + std::to_string(*filter->person_id),
                             {*filter->person_id});
        }));
      }});
  router.Add(
      Route{Verb::get, "/api/v1/alerts/{id}", Right::kAlertRead,
            "One alert with its evidence and history", Operation({}, {404}), [=](Request& request) {
              auto id = http::IdParam(request, "id");
              if (!id.ok()) return Response::Error(id.status());
              return Reply(database->Read([&](store::Connection& conn) -> Result<json> {
                ZZ_ASSIGN_OR_RETURN(json alert, AlertBook::Get(conn, *id, /*with_history=*/true));
                ZZ_RETURN_IF_ERROR(hide_unseen(conn, request.principal, alert));
                return alert;
              }));
            }});
  for (const bool resolve : {false, true}) {
    router.Add(Route{
        Verb::post, resolve ? "/api/v1/alerts/{id}/resolve" : "/api/v1/alerts/{id}/acknowledge",
        Right::kAlertWrite,
        resolve ? "Resolve an alert with a note saying what was done (409 if already resolved)"
                : "Acknowledge an alert (idempotent; 409 if already resolved)",
        Operation({{"note", "string", resolve, "what was done or decided"}}, {400, 404, 409, 413}),
        [=](Request& request) {
          auto id = http::IdParam(request, "id");
          if (!id.ok()) return Response::Error(id.status());
          auto note = NoteOf(request, resolve);
          if (!note.ok()) return Response::Error(note.status());
          return Reply(http::WriteAudited(
              *database, *audit, request,
              [&](store::Connection& conn) {
                const std::int64_t now = NowUnixMs();
                return resolve
                           ? AlertBook::Resolve(conn, *id, request.principal.name, *note, now)
                           : AlertBook::Acknowledge(conn, *id, request.principal.name, *note, now);
              },
              [&](const json& alert) {
                return http::Audit(resolve ? "alert.resolve" : "alert.acknowledge",
                                   "alert:" + std::to_string(*id), http::PersonOf(alert),
                                   {{"type", alert.value("type", "")}, {"note", *note}});
              }));
        }});
  }
  router.Add(Route{Verb::post, "/api/v1/alerts/scan", Right::kAdmin,
                   "Run every detector over the whole district now (as `zhizhi scan` does)",
                   Operation({}, {}), [=](Request&) {
                     auto report = engine->ScanAll();
                     if (!report.ok()) return Response::Error(report.status());
                     return Response::Json(200, {{"persons", report->persons},
                                                 {"projects", report->projects},
                                                 {"opened", report->counts.opened},
                                                 {"changed", report->counts.refreshed},
                                                 {"resolved", report->counts.resolved},
                                                 {"active", report->active},
                                                 {"seconds", report->seconds}});
                   }});

  // ---- leave
  router.Add(Route{
      Verb::post, "/api/v1/persons/{id}/leaves", Right::kAlertWrite,
      "Record approved leave (excluded from key-personnel presence; ≤ 6 working days a month, "
      "≤ 20 a year)",
      Operation({{"from_date", "date", true, "first day of leave"},
                 {"to_date", "date", true, "last day of leave"},
                 {"project_code", "string", false, "only this project (default: all)"},
                 {"reason", "string", false, "why"}},
                {400, 404, 413, 422}, 201),
      [=](Request& request) {
        auto person = http::IdParam(request, "id");
        if (!person.ok()) return Response::Error(person.status());
        auto draft = http::ParseBody<LeaveDraft>(request, ParseLeave);
        if (!draft.ok()) return Response::Error(draft.status());
        if (draft->project_code && !request.principal.MaySeeProject(*draft->project_code)) {
          return Response::Error(
              Status::Rule("project_not_registered", "project_code",
                           "project " + *draft->project_code + " is not registered"));
        }
        return Reply(http::WriteAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) {
                           return records->AddLeave(conn, *person, *draft, request.principal.name);
                         },
                         [&](const json& leave) {
                           return http::Audit("leave.create", "person:" + std::to_string(*person),
                                              {*person}, {{"leave_id", leave.value("id", json())}});
                         }),
                     201);
      }});
  router.Add(Route{
      Verb::get, "/api/v1/persons/{id}/leaves", Right::kPersonRead, "Approved leave of a person",
      Operation({}, {404}), [=](Request& request) {
        auto person = http::IdParam(request, "id");
        if (!person.ok()) return Response::Error(person.status());
        return Reply(http::ReadAudited(
            *database, *audit, request,
            [&](store::Connection& conn) { return records->ListLeaves(conn, *person); },
            [&](const json&) {
              return http::Audit("leave.read", "person:" + std::to_string(*person), {*person});
            }));
      }});

  // ---- post-conflict exemptions
  router.Add(Route{
      Verb::post, "/api/v1/post-exemptions", Right::kAlertWrite,
      "Record a legal exception to post_conflict for a person's post on one project",
      Operation({{"person_id", "integer", true, "the person"},
                 {"project_code", "string", true, "the project whose post is exempt"},
                 {"reason", "string", true,
                  "adjacent_sections, completion_accepted or stopped_120_days (rulebook)"},
                 {"note", "string", false, "approval reference"},
                 {"valid_to", "date", false, "last day the exemption applies"}},
                {400, 413, 422}, 201),
      [=](Request& request) {
        auto draft = http::ParseBody<ExemptionDraft>(request, [&](FieldReader& in) {
          return ParseExemption(in, engine->detectors().rules());
        });
        if (!draft.ok()) return Response::Error(draft.status());
        if (!request.principal.MaySeeProject(draft->project_code)) {
          return Response::Error(
              Status::Rule("project_not_registered", "project_code",
                           "project " + draft->project_code + " is not registered"));
        }
        return Reply(
            http::WriteAudited(
                *database, *audit, request,
                [&](store::Connection& conn) {
                  return records->AddExemption(conn, *draft, request.principal.name);
                },
                [&](const json& exemption) {
                  return http::Audit(
                      "post_exemption.create", "project:" + draft->project_code, {draft->person_id},
                      {{"exemption_id", exemption.value("id", json())}, {"reason", draft->reason}});
                }),
            201);
      }});
  router.Add(
      Route{Verb::get, "/api/v1/post-exemptions", Right::kAlertRead, "Post-conflict exemptions",
            Operation({}, {400}, 200, {{"person_id", "integer", false, "one person's exemptions"}}),
            [=](Request& request) {
              auto person = http::IdQuery(request, "person_id");
              if (!person.ok()) return Response::Error(person.status());
              auto result = database->Read(
                  [&](store::Connection& conn) { return records->ListExemptions(conn, *person); });
              if (result.ok() && !request.principal.all_projects) {
                json& items = (*result)["items"];
                json kept = json::array();
                for (auto& item : items) {
                  if (request.principal.MaySeeProject(item["project_code"].get<std::string>()))
                    kept.push_back(std::move(item));
                }
                items = std::move(kept);
              }
              return Reply(result);
            }});
  router.Add(Route{
      Verb::post, "/api/v1/post-exemptions/{id}/revoke", Right::kAlertWrite,
      "Revoke an exemption (the conflict, if it persists, is alerted again)",
      Operation({}, {404, 409}), [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        return Reply(http::WriteAudited(
            *database, *audit, request,
            [&](store::Connection& conn) { return records->RevokeExemption(conn, *id); },
            [&](const json& exemption) {
              const json person = exemption.value("person_id", json());
              return http::Audit("post_exemption.revoke", "post_exemption:" + std::to_string(*id),
                                 http::PersonOf(exemption));
            }));
      }});
}

}  // namespace zhizhi::alerts

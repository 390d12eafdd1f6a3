#include "registry/registry_api.h"

#include "base/field_reader.h"
#include "base/text.h"
#include "http/handler_support.h"
#include "registry/code_lists.h"

namespace zhizhi::registry {

namespace {

using http::FieldDoc;
using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

bool FullIds(const Request& request) {
  return request.principal.Has(Right::kPii);
}

// A project outside the caller's scope is reported as absent, never as forbidden.
Status CheckProjectScope(const Request& request, std::string_view code) {
  if (request.principal.MaySeeProject(code)) return Status::Ok();
  return Status::NotFound("no project " + std::string(code));
}

constexpr std::initializer_list<FieldDoc> kPageQuery = {
    {"limit", "integer", false, "page size, 1–1000 (default 100)"},
    {"cursor", "string", false, "next_cursor of the previous page"}};

// The scope principal for reads: null for callers that see everything.
const security::Principal* ScopeOf(const Request& request) {
  return request.principal.all_projects ? nullptr : &request.principal;
}

}  // namespace

void AddRegistryRoutes(http::Router& router, store::Database& db, Registry& registry_ref,
                       const security::AuditLog& audit_ref) {
  Registry* registry = &registry_ref;
  store::Database* database = &db;
  const security::AuditLog* audit = &audit_ref;

  // ---- scope of path parameters for callers limited to some projects
  router.AddScopeCheck("projects/{code}",
                       [](const security::Principal& p, const std::string& code) -> Status {
                         if (p.MaySeeProject(code)) return Status::Ok();
                         return Status::NotFound("no project " + code);
                       });
  router.AddScopeCheck("corps/{uscc}", nullptr);  // reference data; the view filters projects
  // The project check before it decides (an exit names a person of that project).
  router.AddScopeCheck("workers/{person_id}", nullptr);
  auto person_visible = [=](const security::Principal& p, std::int64_t id) -> Status {
    auto visible = database->Read(
        [&](store::Connection& conn) { return registry->PersonVisible(conn, id, p); });
    if (!visible.ok()) return visible.status();
    if (!*visible) return Status::NotFound("no person " + std::to_string(id));
    return Status::Ok();
  };
  router.AddIdScopeCheck("persons/{id}", person_visible);
  router.AddIdScopeCheck(
      "certificates/{id}", [=](const security::Principal& p, std::int64_t id) -> Status {
        auto person = database->Read(
            [&](store::Connection& conn) { return registry->CertificatePerson(conn, id); });
        if (!person.ok()) return person.status();
        Status visible = person_visible(p, *person);
        if (visible.ok()) return visible;
        return http::OutOfScope(visible, Status::NotFound("no certificate " + std::to_string(id)));
      });

  // ---- corps
  router.Add(Route{Verb::post, "/api/v1/corps", Right::kRegistryWrite,
                   "Register a corp (USCC checked per GB 32100)",
                   Operation({{"uscc", "string", true, "unified social credit code, 18 characters"},
                              {"name", "string", true, "registered name"},
                              {"legal_person", "string", false, "legal representative"},
                              {"address", "string", false, "registered address"}},
                             {400, 409, 413}, 201),
                   [=](Request& request) {
                     auto draft = http::ParseBody<CorpDraft>(request, ParseCorp);
                     if (!draft.ok()) return Response::Error(draft.status());
                     return Reply(http::WriteAudited(
                                      *database, *audit, request,
                                      [&](store::Connection& conn) -> Result<json> {
                                        ZZ_RETURN_IF_ERROR(registry->CreateCorp(conn, *draft));
                                        return registry->GetCorp(conn, draft->uscc);
                                      },
                                      [&](const json&) {
                                        return http::Audit("corp.create", "corp:" + draft->uscc);
                                      }),
                                  201);
                   }});
  router.Add(Route{Verb::get, "/api/v1/corps", Right::kRegistryRead, "List corps",
                   Operation({}, {400}, 200, kPageQuery), [=](Request& request) {
                     auto page = http::PageOf(request, "corps", store::CursorKey::kText);
                     if (!page.ok()) return Response::Error(page.status());
                     return Reply(database->Read([&](store::Connection& conn) {
                       return registry->ListCorps(conn, *page);
                     }));
                   }});
  router.Add(Route{Verb::get, "/api/v1/corps/{uscc}", Right::kRegistryRead,
                   "A corp and the projects it takes part in", Operation({}, {404}),
                   [=](Request& request) {
                     // Stored uppercase; accept the lowercase a POST also accepts.
                     const std::string uscc = ToUpperAscii(request.Param("uscc"));
                     return Reply(database->Read([&](store::Connection& conn) {
                       return registry->GetCorp(conn, uscc, ScopeOf(request));
                     }));
                   }});

  // ---- projects
  router.Add(Route{
      Verb::post, "/api/v1/projects", Right::kAdmin, "Register a project (district_admin)",
      Operation({{"code", "string", true, "project code, 1–32 of [A-Za-z0-9_-]"},
                 {"name", "string", true, "project name"},
                 {"region_code", "string", true, "6-digit GB/T 2260 region code, e.g. 330114"},
                 {"address", "string", false, "site address"},
                 {"lat", "number", false, "latitude (WGS-84), with lng"},
                 {"lng", "number", false, "longitude (WGS-84), with lat"},
                 {"permit_no", "string", false, "construction permit number"},
                 {"status", "string", false, "planned (default), active, suspended, completed"},
                 {"start_date", "date", false, "planned or actual start"},
                 {"end_date", "date", false, "planned or actual end"}},
                {400, 409, 413}, 201),
      [=](Request& request) {
        auto draft = http::ParseBody<ProjectDraft>(request, ParseProject);
        if (!draft.ok()) return Response::Error(draft.status());
        return Reply(http::WriteAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) -> Result<json> {
                           ZZ_RETURN_IF_ERROR(registry->CreateProject(conn, *draft));
                           return registry->GetProject(conn, draft->code);
                         },
                         [&](const json&) {
                           return http::Audit("project.create", "project:" + draft->code);
                         }),
                     201);
      }});
  router.Add(Route{
      Verb::patch, "/api/v1/projects/{code}", Right::kAdmin,
      "Change a project (district_admin): its name, end date, or status along planned → active "
      "⇄ suspended → completed, with the day of the change; audited, and the gate and the "
      "detectors follow",
      Operation({{"name", "string", false, "project name"},
                 {"status", "string", false, "active, suspended or completed"},
                 {"suspended_on", "date", false, "the day it stopped (with status suspended)"},
                 {"completed_on", "date", false,
                  "the day it passed completion acceptance (with status completed)"},
                 {"end_date", "date", false, "planned or actual end"}},
                {400, 404, 409, 422}),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        auto patch = http::ParseBody<ProjectPatch>(request, ParseProjectPatch);
        if (!patch.ok()) return Response::Error(patch.status());
        json change;
        return Reply(http::WriteAudited(
            *database, *audit, request,
            [&](store::Connection& conn) -> Result<json> {
              ZZ_ASSIGN_OR_RETURN(change, registry->UpdateProject(conn, code, *patch));
              return registry->GetProject(conn, code);
            },
            [&](const json&) {
              json detail = {{"status", change}};
              if (patch->name) detail["name"] = *patch->name;
              if (patch->suspended_on) detail["suspended_on"] = patch->suspended_on->ToString();
              if (patch->completed_on) detail["completed_on"] = patch->completed_on->ToString();
              if (patch->end_date) detail["end_date"] = patch->end_date->ToString();
              return http::Audit("project.update", "project:" + code, {}, std::move(detail));
            }));
      }});
  router.Add(Route{
      Verb::get, "/api/v1/projects", Right::kRegistryRead,
      "List projects with their open manager and worker enrolment counts",
      Operation({}, {400}, 200,
                {{"status", "string", false, "planned, active, suspended or completed"},
                 {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        auto page = http::PageOf(request, "projects", store::CursorKey::kText);
        if (!page.ok()) return Response::Error(page.status());
        auto status =
            http::EnumQuery(request, "status", {"planned", "active", "suspended", "completed"}, "");
        if (!status.ok()) return Response::Error(status.status());
        const std::optional<std::string> filter =
            status->empty() ? std::nullopt : std::optional(*status);
        return Reply(database->Read([&](store::Connection& conn) {
          return registry->ListProjects(conn, *page, filter, ScopeOf(request));
        }));
      }});
  router.Add(Route{Verb::get, "/api/v1/projects/{code}", Right::kRegistryRead,
                   "The one-click view: project, corps, teams, posts with certificates, counts",
                   Operation({}, {404}), [=](Request& request) {
                     const std::string code(request.Param("code"));
                     if (auto s = CheckProjectScope(request, code); !s.ok())
                       return Response::Error(s);
                     return Reply(http::ReadAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) {
                           return registry->GetProjectView(conn, code, FullIds(request));
                         },
                         [&](const json& view) {
                           // The post holders are shown with their ID numbers.
                           std::vector<std::int64_t> holders;
                           for (const json& post : view.value("posts", json::array())) {
                             for (auto id :
                                  http::IdsOf(post.value("holders", json::array()), "person_id"))
                               holders.push_back(id);
                           }
                           return http::Audit("project.view", "project:" + code, holders);
                         }));
                   }});
  router.Add(Route{
      Verb::post, "/api/v1/projects/{code}/corps", Right::kRegistryWrite,
      "Add a participating corp to a project",
      Operation({{"uscc", "string", true, "a registered corp"},
                 {"corp_type", "string", true, "participation type 001–012"}},
                {400, 404, 409, 413, 422}, 201),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        auto draft = http::ParseBody<ProjectCorpDraft>(request, ParseProjectCorp);
        if (!draft.ok()) return Response::Error(draft.status());
        return Reply(http::WriteAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) -> Result<json> {
                           ZZ_RETURN_IF_ERROR(registry->AddProjectCorp(conn, code, *draft));
                           ZZ_ASSIGN_OR_RETURN(json corp, registry->GetCorp(conn, draft->uscc));
                           return json{{"project_code", code},
                                       {"uscc", draft->uscc},
                                       {"name", corp["name"]},
                                       {"corp_type", draft->corp_type},
                                       {"corp_type_name", NameOf(CorpTypes(), draft->corp_type)}};
                         },
                         [&](const json&) {
                           return http::Audit(
                               "project.corp.add", "project:" + code, {},
                               {{"uscc", draft->uscc}, {"corp_type", draft->corp_type}});
                         }),
                     201);
      }});

  // ---- teams
  router.Add(Route{
      Verb::post, "/api/v1/projects/{code}/teams", Right::kRegistryWrite, "Create a team (班组)",
      Operation({{"name", "string", true, "team name, unique within the project"},
                 {"uscc", "string", true, "the team's corp; must take part in the project"},
                 {"leader_person_id", "integer", false, "team leader (班组长)"}},
                {400, 404, 409, 413, 422}, 201),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        auto draft = http::ParseBody<TeamDraft>(request, ParseTeam);
        if (!draft.ok()) return Response::Error(draft.status());
        return Reply(
            http::WriteAudited(
                *database, *audit, request,
                [&](store::Connection& conn) -> Result<json> {
                  // A scoped caller's team leader must be one of their persons.
                  if (draft->leader_person_id && !request.principal.all_projects) {
                    auto visible =
                        registry->PersonVisible(conn, *draft->leader_person_id, request.principal);
                    if (!visible.ok() || !*visible) {
                      return Status::Rule("person_not_found", "leader_person_id",
                                          "no person " + std::to_string(*draft->leader_person_id));
                    }
                  }
                  ZZ_ASSIGN_OR_RETURN(std::int64_t id, registry->CreateTeam(conn, code, *draft));
                  return registry->GetTeam(conn, id);
                },
                [&](const json& team) {
                  return http::Audit("team.create", "project:" + code, {},
                                     {{"team_id", team["id"]}, {"name", draft->name}});
                }),
            201);
      }});
  router.Add(Route{Verb::get, "/api/v1/projects/{code}/teams", Right::kRegistryRead,
                   "Teams of a project with leaders and member counts", Operation({}, {404}),
                   [=](Request& request) {
                     const std::string code(request.Param("code"));
                     if (auto s = CheckProjectScope(request, code); !s.ok())
                       return Response::Error(s);
                     return Reply(database->Read(
                         [&](store::Connection& conn) { return registry->ListTeams(conn, code); }));
                   }});

  // ---- persons
  router.Add(Route{
      Verb::post, "/api/v1/persons", Right::kRegistryWrite,
      "Register a person; resident IDs checked per GB 11643, birth date and sex derived",
      Operation({{"id_type", "string", true, "ID type 01–17 (01 = resident ID card)"},
                 {"id_number", "string", true, "ID number; lowercase x accepted"},
                 {"name", "string", true, "name as on the ID"},
                 {"phone", "string", false, "mobile or landline"},
                 {"nation", "string", false, "GB/T 3304 code (01–56, 97, 98) or name, e.g. 汉族"},
                 {"id_address", "string", false, "address on the ID (household registration)"},
                 {"sex", "string", false, "male/female; derived for resident IDs"},
                 {"birth_date", "date", false, "derived for resident IDs"}},
                {400, 409, 413}, 201),
      [=](Request& request) {
        auto draft = http::ParseBody<PersonDraft>(request, ParsePerson);
        if (!draft.ok()) return Response::Error(draft.status());
        return Reply(http::WriteAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) -> Result<json> {
                           ZZ_ASSIGN_OR_RETURN(
                               std::int64_t id,
                               registry->CreatePerson(conn, *draft, request.principal.user_id));
                           return registry->GetPerson(conn, id, FullIds(request), ScopeOf(request));
                         },
                         [&](const json& person) {
                           const std::int64_t id = person["id"].get<std::int64_t>();
                           return http::Audit("person.create", "person:" + std::to_string(id),
                                              {id});
                         }),
                     201);
      }});
  router.Add(
      Route{Verb::get, "/api/v1/persons", Right::kPersonRead,
            "List persons, or find one by ID number (`id_number`, with `id_type`, default 01)",
            Operation({}, {400}, 200,
                      {{"id_number", "string", false, "exact ID number to look up"},
                       {"id_type", "string", false, "ID type of id_number (default 01)"},
                       {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                       {"cursor", "string", false, "next_cursor of the previous page"}}),
            [=](Request& request) {
              auto page = http::PageOf(request, "persons", store::CursorKey::kId);
              if (!page.ok()) return Response::Error(page.status());
              if (auto number = request.Query("id_number")) {
                // Look-up goes through the same parser as registration, so "x" and "X" agree.
                json probe = {{"id_type", request.Query("id_type").value_or("01")},
                              {"id_number", *number},
                              {"name", "-"}};
                JsonFieldReader reader(probe);
                auto draft = ParsePerson(reader);
                if (!draft.ok()) return Response::Error(draft.status());
                // Every look-up is audited, found or not (probing for ID numbers shows up), never
                // with the number itself.
                return Reply(http::ReadAudited(
                    *database, *audit, request,
                    [&](store::Connection& conn) -> Result<json> {
                      ZZ_ASSIGN_OR_RETURN(
                          auto id, registry->FindPersonId(conn, draft->id_type, draft->id_number));
                      json items = json::array();
                      if (id) {
                        ZZ_ASSIGN_OR_RETURN(bool visible,
                                            registry->PersonVisible(conn, *id, request.principal));
                        if (visible) {
                          ZZ_ASSIGN_OR_RETURN(
                              json person,
                              registry->GetPerson(conn, *id, FullIds(request), ScopeOf(request)));
                          items.push_back(std::move(person));
                        }
                      }
                      return json{{"items", std::move(items)}, {"next_cursor", nullptr}};
                    },
                    [&](const json& out) {
                      const auto ids = http::IdsOf(out["items"], "id");
                      return http::Audit("person.lookup", "", ids,
                                         {{"id_type", draft->id_type}, {"found", !ids.empty()}});
                    }));
              }
              return Reply(http::ReadAudited(
                  *database, *audit, request,
                  [&](store::Connection& conn) {
                    return registry->ListPersons(conn, *page, FullIds(request), ScopeOf(request));
                  },
                  [&](const json& out) {
                    return http::Audit("person.list", "", http::IdsOf(out["items"], "id"));
                  }));
            }});
  router.Add(Route{Verb::get, "/api/v1/persons/{id}", Right::kPersonRead,
                   "A person with certificates, enrolments and face status", Operation({}, {404}),
                   [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(http::ReadAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) {
                           return registry->GetPerson(conn, *id, FullIds(request),
                                                      ScopeOf(request));
                         },
                         [&](const json&) {
                           return http::Audit("person.read", "person:" + std::to_string(*id), {*id},
                                              {{"full_id_number", FullIds(request)}});
                         }));
                   }});

  router.Add(Route{
      Verb::patch, "/api/v1/persons/{id}", Right::kRegistryWrite,
      "Correct or complete a person's record (e.g. what a residence registration lacks)",
      Operation({{"name", "string", false, "name as on the ID"},
                 {"sex", "string", false, "male or female (not for resident IDs: derived)"},
                 {"birth_date", "date", false, "not for resident IDs: derived"},
                 {"nation", "string", false, "GB/T 3304 code or name"},
                 {"phone", "string", false, "mobile or landline"},
                 {"id_address", "string", false, "household registration address (户籍地址)"}},
                {400, 404, 413}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        JsonFieldReader in(*body);
        auto update = ParsePersonUpdate(in);
        if (!update.ok()) return Response::Error(update.status());
        return Reply(http::WriteAudited(
            *database, *audit, request,
            [&](store::Connection& conn) -> Result<json> {
              ZZ_RETURN_IF_ERROR(registry->UpdatePerson(conn, *id, *update));
              return registry->GetPerson(conn, *id, FullIds(request), ScopeOf(request));
            },
            [&](const json&) {
              json fields = json::array();
              for (const auto& [key, value] : body->items())
                fields.push_back(key);
              return http::Audit("person.update", "person:" + std::to_string(*id), {*id},
                                 {{"fields", fields}});
            }));
      }});

  // ---- certificates
  router.Add(Route{
      Verb::post, "/api/v1/persons/{id}/certificates", Right::kRegistryWrite,
      "Add a certificate; status computed from dates (expiring = 30 days or fewer left)",
      Operation({{"kind", "string", true, "special_operation, registered, safety_post or post"},
                 {"type_code", "string", true, "type within the kind, e.g. 01 建筑电工"},
                 {"number", "string", true, "certificate number, unique per kind and type"},
                 {"issuer", "string", false, "issuing authority"},
                 {"valid_from", "date", true, "first valid day"},
                 {"valid_to", "date", true, "last valid day"}},
                {400, 404, 409, 413}, 201),
      [=](Request& request) {
        auto person = http::IdParam(request, "id");
        if (!person.ok()) return Response::Error(person.status());
        auto draft = http::ParseBody<CertificateDraft>(request, ParseCertificate);
        if (!draft.ok()) return Response::Error(draft.status());
        return Reply(http::WriteAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) -> Result<json> {
                           ZZ_ASSIGN_OR_RETURN(std::int64_t id,
                                               registry->AddCertificate(conn, *person, *draft));
                           return registry->GetCertificate(conn, id);
                         },
                         [&](const json& cert) {
                           return http::Audit(
                               "certificate.create",
                               "certificate:" + std::to_string(cert["id"].get<std::int64_t>()),
                               {*person}, {{"kind", draft->kind}, {"type_code", draft->type_code}});
                         }),
                     201);
      }});
  router.Add(
      Route{Verb::get, "/api/v1/certificates/{id}", Right::kRegistryRead,
            "A certificate with its current status", Operation({}, {404}), [=](Request& request) {
              auto id = http::IdParam(request, "id");
              if (!id.ok()) return Response::Error(id.status());
              return Reply(http::ReadAudited(
                  *database, *audit, request,
                  [&](store::Connection& conn) { return registry->GetCertificate(conn, *id); },
                  [&](const json& cert) {
                    return http::Audit("certificate.read", "certificate:" + std::to_string(*id),
                                       {cert["person_id"].get<std::int64_t>()});
                  }));
            }});
  router.Add(
      Route{Verb::post, "/api/v1/certificates/{id}/revoke", Right::kRegistryWrite,
            "Revoke a certificate (its status becomes revoked)",
            Operation({{"reason", "string", true, "why it was revoked"}}, {400, 404, 409, 413}),
            [=](Request& request) {
              auto id = http::IdParam(request, "id");
              if (!id.ok()) return Response::Error(id.status());
              auto draft = http::ParseBody<RevokeDraft>(request, ParseRevoke);
              if (!draft.ok()) return Response::Error(draft.status());
              return Reply(http::WriteAudited(
                  *database, *audit, request,
                  [&](store::Connection& conn) -> Result<json> {
                    ZZ_RETURN_IF_ERROR(registry->RevokeCertificate(conn, *id, *draft));
                    return registry->GetCertificate(conn, *id);
                  },
                  [&](const json& cert) {
                    return http::Audit("certificate.revoke", "certificate:" + std::to_string(*id),
                                       {cert["person_id"].get<std::int64_t>()},
                                       {{"reason", draft->reason}});
                  }));
            }});

  // ---- enrolments
  router.Add(Route{
      Verb::post, "/api/v1/projects/{code}/workers", Right::kRegistryWrite,
      "Enrol a person on a project; one identity type per ID per project",
      Operation({{"person_id", "integer", false, "a registered person (or id_number)"},
                 {"id_number", "string", false,
                  "instead of person_id: the person's ID number (from the ID card)"},
                 {"id_type", "string", false, "ID type of id_number (default 01)"},
                 {"team_id", "integer", false, "a team of this project, of the same corp"},
                 {"uscc", "string", true, "employing corp; must take part in the project"},
                 {"work_role", "string", true, "10 manager, 20 worker"},
                 {"work_type", "string", false, "010–350 for workers; 900 for managers (default)"},
                 {"post", "string", false, "manager post, e.g. project_manager (required for 10)"},
                 {"entry_date", "date", true, "first day on the project"},
                 {"dorm_address", "string", false, "dormitory address"}},
                {400, 404, 409, 413, 422}, 201),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        // By ID number: whoever holds the ID card may enrol its person, also one registered
        // elsewhere. By person_id, a site manager may only name persons already theirs —
        // otherwise guessing ids would bring anyone's data into their scope.
        std::optional<PersonDraft> by_number;
        if (body->contains("id_number")) {
          if (body->contains("person_id")) {
            return Response::Error(
                Status::InvalidArgument("id_number", "send person_id or id_number, not both"));
          }
          json probe = {{"id_type", body->value("id_type", json("01"))},
                        {"id_number", (*body)["id_number"]},
                        {"name", "-"}};
          JsonFieldReader reader(probe);
          auto person = ParsePerson(reader);
          if (!person.ok()) return Response::Error(person.status());
          by_number = std::move(person).value();
          body->erase("id_number");
          body->erase("id_type");
          (*body)["person_id"] = 1;  // resolved in the write job
        }
        JsonFieldReader in(*body);
        auto draft = ParseEnrolment(in, /*read_person_id=*/true);
        if (!draft.ok()) return Response::Error(draft.status());
        if (draft->dorm_address) registry->WaitForAddresses();
        return Reply(
            http::WriteAudited(
                *database, *audit, request,
                [&](store::Connection& conn) -> Result<json> {
                  if (by_number) {
                    ZZ_ASSIGN_OR_RETURN(auto found, registry->FindPersonId(conn, by_number->id_type,
                                                                           by_number->id_number));
                    if (!found) {
                      return Status::Rule("person_not_found", "id_number",
                                          "no person with this ID number; register them first");
                    }
                    draft->person_id = *found;
                  } else if (!request.principal.all_projects) {
                    auto visible =
                        registry->PersonVisible(conn, draft->person_id, request.principal);
                    if (!visible.ok() || !*visible) {
                      return Status::Rule("person_not_found", "person_id",
                                          "no person " + std::to_string(draft->person_id));
                    }
                  }
                  ZZ_ASSIGN_OR_RETURN(std::int64_t id, registry->Enrol(conn, code, *draft));
                  return registry->GetEnrolment(conn, id, FullIds(request));
                },
                [&](const json& enrolment) {
                  return http::Audit(
                      "enrolment.create", "project:" + code, {draft->person_id},
                      {{"enrolment_id", enrolment["id"]}, {"work_role", draft->work_role}});
                }),
            201);
      }});
  router.Add(Route{Verb::put, "/api/v1/projects/{code}/workers/{person_id}/dorm",
                   Right::kRegistryWrite,
                   "Record a move to another dormitory (a residence change, due within 10 days)",
                   Operation({{"dorm_address", "string", true, "the new dormitory address"},
                              {"moved_on", "date", false, "day of the move (default today)"}},
                             {400, 404, 413, 422}),
                   [=](Request& request) {
                     const std::string code(request.Param("code"));
                     if (auto s = CheckProjectScope(request, code); !s.ok())
                       return Response::Error(s);
                     auto person = http::IdParam(request, "person_id");
                     if (!person.ok()) return Response::Error(person.status());
                     auto move = http::ParseBody<DormMove>(request, ParseDormMove);
                     if (!move.ok()) return Response::Error(move.status());
                     registry->WaitForAddresses();
                     return Reply(http::WriteAudited(
                         *database, *audit, request,
                         [&](store::Connection& conn) -> Result<json> {
                           ZZ_RETURN_IF_ERROR(registry->MoveDormitory(conn, code, *person, *move));
                           auto stmt = conn.Prepare(
                               "SELECT id FROM enrolments WHERE project_code = ? AND person_id = ? "
                               "AND exit_date IS NULL");
                           stmt.Bind(1, code).Bind(2, *person);
                           if (!stmt.Step())
                             return Status::Internal("enrolment vanished during the move");
                           return registry->GetEnrolment(conn, stmt.Int(0), FullIds(request));
                         },
                         [&](const json& enrolment) {
                           return http::Audit("enrolment.dorm", "project:" + code, {*person},
                                              {{"enrolment_id", enrolment["id"]}});
                         }));
                   }});
  router.Add(Route{
      Verb::post, "/api/v1/projects/{code}/workers/{person_id}/exit", Right::kRegistryWrite,
      "Record that a person left the project (退场)",
      Operation({{"exit_date", "date", true, "last day on the project; not in the future"},
                 {"reason", "string", false, "why"}},
                {400, 404, 409, 413, 422}),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        auto person = http::IdParam(request, "person_id");
        if (!person.ok()) return Response::Error(person.status());
        auto draft = http::ParseBody<ExitDraft>(request, ParseExit);
        if (!draft.ok()) return Response::Error(draft.status());
        return Reply(http::WriteAudited(
            *database, *audit, request,
            [&](store::Connection& conn) -> Result<json> {
              ZZ_RETURN_IF_ERROR(registry->Exit(conn, code, *person, *draft));
              auto stmt = conn.Prepare(
                  "SELECT id FROM enrolments WHERE project_code = ? AND person_id = ? "
                  "ORDER BY id DESC LIMIT 1");
              stmt.Bind(1, code).Bind(2, *person);
              if (!stmt.Step()) return Status::Internal("enrolment vanished during exit");
              return registry->GetEnrolment(conn, stmt.Int(0), FullIds(request));
            },
            [&](const json& enrolment) {
              return http::Audit(
                  "enrolment.exit", "project:" + code, {*person},
                  {{"enrolment_id", enrolment["id"]}, {"exit_date", draft->exit_date.ToString()}});
            }));
      }});
  router.Add(Route{
      Verb::get, "/api/v1/projects/{code}/workers", Right::kPersonRead, "Enrolments of a project",
      Operation({}, {400, 404}, 200,
                {{"status", "string", false, "active (default), exited or all"},
                 {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        auto page = http::PageOf(request, "workers:" + code, store::CursorKey::kId);
        if (!page.ok()) return Response::Error(page.status());
        auto status = http::EnumQuery(request, "status", {"active", "exited", "all"}, "active");
        if (!status.ok()) return Response::Error(status.status());
        return Reply(http::ReadAudited(
            *database, *audit, request,
            [&](store::Connection& conn) {
              return registry->ListWorkers(conn, code, *status, *page, FullIds(request));
            },
            [&](const json& out) {
              return http::Audit("project.workers.read", "project:" + code,
                                 http::IdsOf(out["items"], "person_id"));
            }));
      }});
}

}  // namespace zhizhi::registry

#include "accounts/accounts_api.h"

#include "base/civil_time.h"
#include "base/field_reader.h"
#include "http/handler_support.h"

namespace zhizhi::accounts {

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

// The client address without the port.
std::string ClientAddress(const Request& request) {
  const size_t colon = request.remote.rfind(':');
  return colon == std::string::npos ? request.remote : request.remote.substr(0, colon);
}

}  // namespace

void AddAccountRoutes(http::Router& router, Accounts& accounts_ref, store::Database& db_ref,
                      const security::AuditLog& audit_ref, http::RateLimiter& limiter_ref) {
  Accounts* accounts = &accounts_ref;
  store::Database* db = &db_ref;
  const security::AuditLog* audit = &audit_ref;
  http::RateLimiter* login_limiter = &limiter_ref;

  // ---- users
  router.Add(Route{
      Verb::post, "/api/v1/users", Right::kAdmin, "Create a user (district_admin only)",
      Operation({{"name", "string", true, "login name, 2–64 of [A-Za-z0-9._@-]"},
                 {"password", "string", true,
                  "10–128 characters, three of lower/upper/digit/other, not the name"},
                 {"role", "string", true,
                  "district_admin, site_manager, police, inspector, lottery_operator, notary, "
                  "dispatcher or grid_worker"},
                 {"projects", "array", false, "project codes; site managers only (at least one)"},
                 {"areas", "array", false,
                  "grid or community codes a grid worker serves (grid workers only)"},
                 {"pii", "boolean", false, "may see full ID numbers (default false)"}},
                {400, 409, 413, 415, 422}, 201),
      [=](Request& request) {
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        JsonFieldReader in(*body);
        auto draft = ParseUser(in);
        if (!draft.ok()) return Response::Error(draft.status());
        return Reply(accounts->CreateUser(*draft, http::ActorOf(request)), 201);
      }});
  router.Add(Route{Verb::get, "/api/v1/users", Right::kAdmin, "List users",
                   Operation({}, {400}, 200,
                             {{"limit", "integer", false, "page size, 1–1000 (default 100)"},
                              {"cursor", "string", false, "next_cursor of the previous page"}}),
                   [=](Request& request) {
                     auto page = http::PageOf(request, "users", store::CursorKey::kId);
                     if (!page.ok()) return Response::Error(page.status());
                     return Reply(accounts->ListUsers(*page));
                   }});
  router.Add(Route{Verb::get, "/api/v1/users/{id}", Right::kAdmin, "A user with their projects",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(accounts->GetUser(*id));
                   }});
  for (const bool disable : {true, false}) {
    router.Add(Route{Verb::post,
                     disable ? "/api/v1/users/{id}/disable" : "/api/v1/users/{id}/enable",
                     Right::kAdmin,
                     disable ? "Disable a user: every session ends, no new one starts"
                             : "Enable a disabled user",
                     Operation({}, {404}), [=](Request& request) {
                       auto id = http::IdParam(request, "id");
                       if (!id.ok()) return Response::Error(id.status());
                       return Reply(accounts->SetDisabled(*id, disable, http::ActorOf(request)));
                     }});
  }
  router.Add(Route{
      Verb::put, "/api/v1/users/current/password", Right::kAuthenticated,
      "Change the caller's password; every other session of the user ends",
      Operation({{"current_password", "string", true, "the password now"},
                 {"new_password", "string", true, "the new password (same rule as on creation)"}},
                {400, 413, 415, 422, 429}),
      [=](Request& request) {
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        JsonFieldReader in(*body);
        const std::string current = in.Text("current_password", 128);
        const std::string next = in.Text("new_password", 128);
        if (auto s = in.Finish(); !s.ok()) return Response::Error(s);
        return Reply(
            accounts->ChangePassword(request.principal, current, next, http::ActorOf(request)));
      }});

  // ---- sessions
  router.Add(Route{
      Verb::post, "/api/v1/sessions", std::nullopt,
      "Log in: a session token that expires (no auth; limited per client address)",
      Operation({{"name", "string", true, "user name"}, {"password", "string", true, "password"}},
                {400, 401, 413, 415, 429}, 201),
      [=](Request& request) {
        if (const std::int64_t wait =
                login_limiter->Take(ClientAddress(request), accounts->clock()());
            wait > 0) {
          return Response::Error(
              Status(Status::RateLimited("too many logins from this address; slow down"))
                  .With("retry_after", wait));
        }
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        JsonFieldReader in(*body);
        const std::string name = in.Text("name", 64);
        const std::string password = in.Text("password", 128);
        if (auto s = in.Finish(); !s.ok()) return Response::Error(s);
        Response response = Reply(accounts->Login(name, password, http::ActorOf(request)), 201);
        if (response.status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
      }});
  router.Add(Route{
      Verb::get, "/api/v1/sessions/current", Right::kAuthenticated,
      "Who the caller is: name, role, rights, projects, expiry", Operation({}, {}),
      [=](Request& request) {
        const security::Principal& p = request.principal;
        json rights = json::array();
        for (std::uint32_t bit = 1; bit != 0 && bit <= (1u << 30); bit <<= 1) {
          if (p.rights & bit) {
            rights.push_back(security::RightName(static_cast<Right>(bit)));
          }
        }
        return Response::Json(
            200, {{"name", p.name},
                  {"role", p.role},
                  {"user_id", p.user_id == 0 ? json() : json(p.user_id)},
                  {"session", p.is_session()},
                  {"rights", rights},
                  {"all_projects", p.all_projects},
                  {"projects", p.projects},
                  {"expires_at", p.expires_at == 0 ? json() : json(FormatRfc3339(p.expires_at))}});
      }});
  router.Add(Route{Verb::delete_, "/api/v1/sessions/current", Right::kAuthenticated,
                   "Log out: the caller's session token is revoked", Operation({}, {422}),
                   [=](Request& request) {
                     return Reply(accounts->Logout(request.principal, http::ActorOf(request)));
                   }});

  // ---- the audit trail
  router.Add(Route{
      Verb::get, "/api/v1/audit", Right::kAdmin,
      "Who read or changed what, oldest first (district_admin only; reading it is audited too)",
      Operation({}, {400}, 200,
                {{"person_id", "integer", false, "only entries about this person"},
                 {"from", "date-time", false, "RFC 3339 or a date (default: the beginning)"},
                 {"to", "date-time", false, "RFC 3339 or a date, inclusive (default: now)"},
                 {"kind", "string", false,
                  "security: only the security events (log-ins, lock-outs, refused calls, key "
                  "rotation, audit verification)"},
                 {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        auto found = http::IdQuery(request, "person_id");
        if (!found.ok()) return Response::Error(found.status());
        const std::optional<std::int64_t> person = *found;
        auto from = http::InstantQuery(request, "from", 0, false);
        if (!from.ok()) return Response::Error(from.status());
        auto to = http::InstantQuery(request, "to", NowUnixMs() + 1, true);
        if (!to.ok()) return Response::Error(to.status());
        if (*to < *from) {
          return Response::Error(Status::InvalidArgument("to", "to is before from"));
        }
        auto page = http::PageOf(request, "audit", store::CursorKey::kId);
        if (!page.ok()) return Response::Error(page.status());
        auto kind = http::EnumQuery(request, "kind", {"all", "security"}, "all");
        if (!kind.ok()) return Response::Error(kind.status());
        const bool security_only = *kind == "security";
        auto result = db->Read([&](store::Connection& conn) {
          return audit->Query(conn, person, *from, *to, *page, security_only);
        });
        if (!result.ok()) return Response::Error(result.status());
        json detail = {{"from", FormatRfc3339(*from)}, {"rows", (*result)["items"].size()}};
        if (security_only) detail["kind"] = "security";
        if (person) detail["person_id"] = *person;
        if (auto s = audit->Record(*db, http::ActorOf(request),
                                   security::AuditRecord{"audit.read", "", {}, detail});
            !s.ok()) {
          return Response::Error(s);
        }
        return Response::Json(200, *result);
      }});
}

}  // namespace zhizhi::accounts

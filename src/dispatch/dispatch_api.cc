#include "dispatch/dispatch_api.h"

#include "base/civil_time.h"
#include "http/handler_support.h"

namespace zhizhi::dispatch {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

Result<OrderFilter> FilterOf(const Request& request) {
  OrderFilter f;
  ZZ_ASSIGN_OR_RETURN(
      std::string status,
      http::EnumQuery(request, "status",
                      {"", "received", "assigned", "in_progress", "reported", "finished", "closed"},
                      ""));
  if (!status.empty()) f.status = status;
  ZZ_ASSIGN_OR_RETURN(f.area, http::OptTextQuery(request, "area", 15));
  ZZ_ASSIGN_OR_RETURN(f.assignee, http::OptTextQuery(request, "assignee", 64));
  ZZ_ASSIGN_OR_RETURN(f.category, http::OptTextQuery(request, "category", 32));
  ZZ_ASSIGN_OR_RETURN(
      std::string source,
      http::EnumQuery(request, "source", {"", "alert", "iot", "dispute", "manual"}, ""));
  if (!source.empty()) f.source = source;
  auto overdue = http::EnumQuery(request, "overdue", {"", "true", "false"}, "");
  if (!overdue.ok()) return overdue.status();
  f.overdue_only = overdue.value() == "true";
  return f;
}

Result<json> BodyOrEmpty(const Request& request) {
  if (request.body.empty()) return json::object();
  return http::JsonBody(request);
}

}  // namespace

void AddDispatchRoutes(http::Router& router, WorkOrders& orders_ref) {
  WorkOrders* orders = &orders_ref;
  router.AddIdScopeCheck("work-orders/{id}",
                         [orders](const security::Principal& p, std::int64_t id) {
                           return orders->CheckScope(p, id);
                         });
  router.AddScopeCheck("photos/{photo}", nullptr);  // checked with its order

  router.Add(Route{
      Verb::post, "/api/v1/work-orders", Right::kOrderDispatch,
      "Create a work order; it is routed by itself to the nearest on-duty grid worker of its "
      "area (or to `assignee`), its deadline counted in working days of the holiday calendar",
      Operation({{"title", "string", true, "what is to be done"},
                 {"category", "string", true, "a category of the dispatch rules"},
                 {"area_code", "string", true, "a street, community or grid"},
                 {"source", "string", true, "alert, iot, dispute or manual"},
                 {"source_id", "string", false,
                  "the alert's id (alert, iot) or the case's code (dispute); one order each"},
                 {"priority", "string", false, "red, orange, yellow or blue (an alert's severity)"},
                 {"description", "string", false, "details, at most 2000 bytes"},
                 {"lat", "number", false, "where (WGS 84), with lng"},
                 {"lng", "number", false, "where"},
                 {"assignee", "string", false, "a grid worker's user name (else routed)"}},
                {400, 409, 422}, 201),
      [=](Request& request) {
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        return Reply(orders->Create(*body, http::ActorOf(request)), 201);
      }});
  router.Add(Route{
      Verb::get, "/api/v1/work-orders", Right::kOrderRead,
      "Work orders (a grid worker: their own), oldest first, with counts per status",
      Operation({}, {400}, 200,
                {{"status", "string", false, "received … closed"},
                 {"area", "string", false, "an area: its orders and those of the areas under it"},
                 {"assignee", "string", false, "a grid worker's user name"},
                 {"category", "string", false, "a category"},
                 {"source", "string", false, "alert, iot, dispute or manual"},
                 {"overdue", "boolean", false, "only the open ones past their deadline"}}),
      [=](Request& request) {
        auto filter = FilterOf(request);
        if (!filter.ok()) return Response::Error(filter.status());
        auto page = http::PageOf(request, "work-orders", store::CursorKey::kId);
        if (!page.ok()) return Response::Error(page.status());
        return Reply(orders->List(*filter, *page, request.principal));
      }});
  router.Add(Route{Verb::get, "/api/v1/work-orders/{id}", Right::kOrderRead,
                   "One work order with its history (every step), photos and alert",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(orders->Get(*id));
                   }});

  struct ActionDoc {
    const char* action;
    Right right;
    const char* summary;
  };
  const ActionDoc actions[] = {
      {"assign", Right::kOrderDispatch,
       "Assign (or reassign) to a grid worker: {\"assignee\": USER_NAME}"},
      {"accept", Right::kOrderWork, "The assignee accepts: assigned → in_progress"},
      {"report", Right::kOrderWork,
       "The assignee reports progress with a note and/or a photo: → reported"},
      {"finish", Right::kOrderWork,
       "The assignee finishes, with a note or photo of what was done: → finished"},
      {"close", Right::kOrderDispatch,
       "The command centre closes a finished order; the alert it came from is resolved"},
      {"reopen", Right::kOrderDispatch,
       "Send a finished or closed order back (note: why): → assigned"},
      {"supervise", Right::kOrderDispatch,
       "Supervise (督办) an open order (note: what is urged); the assignee is told"},
  };
  for (const ActionDoc& doc : actions) {
    const std::string action = doc.action;
    router.Add(Route{
        Verb::post, "/api/v1/work-orders/{id}/" + action, doc.right, doc.summary,
        Operation({{"assignee", "string", false, "assign: the grid worker's user name"},
                   {"note", "string", false, "at most 2000 bytes (reopen, supervise: needed)"},
                   {"photo", "object", false,
                    "report, finish: {media_type, content_base64} — a JPEG, PNG or WebP of at "
                    "most 700 KB"},
                   {"client_id", "string", false,
                    "the phone's id of this action: sent again, it is counted once"}},
                  {400, 404, 409, 413, 422}),
        [=](Request& request) {
          auto id = http::IdParam(request, "id");
          if (!id.ok()) return Response::Error(id.status());
          auto body = BodyOrEmpty(request);
          if (!body.ok()) return Response::Error(body.status());
          return Reply(orders->Act(*id, action, *body, request.principal, http::ActorOf(request)));
        }});
  }
  router.Add(Route{Verb::get, "/api/v1/work-orders/{id}/photos/{photo}", Right::kOrderRead,
                   "An evidence photo of a work order (its bytes)", Operation({}, {404}),
                   [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     auto photo = http::IdParam(request, "photo");
                     if (!photo.ok()) return Response::Error(photo.status());
                     auto found = orders->Photo(*id, *photo);
                     if (!found.ok()) return Response::Error(found.status());
                     Response r = Response::Text(200, std::move(found->second), found->first);
                     r.headers.emplace_back("Cache-Control", "private, max-age=86400");
                     return r;
                   }});
  router.Add(
      Route{Verb::post, "/api/v1/disputes", Right::kOrderDispatch,
            "The mediation system's dispute cases (一案一码): one work order per case code; a code "
            "already known is left as it is; one bad case refuses the call",
            Operation({{"cases", "array", true,
                        "at most 1,000 {code, title, category?, area_code or address, level?, "
                        "description?}"}},
                      {400, 413, 422}),
            [=](Request& request) {
              auto body = http::JsonBody(request);
              if (!body.ok()) return Response::Error(body.status());
              return Reply(orders->ImportDisputes(*body, http::ActorOf(request)));
            }});
  router.Add(Route{Verb::get, "/api/v1/me/duty", Right::kOrderWork,
                   "The caller's duty: on or off, last position, the areas they serve",
                   Operation({}, {}),
                   [=](Request& request) { return Reply(orders->Duty(request.principal)); }});
  router.Add(
      Route{Verb::post, "/api/v1/me/duty", Right::kOrderWork,
            "Go on or off duty, with the phone's position (new orders go to the nearest on duty)",
            Operation({{"on_duty", "boolean", true, "on duty"},
                       {"lat", "number", false, "where the phone is (WGS 84), with lng"},
                       {"lng", "number", false, "where the phone is"}},
                      {400, 422}),
            [=](Request& request) {
              auto body = http::JsonBody(request);
              if (!body.ok()) return Response::Error(body.status());
              return Reply(orders->SetDuty(request.principal, *body));
            }});
  router.Add(Route{Verb::get, "/api/v1/dispatch/rules", Right::kOrderRead,
                   "The dispatch rules in force: categories with deadlines and departments, "
                   "which alerts become orders",
                   Operation({}, {}), [=](Request&) {
                     json out = orders->rules().document();
                     out["calendar"] = orders->calendar().version();
                     return Response::Json(200, out);
                   }});
  router.Add(Route{
      Verb::get, "/api/v1/work-calendar", Right::kOrderRead,
      "The working-day calendar of a year: its holidays and adjusted working days (调休), and "
      "whether the year's arrangement is known",
      Operation({}, {400}, 200, {{"year", "integer", false, "default: this year"}}),
      [=](Request& request) {
        int year = TodayInChina().year;
        if (auto text = request.Query("year"); text && !text->empty()) {
          if (text->size() != 4 || text->find_first_not_of("0123456789") != std::string::npos)
            return Response::Error(Status::InvalidArgument("year", "a year, e.g. 2026"));
          year = std::stoi(std::string(*text));
        }
        if (!Date::FromYmd(year, 1, 1))
          return Response::Error(Status::InvalidArgument("year", "a year from 0001"));
        const WorkCalendar& calendar = orders->calendar();
        json days = json::array();
        int working = 0;
        for (Date d = *Date::FromYmd(year, 1, 1); d.year == year; d = d.AddDays(1)) {
          const bool works = calendar.IsWorkingDay(d);
          working += works ? 1 : 0;
          const std::string name = calendar.DayName(d);
          if (!name.empty())
            days.push_back({{"date", d.ToString()}, {"working", works}, {"name", name}});
        }
        return Response::Json(200, {{"year", year},
                                    {"known", calendar.Knows(year)},
                                    {"version", calendar.version()},
                                    {"working_days", working},
                                    {"special_days", std::move(days)}});
      }});
}

}  // namespace zhizhi::dispatch

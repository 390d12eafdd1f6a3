#include "warning/warning_api.h"

#include "http/handler_support.h"

namespace zhizhi::warning {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

Result<Level> LevelQuery(const Request& request) {
  ZZ_ASSIGN_OR_RETURN(std::string level,
                      http::EnumQuery(request, "level", {"street", "community", "grid"}, "street"));
  return *ParseLevel(level);
}

Result<std::string> ParentQuery(const Request& request) {
  std::string parent = request.Query("parent").value_or("");
  if (parent.size() > 15 || parent.find_first_not_of("0123456789") != std::string::npos)
    return Status::InvalidArgument("parent", "an area code (digits)");
  return parent;
}

}  // namespace

void AddWarningRoutes(http::Router& router, Warning& warning_ref, Areas& areas_ref) {
  Warning* warning = &warning_ref;
  Areas* areas = &areas_ref;
  // Areas are the district's: whoever may read the warning may read every area.
  router.AddScopeCheck("areas/{code}", nullptr);

  const std::initializer_list<http::FieldDoc> level_query = {
      {"level", "string", false, "street (default), community or grid"},
      {"parent", "string", false, "only the areas under this one"}};
  router.Add(Route{
      Verb::get, "/api/v1/warnings/areas", Right::kWarningRead,
      "The five-colour warning: every area of a level with its colour (red, orange, yellow, "
      "blue, green) and the reasons for it; `counts` per colour; `unplaced`: what is open but "
      "belongs to no area",
      Operation({}, {400}, 200, level_query), [=](Request& request) {
        auto level = LevelQuery(request);
        if (!level.ok()) return Response::Error(level.status());
        auto parent = ParentQuery(request);
        if (!parent.ok()) return Response::Error(parent.status());
        return Response::Json(200, warning->List(*level, *parent));
      }});
  router.Add(Route{Verb::get, "/api/v1/warnings/areas/{code}", Right::kWarningRead,
                   "One area's warning: colour, reasons with examples, every indicator's value, "
                   "the areas under it with their colours, and its colour history",
                   Operation({}, {404}), [=](Request& request) {
                     return Reply(warning->Detail(std::string(request.Param("code"))));
                   }});
  router.Add(Route{Verb::get, "/api/v1/warnings/rulebook", Right::kWarningRead,
                   "The five-colour rulebook in force (rules/warning.json by default)",
                   Operation({}, {}),
                   [=](Request&) { return Response::Json(200, warning->rules().document()); }});
  router.Add(Route{Verb::get, "/api/v1/areas", Right::kWarningRead,
                   "The district's areas: streets and communities (from the gazetteer) and grids",
                   Operation({}, {400}, 200, level_query), [=](Request& request) {
                     auto level = LevelQuery(request);
                     if (!level.ok()) return Response::Error(level.status());
                     auto parent = ParentQuery(request);
                     if (!parent.ok()) return Response::Error(parent.status());
                     json items = json::array();
                     const auto tree = areas->tree();  // held while its areas are read
                     for (const Area* a : tree->OfLevel(*level)) {
                       if (!parent->empty() && a->parent != *parent) continue;
                       items.push_back(AreaJson(*a));
                     }
                     return Response::Json(200, {{"items", std::move(items)}});
                   }});
  router.Add(Route{Verb::post, "/api/v1/areas", Right::kAdmin,
                   "Create a grid (网格) under a community",
                   Operation({{"code", "string", true, "the community's 12 digits and 2 more"},
                              {"name", "string", true, "e.g. 第3网格"},
                              {"parent", "string", true, "the community's code"},
                              {"lat", "number", false, "the grid's centre (WGS 84), with lng"},
                              {"lng", "number", false, "the grid's centre"}},
                             {400, 409, 422}, 201),
                   [=](Request& request) {
                     auto body = http::JsonBody(request);
                     if (!body.ok()) return Response::Error(body.status());
                     auto made = areas->CreateGrid(*body, http::ActorOf(request).name);
                     if (made.ok()) warning->Wake();
                     return Reply(made, 201);
                   }});
}

}  // namespace zhizhi::warning

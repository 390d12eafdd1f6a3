#include "iot/iot_api.h"

#include "http/handler_support.h"

namespace zhizhi::iot {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

Result<DeviceFilter> FilterOf(const Request& request) {
  DeviceFilter f;
  ZZ_ASSIGN_OR_RETURN(std::string kind,
                      http::EnumQuery(request, "kind",
                                      {"", "fire_panel", "uitd", "smoke_detector",
                                       "electrical_fire", "water_pressure", "tower_crane"},
                                      ""));
  if (!kind.empty()) f.kind = kind;
  ZZ_ASSIGN_OR_RETURN(std::string state,
                      http::EnumQuery(request, "state", {"", "online", "offline", "never"}, ""));
  if (!state.empty()) f.state = state;
  ZZ_ASSIGN_OR_RETURN(f.project, http::OptTextQuery(request, "project", 64));
  ZZ_ASSIGN_OR_RETURN(f.q, http::OptTextQuery(request, "q", 100));
  return f;
}

}  // namespace

void AddIotRoutes(http::Router& router, Iot& iot_ref) {
  Iot* iot = &iot_ref;
  router.AddIdScopeCheck("devices/{device}", [iot](const security::Principal& p, std::int64_t id) {
    return iot->CheckScope(p, id);
  });
  router.AddIdScopeCheck("alarms/{alarm}", [iot](const security::Principal& p, std::int64_t id) {
    return iot->CheckAlarmScope(p, id);
  });

  router.Add(Route{
      Verb::post, "/api/v1/iot/devices", Right::kIotAdmin,
      "Register an IoT device: its broker credentials (the password is shown once) and topics",
      Operation({{"kind", "string", true,
                  "fire_panel, uitd, smoke_detector, electrical_fire, water_pressure or "
                  "tower_crane"},
                 {"serial", "string", true,
                  "the device's serial: its broker user name (letters, digits, . _ -)"},
                 {"project", "string", false, "the project it is on (a crane: required)"},
                 {"address", "string", false, "where it is, when on no project"},
                 {"name", "string", false, "what the screen calls it"},
                 {"model", "string", false, "a crane's model (rules/cranes.json)"}},
                {400, 403, 404, 409}, 201),
      [=](Request& request) {
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        return Reply(iot->Register(*body, request.principal, http::ActorOf(request)), 201);
      }});
  router.Add(Route{Verb::get, "/api/v1/iot/devices", Right::kIotRead,
                   "IoT devices with their state and open alarms, and counts by state and kind",
                   Operation({}, {400}, 200,
                             {{"kind", "string", false, "a device kind"},
                              {"state", "string", false, "online, offline or never"},
                              {"project", "string", false, "a project's code"},
                              {"q", "string", false, "part of a serial, name or address"}}),
                   [=](Request& request) {
                     auto filter = FilterOf(request);
                     if (!filter.ok()) return Response::Error(filter.status());
                     auto page = http::PageOf(request, "iot-devices", store::CursorKey::kId);
                     if (!page.ok()) return Response::Error(page.status());
                     return Reply(iot->List(*filter, *page, request.principal));
                   }});
  router.Add(Route{Verb::get, "/api/v1/iot/devices/{device}", Right::kIotRead,
                   "One IoT device: online or offline, last seen, latest values, each part's "
                   "status and analog values, its alarms and crane operator sessions",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "device");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(iot->Get(*id));
                   }});
  router.Add(
      Route{Verb::post, "/api/v1/iot/alarms/{alarm}/verdict", Right::kIotDuty,
            "The person on duty's verdict on an IoT alarm: `false` resolves its alert as a false "
            "alarm, `real` acknowledges it",
            Operation({{"verdict", "string", true, "real or false"},
                       {"note", "string", false, "what was found, at most 500 characters"}},
                      {400, 404, 409}),
            [=](Request& request) {
              auto id = http::IdParam(request, "alarm");
              if (!id.ok()) return Response::Error(id.status());
              auto body = http::JsonBody(request);
              if (!body.ok()) return Response::Error(body.status());
              return Reply(iot->Verdict(*id, *body, http::ActorOf(request)));
            }});
  router.Add(Route{Verb::get, "/api/v1/iot/stats", Right::kIotRead,
                   "Devices by state and kind, messages taken and dropped (by error code), open "
                   "alarms by type",
                   Operation({}, {}), [=](Request& request) {
                     return Response::Json(200, iot->Stats(request.principal));
                   }});
}

}  // namespace zhizhi::iot

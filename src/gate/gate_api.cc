#include "gate/gate_api.h"

#include <charconv>

#include "base/field_reader.h"
#include "http/handler_support.h"

namespace zhizhi::gate {

namespace {

using http::FieldDoc;
using http::Operation;
using http::Reply;
using http::Request;
using http::Respond;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

constexpr size_t kMaxBatch = 1000;

Status CheckProjectScope(const Request& request, std::string_view code) {
  if (request.principal.MaySeeProject(code)) return Status::Ok();
  return Status::NotFound("no project " + std::string(code));
}

Status RequireDevice(const Request& request) {
  if (request.principal.device_id == 0) {
    return Status::PermissionDenied("this endpoint is for gate devices (a device token)");
  }
  return Status::Ok();
}

}  // namespace

void AddGateRoutes(http::Router& router, Gate& gate_ref, store::Database& db_ref,
                   const security::AuditLog& audit_ref) {
  Gate* gate = &gate_ref;
  store::Database* db = &db_ref;
  const security::AuditLog* audit = &audit_ref;
  // Appends `record` in the writer job of a gate change.
  auto also = [=](const Request& request, security::AuditRecord record) -> Gate::AlsoWrite {
    return [=, actor = http::ActorOf(request), record = std::move(record)](
               store::Connection& conn) { return audit->Append(conn, actor, record); };
  };
  // Records a read of personal data before the answer is given.
  auto audited = [=](const Request& request, Result<json> result,
                     const std::function<security::AuditRecord(const json&)>& describe) {
    if (!result.ok()) return Reply(result);
    if (Status s = audit->Record(*db, http::ActorOf(request), describe(*result)); !s.ok()) {
      return Response::Error(s);
    }
    return Reply(result);
  };

  // A device is in a caller's scope when its project is.
  router.AddIdScopeCheck("devices/{id}",
                         [=](const security::Principal& p, std::int64_t id) -> Status {
                           auto project = gate->DeviceProject(id);
                           if (!project.ok() || !p.MaySeeProject(*project)) {
                             return Status::NotFound("no device " + std::to_string(id));
                           }
                           return Status::Ok();
                         });

  // ---- devices
  router.Add(Route{
      Verb::post, "/api/v1/projects/{code}/devices", Right::kGateAdmin,
      "Register a gate device; its token is returned once",
      Operation({{"serial", "string", true,
                  "device serial number, unique (other vendors: Uface deviceKey, "
                  "Hikvision serial, ZKTeco SN)"},
                 {"direction", "string", true, "in, out or both"},
                 {"zone", "string", false, "gate or zone name"},
                 {"vendor", "string", false, "zhizhi (default), uface, hikvision, zkteco"},
                 {"address", "string", false, "host:port the server reaches it at"},
                 {"username", "string", false, "downlink login"},
                 {"password", "string", false, "downlink password (sealed at rest)"}},
                {400, 404, 409, 413}, 201),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        JsonFieldReader in(*body);
        DeviceDraft d;
        d.serial = in.Text("serial", 64);
        d.direction = in.Text("direction", 8);
        d.zone = in.OptText("zone", 64);
        d.vendor = in.OptText("vendor", 16).value_or("zhizhi");
        d.address = in.OptText("address", 120);
        d.username = in.OptText("username", 64);
        d.password = in.OptText("password", 128);
        if (auto s = in.Finish(); !s.ok()) return Response::Error(s);
        return Reply(gate->RegisterDevice(
                         code, d,
                         also(request, http::Audit("device.create", "project:" + code, {},
                                                   {{"serial", d.serial}, {"vendor", d.vendor}}))),
                     201);
      }});
  router.Add(Route{Verb::get, "/api/v1/projects/{code}/devices", Right::kGateRead,
                   "Devices of a project with online status and clock offset", Operation({}, {404}),
                   [=](Request& request) {
                     const std::string code(request.Param("code"));
                     if (auto s = CheckProjectScope(request, code); !s.ok())
                       return Response::Error(s);
                     return Reply(gate->ListDevices(code));
                   }});
  for (const bool enable : {true, false}) {
    router.Add(Route{
        Verb::post, enable ? "/api/v1/devices/{id}/enable" : "/api/v1/devices/{id}/disable",
        Right::kGateAdmin, enable ? "Enable a device" : "Disable a device (its passes are denied)",
        Operation({}, {404}), [=](Request& request) {
          auto id = http::IdParam(request, "id");
          if (!id.ok()) return Response::Error(id.status());
          return Reply(gate->SetDeviceEnabled(
              *id, enable,
              also(request, http::Audit(enable ? "device.enable" : "device.disable",
                                        "device:" + std::to_string(*id)))));
        }});
  }

  // ---- terminals
  router.Add(Route{
      Verb::post, "/api/v1/gate/events", Right::kGateDevice,
      "A pass at a gate: decided, stored durably, then answered; idempotent on event_id",
      Operation(
          {{"event_id", "string", true, "unique per device; a repeat returns the first answer"},
           {"time", "date-time", true, "RFC 3339 with offset"},
           {"person_id", "integer", false, "recognised on the terminal (with score)"},
           {"score", "number", false, "terminal's face similarity in [0, 1]"},
           {"liveness", "boolean", false, "terminal's liveness verdict"},
           {"id_number", "string", false, "read from the ID card"},
           {"id_type", "string", false, "ID type of id_number (default 01)"},
           {"face_image", "string", false, "base64 JPEG for server-side recognition"},
           {"direction", "string", false, "in/out; required on a `both` device"},
           {"pass_mode", "integer", false, "1–11; 7, 8, 9 need operator and reason"},
           {"operator", "string", false, "who opened the gate (modes 7, 8, 9)"},
           {"operator_reason", "string", false, "why (modes 7, 8, 9)"}},
          {400, 413, 422}),
      nullptr, [=](Request& request, Respond respond) {
        if (auto s = RequireDevice(request); !s.ok()) return respond(Response::Error(s));
        // The hot path: read the flat body without building a JSON document.
        FlatJsonFieldReader in;
        if (auto s = in.Parse(request.body); !s.ok()) return respond(Response::Error(s));
        gate->SubmitEvent(
            request.principal, ParseGateEvent(in), [respond](Result<std::string> text) {
              if (!text.ok()) return respond(Response::Error(text.status()));
              respond(Response::Text(200, std::move(text).value(), "application/json"));
            });
      }});
  router.Add(Route{
      Verb::post, "/api/v1/gate/events:batch", Right::kGateDevice,
      "Offline replay: up to 1000 events in device order, each answered or rejected on its own",
      Operation({{"events", "array", true, "gate events as for POST /api/v1/gate/events"}},
                {400, 413}),
      nullptr, [=](Request& request, Respond respond) {
        if (auto s = RequireDevice(request); !s.ok()) return respond(Response::Error(s));
        auto body = http::JsonBody(request);
        if (!body.ok()) return respond(Response::Error(body.status()));
        auto events = body->find("events");
        if (body->size() != 1 || events == body->end() || !events->is_array()) {
          return respond(
              Response::Error(Status::InvalidArgument("events", "body must be {\"events\":[…]}")));
        }
        if (events->empty() || events->size() > kMaxBatch) {
          return respond(
              Response::Error(Status::InvalidArgument("events", "a batch holds 1 to 1000 events")));
        }
        std::vector<Result<GateEventInput>> inputs;
        inputs.reserve(events->size());
        for (const json& event : *events) {
          if (!event.is_object()) {
            inputs.emplace_back(Status::InvalidJson("each event must be a JSON object"));
            continue;
          }
          JsonFieldReader in(event);
          auto parsed = ParseGateEvent(in);
          if (!parsed.ok()) {
            // Name the event in its error when it has a usable id.
            Status status = parsed.status();
            auto id = event.find("event_id");
            if (id != event.end() && id->is_string() &&
                id->get_ref<const std::string&>().size() <= 64) {
              status.With("event_id", *id);
            }
            inputs.emplace_back(std::move(status));
            continue;
          }
          inputs.push_back(std::move(parsed));
        }
        gate->SubmitBatch(request.principal, std::move(inputs),
                          [respond](Result<json> result) { respond(Reply(result)); });
      }});
  router.Add(Route{
      Verb::get, "/api/v1/gate/roster", Right::kGateDevice,
      "Who may pass at the device's project: full (since=0) or changes since a version",
      Operation({}, {400}, 200, {{"since", "integer", false, "version from the last pull"}}),
      [=](Request& request) {
        if (auto s = RequireDevice(request); !s.ok()) return Response::Error(s);
        std::int64_t since = 0;
        if (auto text = request.Query("since"); text && !text->empty()) {
          const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), since);
          if (ec != std::errc() || end != text->data() + text->size() || since < 0) {
            return Response::Error(
                Status::InvalidArgument("since", "since must be a version number (≥ 0)"));
          }
        }
        return Reply(gate->Roster(request.principal, since));
      }});
  router.Add(Route{
      Verb::post, "/api/v1/gate/heartbeat", Right::kGateDevice,
      "Device heartbeat: last seen, counts, firmware and clock offset",
      Operation({{"person_count", "integer", false, "persons held on the terminal"},
                 {"face_count", "integer", false, "face templates held"},
                 {"firmware", "string", false, "firmware version"},
                 {"device_time", "date-time", false, "the device clock, RFC 3339 with offset"}},
                {400, 413}),
      [=](Request& request) {
        if (auto s = RequireDevice(request); !s.ok()) return Response::Error(s);
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        return Reply(gate->Heartbeat(request.principal, *body));
      }});

  // ---- on site, attendance, trajectory
  router.Add(
      Route{Verb::get, "/api/v1/projects/{code}/onsite", Right::kGateRead,
            "Who is inside now: head-count by team and work type, and the muster list",
            Operation({}, {400, 404}, 200,
                      {{"persons", "boolean", false, "include the muster list (default true)"}}),
            [=](Request& request) {
              const std::string code(request.Param("code"));
              if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
              auto persons = http::EnumQuery(request, "persons", {"true", "false"}, "true");
              if (!persons.ok()) return Response::Error(persons.status());
              if (*persons != "true") return Reply(gate->Onsite(code, false));
              return audited(request, gate->Onsite(code, true), [&](const json& out) {
                return http::Audit("project.onsite.read", "project:" + code,
                                   http::IdsOf(out["persons"], "person_id"));
              });
            }});
  router.Add(Route{
      Verb::get, "/api/v1/onsite", Right::kGateRead,
      "District on-site totals and per-project counts", Operation({}, {}), [=](Request& request) {
        const auto* scope = request.principal.all_projects ? nullptr : &request.principal.projects;
        return Response::Json(200, gate->DistrictOnsite(scope));
      }});
  router.Add(Route{
      Verb::get, "/api/v1/projects/{code}/attendance", Right::kGateRead,
      "Daily attendance sheet: first in, last out, hours, passes per person",
      Operation({}, {400, 404}, 200, {{"date", "date", false, "China date (default today)"}}),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        Date date = TodayInChina();
        if (auto text = request.Query("date"); text && !text->empty()) {
          auto parsed = Date::Parse(*text, "date");
          if (!parsed.ok()) return Response::Error(parsed.status());
          date = *parsed;
        }
        return audited(request, gate->Attendance(code, date), [&](const json& out) {
          return http::Audit("project.attendance.read", "project:" + code,
                             http::IdsOf(out["items"], "person_id"), {{"date", date.ToString()}});
        });
      }});
  router.Add(Route{
      Verb::get, "/api/v1/persons/{id}/trajectory", Right::kPersonRead,
      "Time-ordered passes of a person across all sites",
      Operation({}, {400, 404}, 200,
                {{"from", "date-time", false, "RFC 3339 or a date (default 30 days ago)"},
                 {"to", "date-time", false, "RFC 3339 or a date, inclusive (default now)"}}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        const std::int64_t now = NowUnixMs();
        auto from = http::InstantQuery(request, "from", now - 30LL * 86'400'000, false);
        if (!from.ok()) return Response::Error(from.status());
        auto to = http::InstantQuery(request, "to", now + 1, true);
        if (!to.ok()) return Response::Error(to.status());
        if (*to < *from) return Response::Error(Status::InvalidArgument("to", "to is before from"));
        const auto* scope = request.principal.all_projects ? nullptr : &request.principal.projects;
        return audited(request, gate->Trajectory(*id, *from, *to, scope), [&](const json& out) {
          return http::Audit("person.trajectory.read", "person:" + std::to_string(*id), {*id},
                             {{"from", FormatRfc3339(*from)}, {"passes", out["items"].size()}});
        });
      }});

  // ---- policy and blacklist
  router.Add(Route{Verb::get, "/api/v1/projects/{code}/gate-policy", Right::kGateRead,
                   "Which gate checks deny, warn or are off on a project", Operation({}, {404}),
                   [=](Request& request) {
                     const std::string code(request.Param("code"));
                     if (auto s = CheckProjectScope(request, code); !s.ok())
                       return Response::Error(s);
                     return Reply(gate->GetPolicy(code));
                   }});
  router.Add(Route{
      Verb::put, "/api/v1/projects/{code}/gate-policy", Right::kGateAdmin,
      "Set the gate policy of a project (checks: deny/warn/off; face_threshold; duplicate window)",
      Operation({{"checks", "object", false, "check code → deny, warn or off"},
                 {"face_threshold", "number", false, "minimum terminal score, [0, 1]"},
                 {"duplicate_window_s", "integer", false, "seconds, 0–3600 (default 60)"}},
                {400, 404, 413}),
      [=](Request& request) {
        const std::string code(request.Param("code"));
        if (auto s = CheckProjectScope(request, code); !s.ok()) return Response::Error(s);
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        auto policy = GatePolicy::FromJson(*body);
        if (!policy.ok()) return Response::Error(policy.status());
        return Reply(gate->SetPolicy(code, *policy,
                                     also(request, http::Audit("gate_policy.set", "project:" + code,
                                                               {}, policy->ToJson()))));
      }});
  router.Add(
      Route{Verb::post, "/api/v1/persons/{id}/blacklist", Right::kAdmin,
            "Blacklist a person: denied at every gate, revoked from every roster",
            Operation({{"reason", "string", true, "why"}}, {400, 404, 413}), [=](Request& request) {
              auto id = http::IdParam(request, "id");
              if (!id.ok()) return Response::Error(id.status());
              auto body = http::JsonBody(request);
              if (!body.ok()) return Response::Error(body.status());
              JsonFieldReader in(*body);
              const std::string reason = in.Text("reason", 200);
              if (auto s = in.Finish(); !s.ok()) return Response::Error(s);
              return Reply(gate->Blacklist(
                  *id, reason, request.principal.name,
                  also(request, http::Audit("person.blacklist", "person:" + std::to_string(*id),
                                            {*id}, {{"reason", reason}}))));
            }});
  router.Add(Route{Verb::delete_, "/api/v1/persons/{id}/blacklist", Right::kAdmin,
                   "Lift a blacklisting", Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(gate->Unblacklist(
                         *id, also(request, http::Audit("person.unblacklist",
                                                        "person:" + std::to_string(*id), {*id}))));
                   }});

  // ---- live feeds (WebSocket): every decision as it is committed
  auto live = [=](Request& request, std::shared_ptr<http::WebSocketPeer> peer) {
    const std::string code(request.Param("code"));
    if (!request.principal.MaySeeProject(code)) {
      peer->Send(
          json{{"type", "error"}, {"code", "not_found"}, {"message", "no project " + code}}.dump());
      return;
    }
    if (!audit
             ->Record(*db, http::ActorOf(request), http::Audit("live.subscribe", "project:" + code))
             .ok()) {
      peer->Send(json{{"type", "error"}, {"code", "internal"}, {"message", "audit failed"}}.dump());
      return;
    }
    gate->live().Subscribe(code, std::move(peer));
  };
  router.Add(Route{Verb::get, "/api/v1/projects/{code}/live", Right::kGateRead,
                   "WebSocket: each pass decision of the project as JSON (token in "
                   "Authorization or ?access_token=)",
                   Operation({}, {404}), nullptr, nullptr,
                   [=](Request& request, std::shared_ptr<http::WebSocketPeer> peer) {
                     live(request, std::move(peer));
                   }});
  router.Add(Route{
      Verb::get, "/api/v1/live", Right::kGateRead,
      "WebSocket: every pass decision of the district as JSON", Operation({}, {}), nullptr, nullptr,
      [=](Request& request, std::shared_ptr<http::WebSocketPeer> peer) {
        if (!audit->Record(*db, http::ActorOf(request), http::Audit("live.subscribe", "")).ok()) {
          peer->Send(
              json{{"type", "error"}, {"code", "internal"}, {"message", "audit failed"}}.dump());
          return;
        }
        if (!request.principal.all_projects) {
          for (const auto& code : request.principal.projects) {
            gate->live().Subscribe(code, peer);
          }
          return;
        }
        gate->live().Subscribe("", std::move(peer));
      }});
}

}  // namespace zhizhi::gate

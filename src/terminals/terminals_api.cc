#include "terminals/terminals_api.h"

#include <ctime>

#include <spdlog/spdlog.h>

#include "base/civil_time.h"
#include "http/form.h"
#include "http/handler_support.h"

namespace zhizhi::terminals {

namespace {

using http::Request;
using http::Respond;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;

// What Uface firmware posts: form fields (most), JSON (newer), multipart (some).
const std::vector<std::string> kUfaceMedia = {"application/x-www-form-urlencoded",
                                              "multipart/form-data", "text/plain"};
// ZKTeco firmware labels its text bodies every way there is (or not at all).
const std::vector<std::string> kAnyMedia = {"*"};

// The IP address of "ADDRESS:PORT".
std::string RemoteIp(const std::string& remote) {
  const size_t colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

// RFC 9110 IMF-fixdate: ZKTeco terminals set their clocks from the Date of the answers.
std::string HttpDate(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

Response ZkText(int status, std::string body) {
  Response r = Response::Text(status, std::move(body), "text/plain");
  r.headers.emplace_back("Date", HttpDate(NowUnixMs()));
  return r;
}

Response ZkError(const Status& status) {
  return ZkText(http::HttpStatusOf(status.kind()),
                "ERROR: " + status.code() + ": " + status.message() + "\n");
}

Response UfaceAnswer(const Status& status) {
  if (status.ok()) return Response::Text(200, UfaceSuccess(), "application/json");
  return Response::Text(http::HttpStatusOf(status.kind()), UfaceFailure(status),
                        "application/json");
}

// The fields of a Uface body, whatever its media type.
Result<http::FormFields> UfaceFields(const Request& request) {
  const std::string type = http::MediaType(request.content_type);
  if (type == "application/json" ||
      (type.empty() && !request.body.empty() && request.body.front() == '{')) {
    return UfaceJsonFields(request.body);
  }
  if (type == "multipart/form-data") {
    ZZ_ASSIGN_OR_RETURN(auto parts, http::ParseMultipart(request.content_type, request.body));
    http::FormFields fields;
    for (const auto& part : parts)
      fields.emplace_back(part.name, std::string(part.body));
    return fields;
  }
  return http::ParseUrlEncodedForm(request.body);
}

// An OpenAPI operation whose body is form fields (or text) instead of JSON.
json BodyAs(json operation, const char* media_type) {
  if (operation.contains("requestBody")) {
    auto& content = operation["requestBody"]["content"];
    content[media_type] = content["application/json"];
    content.erase("application/json");
  }
  return operation;
}

}  // namespace

void AddTerminalRoutes(http::Router& router, Terminals& terminals_ref, Downlink& downlink_ref) {
  Terminals* terminals = &terminals_ref;
  Downlink* downlink = &downlink_ref;

  // ---- Uface: the recognition callback and the heartbeat
  auto uface = [=](Request& request) {
    return terminals->ByCallback("uface", request.Param("secret"));
  };
  Route identify{
      Verb::post,
      "/api/v1/terminals/uface/{secret}",
      std::nullopt,
      "Uface terminal: recognition callback (识别回调); the path is the device's callback_url",
      BodyAs(http::Operation({{"deviceKey", "string", true, "the device's serial (deviceKey)"},
                              {"personId", "string", true, "zhizhi person id, or STRANGERBABY"},
                              {"time", "string", true, "Unix milliseconds"},
                              {"type", "string", true,
                               "mode_result: face_0 passed, _1 refused by its rules, "
                               "_2 not recognised"},
                              {"searchScore", "string", false, "0–100"},
                              {"livenessScore", "string", false, "0–100"},
                              {"imgBase64", "string", false, "snapshot"}},
                             {400, 403, 404, 413, 422}),
             "application/x-www-form-urlencoded"),
      nullptr,
      [=](Request& request, Respond respond) {
        auto device = uface(request);
        if (!device.ok()) return respond(UfaceAnswer(device.status()));
        auto fields = UfaceFields(request);
        if (!fields.ok()) return respond(UfaceAnswer(fields.status()));
        auto recognition = ParseUfaceRecognition(*fields);
        if (!recognition.ok()) return respond(UfaceAnswer(recognition.status()));
        if (recognition->device_key != device->serial) {
          return respond(UfaceAnswer(
              terminals->Mismatch(*device, recognition->device_key, RemoteIp(request.remote))));
        }
        terminals->SubmitUface(*device, std::move(recognition).value(),
                               [respond](Status status) { respond(UfaceAnswer(status)); });
      }};
  identify.media_types = kUfaceMedia;
  identify.secret_path = true;
  router.Add(std::move(identify));

  Route beat{Verb::post,
             "/api/v1/terminals/uface/{secret}/heartbeat",
             std::nullopt,
             "Uface terminal: heartbeat (counts, firmware, clock)",
             BodyAs(http::Operation({{"deviceKey", "string", true, "the device's serial"},
                                     {"personCount", "string", false, "persons held"},
                                     {"faceCount", "string", false, "faces held"},
                                     {"version", "string", false, "firmware"},
                                     {"time", "string", false, "device clock, Unix ms"}},
                                    {400, 403, 404, 413}),
                    "application/x-www-form-urlencoded"),
             [=](Request& request) {
               auto device = uface(request);
               if (!device.ok()) return UfaceAnswer(device.status());
               auto fields = UfaceFields(request);
               if (!fields.ok()) return UfaceAnswer(fields.status());
               auto heartbeat = ParseUfaceHeartbeat(*fields);
               if (!heartbeat.ok()) return UfaceAnswer(heartbeat.status());
               if (heartbeat->device_key != device->serial) {
                 return UfaceAnswer(
                     terminals->Mismatch(*device, heartbeat->device_key, RemoteIp(request.remote)));
               }
               return UfaceAnswer(terminals->UfaceHeartbeat(*device, *heartbeat));
             }};
  beat.media_types = kUfaceMedia;
  beat.secret_path = true;
  router.Add(std::move(beat));

  // ---- Hikvision: the listening host's push (events and heartbeats)
  Route hikvision{
      Verb::post,
      "/api/v1/terminals/hikvision/{secret}",
      std::nullopt,
      "Hikvision terminal: event push (multipart AccessControllerEvent + Picture, or JSON); the "
      "path is the device's callback_url",
      BodyAs(http::Operation(
                 {{"AccessControllerEvent", "object", false, "the event JSON part (or event_log)"},
                  {"Picture", "string", false, "the picture part (JPEG)"}},
                 {400, 403, 404, 413, 422}),
             "multipart/form-data"),
      nullptr,
      [=](Request& request, Respond respond) {
        auto answer = [](const Status& status) {
          if (status.ok()) return Response::Text(200, HikSuccess(), "application/json");
          return Response::Text(http::HttpStatusOf(status.kind()), HikFailure(status),
                                "application/json");
        };
        auto device = terminals->ByCallback("hikvision", request.Param("secret"));
        if (!device.ok()) return respond(answer(device.status()));
        auto event = ParseHikPush(request.content_type, request.body);
        if (!event.ok()) return respond(answer(event.status()));
        terminals->SubmitHikvision(*device, std::move(event).value(), RemoteIp(request.remote),
                                   [respond, answer](Status status) { respond(answer(status)); });
      }};
  hikvision.media_types = {"multipart/form-data"};
  hikvision.secret_path = true;
  router.Add(std::move(hikvision));

  // ---- ZKTeco PUSH, at the paths its firmware knows (eSSL firmware adds .aspx)
  auto zk_device = [=](const Request& request) -> Result<VendorDevice> {
    auto sn = request.Query("SN");
    if (!sn) return Status::InvalidArgument("SN", "SN is missing");
    return terminals->ZkDevice(*sn, RemoteIp(request.remote));
  };
  for (const std::string suffix : {"", ".aspx"}) {
    Route options{Verb::get,
                  "/iclock/cdata" + suffix,
                  std::nullopt,
                  "ZKTeco terminal: handshake (options=all) — the options it should run with",
                  http::Operation({}, {400, 401, 403}, 200,
                                  {{"SN", "string", true, "the terminal's serial number"},
                                   {"options", "string", false, "all"},
                                   {"pushver", "string", false, "protocol version"}}),
                  [=](Request& request) {
                    auto device = zk_device(request);
                    if (!device.ok()) return ZkError(device.status());
                    auto stamp = terminals->ZkHandshake(*device);
                    if (!stamp.ok()) return ZkError(stamp.status());
                    return ZkText(200, ZkOptions(device->serial, *stamp));
                  }};
    router.Add(std::move(options));

    Route upload{Verb::post,
                 "/iclock/cdata" + suffix,
                 std::nullopt,
                 "ZKTeco terminal: uploads (table=ATTLOG punches; OPERLOG and others acknowledged)",
                 BodyAs(http::Operation({}, {400, 401, 403, 413}, 200,
                                        {{"SN", "string", true, "the terminal's serial number"},
                                         {"table", "string", true, "ATTLOG, OPERLOG, ATTPHOTO …"},
                                         {"Stamp", "string", false, "the upload's stamp"}}),
                        "text/plain"),
                 nullptr,
                 [=](Request& request, Respond respond) {
                   auto device = zk_device(request);
                   if (!device.ok()) return respond(ZkError(device.status()));
                   const std::string table = request.Query("table").value_or("");
                   if (table != "ATTLOG") {
                     // Operation logs, photos, user data: acknowledged by count so the terminal
                     // moves on.
                     int lines = 0;
                     if (table == "OPERLOG") {
                       for (char c : request.body)
                         lines += c == '\n';
                       if (!request.body.empty() && request.body.back() != '\n') ++lines;
                       return respond(ZkText(200, "OK: " + std::to_string(lines) + "\n"));
                     }
                     return respond(ZkText(200, "OK\n"));
                   }
                   auto batch = ParseAttlog(request.body);
                   if (!batch.ok()) return respond(ZkError(batch.status()));
                   const auto stamp = request.Query("Stamp");
                   terminals->SubmitAttlog(
                       *device, std::move(batch).value(), stamp,
                       [respond](Result<AttlogOutcome> outcome) {
                         // Only a stored upload is acknowledged: on an error the terminal keeps its
                         // punches and sends them again (the replay changes nothing).
                         if (!outcome.ok()) return respond(ZkError(outcome.status()));
                         respond(ZkText(200, "OK: " + std::to_string(outcome->lines) + "\n"));
                       });
                 }};
    upload.media_types = kAnyMedia;
    router.Add(std::move(upload));

    Route poll{Verb::get,
               "/iclock/getrequest" + suffix,
               std::nullopt,
               "ZKTeco terminal: command poll and heartbeat (INFO: firmware, counts)",
               http::Operation({}, {400, 401, 403}, 200,
                               {{"SN", "string", true, "the terminal's serial number"},
                                {"INFO", "string", false, "firmware,users,fingerprints,…"}}),
               [=](Request& request) {
                 auto device = zk_device(request);
                 if (!device.ok()) return ZkError(device.status());
                 const auto info = request.Query("INFO");
                 if (Status s = terminals->ZkPoll(*device, ParseZkInfo(info.value_or("")));
                     !s.ok()) {
                   return ZkError(s);
                 }
                 // The roster changes the device has not applied, as commands (or OK).
                 auto commands = downlink->ZkCommands(*device);
                 if (!commands.ok()) return ZkError(commands.status());
                 return ZkText(200, std::move(commands).value());
               }};
    router.Add(std::move(poll));

    Route results{Verb::post,
                  "/iclock/devicecmd" + suffix,
                  std::nullopt,
                  "ZKTeco terminal: results of the commands it ran",
                  BodyAs(http::Operation({}, {400, 401, 403, 413}, 200,
                                         {{"SN", "string", true, "the terminal's serial number"}}),
                         "text/plain"),
                  [=](Request& request) {
                    auto device = zk_device(request);
                    if (!device.ok()) return ZkError(device.status());
                    auto parsed = ParseZkCommandResults(request.body);
                    if (!parsed.ok()) return ZkError(parsed.status());
                    for (const auto& r : *parsed) {
                      spdlog::info("event=terminal_command_result sn={} id={} return={} cmd={}",
                                   device->serial, r.id, r.return_code, r.command);
                    }
                    if (Status s = downlink->ZkResults(*device, *parsed); !s.ok()) {
                      return ZkError(s);
                    }
                    return ZkText(200, "OK\n");
                  }};
    results.media_types = kAnyMedia;
    router.Add(std::move(results));
  }
}

}  // namespace zhizhi::terminals

#include "terminals/hikvision.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "http/form.h"

namespace zhizhi::terminals {

namespace {

using nlohmann::json;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An integer member, or 0.
std::int64_t Int(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  return 0;
}

std::string Text(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<HikEvent> FromJson(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::InvalidJson("the event is not a JSON object");
  HikEvent e;
  const std::string type = Text(doc, "eventType");
  if (type.empty()) return Status::InvalidArgument("eventType", "eventType is missing");
  e.mac = Lower(Text(doc, "macAddress"));
  e.short_serial = Text(doc, "shortSerialNumber");
  if (const std::string when = Text(doc, "dateTime"); !when.empty()) {
    auto parsed = Timestamp::ParseRfc3339(when, "dateTime");
    if (parsed.ok()) {
      e.time = *parsed;
    } else if (when.size() == 19 && when[10] == 'T' &&
               Timestamp::ParseRfc3339(when + "+08:00", "dateTime").ok()) {
      e.local_time = when;  // no zone: read in China time with the device's offset
    } else {
      return Status::InvalidArgument("dateTime", "dateTime must be an ISO 8601 time");
    }
  }
  if (type == "heartBeat") {
    e.heartbeat = true;
    return e;
  }
  if (type != "AccessControllerEvent") {
    return Status::InvalidArgument("eventType", "eventType " + type.substr(0, 40) +
                                                    " is neither AccessControllerEvent nor "
                                                    "heartBeat");
  }
  auto event = doc.find("AccessControllerEvent");
  if (event == doc.end() || !event->is_object()) {
    return Status::InvalidArgument("AccessControllerEvent", "AccessControllerEvent is missing");
  }
  if (!e.time && !e.local_time) return Status::InvalidArgument("dateTime", "dateTime is missing");
  e.major = static_cast<int>(Int(*event, "majorEventType"));
  e.minor = static_cast<int>(Int(*event, "subEventType"));
  if (auto serial = event->find("serialNo"); serial != event->end()) {
    if (!serial->is_number_integer() || serial->get<std::int64_t>() < 0) {
      return Status::InvalidArgument("serialNo", "serialNo must be a number");
    }
    e.serial_no = serial->get<std::int64_t>();
  }
  std::string employee = Text(*event, "employeeNoString");
  if (employee.empty() && event->contains("employeeNo") &&
      (*event)["employeeNo"].is_number_integer()) {
    employee = std::to_string((*event)["employeeNo"].get<std::int64_t>());
  }
  if (employee.size() > 32) return Status::InvalidArgument("employeeNoString", "too long");
  if (!employee.empty() && employee != "null") e.employee = employee;
  e.verify_mode = Text(*event, "currentVerifyMode").substr(0, 40);
  e.attendance = Text(*event, "attendanceStatus").substr(0, 40);
  return e;
}

}  // namespace

Result<HikEvent> ParseHikPush(std::string_view content_type, std::string_view body) {
  if (http::MediaType(content_type) != "multipart/form-data") return FromJson(body);
  ZZ_ASSIGN_OR_RETURN(auto parts, http::ParseMultipart(content_type, body));
  const http::MultipartPart* event = nullptr;
  for (const auto& part : parts) {
    if (part.name == "AccessControllerEvent" || part.name == "event_log") {
      event = &part;
      break;
    }
  }
  if (event == nullptr) {
    // Some firmware names the part after nothing we know: the first JSON part.
    for (const auto& part : parts) {
      if (part.content_type == "application/json") {
        event = &part;
        break;
      }
    }
  }
  if (event == nullptr) {
    return Status::Invalid("invalid_multipart", "AccessControllerEvent",
                           "no AccessControllerEvent part");
  }
  ZZ_ASSIGN_OR_RETURN(HikEvent e, FromJson(event->body));
  // The picture: the part its pictureURL names, else one called Picture.
  const json doc = json::parse(event->body, nullptr, false);
  std::string named;
  if (doc.is_object() && doc.contains("AccessControllerEvent")) {
    named = Text(doc["AccessControllerEvent"], "pictureURL");
  }
  for (const auto& part : parts) {
    if (&part == event || part.body.empty()) continue;
    const bool picture = (!named.empty() && part.name == named) || Lower(part.name) == "picture" ||
                         part.content_type == "image/jpeg";
    if (picture) {
      e.picture = std::string(part.body);
      break;
    }
  }
  return e;
}

std::optional<bool> HikDoorOpened(int major, int minor) {
  if (major != 5) return std::nullopt;
  switch (minor) {
    case 1:    // valid card
    case 38:   // fingerprint matched
    case 75:   // face authentication passed
    case 77:   // employee number and face passed
    case 181:  // password passed
      return true;
    case 6:   // card without permission
    case 9:   // no such card
    case 39:  // fingerprint failed
    case 76:  // face authentication failed
    case 78:  // employee number and face failed
    case 80:  // face recognition failed
      return false;
    default:
      return std::nullopt;
  }
}

int HikPassMode(std::string_view verify_mode) {
  const std::string mode = Lower(verify_mode);
  if (mode.find("face") != std::string::npos) return 1;
  if (mode.find("fingerprint") != std::string::npos || mode.find("fp") != std::string::npos)
    return 3;
  if (mode.find("card") != std::string::npos) return 6;
  return 11;
}

std::optional<std::string> HikDirection(std::string_view attendance) {
  if (attendance == "checkIn" || attendance == "breakIn" || attendance == "overtimeIn") return "in";
  if (attendance == "checkOut" || attendance == "breakOut" || attendance == "overtimeOut")
    return "out";
  return std::nullopt;
}

std::string HikSuccess() {
  return R"({"statusCode":1,"statusString":"OK","subStatusCode":"ok"})";
}

std::string HikFailure(const Status& status) {
  return json{{"statusCode", 4},
              {"statusString", "Invalid Content"},
              {"subStatusCode", status.code()},
              {"errorMsg", status.message()}}
      .dump();
}

}  // namespace zhizhi::terminals

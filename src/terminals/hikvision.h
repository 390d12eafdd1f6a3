// Hikvision access terminals (ISAPI): the event a terminal pushes to its listening host
// (HTTP host notification) — multipart/form-data with the event JSON (part
// `AccessControllerEvent`, on some firmware `event_log`) and its picture (`Picture`), or the JSON
// alone — and the heartbeat that comes the same way. Pure parsing: terminals.h maps an access
// event onto a gate event.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/civil_time.h"
#include "base/status.h"

namespace zhizhi::terminals {

struct HikEvent {
  bool heartbeat = false;                 // eventType heartBeat: only the device's clock and life
  std::optional<Timestamp> time;          // dateTime, when it has an offset
  std::optional<std::string> local_time;  // dateTime without one ("YYYY-MM-DDTHH:MM:SS")
  std::string mac;                        // macAddress
  std::string short_serial;               // shortSerialNumber
  // AccessControllerEvent:
  int major = 0;
  int minor = 0;
  std::optional<std::int64_t> serial_no;  // the device's own number of the event
  std::optional<std::string> employee;    // employeeNoString ("" and "null" are nobody)
  std::string verify_mode;                // currentVerifyMode
  std::string attendance;                 // attendanceStatus
  std::optional<std::string> picture;     // the picture part (JPEG)
};

// The event of a push body of media type `content_type`: multipart (the event part named
// AccessControllerEvent or event_log, the picture Picture/picture or as pictureURL names it) or
// JSON. invalid_argument / invalid_multipart / invalid_json when it is not one.
Result<HikEvent> ParseHikPush(std::string_view content_type, std::string_view body);

// Whether an access event is a pass, and whether the door opened: major 5 with minors 1 card,
// 38 fingerprint, 75 face, 77 employee number + face, 181 password (opened); 6, 9, 39, 76, 78,
// 80 (refused). nullopt for anything else (door states, alarms): not a pass.
std::optional<bool> HikDoorOpened(int major, int minor);

// The gate's pass mode (domain.md) of a currentVerifyMode: face 1, fingerprint 3, card 6, other 11.
int HikPassMode(std::string_view verify_mode);
// The direction of an attendanceStatus: checkIn, breakIn, overtimeIn in; checkOut, breakOut,
// overtimeOut out; nullopt for undefined or none.
std::optional<std::string> HikDirection(std::string_view attendance);

// The answer the device expects (ISAPI ResponseStatus as JSON).
std::string HikSuccess();
std::string HikFailure(const Status& status);

}  // namespace zhizhi::terminals

// GB/T 26875.3-2011, the protocol between a fire-safety user information transmission device
// (用户信息传输装置, UITD) and the monitoring centre: frames and the application data of the
// types the centre needs (domain.md, "Fire-safety IoT").
//
//   frame    '@@' | serial (2, low first) | version (2) | time (6) | source (6) | destination (6)
//            | app data length (2, low first, ≤ 1,024) | command (1) | app data | checksum (1)
//            | '##'
//   checksum the sum of every byte from the serial to the command and of the app data, mod 256
//   time     second, minute, hour, day, month, year − 2000 (the device's local clock)
//   app data type (1) | object count (1) | objects, each of the type's fixed size:
//            1  system status       system type, system address, status (2), time (6)        10
//            2  part status         system type, system address, part type, part address (4),
//                                   status (2), description (31, GB 18030), time (6)          46
//            3  part analog value   system type, system address, part type, part address (4),
//                                   analog type (1), value (2, signed), time (6)              16
//            21 UITD status         status (1), time (6)                                       7
//
// Every decoding error is Status::Invalid with a stable code (the IoT module counts drops by
// it): truncated, bad_delimiter, length_too_large, bad_checksum, bad_command, bad_time,
// unknown_type, bad_object_count. Decoding never reads outside its input.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace zhizhi::iot::gbt26875 {

inline constexpr std::size_t kMaxAppData = 1024;
inline constexpr std::size_t kFrameOverhead = 30;  // everything but the app data

enum class Command : std::uint8_t {
  kControl = 1,
  kSendData = 2,
  kConfirm = 3,
  kRequest = 4,
  kResponse = 5,
  kDeny = 6,
};

// A clock reading as the device sends it (no zone: the device's local time, China time).
struct DeviceTime {
  int second = 0, minute = 0, hour = 0, day = 1, month = 1, year = 2000;
  bool operator==(const DeviceTime&) const = default;
};

using Address = std::array<std::uint8_t, 6>;

struct Frame {
  std::uint16_t serial = 0;
  std::uint8_t version_major = 1, version_minor = 0;
  DeviceTime time;
  Address source{}, destination{};
  Command command = Command::kSendData;
  std::string app_data;
};

// The frame at the start of `bytes` (its whole length: exactly one frame); `consumed`, when
// given, receives the frame's length so that a stream of frames can be walked.
Result<Frame> DecodeFrame(std::string_view bytes, std::size_t* consumed = nullptr);
std::string EncodeFrame(const Frame& frame);
// The confirm (command 3) of a received frame: the same serial, source and destination swapped,
// no application data, stamped `now`.
Frame ConfirmOf(const Frame& received, const DeviceTime& now);
// The clock of a frame (China time) at `unix_ms`.
DeviceTime DeviceTimeAt(std::int64_t unix_ms);

// Part status bits (type 2), and the system status bits (type 1) share the first ones.
enum StatusBit : std::uint16_t {
  kRunning = 1u << 0,  // 1 normal running, 0 test
  kFireAlarm = 1u << 1,
  kFault = 1u << 2,
  kShielded = 1u << 3,
  kSupervisory = 1u << 4,
  kStarted = 1u << 5,
  kFeedback = 1u << 6,
  kDelayed = 1u << 7,
  kPowerFault = 1u << 8,
};

struct SystemStatus {
  std::uint8_t system_type = 0, system_address = 0;
  std::uint16_t status = 0;
  DeviceTime time;
};
struct PartStatus {
  std::uint8_t system_type = 0, system_address = 0, part_type = 0;
  std::uint32_t part_address = 0;
  std::uint16_t status = 0;
  std::string description;  // UTF-8 (from GB 18030), trailing NULs and spaces dropped
  DeviceTime time;
};
struct PartAnalog {
  std::uint8_t system_type = 0, system_address = 0, part_type = 0;
  std::uint32_t part_address = 0;
  std::uint8_t analog_type = 0;
  std::int16_t value = 0;  // raw, in the analog type's unit step
  DeviceTime time;
};
struct UitdStatus {
  std::uint8_t status = 0;
  DeviceTime time;
};

struct AppData {
  std::uint8_t type = 0;  // 1, 2, 3 or 21
  std::vector<SystemStatus> systems;
  std::vector<PartStatus> parts;
  std::vector<PartAnalog> analogs;
  std::vector<UitdStatus> uitd;
};

Result<AppData> DecodeAppData(std::string_view bytes);
// The app data of `data` (its type's list); a description longer than 31 bytes in GB 18030 is
// cut at a character boundary.
Result<std::string> EncodeAppData(const AppData& data);

// "2026-03-02T07:31:05+08:00" (the device's clock is China time); none for an impossible date.
std::optional<std::string> ToRfc3339(const DeviceTime& time);

}  // namespace zhizhi::iot::gbt26875

// The Uface (宇泛) terminal's HTTP callbacks: the recognition callback (识别回调) and the
// heartbeat, as form fields (some firmware posts the same fields as JSON), and the answer the
// device expects. Pure parsing: terminals.h maps a recognition onto a gate event.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "http/form.h"

namespace zhizhi::terminals {

// personId of a face the device does not know.
inline constexpr const char* kUfaceStranger = "STRANGERBABY";

struct UfaceRecognition {
  std::string device_key;
  std::optional<std::int64_t> person_id;  // nullopt: a stranger
  std::int64_t time_ms = 0;               // Unix ms, as the device's clock has it
  std::string mode;                       // face, card, idcard, faceAndcard, password, qrcode …
  int result = 0;  // the type's suffix: 0 passed (opened), 1 known but outside its time rules,
                   // 2 not recognised / refused
  std::optional<double> search_score;    // 0–100
  std::optional<double> liveness_score;  // 0–100
  std::optional<std::string> photo;      // the snapshot, decoded (JPEG)

  bool opened() const { return result == 0; }
};

struct UfaceHeartbeat {
  std::string device_key;
  std::optional<std::int64_t> person_count;
  std::optional<std::int64_t> face_count;
  std::optional<std::string> version;
  std::optional<std::int64_t> time_ms;  // the device clock
};

// Form fields of a recognition callback: deviceKey, personId, time (ms), type (mode_result),
// searchScore, livenessScore, imgBase64 (or base64). invalid_argument naming the field.
Result<UfaceRecognition> ParseUfaceRecognition(const http::FormFields& fields);
Result<UfaceHeartbeat> ParseUfaceHeartbeat(const http::FormFields& fields);

// A JSON object body (newer firmware) as form fields: strings and numbers as their text.
Result<http::FormFields> UfaceJsonFields(std::string_view body);

// The answers the device expects: success, or a failure it logs (it retries later).
std::string UfaceSuccess();
std::string UfaceFailure(const Status& status);

// The gate's pass mode (domain.md) of a Uface recognition mode.
int UfacePassMode(const std::string& mode);

}  // namespace zhizhi::terminals

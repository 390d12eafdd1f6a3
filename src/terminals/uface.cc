#include "terminals/uface.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/base64.h"

namespace zhizhi::terminals {

namespace {

using nlohmann::json;

std::optional<std::string_view> Field(const http::FormFields& fields, std::string_view name) {
  auto v = http::FormValue(fields, name);
  if (v && v->empty()) return std::nullopt;  // devices send empty fields for "none"
  return v;
}

Result<std::int64_t> Integer(std::string_view text, const char* field) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(field, std::string(field) + " must be an integer");
  }
  return value;
}

Result<std::optional<double>> Score(const http::FormFields& fields, const char* field) {
  auto text = Field(fields, field);
  if (!text) return std::optional<double>();
  double value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || !std::isfinite(value) ||
      value < 0 || value > 100) {
    return Status::InvalidArgument(field, std::string(field) + " must be a number in 0–100");
  }
  return std::optional<double>(value);
}

Result<std::string> DeviceKey(const http::FormFields& fields) {
  auto key = Field(fields, "deviceKey");
  if (!key) return Status::InvalidArgument("deviceKey", "deviceKey is missing");
  if (key->size() > 64) return Status::InvalidArgument("deviceKey", "deviceKey is too long");
  return std::string(*key);
}

}  // namespace

Result<UfaceRecognition> ParseUfaceRecognition(const http::FormFields& fields) {
  UfaceRecognition r;
  ZZ_ASSIGN_OR_RETURN(r.device_key, DeviceKey(fields));
  auto person = Field(fields, "personId");
  if (!person) return Status::InvalidArgument("personId", "personId is missing");
  if (*person != kUfaceStranger) {
    ZZ_ASSIGN_OR_RETURN(const std::int64_t id, Integer(*person, "personId"));
    if (id <= 0) {
      return Status::InvalidArgument("personId",
                                     "personId must be a zhizhi person id (or STRANGERBABY)");
    }
    r.person_id = id;
  }
  auto time = Field(fields, "time");
  if (!time) return Status::InvalidArgument("time", "time is missing");
  ZZ_ASSIGN_OR_RETURN(r.time_ms, Integer(*time, "time"));
  // Milliseconds since 1970: anything before 2001 or after 2286 is a clock that was never set.
  if (r.time_ms < 978'307'200'000LL || r.time_ms > 9'999'999'999'999LL) {
    return Status::InvalidArgument("time", "time must be Unix milliseconds");
  }
  auto type = Field(fields, "type");
  if (!type) return Status::InvalidArgument("type", "type is missing");
  const size_t underscore = type->rfind('_');
  if (underscore == std::string_view::npos || underscore == 0 || underscore + 2 != type->size() ||
      (*type)[underscore + 1] < '0' || (*type)[underscore + 1] > '2' || type->size() > 32) {
    return Status::InvalidArgument("type", "type must be mode_result, e.g. face_0");
  }
  r.mode = std::string(type->substr(0, underscore));
  r.result = (*type)[underscore + 1] - '0';
  if (!r.person_id && r.result == 0) {
    return Status::InvalidArgument("type", "a stranger cannot have passed (type ends in _0)");
  }
  ZZ_ASSIGN_OR_RETURN(r.search_score, Score(fields, "searchScore"));
  ZZ_ASSIGN_OR_RETURN(r.liveness_score, Score(fields, "livenessScore"));
  auto photo = Field(fields, "imgBase64");
  if (!photo) photo = Field(fields, "base64");
  if (photo) {
    std::string text(*photo);
    if (text.rfind("data:", 0) == 0) text.erase(0, text.find(',') + 1);
    // An unescaped '+' in a form body arrives as a space.
    for (char& c : text)
      if (c == ' ') c = '+';
    ZZ_ASSIGN_OR_RETURN(auto jpeg, DecodeBase64(text, "imgBase64"));
    if (!jpeg.empty()) r.photo = std::move(jpeg);
  }
  return r;
}

Result<UfaceHeartbeat> ParseUfaceHeartbeat(const http::FormFields& fields) {
  UfaceHeartbeat h;
  ZZ_ASSIGN_OR_RETURN(h.device_key, DeviceKey(fields));
  for (auto [name, out] : {std::pair{"personCount", &h.person_count},
                           std::pair{"faceCount", &h.face_count}, std::pair{"time", &h.time_ms}}) {
    if (auto text = Field(fields, name)) {
      ZZ_ASSIGN_OR_RETURN(const std::int64_t v, Integer(*text, name));
      if (v < 0) return Status::InvalidArgument(name, std::string(name) + " cannot be negative");
      *out = v;
    }
  }
  if (auto version = Field(fields, "version")) h.version = std::string(version->substr(0, 64));
  return h;
}

Result<http::FormFields> UfaceJsonFields(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::InvalidJson("the body must be a JSON object");
  http::FormFields fields;
  for (const auto& [key, value] : doc.items()) {
    if (value.is_string()) {
      fields.emplace_back(key, value.get<std::string>());
    } else if (value.is_number() || value.is_boolean()) {
      fields.emplace_back(key, value.dump());
    }
  }
  return fields;
}

std::string UfaceSuccess() {
  return R"({"result":1,"success":true})";
}

std::string UfaceFailure(const Status& status) {
  return json{{"result", 0}, {"success", false}, {"code", status.code()}, {"msg", status.message()}}
      .dump();
}

int UfacePassMode(const std::string& mode) {
  if (mode == "face" || mode == "faceAndcard") return 1;
  if (mode == "idcard" || mode == "faceAndIdcard") return 5;
  if (mode == "card") return 6;
  if (mode == "qrcode") return 10;
  return 11;
}

}  // namespace zhizhi::terminals

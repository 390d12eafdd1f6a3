#include "base/field_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "base/text.h"

namespace zhizhi {

namespace {

std::string_view KindName(bool text_only) {
  return text_only ? "text" : "a string";
}

}  // namespace

void FieldReader::Fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

std::optional<std::string> FieldReader::OptText(const std::string& name, size_t max_chars) {
  if (!ok()) return std::nullopt;
  const Raw raw = Get(name);
  if (raw.kind == Kind::kAbsent || raw.kind == Kind::kNull) return std::nullopt;
  if (raw.kind != Kind::kString) {
    Fail(Status::InvalidArgument(name, name + " must be " + std::string(KindName(TextOnly()))));
    return std::nullopt;
  }
  if (!IsValidUtf8(raw.text)) {
    Fail(Status::InvalidArgument(name, name + " is not valid UTF-8"));
    return std::nullopt;
  }
  const std::string_view text = Trim(raw.text);
  if (HasControlChars(text)) {
    Fail(Status::InvalidArgument(name, name + " contains control characters"));
    return std::nullopt;
  }
  if (Utf8Length(text) > max_chars) {
    Fail(Status::InvalidArgument(
        name, name + " is longer than " + std::to_string(max_chars) + " characters"));
    return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  return std::string(text);
}

std::string FieldReader::Text(const std::string& name, size_t max_chars) {
  auto value = OptText(name, max_chars);
  if (!value && ok()) Fail(Status::InvalidArgument(name, name + " is required"));
  return value.value_or(std::string());
}

std::optional<double> FieldReader::OptNumber(const std::string& name) {
  if (!ok()) return std::nullopt;
  const Raw raw = Get(name);
  if (raw.kind == Kind::kAbsent || raw.kind == Kind::kNull) return std::nullopt;
  double value = 0;
  if (raw.kind == Kind::kNumber || raw.kind == Kind::kInteger) {
    value = raw.number;
  } else if (raw.kind == Kind::kString && TextOnly()) {
    const std::string_view text = Trim(raw.text);
    if (text.empty()) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      Fail(Status::InvalidArgument(name, name + " must be a number"));
      return std::nullopt;
    }
  } else {
    Fail(Status::InvalidArgument(name, name + " must be a number"));
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    Fail(Status::InvalidArgument(name, name + " must be a finite number"));
    return std::nullopt;
  }
  return value;
}

std::optional<FieldReader::Position> FieldReader::OptPosition() {
  const std::optional<double> lat = OptNumber("lat");
  const std::optional<double> lng = OptNumber("lng");
  if (!ok()) return std::nullopt;
  if (lat.has_value() != lng.has_value()) {
    Fail(Status::InvalidArgument(lat ? "lng" : "lat", "lat and lng come together"));
    return std::nullopt;
  }
  if (!lat) return std::nullopt;
  if (*lat < -90 || *lat > 90) {
    Fail(Status::InvalidArgument("lat", "lat must be within -90..90"));
    return std::nullopt;
  }
  if (*lng < -180 || *lng > 180) {
    Fail(Status::InvalidArgument("lng", "lng must be within -180..180"));
    return std::nullopt;
  }
  return Position{*lat, *lng};
}

std::optional<std::int64_t> FieldReader::OptInteger(const std::string& name) {
  if (!ok()) return std::nullopt;
  const Raw raw = Get(name);
  if (raw.kind == Kind::kAbsent || raw.kind == Kind::kNull) return std::nullopt;
  if (raw.kind == Kind::kInteger) return raw.integer;
  if (raw.kind == Kind::kString && TextOnly()) {
    const std::string_view text = Trim(raw.text);
    if (text.empty()) return std::nullopt;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) return value;
  }
  Fail(Status::InvalidArgument(name, name + " must be an integer"));
  return std::nullopt;
}

std::optional<bool> FieldReader::OptBool(const std::string& name) {
  if (!ok()) return std::nullopt;
  const Raw raw = Get(name);
  if (raw.kind == Kind::kAbsent || raw.kind == Kind::kNull) return std::nullopt;
  if (raw.kind == Kind::kBool) return raw.boolean;
  if (raw.kind == Kind::kString && TextOnly()) {
    const std::string_view text = Trim(raw.text);
    if (text.empty()) return std::nullopt;
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
  }
  Fail(Status::InvalidArgument(name, name + " must be true or false"));
  return std::nullopt;
}

std::optional<Date> FieldReader::OptDate(const std::string& name) {
  auto text = OptText(name, 10);
  if (!text) return std::nullopt;
  auto date = Date::Parse(*text, name);
  if (!date.ok()) {
    Fail(date.status());
    return std::nullopt;
  }
  return *date;
}

Date FieldReader::RequiredDate(const std::string& name) {
  auto date = OptDate(name);
  if (!date && ok()) Fail(Status::InvalidArgument(name, name + " is required"));
  return date.value_or(Date{});
}

nlohmann::json::const_iterator JsonFieldReader::Find(const std::string& name) {
  auto it = object_.find(name);
  if (it != object_.end()) {
    if (seen_.empty()) seen_.reserve(object_.size());
    seen_.push_back(&it.key());
  }
  return it;
}

FieldReader::Raw JsonFieldReader::Get(const std::string& name) {
  Raw raw;
  auto it = Find(name);
  if (it == object_.end()) return raw;
  const nlohmann::json& value = *it;
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      raw.kind = Kind::kNull;
      break;
    case nlohmann::json::value_t::string:
      raw.kind = Kind::kString;
      raw.text = value.get_ref<const std::string&>();
      break;
    case nlohmann::json::value_t::number_integer:
      raw.kind = Kind::kInteger;
      raw.integer = value.get<std::int64_t>();
      raw.number = static_cast<double>(raw.integer);
      break;
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = value.get<std::uint64_t>();
      raw.kind = u <= static_cast<std::uint64_t>(INT64_MAX) ? Kind::kInteger : Kind::kNumber;
      raw.integer = static_cast<std::int64_t>(u);
      raw.number = static_cast<double>(u);
      break;
    }
    case nlohmann::json::value_t::number_float:
      raw.kind = Kind::kNumber;
      raw.number = value.get<double>();
      break;
    case nlohmann::json::value_t::boolean:
      raw.kind = Kind::kBool;
      raw.boolean = value.get<bool>();
      break;
    default:
      raw.kind = Kind::kOther;
      break;
  }
  return raw;
}

std::optional<std::vector<std::string>> JsonFieldReader::OptTextList(const std::string& name,
                                                                     size_t max_items,
                                                                     size_t max_chars) {
  if (!ok()) return std::nullopt;
  auto it = Find(name);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) {
    Fail(Status::InvalidArgument(name, name + " must be an array of strings"));
    return std::nullopt;
  }
  if (it->size() > max_items) {
    Fail(Status::InvalidArgument(
        name, name + " holds more than " + std::to_string(max_items) + " items"));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    // Each item goes through OptText's checks under the name `name[i]`.
    const std::string item_name = name + "[" + std::to_string(i) + "]";
    nlohmann::json one = {{item_name, (*it)[i]}};
    JsonFieldReader item(one);
    auto text = item.OptText(item_name, max_chars);
    if (!item.ok()) {
      Fail(item.Finish());
      return std::nullopt;
    }
    if (!text) {
      Fail(Status::InvalidArgument(item_name, item_name + " must be a non-empty string"));
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), *text) == out.end()) out.push_back(std::move(*text));
  }
  return out;
}

Status JsonFieldReader::Finish() {
  if (!ok()) return status_;
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (std::find(seen_.begin(), seen_.end(), &it.key()) == seen_.end()) {
      return Status::InvalidArgument(it.key(), "unknown field " + it.key());
    }
  }
  return Status::Ok();
}

// Keeps the top-level members of an object; tracks depth to tell them from nested ones.
class FlatJsonFieldReader::Sax {
 public:
  using json = nlohmann::json;
  explicit Sax(std::vector<Member>& members) : members_(members) {}

  bool top_is_object() const { return top_is_object_; }

  bool null() { return Scalar(Kind::kNull); }
  bool boolean(bool value) {
    Raw* raw = Value(Kind::kBool);
    if (raw) raw->boolean = value;
    return true;
  }
  bool number_integer(json::number_integer_t value) {
    Raw* raw = Value(Kind::kInteger);
    if (raw) {
      raw->integer = value;
      raw->number = static_cast<double>(value);
    }
    return true;
  }
  bool number_unsigned(json::number_unsigned_t value) {
    const bool fits = value <= static_cast<std::uint64_t>(INT64_MAX);
    Raw* raw = Value(fits ? Kind::kInteger : Kind::kNumber);
    if (raw) {
      raw->integer = static_cast<std::int64_t>(value);
      raw->number = static_cast<double>(value);
    }
    return true;
  }
  bool number_float(json::number_float_t value, const json::string_t&) {
    Raw* raw = Value(Kind::kNumber);
    if (raw) raw->number = value;
    return true;
  }
  bool string(json::string_t& value) {
    if (Value(Kind::kString)) members_[current_].text = std::move(value);
    return true;
  }
  bool binary(json::binary_t&) { return Scalar(Kind::kOther); }
  bool start_object(std::size_t) {
    if (depth_ == 0) top_is_object_ = true;
    return Open();
  }
  bool key(json::string_t& name) {
    if (depth_ != 1) return true;
    const size_t found = Find(name);
    if (found != members_.size()) {  // a repeated key: the last value counts, as in a document
      Member fresh;
      fresh.key = std::move(members_[found].key);
      members_[found] = std::move(fresh);
      current_ = found;
      return true;
    }
    current_ = members_.size();
    if (!index_.empty()) index_.emplace(name, current_);
    members_.emplace_back().key = std::move(name);
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  // A gate event has a dozen members, found fastest by a linear search; a hostile body of a
  // megabyte may have 100,000, so past kLinear members an index takes over (no quadratic time).
  static constexpr size_t kLinear = 32;
  size_t Find(const std::string& name) {
    if (index_.empty() && members_.size() >= kLinear) {
      for (size_t i = 0; i < members_.size(); ++i)
        index_.emplace(members_[i].key, i);
    }
    if (!index_.empty()) {
      auto it = index_.find(name);
      return it == index_.end() ? members_.size() : it->second;
    }
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].key == name) return i;
    }
    return members_.size();
  }

  // The member a value at the current depth belongs to, with its kind set; null when the value
  // is nested deeper or is the whole body.
  Raw* Value(Kind kind) {
    if (depth_ != 1 || current_ >= members_.size()) return nullptr;
    Raw& raw = members_[current_].raw;
    raw.kind = kind;
    return &raw;
  }
  bool Scalar(Kind kind) {
    Value(kind);
    return true;
  }
  bool Open() {
    Value(Kind::kOther);
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }

  std::vector<Member>& members_;
  std::unordered_map<std::string, size_t> index_;  // key → member, once there are many
  size_t current_ = SIZE_MAX;
  int depth_ = 0;
  bool top_is_object_ = false;
};

Status FlatJsonFieldReader::Parse(std::string_view body) {
  members_.clear();
  members_.reserve(16);
  Sax sax(members_);
  if (!nlohmann::json::sax_parse(body.begin(), body.end(), &sax)) {
    members_.clear();
    return Status::InvalidJson("request body is not valid JSON");
  }
  if (!sax.top_is_object()) {
    members_.clear();
    return Status::InvalidJson("request body must be a JSON object");
  }
  return Status::Ok();
}

FieldReader::Raw FlatJsonFieldReader::Get(const std::string& name) {
  for (Member& member : members_) {
    if (member.key != name) continue;
    member.seen = true;
    Raw raw = member.raw;
    if (raw.kind == Kind::kString) raw.text = member.text;
    return raw;
  }
  return Raw{};
}

Status FlatJsonFieldReader::Finish() {
  if (!ok()) return status_;
  const Member* first = nullptr;  // unknown, and first in a document's (sorted) key order
  for (const Member& member : members_) {
    if (!member.seen && (first == nullptr || member.key < first->key)) first = &member;
  }
  if (first != nullptr) return Status::InvalidArgument(first->key, "unknown field " + first->key);
  return Status::Ok();
}

FieldReader::Raw CsvFieldReader::Get(const std::string& name) {
  Raw raw;
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] != name) continue;
    if (i >= row_.size() || Trim(row_[i]).empty()) return raw;
    raw.kind = Kind::kString;
    raw.text = row_[i];
    return raw;
  }
  return raw;
}

Result<nlohmann::json> ParseJsonObject(std::string_view body) {
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::InvalidJson("request body is not valid JSON");
  if (!value.is_object()) return Status::InvalidJson("request body must be a JSON object");
  return value;
}

}  // namespace zhizhi

#include "basedata/mapping.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace zhizhi::basedata {

namespace {

bool IsSourceName(std::string_view s) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool IsColumnName(const nlohmann::json& j) {
  if (!j.is_string()) return false;
  const auto& s = j.get_ref<const std::string&>();
  return !s.empty() && s.size() <= 100;
}

// The values our coded fields take.
const std::vector<std::string_view>& CodeValues(Kind kind, std::string_view field) {
  static const std::vector<std::string_view> sexes = {"M", "F"};
  static const std::vector<std::string_view> uses = {"own",       "rental",   "vacant",
                                                     "dormitory", "business", "other"};
  static const std::vector<std::string_view> none;
  if (kind == Kind::kPerson && field == "sex") return sexes;
  if (kind == Kind::kHouse && field == "use") return uses;
  return none;
}

}  // namespace

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kPerson:
      return "person";
    case Kind::kHouse:
      return "house";
    case Kind::kUnit:
      return "unit";
  }
  return "person";
}

const std::vector<std::string_view>& FieldsOf(Kind kind) {
  static const std::vector<std::string_view> person = {"name",       "id_number", "sex",
                                                       "birth_date", "phone",     "address"};
  static const std::vector<std::string_view> house = {
      "address", "area", "use", "owner_name", "owner_id_number", "owner_phone"};
  static const std::vector<std::string_view> unit = {"uscc", "name", "address", "phone",
                                                     "legal_person"};
  switch (kind) {
    case Kind::kPerson:
      return person;
    case Kind::kHouse:
      return house;
    case Kind::kUnit:
      return unit;
  }
  return person;
}

bool IsCodedField(Kind kind, std::string_view field) {
  return !CodeValues(kind, field).empty();
}

bool IsOurCode(Kind kind, std::string_view field, std::string_view value) {
  const auto& values = CodeValues(kind, field);
  return std::find(values.begin(), values.end(), value) != values.end();
}

int Mapping::FieldIndex(std::string_view field) const {
  const auto& fields = FieldsOf(kind);
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i] == field) return static_cast<int>(i);
  return -1;
}

Result<Mapping> Mapping::FromJson(const nlohmann::json& json, std::string_view field) {
  const std::string at(field);
  if (!json.is_object()) return Status::InvalidArgument(at, "the mapping must be a JSON object");
  for (const auto& [name, value] : json.items())
    if (name != "source" && name != "kind" && name != "format" && name != "encoding" &&
        name != "key" && name != "withdrawn" && name != "fields" && name != "codes" &&
        name != "priority" && name != "snapshot")
      return Status::InvalidArgument(at + "." + name, "unknown mapping entry " + name);
  Mapping m;
  if (json.contains("source")) {
    if (!json["source"].is_string() || !IsSourceName(json["source"].get_ref<const std::string&>()))
      return Status::InvalidArgument(at + ".source", "a source is 1–40 of a-z, 0-9 and _");
    m.source = json["source"].get<std::string>();
  }
  const auto kind = json.find("kind");
  if (kind == json.end() || !kind->is_string())
    return Status::InvalidArgument(at + ".kind", "kind is person, house or unit");
  if (*kind == "person")
    m.kind = Kind::kPerson;
  else if (*kind == "house")
    m.kind = Kind::kHouse;
  else if (*kind == "unit")
    m.kind = Kind::kUnit;
  else
    return Status::InvalidArgument(at + ".kind", "kind is person, house or unit");
  if (json.contains("format")) {
    if (json["format"] == "jsonl")
      m.jsonl = true;
    else if (json["format"] != "csv")
      return Status::InvalidArgument(at + ".format", "format is csv or jsonl");
  }
  if (json.contains("encoding")) {
    if (json["encoding"] == "gbk" || json["encoding"] == "gb18030")
      m.gbk = true;
    else if (json["encoding"] != "utf-8")
      return Status::InvalidArgument(at + ".encoding", "encoding is utf-8 or gbk");
  }
  if (!json.contains("key") || !IsColumnName(json["key"]))
    return Status::InvalidArgument(at + ".key", "key names the column of the source's record id");
  m.key = json["key"].get<std::string>();
  if (json.contains("withdrawn")) {
    if (!IsColumnName(json["withdrawn"]))
      return Status::InvalidArgument(at + ".withdrawn", "withdrawn names a column");
    m.withdrawn = json["withdrawn"].get<std::string>();
  }
  if (json.contains("priority")) {
    const auto& p = json["priority"];
    if (!p.is_number_integer() || p.get<std::int64_t>() < 0 || p.get<std::int64_t>() > 100)
      return Status::InvalidArgument(at + ".priority", "priority is an integer 0–100");
    m.priority = p.get<int>();
  }
  if (json.contains("snapshot")) {
    if (!json["snapshot"].is_boolean())
      return Status::InvalidArgument(at + ".snapshot", "snapshot is true or false");
    m.snapshot = json["snapshot"].get<bool>();
  }
  const auto fields = json.find("fields");
  if (fields == json.end() || !fields->is_object() || fields->empty())
    return Status::InvalidArgument(at + ".fields",
                                   "fields maps our fields to the source's columns");
  for (const auto& [name, column] : fields->items()) {
    const int i = m.FieldIndex(name);
    if (i < 0)
      return Status::InvalidArgument(
          at + ".fields." + name, std::string("a ") + KindName(m.kind) + " has no field " + name);
    if (!IsColumnName(column))
      return Status::InvalidArgument(at + ".fields." + name, "a column name is a non-empty string");
    m.columns[i] = column.get<std::string>();
  }
  if (json.contains("codes")) {
    const auto& codes = json["codes"];
    if (!codes.is_object()) return Status::InvalidArgument(at + ".codes", "codes is an object");
    for (const auto& [name, list] : codes.items()) {
      const int i = m.FieldIndex(name);
      if (i < 0 || !IsCodedField(m.kind, name))
        return Status::InvalidArgument(at + ".codes." + name, name + " takes no code list");
      if (!list.is_object())
        return Status::InvalidArgument(at + ".codes." + name,
                                       "a code list maps source values to ours");
      const auto& allowed = CodeValues(m.kind, name);
      for (const auto& [from, to] : list.items()) {
        if (!to.is_string() || std::find(allowed.begin(), allowed.end(),
                                         to.get_ref<const std::string&>()) == allowed.end())
          return Status::InvalidArgument(at + ".codes." + name + "." + from,
                                         "not one of our values for " + name);
        m.codes[i].emplace(from, to.get<std::string>());
      }
    }
  }
  // What each kind cannot link without.
  const char* needed = m.kind == Kind::kPerson  ? "name"
                       : m.kind == Kind::kHouse ? "address"
                                                : "name";
  if (!m.columns[m.FieldIndex(needed)])
    return Status::InvalidArgument(
        at + ".fields." + needed, std::string("a ") + KindName(m.kind) + " source needs " + needed);
  return m;
}

nlohmann::json Mapping::ToJson() const {
  nlohmann::json fields = nlohmann::json::object(), codes_json = nlohmann::json::object();
  const auto& names = FieldsOf(kind);
  for (size_t i = 0; i < names.size(); ++i) {
    if (columns[i]) fields[std::string(names[i])] = *columns[i];
    if (!codes[i].empty()) {
      nlohmann::json list = nlohmann::json::object();
      for (const auto& [from, to] : codes[i])
        list[from] = to;
      codes_json[std::string(names[i])] = std::move(list);
    }
  }
  nlohmann::json j = {{"source", source},
                      {"kind", KindName(kind)},
                      {"format", jsonl ? "jsonl" : "csv"},
                      {"encoding", gbk ? "gbk" : "utf-8"},
                      {"key", key},
                      {"priority", priority},
                      {"snapshot", snapshot},
                      {"fields", std::move(fields)}};
  if (withdrawn) j["withdrawn"] = *withdrawn;
  if (!codes_json.empty()) j["codes"] = std::move(codes_json);
  return j;
}

}  // namespace zhizhi::basedata

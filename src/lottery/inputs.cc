#include "lottery/inputs.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace zhizhi::lottery {

namespace {

using nlohmann::json;

constexpr size_t kMaxIdBytes = 64;
constexpr size_t kMaxTextBytes = 200;
constexpr size_t kMaxHouseholds = 100'000;
constexpr size_t kMaxPoolItems = 200'000;
constexpr int kMaxCount = 10;  // parking spaces, farm-tool rooms or flats of one household

Status Unknown(const json& object, std::initializer_list<const char*> known,
               const std::string& where) {
  for (const auto& item : object.items()) {
    const std::string& name = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return name == k; }))
      return Status::InvalidArgument(where + "." + name, "unknown field " + name);
  }
  return Status::Ok();
}

Result<const json*> Member(const json& object, const char* name, const std::string& where,
                           bool required) {
  auto it = object.find(name);
  if (it == object.end()) {
    if (required)
      return Status::InvalidArgument(where + "." + name, std::string(name) + " is needed");
    return static_cast<const json*>(nullptr);
  }
  return &*it;
}

Result<std::string> Text(const json& object, const char* name, const std::string& where,
                         bool required, size_t max_bytes) {
  ZZ_ASSIGN_OR_RETURN(const json* value, Member(object, name, where, required));
  if (value == nullptr) return std::string();
  const std::string field = where + "." + name;
  if (!value->is_string()) return Status::InvalidArgument(field, "a string");
  std::string text = value->get<std::string>();
  if (required && text.empty()) return Status::InvalidArgument(field, "must not be empty");
  if (text.size() > max_bytes)
    return Status::InvalidArgument(field, "at most " + std::to_string(max_bytes) + " bytes");
  return text;
}

Result<std::optional<int>> Integer(const json& object, const char* name, const std::string& where,
                                   bool required, int low, int high) {
  ZZ_ASSIGN_OR_RETURN(const json* value, Member(object, name, where, required));
  if (value == nullptr) return std::optional<int>();
  const std::string field = where + "." + name;
  if (!value->is_number_integer())
    return Status::InvalidArgument(field, "a whole number (no fraction, no exponent)");
  // A huge unsigned number must not wrap around into range.
  const bool huge = value->is_number_unsigned() && value->get<std::uint64_t>() > 1'000'000;
  const auto number = huge ? std::int64_t{1'000'001} : value->get<std::int64_t>();
  if (number < low || number > high)
    return Status::InvalidArgument(
        field, "between " + std::to_string(low) + " and " + std::to_string(high));
  return std::optional<int>(static_cast<int>(number));
}

// Areas are decimal strings, so that every language reads the same value.
Result<std::optional<std::int64_t>> Area(const json& object, const char* name,
                                         const std::string& where) {
  if (!object.contains(name)) return std::optional<std::int64_t>();
  ZZ_ASSIGN_OR_RETURN(std::string text, Text(object, name, where, false, 16));
  auto area = ParseArea(text);
  if (!area)
    return Status::InvalidArgument(where + "." + name,
                                   "square metres as a decimal string such as \"89.56\"");
  return area;
}

Result<std::vector<std::string>> TextList(const json& object, const char* name,
                                          const std::string& where) {
  ZZ_ASSIGN_OR_RETURN(const json* value, Member(object, name, where, false));
  std::vector<std::string> list;
  if (value == nullptr) return list;
  const std::string field = where + "." + name;
  if (!value->is_array()) return Status::InvalidArgument(field, "a list of strings");
  if (value->size() > static_cast<size_t>(kMaxCount))
    return Status::InvalidArgument(field, "at most " + std::to_string(kMaxCount) + " entries");
  for (size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    const std::string at = field + "[" + std::to_string(i) + "]";
    if (!item.is_string() || item.get<std::string>().empty() ||
        item.get<std::string>().size() > kMaxIdBytes)
      return Status::InvalidArgument(at, "a non-empty string of at most 64 bytes");
    list.push_back(item.get<std::string>());
  }
  return list;
}

Result<const json*> List(const json& object, const char* name, const std::string& where,
                         bool required, size_t max_items) {
  ZZ_ASSIGN_OR_RETURN(const json* value, Member(object, name, where, required));
  if (value == nullptr) return value;
  if (!value->is_array()) return Status::InvalidArgument(where + "." + name, "a list of objects");
  if (value->size() > max_items)
    return Status::InvalidArgument(where + "." + name,
                                   "at most " + std::to_string(max_items) + " entries");
  return value;
}

// Checks the object at `list[i]` and its id (unique within `seen`).
Result<std::string> ItemId(const json& item, const std::string& at, std::set<std::string>& seen) {
  if (!item.is_object()) return Status::InvalidArgument(at, "an object");
  ZZ_ASSIGN_OR_RETURN(std::string id, Text(item, "id", at, true, kMaxIdBytes));
  if (!seen.insert(id).second) return Status::InvalidArgument(at + ".id", "id " + id + " twice");
  return id;
}

Result<std::vector<Rule>> ReadRules(const json& document) {
  ZZ_ASSIGN_OR_RETURN(const json* list, List(document, "rules", "inputs", false, 50));
  std::vector<Rule> rules;
  if (list == nullptr) return rules;
  std::set<std::string> tags;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string at = "inputs.rules[" + std::to_string(i) + "]";
    if (!item.is_object()) return Status::InvalidArgument(at, "an object");
    ZZ_RETURN_IF_ERROR(Unknown(item, {"tag", "name", "tier", "max_floor"}, at));
    Rule rule;
    ZZ_ASSIGN_OR_RETURN(rule.tag, Text(item, "tag", at, true, kMaxIdBytes));
    if (!tags.insert(rule.tag).second)
      return Status::InvalidArgument(at + ".tag", "a second rule for tag " + rule.tag);
    ZZ_ASSIGN_OR_RETURN(rule.name, Text(item, "name", at, true, kMaxTextBytes));
    ZZ_ASSIGN_OR_RETURN(auto tier, Integer(item, "tier", at, false, 0, 9));
    rule.tier = tier.value_or(0);
    ZZ_ASSIGN_OR_RETURN(rule.max_floor, Integer(item, "max_floor", at, false, -5, 200));
    rules.push_back(std::move(rule));
  }
  return rules;
}

Result<std::vector<Flat>> ReadFlats(const json& pools) {
  ZZ_ASSIGN_OR_RETURN(const json* list, List(pools, "flat", "inputs.pools", true, kMaxPoolItems));
  std::vector<Flat> flats;
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string at = "inputs.pools.flat[" + std::to_string(i) + "]";
    Flat flat;
    ZZ_ASSIGN_OR_RETURN(flat.id, ItemId(item, at, seen));
    ZZ_RETURN_IF_ERROR(
        Unknown(item, {"id", "type", "building", "unit", "floor", "room", "area_m2"}, at));
    ZZ_ASSIGN_OR_RETURN(flat.type, Text(item, "type", at, true, kMaxIdBytes));
    ZZ_ASSIGN_OR_RETURN(auto floor, Integer(item, "floor", at, true, -5, 200));
    flat.floor = *floor;
    for (const char* text : {"building", "unit", "room"})
      ZZ_RETURN_IF_ERROR(Text(item, text, at, false, kMaxIdBytes).status());
    ZZ_ASSIGN_OR_RETURN(flat.area, Area(item, "area_m2", at));
    flats.push_back(std::move(flat));
  }
  std::sort(flats.begin(), flats.end(), [](const Flat& a, const Flat& b) { return a.id < b.id; });
  return flats;
}

Result<std::vector<std::string>> ReadPlaces(const json& pools, const char* pool) {
  ZZ_ASSIGN_OR_RETURN(const json* list, List(pools, pool, "inputs.pools", false, kMaxPoolItems));
  std::vector<std::string> ids;
  if (list == nullptr) return ids;
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string at = std::string("inputs.pools.") + pool + "[" + std::to_string(i) + "]";
    ZZ_ASSIGN_OR_RETURN(std::string id, ItemId(item, at, seen));
    ZZ_RETURN_IF_ERROR(Unknown(item, {"id", "location"}, at));
    ZZ_RETURN_IF_ERROR(Text(item, "location", at, false, kMaxTextBytes).status());
    ids.push_back(std::move(id));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::vector<Household>> ReadHouseholds(const json& document, const std::vector<Rule>& rules,
                                              const std::set<std::string>& flat_types) {
  ZZ_ASSIGN_OR_RETURN(const json* list,
                      List(document, "households", "inputs", true, kMaxHouseholds));
  if (list->empty()) return Status::InvalidArgument("inputs.households", "a draw needs households");
  std::vector<Household> households;
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string at = "inputs.households[" + std::to_string(i) + "]";
    Household household;
    ZZ_ASSIGN_OR_RETURN(household.id, ItemId(item, at, seen));
    ZZ_RETURN_IF_ERROR(Unknown(
        item, {"id", "name", "flats", "parking", "farm_room", "tags", "area_quota_m2"}, at));
    ZZ_ASSIGN_OR_RETURN(household.name, Text(item, "name", at, false, kMaxTextBytes));
    ZZ_ASSIGN_OR_RETURN(household.flats, TextList(item, "flats", at));
    for (size_t f = 0; f < household.flats.size(); ++f)
      if (!flat_types.count(household.flats[f]))
        return Status::InvalidArgument(at + ".flats[" + std::to_string(f) + "]",
                                       "no flat of type " + household.flats[f] + " in the pool");
    ZZ_ASSIGN_OR_RETURN(auto parking, Integer(item, "parking", at, false, 0, kMaxCount));
    household.parking = parking.value_or(0);
    ZZ_ASSIGN_OR_RETURN(auto farm_room, Integer(item, "farm_room", at, false, 0, kMaxCount));
    household.farm_room = farm_room.value_or(0);
    ZZ_ASSIGN_OR_RETURN(household.tags, TextList(item, "tags", at));
    ZZ_ASSIGN_OR_RETURN(household.area_quota, Area(item, "area_quota_m2", at));
    for (const Rule& rule : rules) {
      if (std::find(household.tags.begin(), household.tags.end(), rule.tag) == household.tags.end())
        continue;
      household.tier = std::max(household.tier, rule.tier);
      if (rule.max_floor)
        household.max_floor =
            std::min(household.max_floor.value_or(*rule.max_floor), *rule.max_floor);
    }
    households.push_back(std::move(household));
  }
  std::sort(households.begin(), households.end(),
            [](const Household& a, const Household& b) { return a.id < b.id; });
  return households;
}

}  // namespace

std::optional<std::int64_t> ParseArea(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  const auto digits = [](std::string_view s) {
    return s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (whole.empty() || whole.size() > 6 || !digits(whole) || fraction.size() > 2 ||
      !digits(fraction) || (dot != std::string_view::npos && fraction.empty()))
    return std::nullopt;
  std::int64_t value = std::stoll(std::string(whole)) * 100;
  if (!fraction.empty())
    value += std::stoll(std::string(fraction)) * (fraction.size() == 1 ? 10 : 1);
  return value;
}

const char* PoolName(Pool pool) {
  switch (pool) {
    case Pool::kFlat:
      return "flat";
    case Pool::kParking:
      return "parking";
    case Pool::kFarmRoom:
      return "farm_room";
  }
  return "";
}

Result<std::string> CanonicalJson(const json& document) {
  // nlohmann's objects keep their keys sorted by bytes, and dump() writes no white space and
  // escapes exactly what JSON.stringify escapes; what is left to check is the numbers.
  std::vector<const json*> stack{&document};
  while (!stack.empty()) {
    const json* value = stack.back();
    stack.pop_back();
    if (value->is_number_float())
      return Status::InvalidArgument("inputs", "numbers must be whole (areas go as strings)");
    constexpr std::int64_t kSafe = (std::int64_t{1} << 53) - 1;  // JavaScript's safe integers
    if (value->is_number_unsigned() ? value->get<std::uint64_t>() > std::uint64_t{kSafe}
        : value->is_number_integer()
            ? value->get<std::int64_t>() > kSafe || value->get<std::int64_t>() < -kSafe
            : false)
      return Status::InvalidArgument("inputs", "a number beyond ±(2^53 − 1)");
    if (value->is_structured())
      for (const auto& child : *value)
        stack.push_back(&child);
  }
  try {
    return document.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    return Status::InvalidArgument("inputs", "text that is not UTF-8");
  }
}

Result<Inputs> Inputs::FromJson(const json& document) {
  if (!document.is_object()) return Status::InvalidArgument("inputs", "a JSON object");
  ZZ_RETURN_IF_ERROR(Unknown(document, {"title", "rules", "households", "pools"}, "inputs"));
  Inputs inputs;
  inputs.document = document;
  ZZ_ASSIGN_OR_RETURN(inputs.title, Text(document, "title", "inputs", true, kMaxTextBytes));
  ZZ_ASSIGN_OR_RETURN(inputs.rules, ReadRules(document));
  ZZ_ASSIGN_OR_RETURN(const json* pools, Member(document, "pools", "inputs", true));
  if (!pools->is_object()) return Status::InvalidArgument("inputs.pools", "an object");
  ZZ_RETURN_IF_ERROR(Unknown(*pools, {"flat", "parking", "farm_room"}, "inputs.pools"));
  ZZ_ASSIGN_OR_RETURN(inputs.flats, ReadFlats(*pools));
  ZZ_ASSIGN_OR_RETURN(inputs.parking, ReadPlaces(*pools, "parking"));
  ZZ_ASSIGN_OR_RETURN(inputs.farm_rooms, ReadPlaces(*pools, "farm_room"));
  std::set<std::string> flat_types;
  for (const Flat& flat : inputs.flats)
    flat_types.insert(flat.type);
  ZZ_ASSIGN_OR_RETURN(inputs.households, ReadHouseholds(document, inputs.rules, flat_types));
  // Last: every field is known by now, so the document is a few levels deep at most.
  ZZ_RETURN_IF_ERROR(CanonicalJson(document).status());
  return inputs;
}

std::vector<std::string> Inputs::Shortfalls() const {
  std::vector<std::string> problems;
  std::map<std::string, int> supply, demand;
  std::map<std::string, std::int64_t> largest;
  for (const Flat& flat : flats) {
    ++supply[flat.type];
    if (flat.area) largest[flat.type] = std::max(largest[flat.type], *flat.area);
  }
  int parking_demand = 0, farm_demand = 0;
  for (const Household& household : households) {
    std::int64_t area = 0;
    for (const std::string& type : household.flats) {
      ++demand[type];
      area += largest[type];
    }
    parking_demand += household.parking;
    farm_demand += household.farm_room;
    if (household.area_quota && area > *household.area_quota)
      problems.push_back("household " + household.id + ": its flats may come to " +
                         std::to_string(area / 100) + " m², over its quota of " +
                         std::to_string(*household.area_quota / 100) + " m²");
  }
  for (const auto& [type, wanted] : demand)
    if (wanted > supply[type])
      problems.push_back("flat type " + type + ": " + std::to_string(wanted) +
                         " households' entitlements, " + std::to_string(supply[type]) + " flats");
  if (parking_demand > static_cast<int>(parking.size()))
    problems.push_back("parking: " + std::to_string(parking_demand) + " spaces due, " +
                       std::to_string(parking.size()) + " in the pool");
  if (farm_demand > static_cast<int>(farm_rooms.size()))
    problems.push_back("farm-tool rooms: " + std::to_string(farm_demand) + " due, " +
                       std::to_string(farm_rooms.size()) + " in the pool");
  // A household with a floor limit draws after every household of a higher tier and maybe after
  // those of its own: when it draws, as many flats of its type as they are due may be gone, the
  // low ones among them. Only as many low flats as that demand (its own included) is sure to
  // leave one for it.
  std::map<std::tuple<std::string, int, int>, bool> checked;  // type, tier, floor limit
  for (const Household& household : households) {
    if (!household.max_floor) continue;
    const int limit = *household.max_floor;
    for (const std::string& type : household.flats) {
      if (checked[{type, household.tier, limit}]) continue;
      checked[{type, household.tier, limit}] = true;
      int before = 0, low = 0;
      for (const Household& other : households)
        if (other.tier >= household.tier)
          before += static_cast<int>(std::count(other.flats.begin(), other.flats.end(), type));
      for (const Flat& flat : flats)
        if (flat.type == type && flat.floor <= limit) ++low;
      if (low < before)
        problems.push_back("flat type " + type + " up to floor " + std::to_string(limit) + ": " +
                           std::to_string(before) + " may be drawn before the last household " +
                           "limited to it is (tier " + std::to_string(household.tier) +
                           " and up), " + std::to_string(low) + " in the pool");
    }
  }
  return problems;
}

}  // namespace zhizhi::lottery

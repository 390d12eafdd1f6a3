// The inputs of a resettlement-housing draw (docs/lottery.md, "Inputs"): the households with
// their entitlements, the pools of flats, parking spaces and farm-tool rooms, and the priority
// rules. They are published, hashed and committed before the draw, so they are checked strictly:
// an unknown field is refused (a stray column such as an ID number must never reach a public
// record), every number is an integer (so that any language hashes the same canonical bytes), and
// every reference resolves.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace zhizhi::lottery {

// A special priority (e.g. households with a disabled member draw first, on low floors).
struct Rule {
  std::string tag;               // households carrying this tag fall under the rule
  std::string name;              // shown on the board and the notarial record
  int tier = 0;                  // higher tiers draw before lower ones (0 = everybody else)
  std::optional<int> max_floor;  // their flats only up to this floor
};

struct Household {
  std::string id;
  std::string name;                // as published (masked by the CSV import)
  std::vector<std::string> flats;  // one flat of each listed type, in this order
  int parking = 0;                 // parking spaces to draw
  int farm_room = 0;               // farm-tool rooms to draw
  std::vector<std::string> tags;
  std::optional<std::int64_t> area_quota;  // in 0.01 m², when the household has an area quota
  // What the rules make of the tags.
  int tier = 0;
  std::optional<int> max_floor;
};

struct Flat {
  std::string id;
  std::string type;
  int floor = 0;
  std::optional<std::int64_t> area;  // in 0.01 m²
};

// The pools, in their canonical order (ids by UTF-8 bytes).
enum class Pool { kFlat, kParking, kFarmRoom };
inline constexpr Pool kPools[] = {Pool::kFlat, Pool::kParking, Pool::kFarmRoom};
const char* PoolName(Pool pool);  // "flat", "parking", "farm_room"

struct Inputs {
  nlohmann::json document;  // exactly as published (what is hashed)
  std::string title;
  std::vector<Rule> rules;
  std::vector<Household> households;  // by id
  std::vector<Flat> flats;            // by id
  std::vector<std::string> parking;   // ids, sorted
  std::vector<std::string> farm_rooms;

  // Checks and reads a published inputs document. Errors name the field, e.g.
  // `inputs.households[3].flats[0]`.
  static Result<Inputs> FromJson(const nlohmann::json& document);

  // What would leave a household without its due (more demand than supply of a flat type, of
  // parking spaces, of farm-tool rooms, of flats low enough for a rule, or a household over its
  // area quota): a draw is committed only when this is empty. Each entry is a sentence.
  std::vector<std::string> Shortfalls() const;
};

// "89.56" → 8956 (0.01 m²): square metres as a decimal string, at most 6 whole digits and 2
// decimals; none for anything else ("", "12.", "1e2", "89.567").
std::optional<std::int64_t> ParseArea(std::string_view text);

// The document's canonical bytes (docs/lottery.md, "Canonical JSON"): keys sorted by their
// bytes, no white space, integers only. Fails on a number with a fraction or an exponent.
Result<std::string> CanonicalJson(const nlohmann::json& document);

}  // namespace zhizhi::lottery

// Links person records from many sources into entities (one per real person):
//   1. exact keys: records with the same valid ID number are one person;
//   2. blocking: candidate pairs are those that share a blocking key under at least one rule
//      (below); a pair is compared once, under the first rule it meets;
//   3. Fellegi–Sunter (model.h): u from random pairs; m by EM over each blocking rule's candidates
//      with that rule's own fields left out (their agreement there is forced), with a
//      term-frequency adjustment for exact names and shared houses (张伟 is weak evidence, a
//      rare name strong; so is a dormitory of thirty);
//   4. clustering, strongest pairs first, with refusals (clusters.h): two valid ID numbers never
//      join, nor do records a reviewer kept apart; a pair that agrees only on name and birth date
//      (and sex) is never linked without something more in common — an ID number, a phone, a
//      house — it goes to review (twins, namesakes);
//   5. the grey zone between the review and the match probability goes to a review queue, each
//      pair with the per-field weights that explain it.
//
// Blocking rules (each skips blocks larger than max_block, counted in the report):
//   name_year    pinyin of the name + birth year    homophone names, mistyped day or month
//   birth_surname  birth date + surname             a mistyped given name
//   phone        phone                              a changed name or date
//   house_sound  house + surname's pinyin           a family's records without dates
//
// Thread-safety: LinkPersons is a pure function of its arguments; it uses `threads` workers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "linkage/model.h"
#include "linkage/person.h"

namespace zhizhi::linkage {

struct LinkOptions {
  double match_probability = 0.99;  // linked at or above
  double review_probability = 0.5;  // reviewed at or above (below the match probability)
  size_t max_block = 1000;
  std::uint64_t u_samples = 2'000'000;  // random pairs for u
  int threads = 2;
};

// A reviewer's decision about two records: the same person (must-link) or not (cannot-link).
struct LinkDecision {
  std::uint32_t a = 0, b = 0;
  bool same = false;
};

struct ScoredPair {
  std::uint32_t a = 0, b = 0;
  float weight = 0;         // match weight in bits, term frequencies included
  float tf_adjustment = 0;  // the part of `weight` from term frequencies
  Pattern pattern{};
  std::string reason;  // for reviews: "grey_zone", "name_and_birth_only", "conflict"
};

struct BlockingRuleReport {
  std::string name;
  std::uint64_t pairs = 0;           // compared under this rule (not under an earlier one)
  std::uint64_t skipped_blocks = 0;  // blocks larger than max_block
};

struct LinkReport {
  size_t records = 0;
  size_t exact_links = 0;         // unions by ID number (and by reviewers' merges)
  std::uint64_t comparisons = 0;  // candidate pairs compared
  double comparison_share = 0;    // comparisons / (n(n−1)/2)
  std::vector<BlockingRuleReport> rules;
  EmReport em;
  size_t links = 0;    // unions by match weight
  size_t refused = 0;  // links refused by an identity or a reviewer
  size_t reviews = 0;
  size_t entities = 0;
  double seconds_blocking = 0, seconds_em = 0, seconds_clustering = 0, seconds_total = 0;
  std::string ToJson() const;
};

struct LinkResult {
  std::vector<std::uint32_t> entity;  // per record: its entity's smallest record index
  std::vector<ScoredPair> reviews;    // strongest first
  Model model{PersonFieldSpecs()};
  LinkReport report;
};

LinkResult LinkPersons(const std::vector<PersonRecord>& records,
                       const std::vector<LinkDecision>& decisions, const LinkOptions& options);

// The per-field weights of a pair under `model` (name, level, weight), for explanations.
struct FieldWeight {
  std::string field, level;
  double weight = 0;
};
std::vector<FieldWeight> ExplainPair(const Model& model, const ScoredPair& pair);

}  // namespace zhizhi::linkage

// The Fellegi–Sunter model: for each compared field, the probability of each comparison level
// among true matches (m) and among non-matches (u); a pair's match weight is the sum over its
// fields of log2(m/u) of the level it falls in, plus the prior log-odds of a match. A field that
// one side does not have (no phone) adds nothing.
//
// m, u and the prior are estimated without labels by expectation–maximisation over the comparison
// patterns of the candidate pairs (Jaro 1989; Winkler 1988): the patterns are few (a product of
// small level counts), so EM runs over pattern counts, not pairs, and takes microseconds.
//
// Thread-safety: a Model is a value; Estimate mutates it, the weight functions are const.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace zhizhi::linkage {

inline constexpr int kMaxFields = 8;
inline constexpr int kMaxLevels = 5;
// The level of a field that one side lacks; it is not a level of the model.
inline constexpr std::int8_t kMissing = -1;

struct FieldSpec {
  std::string name;                 // "name", "birth_date" …
  std::vector<std::string> levels;  // lowest (disagree) first, exact last: {"other","near","exact"}
};

// The comparison levels of one pair, one per field (kMissing where a side lacks the field).
using Pattern = std::array<std::int8_t, kMaxFields>;

// Patterns packed in one integer (mixed radix, missing = the extra digit) for counting.
class PatternCodec {
 public:
  explicit PatternCodec(const std::vector<FieldSpec>& fields);
  std::uint32_t Encode(const Pattern& p) const;
  Pattern Decode(std::uint32_t code) const;
  std::uint32_t size() const { return size_; }  // number of distinct codes

 private:
  int fields_ = 0;
  std::array<std::uint32_t, kMaxFields> radix_{};
  std::uint32_t size_ = 1;
};

struct EmReport {
  int iterations = 0;
  bool converged = false;
  double prior = 0;  // the estimated share of matches among the pairs
};

class Model {
 public:
  explicit Model(std::vector<FieldSpec> fields);

  const std::vector<FieldSpec>& fields() const { return fields_; }
  double m(int field, int level) const { return m_[field][level]; }
  double u(int field, int level) const { return u_[field][level]; }
  double prior() const { return prior_; }
  void SetM(int field, std::vector<double> m);
  void SetU(int field, std::vector<double> u);
  void SetPrior(double prior) { prior_ = prior; }

  // EM over `counts` (pattern code → number of pairs). Starts from the current m, u and prior;
  // stops when no parameter moves by more than `tolerance` or after `max_iterations`. With
  // `fix_u`, u stays as set (estimated elsewhere, e.g. from random pairs). Probabilities are kept
  // within [1e-6, 1 − 1e-6] so that no weight is infinite.
  EmReport Estimate(const PatternCodec& codec, const std::vector<std::uint64_t>& counts, bool fix_u,
                    int max_iterations = 200, double tolerance = 1e-7);

  // EM for the prior alone, m and u held.
  void EstimatePrior(const PatternCodec& codec, const std::vector<std::uint64_t>& counts,
                     int max_iterations = 200, double tolerance = 1e-9);

  // log2(m/u) of a field's level (0 for kMissing).
  double Weight(int field, int level) const;
  // log2(prior / (1 − prior)) + Σ fields' weights.
  double MatchWeight(const Pattern& p) const;
  // The probability of a match for a weight: 1 / (1 + 2^−w).
  static double Probability(double weight);

  std::string ToJson() const;  // for the linkage report and docs

 private:
  std::vector<FieldSpec> fields_;
  std::vector<std::vector<double>> m_, u_;
  double prior_ = 1e-3;
};

}  // namespace zhizhi::linkage

// Randomness of the base-data feeds (basedata_feeds.h): xoshiro256** streams seeded by splitmix64
// (linkage::MixBits is its mixer), and picks by weight. The same numbers with every compiler and
// standard library (the std:: distributions differ between libraries, so none is used).
//
// Thread-safety: an Rng is one stream for one thread; a WeightedIndex is not changed once built.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "linkage/person.h"

namespace zhizhi::app::feeds {

// One stream per stage, so that a change in one stage does not reshuffle the others.
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t x = seed ^ (0x9E3779B97F4A7C15ull * (stream + 1));
    for (auto& s : s_) {  // splitmix64: the state steps by the golden ratio, each value mixed
      s = linkage::MixBits(x);
      x += 0x9E3779B97F4A7C15ull;
    }
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // 0 <= result < n; n > 0. The modulo bias is below 2^-40 for the sizes used here.
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }
  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[Below(i)]);
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<std::uint64_t, 4> s_{};
};

// Picks an index with probability proportional to its weight.
class WeightedIndex {
 public:
  WeightedIndex() = default;
  explicit WeightedIndex(const std::vector<std::uint64_t>& weights) {
    std::uint64_t sum = 0;
    for (const std::uint64_t w : weights)
      cumulative_.push_back(sum += w);
  }
  size_t operator()(Rng& rng) const {
    const std::uint64_t r = rng.Below(cumulative_.back());
    return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), r) -
                               cumulative_.begin());
  }
  bool empty() const { return cumulative_.empty() || cumulative_.back() == 0; }

 private:
  std::vector<std::uint64_t> cumulative_;
};

// An entry of a weighted word list (basedata_feeds_words.h).
struct Weighted {
  const char* text;
  int weight;
};

// The index of a weighted word list.
template <size_t N>
WeightedIndex MakeWeighted(const Weighted (&items)[N]) {
  std::vector<std::uint64_t> weights;
  for (const Weighted& w : items)
    weights.push_back(static_cast<std::uint64_t>(w.weight));
  return WeightedIndex(weights);
}

}  // namespace zhizhi::app::feeds

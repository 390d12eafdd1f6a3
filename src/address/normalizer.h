// Normalisation of address text, applied alike to the gazetteer's names and to the addresses
// matched against them, so that both meet in one alphabet:
//   * UTF-8 → code points (ill-formed UTF-8 is refused, never guessed);
//   * full-width forms → ASCII (３栋 → 3栋, （ → (, ＃ → #), the ideographic space → space,
//     dashes (— – － ‑) → '-', ASCII letters → upper case;
//   * traditional → simplified characters (區 → 区, 號 → 号, 樓 → 楼), one character at a time,
//     from a table that OpenCC's t2s conversion fills once at start;
//   * separators (spaces, 、，,；;：/|) are dropped — between two digits they become '-' (3 2 501 →
//     3-2-501).
// Chinese numerals are converted later, only where a number is expected (components.h): a name
// such as 三墩镇 or 五四村 keeps its characters.
//
// Thread-safety: immutable after Create; share one instance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text.h"

namespace zhizhi::address {

class Normalizer {
 public:
  // Builds the traditional → simplified table with OpenCC (Debian's libopencc, t2s.json).
  static Result<Normalizer> Create();

  // Normalised code points of `utf8`; false when it is not well-formed UTF-8.
  bool Normalize(std::string_view utf8, std::u32string* out) const;
  // One code point, folded as above (separators are the caller's: see IsSeparator).
  char32_t Fold(char32_t c) const;
  static bool IsSeparator(char32_t c);

  // Traditional characters the table changes (for the tests and docs/addresses.md).
  size_t table_size() const { return changed_; }

 private:
  static constexpr char32_t kFirst = 0x3400;  // CJK Extension A .. Unified Ideographs
  static constexpr char32_t kLast = 0x9FFF;
  std::vector<char32_t> simplified_;  // index c - kFirst
  size_t changed_ = 0;
};

}  // namespace zhizhi::address

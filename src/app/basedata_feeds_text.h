// Text helpers of the base-data feeds (basedata_feeds.h): numbers as rows write them, and the
// slips of typing that sources make — full-width digits, Chinese numerals, homophone typos.
//
// Thread-safety: pure functions (a typo draws from the caller's Rng).
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "app/basedata_feeds_random.h"

namespace zhizhi::app::feeds {

inline void AppendUint(std::string& out, std::uint64_t v, int width = 0) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  for (int i = static_cast<int>(end - buf); i < width; ++i)
    out.push_back('0');
  out.append(buf, end);
}

// Centi-units as "89.52".
inline void AppendCenti(std::string& out, std::uint32_t centi) {
  AppendUint(out, centi / 100);
  out.push_back('.');
  AppendUint(out, centi % 100, 2);
}

// A truth entity: its kind and number, as P0000001.
inline void AppendEntity(std::string& out, char kind, size_t index) {
  out.push_back(kind);
  AppendUint(out, index + 1, 7);
}

// ASCII digits (and #) as their full-width forms, as some input methods type them.
std::string FullWidthDigits(std::string_view text);

// 15 → 十五, 188 → 一百八十八, 1001 → 一千零一 (1 … 9999).
std::string ChineseNumber(int n);

// 501 → 五〇一: room numbers are read digit by digit.
std::string ChineseDigitsOf(int n);

// Replaces one character of `text` (UTF-8) by a homophone; false when none of its characters has
// one.
bool HomophoneTypo(std::string& text, Rng& rng);

}  // namespace zhizhi::app::feeds

// What follows the divisions in an address: road (街路巷), door number (门牌号), building (幢),
// unit (单元) and room (室) — the parts of a standard address below the village.
//
//   21号大街46号40幢3单元1307室      road 21号大街, number 46, building 40, unit 3, room 1307
//   学林街188号3-2-501              building 3, unit 2, room 501 (also 3-501: building, room)
//   建设者之家3栋501                 an estate name is passed over; 栋/号楼/座/# are 幢
//   文泽路8号东门对面                 trailing descriptions (对面, 附近, (南门)…) are dropped
//
// Numbers come out as ASCII digit strings without leading zeros; Chinese numerals are converted
// where a number is expected — before 号, 幢, 单元, 室, 层 … (二十五号大街 → 25号大街, 五〇一室 →
// 501室) — and nowhere else, so 五四村 and 三墩镇 keep their names.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zhizhi::address {

struct Components {
  std::optional<std::string> road;
  std::optional<std::string> number;
  std::optional<std::string> building;
  std::optional<std::string> unit;
  std::optional<std::string> room;
  size_t explained = 0;  // code points read as components or passed over as an estate name
  size_t dropped = 0;    // code points of descriptions and parentheses that were dropped

  bool any() const { return road || number || building || unit || room; }
};

// Chinese numerals in front of a marker that calls for a number, as ASCII digits, in place:
// 一百八十八号 → 188号, 五〇一室 → 501室, 两栋 → 2栋.
void ConvertNumerals(std::u32string& text);

// The components of `rest` (normalised text after the divisions; numerals converted).
Components ParseComponents(std::u32string_view rest);

}  // namespace zhizhi::address

#include "address/components.h"

#include <algorithm>
#include <vector>

#include "address/normalizer.h"

namespace zhizhi::address {

namespace {

bool IsDigit(char32_t c) {
  return c >= U'0' && c <= U'9';
}
bool IsLetter(char32_t c) {
  return c >= U'A' && c <= U'Z';
}

int NumeralDigit(char32_t c) {
  switch (c) {
    case U'〇':
    case U'零':
    case U'O':  // typed for 〇 in 五O一
      return 0;
    case U'一':
    case U'幺':
      return 1;
    case U'二':
    case U'两':
      return 2;
    case U'三':
      return 3;
    case U'四':
      return 4;
    case U'五':
      return 5;
    case U'六':
      return 6;
    case U'七':
      return 7;
    case U'八':
      return 8;
    case U'九':
      return 9;
    default:
      return -1;
  }
}

int NumeralUnit(char32_t c) {
  switch (c) {
    case U'十':
      return 10;
    case U'百':
      return 100;
    case U'千':
      return 1000;
    default:
      return 0;
  }
}

bool IsNumeral(char32_t c) {
  return (NumeralDigit(c) >= 0 && c != U'O') || NumeralUnit(c) > 0;
}

// Markers after which a number stands (the first character is enough to decide).
bool IsNumberMarker(char32_t c) {
  switch (c) {
    case U'号':
    case U'幢':
    case U'栋':
    case U'单':
    case U'室':
    case U'层':
    case U'楼':
    case U'座':
    case U'弄':
    case U'户':
    case U'#':
    case U'-':
      return true;
    default:
      return false;
  }
}

std::u32string NumeralValue(std::u32string_view run) {
  bool positional = false;
  for (char32_t c : run)
    positional = positional || NumeralUnit(c) > 0;
  std::u32string out;
  if (!positional) {  // 五〇一 → 501
    for (char32_t c : run)
      out.push_back(static_cast<char32_t>(U'0' + NumeralDigit(c)));
    return out;
  }
  long total = 0;  // 一百八十八 → 188, 十五 → 15, 一千零一 → 1001
  long digit = -1;
  for (char32_t c : run) {
    if (const int unit = NumeralUnit(c); unit > 0) {
      total += (digit < 0 ? 1 : digit) * unit;
      digit = -1;
    } else if (const int d = NumeralDigit(c); d > 0) {
      digit = d;
    }
  }
  if (digit > 0) total += digit;
  for (char c : std::to_string(total))
    out.push_back(static_cast<char32_t>(c));
  return out;
}

bool StartsWith(std::u32string_view s, size_t i, std::u32string_view word) {
  return s.substr(i, word.size()) == word;
}

std::string Number(std::u32string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == U'0' && IsDigit(digits[i + 1]))
    ++i;
  return ToUtf8(digits.substr(i));
}

// Road suffixes, longest first; the road is the text up to and including the first of them (and
// 线 under the conditions of RoadSuffixAt).
constexpr std::u32string_view kRoadSuffixes[] = {U"大街", U"大道", U"胡同", U"路", U"街", U"巷"};

// Words that end the name of a place, not of a road: what stands before the road and ends in one of
// them is not part of the road.
constexpr std::u32string_view kPlaceSuffixes[] = {U"社区", U"小区", U"花园", U"家园", U"公寓",
                                                  U"大厦", U"村",   U"镇",   U"乡",   U"街道"};

// Characters a road name cannot hold: they mark a building, unit or room.
bool BreaksRoad(char32_t c) {
  return c == U'幢' || c == U'栋' || c == U'室' || c == U'座' || c == U'#' || c == U'(';
}

// A road suffix at `i` of `s`: its length, or 0.
size_t RoadSuffixAt(std::u32string_view s, size_t i) {
  for (std::u32string_view suffix : kRoadSuffixes) {
    if (!StartsWith(s, i, suffix)) continue;
    if (suffix == U"街" && StartsWith(s, i, U"街道")) return 0;  // 街道 is a town, not a road
    return suffix.size();
  }
  // Rural highways are lines: 红十五线88号, 杭甬线. Only with a house number after it and a name
  // before it — 地铁1号线 and 1线 name no road.
  if (s[i] == U'线' && i + 1 < s.size() && IsDigit(s[i + 1]) && i > 0 && !IsDigit(s[i - 1]) &&
      s[i - 1] != U'号') {
    return 1;
  }
  return 0;
}

// Letters that begin a building's name: B座, A幢, 7#, AB12.
bool StartsGroup(std::u32string_view s, size_t i) {
  if (!IsLetter(s[i]) || i + 1 >= s.size()) return false;
  const char32_t next = s[i + 1];
  return next == U'座' || next == U'幢' || next == U'栋' || next == U'#' || next == U'区' ||
         IsLetter(next) || IsDigit(next);
}

}  // namespace

void ConvertNumerals(std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (!IsNumeral(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    while (j < text.size() && (IsNumeral(text[j]) || (text[j] == U'O' && j > i)))
      ++j;
    const bool marker_after = j < text.size() && IsNumberMarker(text[j]);
    // At the end, a run after a marker or a digit is a number too (三栋五〇一).
    const bool after_number =
        j == text.size() && !out.empty() && (IsNumberMarker(out.back()) || IsDigit(out.back()));
    if (marker_after || after_number) {
      out += NumeralValue(std::u32string_view(text).substr(i, j - i));
    } else {
      out.append(text, i, j - i);
    }
    i = j;
  }
  text = std::move(out);
}

Components ParseComponents(std::u32string_view input) {
  Components c;
  // Parenthesised notes are descriptions: (南门), (菜鸟驿站).
  std::u32string s;
  s.reserve(input.size());
  int depth = 0;
  for (char32_t ch : input) {
    if (ch == U'(') {
      ++depth;
      ++c.dropped;
    } else if (ch == U')') {
      if (depth > 0) --depth;
      ++c.dropped;
    } else if (depth > 0) {
      ++c.dropped;
    } else {
      s.push_back(ch);
    }
  }
  const size_t n = s.size();
  size_t i = 0;

  // The road: text up to its first suffix, when no building or room marker comes first.
  for (size_t p = 1; p < n && p < 24; ++p) {
    if (BreaksRoad(s[p])) break;
    if (const size_t len = RoadSuffixAt(s, p); len > 0) {
      // 文海南路: the suffix after a direction belongs to the same road.
      size_t end = p + len;
      std::u32string road = s.substr(0, end);
      // A lane: 123弄 after the road is part of it (Shanghai's 弄).
      size_t j = end;
      while (j < n && IsDigit(s[j]))
        ++j;
      if (j > end && j < n && s[j] == U'弄') {
        road = s.substr(0, j + 1);
        end = j + 1;
      }
      // An estate or a community the divisions did not take stands before the road: 文海社区学林街.
      size_t road_begin = 0;
      for (std::u32string_view place : kPlaceSuffixes) {
        const size_t at = road.rfind(place);
        if (at == std::u32string::npos) continue;
        // … but 花园北路 is a road: a direction and the suffix alone are no road's name.
        // 镇海路, 乡村路: one character at the start begins the road's own name.
        if (at == 0 && place.size() == 1) continue;
        const size_t after = at + place.size();
        const bool direction_only =
            after < p && p - after <= 1 &&
            (road[after] == U'东' || road[after] == U'西' || road[after] == U'南' ||
             road[after] == U'北' || road[after] == U'中');
        if (after < p && !direction_only) {
          road_begin = std::max(road_begin, after);
        }
      }
      c.road = ToUtf8(std::u32string_view(road).substr(road_begin));
      c.explained += end;
      i = end;
      break;
    }
  }

  bool has_detail = false;  // a number, building, unit or room was read
  while (i < n) {
    if (IsDigit(s[i]) || StartsGroup(s, i)) {
      // Groups of digits (or letters) joined by '-': 46, 3-2-501, A.
      const size_t start = i;
      std::vector<std::u32string> groups(1);
      while (i < n && (IsDigit(s[i]) || IsLetter(s[i]) ||
                       (s[i] == U'-' && i + 1 < n && (IsDigit(s[i + 1]) || IsLetter(s[i + 1])) &&
                        !groups.back().empty()))) {
        if (s[i] == U'-') {
          groups.emplace_back();
        } else {
          groups.back().push_back(s[i]);
        }
        ++i;
      }
      std::u32string joined;
      for (size_t g = 0; g < groups.size(); ++g) {
        if (g > 0) joined.push_back(U'-');
        joined += groups[g];
      }
      auto marker = [&](std::u32string_view word) {
        if (!StartsWith(s, i, word)) return false;
        i += word.size();
        return true;
      };
      auto set = [&](std::optional<std::string>& field, std::u32string_view value) {
        if (!field) field = Number(value);
      };
      if (marker(U"号楼") || marker(U"幢") || marker(U"栋") || marker(U"座") || marker(U"#")) {
        marker(U"楼");  // 3栋楼
        set(c.building, joined);
      } else if (marker(U"号院") || marker(U"号")) {
        if (!c.number && !c.building) {
          set(c.number, joined);
        } else if (c.building && !c.room) {
          set(c.room, joined);
        } else {
          set(c.number, joined);
        }
      } else if (marker(U"单元") || marker(U"单")) {
        set(c.unit, joined);
      } else if (marker(U"室") || marker(U"房") || marker(U"户")) {
        if (groups.size() >= 2 && !c.building) {  // 3-2-501室
          set(c.building, groups[0]);
          if (groups.size() >= 3) set(c.unit, groups[1]);
          set(c.room, groups.back());
        } else {
          set(c.room, joined);
        }
      } else if (marker(U"层")) {
        // a floor: the room number says it again
      } else if (StartsWith(s, i, U"楼")) {
        ++i;
        // 3楼2单元501: a building when the building is still open and more follows; else a floor.
        if (!c.building && i < n && IsDigit(s[i])) set(c.building, joined);
      } else if (marker(U"弄")) {
        if (c.road) {
          *c.road += Number(joined) + "弄";
        } else {
          c.road = Number(joined) + "弄";
        }
      } else if (joined.find_first_of(U"0123456789") == std::u32string::npos) {
        // Letters without a marker (TEST, AB) are no number: passed over like other text.
      } else if (groups.size() >= 3) {  // 3-2-501
        set(c.building, groups[0]);
        set(c.unit, groups[1]);
        set(c.room, groups[2]);
      } else if (groups.size() == 2) {  // 3-501
        if (!c.building) {
          set(c.building, groups[0]);
          set(c.room, groups[1]);
        } else {
          set(c.unit, groups[0]);
          set(c.room, groups[1]);
        }
      } else if (c.building || c.unit) {  // 3栋501
        set(c.room, joined);
      } else if (!c.number && c.road) {  // 学林街188
        set(c.number, joined);
      } else {
        set(c.room, joined);
      }
      has_detail = true;
      c.explained += i - start;
      continue;
    }
    // Text between parts: an estate name (建设者之家, 文海苑) when more parts follow; after the
    // last part, a description (东门对面, 附近).
    // … up to the next number, or the next letter that names a building (文海苑B座).
    size_t j = i;
    while (j < n && !IsDigit(s[j]) && !StartsGroup(s, j))
      ++j;
    if (j == n) {
      c.dropped += n - i;
      break;
    }
    if (j - i > 16 && has_detail) {  // a long stretch of words: the rest is description
      c.dropped += n - i;
      break;
    }
    c.explained += j - i;
    i = j;
  }
  return c;
}

}  // namespace zhizhi::address

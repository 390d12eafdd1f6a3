#include "pinyin/pinyin.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/text.h"
#include "pinyin/pinyin_table.h"

namespace zhizhi::pinyin {

namespace {

// Readings of the BMP's CJK blocks in a flat array indexed by code point (Ext. A .. Unified, and
// the compatibility block), the rest — the supplementary planes' extensions — in a sorted vector.
struct Index {
  static constexpr char32_t kFlatFirst = 0x3000;
  static constexpr char32_t kFlatLast = 0xFAFF;
  std::vector<Readings> flat;
  std::vector<std::pair<char32_t, Readings>> rare;
  std::vector<std::string> syllables{""};  // id → text; id 0 is "none"
  Readings none;

  Index() {
    flat.resize(kFlatLast - kFlatFirst + 1);
    std::unordered_map<std::string, Syllable> ids;
    for (size_t e = 0; e < kPinyinTableSize; ++e) {
      Readings readings;
      std::string_view text = kPinyinTable[e].readings;
      while (!text.empty()) {
        const size_t comma = text.find(',');
        const std::string word(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        if (word.empty()) continue;
        auto [it, added] = ids.emplace(word, static_cast<Syllable>(syllables.size()));
        if (added) syllables.push_back(word);
        if (!readings.Contains(it->second) && readings.count < kMaxReadings)
          readings.ids[readings.count++] = it->second;
      }
      const char32_t c = kPinyinTable[e].code_point;
      if (c >= kFlatFirst && c <= kFlatLast)
        flat[c - kFlatFirst] = readings;
      else
        rare.emplace_back(c, readings);
    }
    std::sort(rare.begin(), rare.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  const Readings& Find(char32_t c) const {
    if (c >= kFlatFirst && c <= kFlatLast) return flat[c - kFlatFirst];
    auto it = std::lower_bound(rare.begin(), rare.end(), c,
                               [](const auto& entry, char32_t key) { return entry.first < key; });
    return it != rare.end() && it->first == c ? it->second : none;
  }
};

const Index& TheIndex() {
  static const Index index;
  return index;
}

}  // namespace

const Readings& Of(char32_t c) {
  return TheIndex().Find(c);
}

bool SoundAlike(char32_t a, char32_t b) {
  if (a == b) return true;
  const Readings& ra = Of(a);
  const Readings& rb = Of(b);
  for (int i = 0; i < ra.count; ++i)
    if (rb.Contains(ra.ids[i])) return true;
  return false;
}

namespace {

// A syllable with the distinctions many speakers do not make folded away (模糊音): zh/z, ch/c,
// sh/s and n/l at the start, ing/in, eng/en and ang/an at the end.
std::string Fuzzy(std::string_view syllable) {
  std::string s(syllable);
  if (s.size() >= 2 && (s[0] == 'z' || s[0] == 'c' || s[0] == 's') && s[1] == 'h') s.erase(1, 1);
  if (!s.empty() && s[0] == 'n') s[0] = 'l';
  // ing → in, eng → en, ang → an; not iang or uang (jiang and jian, guang and guan are told
  // apart by everyone).
  if (s.size() >= 3 && s.ends_with("ng")) {
    const char vowel = s[s.size() - 3];
    const char before = s.size() >= 4 ? s[s.size() - 4] : ' ';
    if (vowel == 'i' || vowel == 'e' || (vowel == 'a' && before != 'i' && before != 'u'))
      s.pop_back();
  }
  return s;
}

}  // namespace

bool SoundsNear(char32_t a, char32_t b) {
  if (SoundAlike(a, b)) return true;
  const Readings& ra = Of(a);
  const Readings& rb = Of(b);
  for (int i = 0; i < ra.count; ++i) {
    const std::string fa = Fuzzy(SyllableText(ra.ids[i]));
    for (int j = 0; j < rb.count; ++j)
      if (Fuzzy(SyllableText(rb.ids[j])) == fa) return true;
  }
  return false;
}

std::string_view SyllableText(Syllable s) {
  const auto& syllables = TheIndex().syllables;
  return s < syllables.size() ? std::string_view(syllables[s]) : std::string_view();
}

std::string ToPinyin(std::string_view utf8) {
  std::string out;
  bool after_syllable = false;
  for (size_t i = 0; i < utf8.size();) {
    const char32_t c = DecodeUtf8(utf8, i);
    const Syllable s = Of(c).first();
    const bool space = c == U' ';
    if ((s != 0 || after_syllable || space) && !out.empty() && out.back() != ' ') out += ' ';
    after_syllable = s != 0;
    if (s != 0)
      out += SyllableText(s);
    else if (!space)
      AppendUtf8(out, c >= U'A' && c <= U'Z' ? c - U'A' + U'a' : c);
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

size_t TableSize() {
  return kPinyinTableSize;
}

}  // namespace zhizhi::pinyin

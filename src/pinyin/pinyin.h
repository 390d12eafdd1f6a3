// Pinyin of Chinese characters, without tones, for comparing names that people type by ear:
// 张伟 and 章伟 (both zhang wei), 王丽 and 王莉 (li). From mozillazg's pinyin-data (Unihan's
// kHanyuPinyin and others), 41,497 characters, compiled in (cmake/pinyin.cmake); ü is written v.
//
// Each character has its readings in a small fixed set of syllable ids (a polyphone such as 曾 has
// ceng and zeng; 单 has dan, chan and shan), so comparing two characters' sounds is a scan of two
// arrays of at most kMaxReadings ids.
//
// Thread-safety: everything here is immutable after the first call (a function-local static built
// once); all functions may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace zhizhi::pinyin {

using Syllable = std::uint16_t;  // 0 = none; ids are stable within one process only
inline constexpr int kMaxReadings = 6;

struct Readings {
  std::array<Syllable, kMaxReadings> ids{};
  int count = 0;
  Syllable first() const { return count > 0 ? ids[0] : 0; }
  bool Contains(Syllable s) const {
    for (int i = 0; i < count; ++i)
      if (ids[i] == s) return true;
    return false;
  }
};

// The readings of one character, most common first; empty (count 0) for anything not in the table.
const Readings& Of(char32_t c);

// True when `a` and `b` are the same character or share a reading (tones ignored).
bool SoundAlike(char32_t a, char32_t b);

// SoundAlike, or alike once the distinctions many speakers do not make are folded away (模糊音,
// as pinyin input methods offer them): zh/z, ch/c, sh/s, n/l; ing/in, eng/en, ang/an. 明 (ming)
// and 民 (min), 山 (shan) and 三 (san), 南 (nan) and 兰 (lan).
bool SoundsNear(char32_t a, char32_t b);

// The text of a syllable id ("zhang"); empty for 0 or an unknown id.
std::string_view SyllableText(Syllable s);

// The first reading of each character, space-separated, lower case ("张伟" → "zhang wei"); code
// points without a reading are kept as they are (ASCII letters lower-cased). `utf8` must be
// well-formed (base/text.h IsValidUtf8).
std::string ToPinyin(std::string_view utf8);

// Number of characters in the table (for the tests and docs).
size_t TableSize();

}  // namespace zhizhi::pinyin

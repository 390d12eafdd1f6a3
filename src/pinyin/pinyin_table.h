// The compiled-in table behind pinyin.h: one entry per CJK character, its readings without tones
// ("zhang,chang"), in code-point order. Generated at configure time by cmake/pinyin.cmake.
#pragma once

#include <cstddef>

namespace zhizhi::pinyin {

struct PinyinEntry {
  char32_t code_point;
  const char* readings;  // comma-separated, most common first; may repeat once tones are gone
};

extern const PinyinEntry kPinyinTable[];
extern const size_t kPinyinTableSize;

}  // namespace zhizhi::pinyin

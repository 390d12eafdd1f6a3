#include "app/basedata_feeds_text.h"

#include <utility>
#include <vector>

#include "app/basedata_feeds_words.h"

namespace zhizhi::app::feeds {

namespace {

constexpr const char* kChineseDigits[] = {"〇", "一", "二", "三", "四",
                                          "五", "六", "七", "八", "九"};

}  // namespace

std::string FullWidthDigits(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      out += "\xEF\xBC";
      out.push_back(static_cast<char>(0x90 + (c - '0')));
    } else if (c == '#') {
      out += "\xEF\xBC\x83";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ChineseNumber(int n) {
  static constexpr const char* kPlaces[] = {"", "十", "百", "千"};
  std::string out;
  bool started = false, zero = false;
  for (int place = 3, scale = 1000; place >= 0; --place, scale /= 10) {
    const int digit = n / scale % 10;
    if (digit == 0) {
      zero = started;
      continue;
    }
    if (zero) out += "零";
    zero = false;
    if (!(place == 1 && digit == 1 && !started)) out += kChineseDigits[digit];
    out += kPlaces[place];
    started = true;
  }
  return out;
}

std::string ChineseDigitsOf(int n) {
  std::string out;
  for (const char c : std::to_string(n))
    out += kChineseDigits[c - '0'];
  return out;
}

bool HomophoneTypo(std::string& text, Rng& rng) {
  std::vector<std::pair<size_t, std::string_view>> candidates;  // offset, group
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (length == 3 && i + 3 <= text.size()) {
      const std::string_view ch(text.data() + i, 3);
      for (const std::string_view group : kHomophones) {
        for (size_t k = 0; k + 3 <= group.size(); k += 3) {
          if (group.substr(k, 3) == ch) candidates.emplace_back(i, group);
        }
      }
    }
    i += length;
  }
  if (candidates.empty()) return false;
  const auto [offset, group] = candidates[rng.Below(candidates.size())];
  const size_t members = group.size() / 3;
  for (;;) {
    const std::string_view other = group.substr(rng.Below(members) * 3, 3);
    if (other != std::string_view(text.data() + offset, 3)) {
      text.replace(offset, 3, other);
      return true;
    }
  }
}

}  // namespace zhizhi::app::feeds

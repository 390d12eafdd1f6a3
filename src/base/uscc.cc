#include "base/uscc.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "base/text.h"

namespace zhizhi {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kLength = 18;
constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

// Byte -> value in the alphabet (upper or lower case), or -1.
constexpr std::array<int, 256> MakeValueTable() {
  std::array<int, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    const auto c = static_cast<unsigned char>(kAlphabet[i]);
    table[c] = static_cast<int>(i);
    if (c >= 'A' && c <= 'Z') table[c - 'A' + 'a'] = static_cast<int>(i);
  }
  return table;
}
constexpr std::array<int, 256> kValue = MakeValueTable();

int ValueOf(char c) {
  return kValue[static_cast<unsigned char>(c)];
}

// Checks length, alphabet and the region digits; returns an error message or "".
std::string CheckShape(std::string_view text) {
  if (text.size() != kLength) {
    const size_t chars = Utf8Length(text);
    if (chars != kLength) return "must be 18 characters, got " + std::to_string(chars);
    // 18 characters but more bytes: some are full-width or other non-ASCII characters.
    const size_t first = static_cast<size_t>(
        std::find_if(text.begin(), text.end(), [](char c) { return c & 0x80; }) - text.begin());
    return "character " + std::to_string(first + 1) + " is not an ASCII digit or letter";
  }
  for (int i = 0; i < kLength; ++i) {
    if (ValueOf(text[i]) >= 0) continue;
    const auto c = static_cast<unsigned char>(text[i]);
    std::string why = "character " + std::to_string(i + 1);
    if (c < 0x21 || c > 0x7E) return why + " is not a digit or letter";
    why += std::string(" '") + text[i] + "' is not allowed";
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ? why + " (I, O, Z, S and V are never used)"
                                                    : why;
  }
  for (int i = 2; i < 8; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return "character " + std::to_string(i + 1) +
             " must be a digit (characters 3-8 are a region code)";
    }
  }
  return "";
}

}  // namespace

char UnifiedSocialCreditCode::CheckCharacter(std::string_view first17) {
  assert(first17.size() == 17);
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    assert(ValueOf(first17[i]) >= 0);
    sum += ValueOf(first17[i]) * kWeights[i];
  }
  return kAlphabet[(31 - sum % 31) % 31];
}

Result<UnifiedSocialCreditCode> UnifiedSocialCreditCode::Parse(std::string_view text,
                                                               const std::string& field) {
  if (std::string why = CheckShape(text); !why.empty()) {
    return Status::InvalidArgument(field, "unified social credit code " + why);
  }
  std::string code = ToUpperAscii(text);
  const char expected = CheckCharacter(std::string_view(code).substr(0, 17));
  if (code[17] != expected) {
    return Status::InvalidArgument(
        field, std::string("unified social credit code check character is ") + code[17] +
                   ", expected " + expected);
  }
  return UnifiedSocialCreditCode(std::move(code));
}

std::string MakeUscc(std::string_view first17) {
  std::string code = ToUpperAscii(first17);
  code.push_back(UnifiedSocialCreditCode::CheckCharacter(code));
  return code;
}

}  // namespace zhizhi

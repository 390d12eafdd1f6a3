#include "base/resident_id.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "base/text.h"

namespace zhizhi {
namespace {

constexpr int kLength = 18;
constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr int kEarliestBirthYear = 1800;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

int DigitsValue(std::string_view digits) {
  int value = 0;
  for (const char c : digits)
    value = value * 10 + (c - '0');
  return value;
}

// Province-level codes of GB/T 2260, plus 83 (residence permits for Taiwan residents).
bool IsProvinceCode(int code) {
  return (code >= 11 && code <= 15) || (code >= 21 && code <= 23) || (code >= 31 && code <= 37) ||
         (code >= 41 && code <= 46) || (code >= 50 && code <= 54) || (code >= 61 && code <= 65) ||
         code == 71 || code == 81 || code == 82 || code == 83;
}

// Checks length and character classes; returns an error message or "".
std::string CheckShape(std::string_view text) {
  if (text.size() != kLength) {
    const size_t chars = Utf8Length(text);
    if (chars != kLength) return "must be 18 characters, got " + std::to_string(chars);
    // 18 characters but more bytes: some are full-width or other non-ASCII characters.
    const size_t first = static_cast<size_t>(
        std::find_if(text.begin(), text.end(), [](char c) { return c & 0x80; }) - text.begin());
    return "character " + std::to_string(first + 1) + " must be an ASCII digit";
  }
  for (int i = 0; i < kLength - 1; ++i) {
    if (!IsDigit(text[i])) return "character " + std::to_string(i + 1) + " must be a digit";
  }
  const char last = text[kLength - 1];
  if (!IsDigit(last) && last != 'X' && last != 'x') {
    return "check character (the 18th) must be a digit or X";
  }
  return "";
}

// Checks the birth date in digits 7-14; returns an error message or "".
std::string CheckBirthDate(std::string_view number) {
  const std::string_view ymd = number.substr(6, 8);
  const int year = DigitsValue(ymd.substr(0, 4));
  const std::optional<Date> birth =
      Date::FromYmd(year, DigitsValue(ymd.substr(4, 2)), DigitsValue(ymd.substr(6, 2)));
  if (!birth) return "birth date " + std::string(ymd) + " is not a real calendar date";
  if (year < kEarliestBirthYear) {
    return "birth year " + std::to_string(year) + " is before " +
           std::to_string(kEarliestBirthYear);
  }
  if (*birth > TodayInChina()) return "birth date " + birth->ToString() + " is in the future";
  return "";
}

}  // namespace

char ResidentIdNumber::CheckCharacter(std::string_view first17) {
  assert(first17.size() == 17);
  int sum = 0;
  for (int i = 0; i < 17; ++i)
    sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

Result<ResidentIdNumber> ResidentIdNumber::Parse(std::string_view text, const std::string& field) {
  if (std::string why = CheckShape(text); !why.empty()) {
    return Status::InvalidArgument(field, "resident ID number " + why);
  }
  std::string number = ToUpperAscii(text);
  const int province = DigitsValue(std::string_view(number).substr(0, 2));
  if (!IsProvinceCode(province)) {
    return Status::InvalidArgument(field, "resident ID number starts with " + number.substr(0, 2) +
                                              ", which is not a province code of GB/T 2260");
  }
  if (std::string why = CheckBirthDate(number); !why.empty()) {
    return Status::InvalidArgument(field, "resident ID number: " + why);
  }
  const char expected = CheckCharacter(std::string_view(number).substr(0, 17));
  if (number[17] != expected) {
    return Status::InvalidArgument(field, std::string("resident ID number check character is ") +
                                              number[17] + ", expected " + expected);
  }
  return ResidentIdNumber(std::move(number));
}

Date ResidentIdNumber::birth_date() const {
  const std::string_view n = number_;
  return Date{DigitsValue(n.substr(6, 4)), DigitsValue(n.substr(10, 2)),
              DigitsValue(n.substr(12, 2))};
}

Sex ResidentIdNumber::sex() const {
  return (number_[16] - '0') % 2 == 1 ? Sex::kMale : Sex::kFemale;
}

std::string MakeResidentIdNumber(std::string_view region6, Date birth, int sequence3) {
  assert(region6.size() == 6 && sequence3 >= 0 && sequence3 <= 999);
  char tail[16];
  std::snprintf(tail, sizeof tail, "%04d%02d%02d%03d", birth.year, birth.month, birth.day,
                sequence3);
  std::string number(region6);
  number += tail;
  number.push_back(ResidentIdNumber::CheckCharacter(number));
  return number;
}

}  // namespace zhizhi

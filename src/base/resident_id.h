// ResidentIdNumber: a validated 18-character PRC resident ID number (GB 11643-1999), and
// MakeResidentIdNumber for building valid numbers in tests, benchmarks and demo data.
// Values are immutable once parsed and safe to share between threads.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <utility>

#include "base/civil_time.h"
#include "base/status.h"

namespace zhizhi {

class ResidentIdNumber {
 public:
  // Accepts lowercase x (stored uppercase); surrounding whitespace is NOT accepted (callers trim).
  // Checks, in this order, each failure with its own message in Status::InvalidArgument(field,
  // ...):
  //  - 18 characters: 17 digits then a digit or X;
  //  - the first two digits are a province-level code of GB/T 2260 (11-15, 21-23, 31-37, 41-46,
  //    50-54, 61-65, 71 Taiwan, 81 Hong Kong, 82 Macao, 83 for Taiwan residents' residence
  //    permits);
  //  - digits 7-14 are a real date, year >= 1800, not after today in China;
  //  - the check character is ISO 7064 MOD 11-2 of the first 17 digits.
  static Result<ResidentIdNumber> Parse(std::string_view text,
                                        const std::string& field = "id_number");

  // "10X98765432"[sum(d_i * w_i) mod 11]. Precondition: `first17` is 17 ASCII digits.
  static char CheckCharacter(std::string_view first17);

  const std::string& str() const { return number_; }
  std::string_view region_code() const { return std::string_view(number_).substr(0, 6); }
  Date birth_date() const;
  Sex sex() const;  // 17th digit odd = male

  auto operator<=>(const ResidentIdNumber&) const = default;

 private:
  explicit ResidentIdNumber(std::string number) : number_(std::move(number)) {}

  std::string number_;
};

// region6 + birth as YYYYMMDD + sequence3 as three digits + the check character.
// Preconditions: region6 is 6 digits, 1 <= birth.year <= 9999, 0 <= sequence3 <= 999.
std::string MakeResidentIdNumber(std::string_view region6, Date birth, int sequence3);

}  // namespace zhizhi

// UnifiedSocialCreditCode: a validated 18-character unified social credit code (统一社会信用代码,
// GB 32100-2015) of a company or other organisation, and MakeUscc for tests and demo data.
// Values are immutable once parsed and safe to share between threads.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace zhizhi {

class UnifiedSocialCreditCode {
 public:
  // What is checked, each failure with its own message in Status::InvalidArgument(field, ...):
  //  - exactly 18 characters, all from "0123456789ABCDEFGHJKLMNPQRTUWXY" (lowercase accepted and
  //    stored uppercase; I, O, Z, S and V are never used);
  //  - characters 3-8 (the registering authority's GB/T 2260 region code) are digits;
  //  - character 18 is the MOD 31 check character (see CheckCharacter).
  // Deliberately NOT checked, because published lists of codes disagree and real codes must never
  // be refused: which registration authority (char 1) and organisation category (char 2) codes
  // exist, whether the region code exists, and the GB 11714 check inside characters 9-17.
  static Result<UnifiedSocialCreditCode> Parse(std::string_view text,
                                               const std::string& field = "uscc");

  // CH[(31 - sum(v_i * w_i) mod 31) mod 31] with weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10
  // 30 28. Precondition: `first17` is 17 characters of the alphabet (upper or lower case).
  static char CheckCharacter(std::string_view first17);

  const std::string& str() const { return code_; }
  std::string_view region_code() const { return std::string_view(code_).substr(2, 6); }

  auto operator<=>(const UnifiedSocialCreditCode&) const = default;

 private:
  explicit UnifiedSocialCreditCode(std::string code) : code_(std::move(code)) {}

  std::string code_;
};

// first17 (uppercased) + its check character. Precondition as for CheckCharacter.
std::string MakeUscc(std::string_view first17);

}  // namespace zhizhi

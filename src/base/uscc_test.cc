#include "base/uscc.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

std::string RejectionOf(std::string_view text) {
  Result<UnifiedSocialCreditCode> code = UnifiedSocialCreditCode::Parse(text);
  EXPECT_FALSE(code.ok()) << text << " was accepted";
  if (code.ok()) return "";
  EXPECT_EQ(code.status().code(), "invalid_argument");
  EXPECT_EQ(code.status().field(), "uscc");
  return code.status().message();
}

TEST(UsccTest, AcceptsKnownValidCodes) {
  for (const char* text : {"91350100M000100Y43", "91331122MA2A0M9B7N"}) {
    Result<UnifiedSocialCreditCode> code = UnifiedSocialCreditCode::Parse(text);
    ASSERT_TRUE(code.ok()) << text << ": " << code.status().ToString();
    EXPECT_EQ(code->str(), text);
  }
  EXPECT_EQ(UnifiedSocialCreditCode::Parse("91331122MA2A0M9B7N")->region_code(), "331122");
}

TEST(UsccTest, LowercaseIsStoredUppercase) {
  Result<UnifiedSocialCreditCode> code = UnifiedSocialCreditCode::Parse("91331122ma2a0m9b7n");
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(code->str(), "91331122MA2A0M9B7N");
}

TEST(UsccTest, CheckCharacter) {
  EXPECT_EQ(UnifiedSocialCreditCode::CheckCharacter("91350100M000100Y4"), '3');
  EXPECT_EQ(UnifiedSocialCreditCode::CheckCharacter("91331122MA2A0M9B7"), 'N');
  EXPECT_EQ(UnifiedSocialCreditCode::CheckCharacter("91331122ma2a0m9b7"), 'N');
  EXPECT_EQ(MakeUscc("91350100m000100y4"), "91350100M000100Y43");
  EXPECT_EQ(UnifiedSocialCreditCode::CheckCharacter("00000000000000000"), '0');
}

TEST(UsccTest, EachRuleHasItsOwnMessage) {
  EXPECT_EQ(RejectionOf("91350100M000100Y4"),
            "unified social credit code must be 18 characters, got 17");
  EXPECT_TRUE(Contains(RejectionOf("91350100M000100Y433"), "got 19"));
  EXPECT_TRUE(Contains(RejectionOf(""), "got 0"));
  EXPECT_EQ(RejectionOf("91350100M000100O43"),
            "unified social credit code character 16 'O' is not allowed (I, O, Z, S and V are "
            "never used)");
  EXPECT_TRUE(Contains(RejectionOf("91350100M000100i43"), "character 16 'i' is not allowed"));
  EXPECT_TRUE(Contains(RejectionOf("91350100M0001-0Y43"), "character 14 '-' is not allowed"));
  EXPECT_TRUE(Contains(RejectionOf("91350100M000 00Y43"), "character 13 is not a digit or letter"));
  EXPECT_TRUE(Contains(RejectionOf("9135010张00100Y4"), "must be 18 characters, got 15"));
  // Full-width characters: 18 characters but more than 18 bytes.
  EXPECT_EQ(RejectionOf("９1350100M000100Y43"),
            "unified social credit code character 1 is not an ASCII digit or letter");
  EXPECT_TRUE(Contains(RejectionOf("91350100M000100Y4３"), "character 18 is not an ASCII"));
  EXPECT_EQ(RejectionOf(MakeUscc("913501A0M000100Y4")),
            "unified social credit code character 7 must be a digit (characters 3-8 are a region "
            "code)");
  EXPECT_TRUE(Contains(RejectionOf(MakeUscc("91A50100M000100Y4")), "character 3 must be a digit"));
  EXPECT_TRUE(Contains(RejectionOf(MakeUscc("9135010AM000100Y4")), "character 8 must be a digit"));
  EXPECT_TRUE(UnifiedSocialCreditCode::Parse(MakeUscc("YA350100M000100Y4")).ok());  // 1-2 free
  EXPECT_EQ(RejectionOf("91350100M000100Y44"),
            "unified social credit code check character is 4, expected 3");
}

TEST(UsccTest, CustomFieldName) {
  Result<UnifiedSocialCreditCode> code =
      UnifiedSocialCreditCode::Parse("91350100M000100Y44", "employer_uscc");
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().field(), "employer_uscc");
}

class RandomCodes {
 public:
  explicit RandomCodes(unsigned seed) : rng_(seed) {}

  std::string Next() {
    static constexpr std::string_view kHeads[] = {"91", "92", "93", "12", "51", "52", "Y1", "N2"};
    static constexpr std::string_view kRegions[] = {"330114", "110105", "440305", "350100"};
    std::string first17(kHeads[Pick(8)]);
    first17 += kRegions[Pick(4)];
    for (int i = 0; i < 9; ++i)
      first17.push_back(kAlphabet[Pick(kAlphabet.size())]);
    return MakeUscc(first17);
  }

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

 private:
  std::mt19937 rng_;
};

TEST(UsccTest, PropertyRandomValidCodesParse) {
  RandomCodes codes(32100);
  for (int i = 0; i < 10'000; ++i) {
    const std::string text = codes.Next();
    Result<UnifiedSocialCreditCode> code = UnifiedSocialCreditCode::Parse(text);
    ASSERT_TRUE(code.ok()) << text << ": " << code.status().ToString();
    ASSERT_EQ(code->str(), text);
    ASSERT_EQ(code->region_code(), text.substr(2, 6));
  }
}

TEST(UsccTest, PropertyEverySingleSubstitutionIsDetected) {
  // 31 is prime and no weight is 0 mod 31, so any one changed character changes the check.
  RandomCodes codes(31);
  for (int i = 0; i < 300; ++i) {  // 300 codes x 18 positions x 30 replacements
    const std::string valid = codes.Next();
    for (size_t pos = 0; pos < 18; ++pos) {
      for (const char c : kAlphabet) {
        if (c == valid[pos]) continue;
        std::string mutated = valid;
        mutated[pos] = c;
        ASSERT_FALSE(UnifiedSocialCreditCode::Parse(mutated).ok()) << mutated << " from " << valid;
      }
    }
  }
}

TEST(UsccTest, PropertyAdjacentTranspositionsFail) {
  // Adjacent weights differ by a factor of 3 (check weight 1 after 28), so a swap of two different
  // characters changes the sum by a nonzero multiple mod 31: every one is caught.
  RandomCodes codes(3);
  for (int i = 0; i < 2'000; ++i) {
    const std::string valid = codes.Next();
    for (size_t pos = 0; pos + 1 < 18; ++pos) {
      if (valid[pos] == valid[pos + 1]) continue;
      std::string swapped = valid;
      std::swap(swapped[pos], swapped[pos + 1]);
      ASSERT_FALSE(UnifiedSocialCreditCode::Parse(swapped).ok()) << swapped << " from " << valid;
    }
  }
}

}  // namespace
}  // namespace zhizhi

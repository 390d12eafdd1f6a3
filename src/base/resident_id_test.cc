#include "base/resident_id.h"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// The message of a rejected number, or "" (and a test failure) if it was accepted.
std::string RejectionOf(std::string_view text) {
  Result<ResidentIdNumber> id = ResidentIdNumber::Parse(text);
  EXPECT_FALSE(id.ok()) << text << " was accepted";
  if (id.ok()) return "";
  EXPECT_EQ(id.status().code(), "invalid_argument");
  EXPECT_EQ(id.status().field(), "id_number");
  return id.status().message();
}

TEST(ResidentIdNumberTest, AcceptsKnownValidNumbers) {
  Result<ResidentIdNumber> a = ResidentIdNumber::Parse("11010519491231002X");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->str(), "11010519491231002X");
  EXPECT_EQ(a->region_code(), "110105");
  EXPECT_EQ(a->birth_date(), (Date{1949, 12, 31}));
  EXPECT_EQ(a->sex(), Sex::kFemale);

  Result<ResidentIdNumber> b = ResidentIdNumber::Parse("440524188001010014");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->region_code(), "440524");
  EXPECT_EQ(b->birth_date(), (Date{1880, 1, 1}));
  EXPECT_EQ(b->sex(), Sex::kMale);
}

TEST(ResidentIdNumberTest, LowercaseXIsStoredUppercase) {
  Result<ResidentIdNumber> id = ResidentIdNumber::Parse("11010519491231002x");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->str(), "11010519491231002X");
  EXPECT_EQ(*id, *ResidentIdNumber::Parse("11010519491231002X"));
}

TEST(ResidentIdNumberTest, KnownInvalidNumberFailsOnItsCheckCharacter) {
  // Region 53 (Yunnan) and birth date 1920-05-08 are fine; only the check character is wrong.
  EXPECT_EQ(RejectionOf("530102192005080119"),
            "resident ID number check character is 9, expected X");
  EXPECT_TRUE(ResidentIdNumber::Parse("53010219200508011X").ok());
}

TEST(ResidentIdNumberTest, CustomFieldName) {
  Result<ResidentIdNumber> id = ResidentIdNumber::Parse("530102192005080119", "workers[3].id");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().field(), "workers[3].id");
}

TEST(ResidentIdNumberTest, EachRuleHasItsOwnMessage) {
  EXPECT_EQ(RejectionOf("11010519491231002"), "resident ID number must be 18 characters, got 17");
  EXPECT_EQ(RejectionOf("11010519491231002X0"), "resident ID number must be 18 characters, got 19");
  EXPECT_EQ(RejectionOf(""), "resident ID number must be 18 characters, got 0");
  EXPECT_TRUE(Contains(RejectionOf(" 11010519491231002X"), "must be 18 characters, got 19"));
  EXPECT_EQ(RejectionOf("1101051949A231002X"), "resident ID number character 11 must be a digit");
  EXPECT_EQ(RejectionOf("１1010519491231002X"),  // full-width 1
            "resident ID number character 1 must be an ASCII digit");
  EXPECT_TRUE(Contains(RejectionOf("1101051949123100２X"), "character 17 must be an ASCII digit"));
  EXPECT_TRUE(Contains(RejectionOf("张10105194912310021"), "character 1 must be an ASCII digit"));
  EXPECT_TRUE(Contains(RejectionOf("张1010519491231002"), "must be 18 characters, got 17"));
  EXPECT_TRUE(
      Contains(RejectionOf("张101051949123100"), "character 1 must be a digit"));  // 18 bytes
  EXPECT_EQ(RejectionOf("X10105194912310021"), "resident ID number character 1 must be a digit");
  EXPECT_TRUE(Contains(RejectionOf("110105194912310021X"), "must be 18 characters"));
  EXPECT_TRUE(Contains(RejectionOf("11010519491231002Y"), "must be a digit or X"));
  EXPECT_TRUE(
      Contains(RejectionOf("99010519491231002X"), "starts with 99, which is not a province code"));
  EXPECT_TRUE(
      Contains(RejectionOf(MakeResidentIdNumber("160105", Date{1990, 1, 1}, 1)), "starts with 16"));
}

TEST(ResidentIdNumberTest, RejectsImpossibleAndFutureBirthDates) {
  // Built with the correct check character, so only the date rule can reject them.
  EXPECT_EQ(RejectionOf(MakeResidentIdNumber("110105", Date{1990, 2, 30}, 123)),
            "resident ID number: birth date 19900230 is not a real calendar date");
  EXPECT_TRUE(Contains(RejectionOf(MakeResidentIdNumber("110105", Date{1990, 13, 1}, 123)),
                       "19901301 is not a real calendar date"));
  EXPECT_TRUE(Contains(RejectionOf(MakeResidentIdNumber("110105", Date{2023, 2, 29}, 123)),
                       "not a real calendar date"));
  EXPECT_TRUE(ResidentIdNumber::Parse(MakeResidentIdNumber("110105", Date{2024, 2, 29}, 123)).ok());
  EXPECT_EQ(RejectionOf(MakeResidentIdNumber("110105", Date{2100, 1, 1}, 123)),
            "resident ID number: birth date 2100-01-01 is in the future");
  EXPECT_EQ(RejectionOf(MakeResidentIdNumber("110105", Date{1799, 12, 31}, 123)),
            "resident ID number: birth year 1799 is before 1800");
  const Date today = TodayInChina();
  EXPECT_TRUE(ResidentIdNumber::Parse(MakeResidentIdNumber("110105", today, 1)).ok());
  const Date tomorrow = today.AddDays(1);
  const Result<ResidentIdNumber> born_tomorrow =
      ResidentIdNumber::Parse(MakeResidentIdNumber("110105", tomorrow, 1));
  if (TodayInChina() != tomorrow) {  // unless midnight in China just passed
    ASSERT_FALSE(born_tomorrow.ok());
    EXPECT_TRUE(Contains(born_tomorrow.status().message(), "is in the future"));
  }
}

TEST(ResidentIdNumberTest, ProvinceCodesOfGbt2260) {
  const Date birth{1990, 1, 1};
  for (const int code : {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                         44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}) {
    const std::string id = MakeResidentIdNumber(std::to_string(code) + "0101", birth, 1);
    EXPECT_TRUE(ResidentIdNumber::Parse(id).ok()) << id;
  }
  for (const int code : {0, 10, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 70, 72, 80, 84, 91}) {
    char region[8];
    std::snprintf(region, sizeof region, "%02d0101", code);
    const std::string message = RejectionOf(MakeResidentIdNumber(region, birth, 1));
    EXPECT_TRUE(Contains(message, "not a province code")) << region;
  }
}

TEST(ResidentIdNumberTest, CheckCharacterMatchesKnownValues) {
  EXPECT_EQ(ResidentIdNumber::CheckCharacter("11010519491231002"), 'X');
  EXPECT_EQ(ResidentIdNumber::CheckCharacter("44052418800101001"), '4');
  EXPECT_EQ(ResidentIdNumber::CheckCharacter("53010219200508011"), 'X');
  EXPECT_EQ(MakeResidentIdNumber("110105", Date{1949, 12, 31}, 2), "11010519491231002X");
}

// Random valid numbers: a few real region codes, a real birth date between 1900 and yesterday, a
// random sequence, and the computed check character.
class RandomIds {
 public:
  explicit RandomIds(unsigned seed) : rng_(seed) {}

  struct Id {
    std::string text;
    Date birth;
    int sequence = 0;
  };

  Id Next() {
    static constexpr std::string_view kRegions[] = {"110105", "310115", "330114", "440305",
                                                    "510107", "650102", "820000", "530102"};
    const int64_t first = Date{1900, 1, 1}.DaysSinceEpoch();
    const int64_t last = TodayInChina().DaysSinceEpoch() - 1;
    Id id;
    id.birth = Date::FromDays(std::uniform_int_distribution<int64_t>(first, last)(rng_));
    id.sequence = std::uniform_int_distribution<int>(0, 999)(rng_);
    const auto region = kRegions[std::uniform_int_distribution<size_t>(0, 7)(rng_)];
    id.text = MakeResidentIdNumber(region, id.birth, id.sequence);
    return id;
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

constexpr char kCheckAlphabet[] = "0123456789X";

TEST(ResidentIdNumberTest, PropertyRandomValidNumbersParse) {
  RandomIds ids(20260302);
  for (int i = 0; i < 10'000; ++i) {
    const RandomIds::Id expected = ids.Next();
    Result<ResidentIdNumber> id = ResidentIdNumber::Parse(expected.text);
    ASSERT_TRUE(id.ok()) << expected.text << ": " << id.status().ToString();
    ASSERT_EQ(id->str(), expected.text);
    ASSERT_EQ(id->birth_date(), expected.birth);
    ASSERT_EQ(id->sex(), expected.sequence % 2 == 1 ? Sex::kMale : Sex::kFemale);
    if (expected.text.back() == 'X') {
      std::string lower = expected.text;
      lower.back() = 'x';
      ASSERT_TRUE(ResidentIdNumber::Parse(lower).ok()) << lower;
    }
  }
}

TEST(ResidentIdNumberTest, PropertyEverySingleSubstitutionIsDetected) {
  // Exhaustive over positions and replacement characters: the MOD 11-2 sum changes by
  // (a - b) * w_i, never 0 mod 11, so each substitution must change the expected check character.
  RandomIds ids(7064);
  for (int i = 0; i < 1'000; ++i) {
    const std::string valid = ids.Next().text;
    for (size_t pos = 0; pos < 18; ++pos) {
      for (const char c : std::string_view(kCheckAlphabet)) {
        if (c == valid[pos] || (c == 'X' && pos < 17)) continue;
        std::string mutated = valid;
        mutated[pos] = c;
        if (pos < 17) {
          ASSERT_NE(ResidentIdNumber::CheckCharacter(std::string_view(mutated).substr(0, 17)),
                    valid[17])
              << mutated;
        }
        ASSERT_FALSE(ResidentIdNumber::Parse(mutated).ok()) << mutated << " from " << valid;
      }
    }
  }
}

TEST(ResidentIdNumberTest, PropertyRandomSubstitutionsFail) {
  RandomIds ids(11643);
  for (int i = 0; i < 10'000; ++i) {
    const std::string valid = ids.Next().text;
    std::string mutated = valid;
    const size_t pos = std::uniform_int_distribution<size_t>(0, 17)(ids.rng());
    const int alphabet = pos == 17 ? 11 : 10;
    while (mutated[pos] == valid[pos]) {
      mutated[pos] = kCheckAlphabet[std::uniform_int_distribution<int>(0, alphabet - 1)(ids.rng())];
    }
    ASSERT_FALSE(ResidentIdNumber::Parse(mutated).ok()) << mutated << " from " << valid;
  }
}

TEST(ResidentIdNumberTest, PropertyAdjacentTranspositionsFail) {
  // Adjacent weights satisfy w_i = 2 * w_(i+1) mod 11 (and the check character has weight 1), so
  // swapping two different adjacent characters changes the sum by (a - b) * w_(i+1) != 0 mod 11:
  // MOD 11-2 catches every adjacent transposition, not just most of them.
  RandomIds ids(2);
  int tried = 0;
  for (int i = 0; i < 2'000; ++i) {
    const std::string valid = ids.Next().text;
    for (size_t pos = 0; pos + 1 < 18; ++pos) {
      if (valid[pos] == valid[pos + 1]) continue;
      std::string swapped = valid;
      std::swap(swapped[pos], swapped[pos + 1]);
      ++tried;
      ASSERT_FALSE(ResidentIdNumber::Parse(swapped).ok()) << swapped << " from " << valid;
    }
  }
  EXPECT_GT(tried, 20'000);
}

}  // namespace
}  // namespace zhizhi

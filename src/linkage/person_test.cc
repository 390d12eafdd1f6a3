#include "linkage/person.h"

#include <gtest/gtest.h>

#include "base/civil_time.h"
#include "base/resident_id.h"

namespace zhizhi::linkage {
namespace {

PersonRecord WithId(std::string_view id) {
  PersonRecord r;
  EXPECT_TRUE(ParseIdNumber(id, &r)) << id;
  return r;
}

TEST(PersonCompareTest, IdNumbers) {
  const std::string a = MakeResidentIdNumber("330106", *Date::FromYmd(1990, 3, 7), 123);
  const std::string twin = MakeResidentIdNumber("330106", *Date::FromYmd(1990, 3, 7), 125);
  std::string typo = a;
  typo[10] = typo[10] == '9' ? '8' : '9';  // one digit mistyped: the check digit fails
  std::string swapped = a;
  std::swap(swapped[14], swapped[15]);
  EXPECT_TRUE(WithId(a).id_valid);
  EXPECT_FALSE(WithId(typo).id_valid);
  EXPECT_EQ(CompareIdNumbers(WithId(a), WithId(a)), 2);
  EXPECT_EQ(CompareIdNumbers(WithId(a), WithId(typo)), 1);
  if (!WithId(swapped).id_valid) {
    EXPECT_EQ(CompareIdNumbers(WithId(a), WithId(swapped)), 1);
  }
  EXPECT_EQ(CompareIdNumbers(WithId(a), WithId(twin)), 0);  // two valid numbers: two people
  EXPECT_EQ(CompareIdNumbers(WithId(a), PersonRecord{}), kMissing);
  PersonRecord lower;
  EXPECT_TRUE(ParseIdNumber("11010519491231002x", &lower));
  EXPECT_EQ(lower.id[17], 'X');
  EXPECT_FALSE(ParseIdNumber("1101051949123100", &lower));
  EXPECT_FALSE(ParseIdNumber("11010519491231002Y", &lower));
}

TEST(PersonCompareTest, Names) {
  EXPECT_EQ(CompareNames(U"张伟", U"张伟"), 3);
  EXPECT_EQ(CompareNames(U"王丽", U"王莉"), 2);  // sounds alike
  EXPECT_EQ(CompareNames(U"张伟", U"章玮"), 2);  // every differing character sounds alike
  EXPECT_EQ(CompareNames(U"张伟", U"张强"), 1);  // one character off
  EXPECT_EQ(CompareNames(U"张伟", U"李伟"), 0);  // another surname is another family
  EXPECT_EQ(CompareNames(U"欧阳娜娜", U"欧阳娜"), 1);
  EXPECT_EQ(CompareNames(U"王建国", U"李建华"), 0);
  EXPECT_EQ(CompareNames(U"", U"张伟"), kMissing);
}

TEST(PersonCompareTest, BirthDates) {
  EXPECT_EQ(CompareBirthDates(19900307, 19900307), 3);
  EXPECT_EQ(CompareBirthDates(19900307, 19900370), 2);  // two digits swapped
  EXPECT_EQ(CompareBirthDates(19900307, 19900703), 2);  // day and month swapped
  EXPECT_EQ(CompareBirthDates(19900307, 19900308), 2);  // one digit
  EXPECT_EQ(CompareBirthDates(19900307, 19901125), 1);  // same year
  EXPECT_EQ(CompareBirthDates(19900307, 19850611), 0);
  EXPECT_EQ(CompareBirthDates(0, 19850611), kMissing);
}

TEST(PersonCompareTest, SexPhoneAddress) {
  EXPECT_EQ(CompareSexes('M', 'M'), 1);
  EXPECT_EQ(CompareSexes('M', 'F'), 0);
  EXPECT_EQ(CompareSexes(0, 'F'), kMissing);
  EXPECT_EQ(ComparePhones(13800001234, 13800001234), 2);
  EXPECT_EQ(ComparePhones(13800001234, 13800001235), 1);
  EXPECT_EQ(ComparePhones(13800001234, 13800002134), 1);
  EXPECT_EQ(ComparePhones(13800001234, 13911112222), 0);
  EXPECT_EQ(ComparePhones(0, 13911112222), kMissing);
  PersonRecord a, b;
  a.house = 7, a.village = 330114001005;
  b.house = 7, b.village = 330114001005;
  EXPECT_EQ(CompareAddresses(a, b), 3);
  b.house = 8;
  EXPECT_EQ(CompareAddresses(a, b), 2);
  b.village = 330114001006;
  EXPECT_EQ(CompareAddresses(a, b), 1);
  b.village = 330114002001;
  EXPECT_EQ(CompareAddresses(a, b), 0);
  EXPECT_EQ(CompareAddresses(a, PersonRecord{}), kMissing);
}

TEST(PersonParseTest, BirthDatesInTheFormsSourcesWrite) {
  std::int32_t d = 0;
  for (const char* text : {"1990-03-07", "19900307", "1990/3/7", "1990.03.07", "1990年3月7日"}) {
    d = 0;
    EXPECT_TRUE(ParseBirthDate(text, &d)) << text;
    EXPECT_EQ(d, 19900307) << text;
  }
  for (const char* text : {"", "1990-02-30", "90-3-7", "1990-3", "19901307", "1990-03-07T00:00",
                           "abcdefgh", "1990-3-7-1", "1850-01-01"})
    EXPECT_FALSE(ParseBirthDate(text, &d)) << text;
}

TEST(PersonParseTest, Phones) {
  std::uint64_t p = 0;
  EXPECT_TRUE(ParsePhone("+86 138-0000-1234", &p));
  EXPECT_EQ(p, 13800001234u);
  EXPECT_TRUE(ParsePhone("0571-86001234", &p));
  EXPECT_EQ(p, 57186001234u);
  EXPECT_FALSE(ParsePhone("123", &p));
  EXPECT_FALSE(ParsePhone("138O0001234", &p));
  EXPECT_FALSE(ParsePhone("", &p));
}

}  // namespace
}  // namespace zhizhi::linkage

#include "base/record_id.h"

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

TEST(RecordIdTest, ReadsPlainPositiveDecimals) {
  EXPECT_EQ(ParseRecordId("1"), 1);
  EXPECT_EQ(ParseRecordId("12"), 12);
  EXPECT_EQ(ParseRecordId("9223372036854775807"), INT64_MAX);
}

TEST(RecordIdTest, RefusesEveryOtherSpelling) {
  for (const char* text : {"", "0", "00", "012", "+12", "-12", " 12", "12 ", "12abc", "1.5", "1e3",
                           "0x1f", "abc", "9223372036854775808", "99999999999999999999999"}) {
    EXPECT_EQ(ParseRecordId(text), std::nullopt) << '"' << text << '"';
  }
  EXPECT_EQ(ParseRecordId(std::string_view("12\0", 3)), std::nullopt);
}

}  // namespace
}  // namespace zhizhi

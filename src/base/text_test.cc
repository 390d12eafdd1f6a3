#include "base/text.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

using std::string_literals::operator""s;

TEST(TextTest, ValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ASCII text that is longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("张三 Zhang San"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600, 4 bytes
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidUtf8("nul \0 inside"s));
}

TEST(TextTest, InvalidUtf8) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // overlong, 4 bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xE5\xBC"));              // truncated 张
  EXPECT_FALSE(IsValidUtf8("\xD5\xC5\xC8\xFD"));      // 张三 in GBK
  EXPECT_FALSE(IsValidUtf8("abcdefghijklmnop\xE5"));  // truncated after the ASCII fast path
}

TEST(TextTest, FindInvalidUtf8ReportsOffset) {
  EXPECT_EQ(FindInvalidUtf8("abc"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("abc\xFF"), 3u);
  EXPECT_EQ(FindInvalidUtf8("0123456789\xE5\xBC\xA0\x80"), 13u);
}

TEST(TextTest, TrimAsciiAndIdeographicSpace) {
  EXPECT_EQ(Trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(Trim("\xE3\x80\x80张三\xE3\x80\x80 "), "张三");
  EXPECT_EQ(Trim(" \xE3\x80\x80\t\xE3\x80\x80x"), "x");
  EXPECT_EQ(Trim("张\xE3\x80\x80三"), "张\xE3\x80\x80三");  // inner space kept
  EXPECT_EQ(Trim(" \t\n "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("\xE3\x80"), "\xE3\x80");  // a partial U+3000 is not whitespace
}

TEST(TextTest, ControlChars) {
  EXPECT_FALSE(HasControlChars("张三 Zhang-San 123"));
  EXPECT_TRUE(HasControlChars("a\tb"));
  EXPECT_TRUE(HasControlChars("a\nb"));
  EXPECT_TRUE(HasControlChars("a\rb"));
  EXPECT_TRUE(HasControlChars("a\x1F"));
  EXPECT_TRUE(HasControlChars("\x7F"));
  EXPECT_TRUE(HasControlChars("a\0b"s));
  EXPECT_FALSE(HasControlChars(""));
}

TEST(TextTest, Utf8PrefixNeverCutsACharacter) {
  const std::string text = "ab出租房";  // 2 + 3 × 3 bytes
  EXPECT_EQ(Utf8Prefix(text, 100), text);
  EXPECT_EQ(Utf8Prefix(text, 5), "ab出");
  EXPECT_EQ(Utf8Prefix(text, 6), "ab出");
  EXPECT_EQ(Utf8Prefix(text, 7), "ab出");
  EXPECT_EQ(Utf8Prefix(text, 8), "ab出租");
  EXPECT_EQ(Utf8Prefix(text, 1), "a");
}

TEST(TextTest, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("张三"), 2u);
  EXPECT_EQ(Utf8Length("a\xF0\x9F\x98\x80z"), 3u);
}

TEST(TextTest, ToUpperAsciiLeavesOtherBytes) {
  EXPECT_EQ(ToUpperAscii("11010519491231002x"), "11010519491231002X");
  EXPECT_EQ(ToUpperAscii("aZ09-张三"), "AZ09-张三");
}

TEST(TextTest, QuoteForMessageIsSafeForJson) {
  EXPECT_EQ(QuoteForMessage("张三"), "\"张三\"");
  EXPECT_EQ(QuoteForMessage("a\nb\xFF"), "\"a?b?\"");
  EXPECT_EQ(QuoteForMessage("abcdef", 3), "\"abc...\"");
  EXPECT_TRUE(IsValidUtf8(QuoteForMessage("\xE5\xBC\xA0\xE5\xBC", 4)));
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

TEST(TextTest, JsonStringIsWhatNlohmannWrites) {
  std::vector<std::string> texts = {"",
                                    "plain",
                                    "张三 Zhang San",
                                    "quote \" backslash \\ slash /",
                                    "\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF",
                                    "del \x7F stays"};
  for (int c = 0; c < 0x20; ++c)
    texts.push_back("c" + std::string(1, static_cast<char>(c)) + "c");
  for (const std::string& text : texts) {
    EXPECT_EQ(JsonString(text), nlohmann::json(text).dump()) << QuoteForMessage(text);
    EXPECT_EQ(nlohmann::json::parse(JsonString(text)), text);
  }
  EXPECT_EQ(JsonString("tab\tnl\ncr\r"), R"("tab\tnl\ncr\r")");
  EXPECT_EQ(JsonString("\x01"), R"("\u0001")");
}

TEST(TextTest, JsonStringReplacesIllFormedUtf8) {
  // Each ill-formed byte becomes U+FFFD; the result is always valid JSON and valid UTF-8.
  EXPECT_EQ(JsonString("a\xFF"
                       "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(JsonString("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(JsonString("cut \xE5\xBC"), "\"cut \xEF\xBF\xBD\xEF\xBF\xBD\"");
  for (const char* bad : {"\xFF", "\xC3", "\xE5\xBC", "x\x80y", "\xF5\x80\x80\x80"}) {
    const std::string out = JsonString(bad);
    EXPECT_TRUE(IsValidUtf8(out)) << QuoteForMessage(bad);
    EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
  }
}

}  // namespace
}  // namespace zhizhi

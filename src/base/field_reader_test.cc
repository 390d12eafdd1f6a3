#include "base/field_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

// What a reader makes of one member, read as each type in turn (a fresh reader per type, as a
// parser reads each field once), and the unknown-field check after reading only that member.
struct Reading {
  std::optional<std::string> text;
  std::optional<std::int64_t> integer;
  std::optional<double> number;
  std::optional<bool> boolean;
  std::vector<std::string> errors;  // Finish() after each read

  bool operator==(const Reading&) const = default;
};

template <typename MakeReader>
Reading Read(MakeReader make, const std::string& name) {
  Reading r;
  {
    auto in = make();
    r.text = in->OptText(name, 100);
    r.errors.push_back(in->Finish().ToString());
  }
  {
    auto in = make();
    r.integer = in->OptInteger(name);
    r.errors.push_back(in->Finish().ToString());
  }
  {
    auto in = make();
    r.number = in->OptNumber(name);
    r.errors.push_back(in->Finish().ToString());
  }
  {
    auto in = make();
    r.boolean = in->OptBool(name);
    r.errors.push_back(in->Finish().ToString());
  }
  return r;
}

// Both readers over `body`, member `name`: the document's reading and the flat one's.
std::pair<Reading, Reading> Both(const std::string& body, const std::string& name) {
  auto doc = ParseJsonObject(body);
  EXPECT_TRUE(doc.ok()) << body;
  const Reading a = Read([&] { return std::make_unique<JsonFieldReader>(*doc); }, name);
  const Reading b = Read(
      [&] {
        auto in = std::make_unique<FlatJsonFieldReader>();
        EXPECT_TRUE(in->Parse(body).ok()) << body;
        return in;
      },
      name);
  return {a, b};
}

TEST(FlatJsonFieldReaderTest, ReadsLikeTheDocumentReader) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"a":"text"})", "a"},
      {R"({"a":"  padded  "})", "a"},
      {R"({"a":"esc\"aped \u5f20\ud83d\ude00 \n"})", "a"},  // a control character: an error
      {R"({"a":""})", "a"},
      {R"({"a":null})", "a"},
      {R"({"a":12})", "a"},
      {R"({"a":-9223372036854775808})", "a"},
      {R"({"a":9223372036854775807})", "a"},
      {R"({"a":9223372036854775808})", "a"},   // beyond int64: a number, not an integer
      {R"({"a":18446744073709551616})", "a"},  // beyond uint64: a float
      {R"({"a":1.5})", "a"},
      {R"({"a":1e3})", "a"},
      {R"({"a":true})", "a"},
      {R"({"a":false})", "a"},
      {R"({"a":{"b":1}})", "a"},
      {R"({"a":[1,"x",{"a":2}]})", "a"},
      {R"({"a":{"a":"nested"},"b":1})", "b"},
      {R"({"a":"first","a":"second"})", "a"},  // a repeated key keeps its last value
      {R"({"a":{"x":1},"a":3})", "a"},
      {R"({"a":1,"zeta":1,"beta":2})", "a"},  // unknown fields: the first in sorted order
      {R"({"b":1})", "a"},                    // absent
      {R"({})", "a"},
  };
  for (const auto& [body, name] : cases) {
    const auto [doc, flat] = Both(body, name);
    EXPECT_EQ(doc, flat) << body;
  }
}

// Past a few dozen members the flat reader finds keys through an index: the same answers, and a
// hostile body of 100,000 members costs linear time.
TEST(FlatJsonFieldReaderTest, ManyMembers) {
  std::string body = "{";
  for (int i = 0; i < 40; ++i)
    body += "\"m" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  body += R"("m5":"last","m39":{"x":1},"a":true})";
  for (const std::string name : {"m5", "m39", "a", "m0", "m20"}) {
    const auto [doc, flat] = Both(body, name);
    EXPECT_EQ(doc, flat) << name;
  }
  FlatJsonFieldReader in;
  ASSERT_TRUE(in.Parse(body).ok());
  EXPECT_EQ(in.OptText("m5"), "last");

  std::string huge = "{";
  for (int i = 0; i < 100'000; ++i)
    huge += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  huge += R"("k7":"again"})";
  FlatJsonFieldReader many;
  ASSERT_TRUE(many.Parse(huge).ok());
  EXPECT_EQ(many.OptText("k7"), "again");
  EXPECT_EQ(many.OptInteger("k99999"), 99'999);
  EXPECT_EQ(many.Finish().message(), "unknown field k0");
}

TEST(FlatJsonFieldReaderTest, SpecificAnswers) {
  FlatJsonFieldReader in;
  ASSERT_TRUE(in.Parse(R"({"a":"first","n":{"a":"nested"},"a":"last","z":1,"m":2})").ok());
  EXPECT_EQ(in.OptText("a"), "last");
  EXPECT_EQ(in.OptText("n"), std::nullopt);
  EXPECT_EQ(in.Finish().code(), "invalid_argument");
  EXPECT_EQ(in.Finish().field(), "n");  // wrong type: the first problem wins

  FlatJsonFieldReader unknown;
  ASSERT_TRUE(unknown.Parse(R"({"a":1,"z":1,"m":2})").ok());
  EXPECT_EQ(unknown.OptInteger("a"), 1);
  EXPECT_EQ(unknown.Finish().message(), "unknown field m");
}

TEST(FlatJsonFieldReaderTest, RejectsWhatIsNotOneObjectLikeParseJsonObject) {
  for (const std::string body :
       {"", "   ", "{", R"({"a":})", R"({"a":1,})", R"({"a":1} {"b":2})", R"({"a":1}x)",
        R"([{"a":1}])", R"("text")", "42", "null", R"({"a":"\ud800"})", "{\"a\":\"\xff\"}",
        R"({"a":1e999})", R"({'a':1})", "{\"a\":1}\n"}) {
    const Status doc = ParseJsonObject(body).status();
    FlatJsonFieldReader flat;
    const Status s = flat.Parse(body);
    EXPECT_EQ(s.ToString(), doc.ToString()) << body;
    EXPECT_EQ(s.ok(), doc.ok()) << body;
  }
  FlatJsonFieldReader in;
  EXPECT_EQ(in.Parse("[1]").message(), "request body must be a JSON object");
  EXPECT_EQ(in.Parse("{").message(), "request body is not valid JSON");
  EXPECT_EQ(in.Parse("{").code(), "invalid_json");
}

}  // namespace
}  // namespace zhizhi

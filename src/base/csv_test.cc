#include "base/csv.h"

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zhizhi {
namespace {

using Record = std::vector<std::string>;
using std::string_literals::operator""s;

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

CsvReader Reader(std::string bytes) {
  Result<CsvReader> reader = CsvReader::FromBuffer(std::move(bytes));
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return std::move(reader).value();
}

// All records, expecting the input to end cleanly.
std::vector<Record> ReadAll(std::string bytes) {
  CsvReader reader = Reader(std::move(bytes));
  std::vector<Record> records;
  Record fields;
  while (reader.Next(&fields))
    records.push_back(fields);
  EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
  EXPECT_EQ(reader.position(), reader.size());
  return records;
}

TEST(CsvReaderTest, SimpleRecords) {
  EXPECT_EQ(ReadAll("name,age\nZhang San,30\n"),
            (std::vector<Record>{{"name", "age"}, {"Zhang San", "30"}}));
  EXPECT_EQ(ReadAll("a,b\r\nc,d\r\n"), (std::vector<Record>{{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(ReadAll("a,b\nc,d"), (std::vector<Record>{{"a", "b"}, {"c", "d"}}));    // no final LF
  EXPECT_EQ(ReadAll("a,b\rc,d\r"), (std::vector<Record>{{"a", "b"}, {"c", "d"}}));  // old Mac
  EXPECT_EQ(ReadAll(""), std::vector<Record>{});
  EXPECT_EQ(ReadAll("\n\r\n\n"), std::vector<Record>{});
}

TEST(CsvReaderTest, EmptyFields) {
  EXPECT_EQ(ReadAll(",,\n"), (std::vector<Record>{{"", "", ""}}));
  EXPECT_EQ(ReadAll("a,\n"), (std::vector<Record>{{"a", ""}}));
  EXPECT_EQ(ReadAll("a,"), (std::vector<Record>{{"a", ""}}));
  EXPECT_EQ(ReadAll(",a"), (std::vector<Record>{{"", "a"}}));
  EXPECT_EQ(ReadAll("\"\",\"\"\n"), (std::vector<Record>{{"", ""}}));
  EXPECT_EQ(ReadAll(" \n"), (std::vector<Record>{{" "}}));  // not completely empty
}

TEST(CsvReaderTest, QuotedFields) {
  EXPECT_EQ(ReadAll("\"a,b\",c\n"), (std::vector<Record>{{"a,b", "c"}}));
  EXPECT_EQ(ReadAll("\"say \"\"hi\"\"\",x\n"), (std::vector<Record>{{"say \"hi\"", "x"}}));
  EXPECT_EQ(ReadAll("\"\"\"\"\n"), (std::vector<Record>{{"\""}}));
  EXPECT_EQ(ReadAll("\"line1\nline2\",x\r\n"), (std::vector<Record>{{"line1\nline2", "x"}}));
  EXPECT_EQ(ReadAll("\"crlf\r\ninside\"\r\n"), (std::vector<Record>{{"crlf\r\ninside"}}));
  EXPECT_EQ(ReadAll("x,\"last\""), (std::vector<Record>{{"x", "last"}}));
  EXPECT_EQ(ReadAll("\"张三\",\"浙江省杭州市\"\n"),
            (std::vector<Record>{{"张三", "浙江省杭州市"}}));
}

TEST(CsvReaderTest, LenientWithStrayQuotes) {
  EXPECT_EQ(ReadAll("ab\"c,d\n"), (std::vector<Record>{{"ab\"c", "d"}}));
  EXPECT_EQ(ReadAll("\"ab\"cd,e\n"), (std::vector<Record>{{"abcd", "e"}}));
  EXPECT_EQ(ReadAll(" \"a\",b\n"), (std::vector<Record>{{" \"a\"", "b"}}));
}

TEST(CsvReaderTest, LineNumbersCountPhysicalLines) {
  CsvReader reader = Reader("h1,h2\n\n\"multi\nline\",x\r\n\r\nlast,y");
  Record fields;
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(reader.line(), 1);
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(reader.line(), 3);
  EXPECT_EQ(fields, (Record{"multi\nline", "x"}));
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(reader.line(), 6);
  EXPECT_EQ(fields, (Record{"last", "y"}));
  EXPECT_FALSE(reader.Next(&fields));
  EXPECT_TRUE(reader.status().ok());
  EXPECT_TRUE(fields.empty());
}

TEST(CsvReaderTest, ReusesAndShrinksTheFieldVector) {
  CsvReader reader = Reader("a,b,c,d\ne\n");
  Record fields = {"stale", "values", "here", "x", "y", "z"};
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(fields, (Record{"a", "b", "c", "d"}));
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(fields, (Record{"e"}));
}

TEST(CsvReaderTest, ProgressPositionAndSize) {
  CsvReader reader = Reader("ab,c\nde,f\n");
  EXPECT_EQ(reader.size(), 10u);
  EXPECT_EQ(reader.position(), 0u);
  Record fields;
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(reader.position(), 5u);
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(reader.position(), 10u);
}

TEST(CsvReaderTest, UnterminatedQuoteIsAnErrorWithItsLine) {
  CsvReader reader = Reader("a,b\n\nc,\"open\nstill open\n\nnever closed");
  Record fields;
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_FALSE(reader.Next(&fields));
  EXPECT_FALSE(reader.status().ok());
  EXPECT_EQ(reader.status().code(), "invalid_argument");
  EXPECT_EQ(reader.status().field(), "file");
  EXPECT_EQ(reader.status().message(), "unterminated quoted field starting at line 3");
  EXPECT_FALSE(reader.Next(&fields));  // stays failed
  EXPECT_FALSE(reader.status().ok());
}

TEST(CsvReaderTest, Utf8BomIsStripped) {
  CsvReader reader = Reader("\xEF\xBB\xBFname,age\n张三,30\n");
  EXPECT_EQ(reader.encoding(), "utf-8");
  Record fields;
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(fields, (Record{"name", "age"}));
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(fields, (Record{"张三", "30"}));
}

TEST(CsvReaderTest, GbkIsConvertedToUtf8) {
  // 张三 (D5C5 C8FD), 买买提·艾力 with the GBK middle dot A1A4, and a 4-byte GB18030 sequence.
  CsvReader reader = Reader(
      "\xD5\xC5\xC8\xFD,30\r\n"
      "\xC2\xF2\xC2\xF2\xCC\xE1\xA1\xA4\xB0\xAC\xC1\xA6,\"\x95\x32\x82\x36\"\r\n");
  EXPECT_EQ(reader.encoding(), "gb18030");
  Record fields;
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(fields, (Record{"张三", "30"}));
  ASSERT_TRUE(reader.Next(&fields));
  EXPECT_EQ(fields, (Record{"买买提·艾力", "\xF0\xA0\x80\x80"}));  // U+20000
  EXPECT_FALSE(reader.Next(&fields));
  EXPECT_TRUE(reader.status().ok());
}

TEST(CsvReaderTest, AsciiAndUtf8AreNotConverted) {
  EXPECT_EQ(Reader("a,b\n").encoding(), "utf-8");
  EXPECT_EQ(Reader("张三,30\n").encoding(), "utf-8");
}

void ExpectEncodingError(std::string bytes, std::string_view part) {
  Result<CsvReader> reader = CsvReader::FromBuffer(std::move(bytes));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), "invalid_argument");
  EXPECT_EQ(reader.status().field(), "file");
  EXPECT_TRUE(Contains(reader.status().message(), part));
}

TEST(CsvReaderTest, RejectsBytesThatAreNeitherUtf8NorGbk) {
  ExpectEncodingError("name\n\xD5\xC5,\xFF\n", "not UTF-8 or GBK at byte 8 (line 2)");
  ExpectEncodingError("a,\x80\n", "not UTF-8 or GBK at byte 2 (line 1)");
  ExpectEncodingError("ab\x81\x20", "not UTF-8 or GBK at byte 2");  // bad trail byte
  ExpectEncodingError("ab\xD5", "not UTF-8 or GBK at byte 2");      // truncated at the end
  ExpectEncodingError(
      "\xEF\xBB\xBF"
      "a,\xD5\xC5\n",
      "byte order mark but is not UTF-8 at byte 5");
  ExpectEncodingError("\xFF\xFEn\0a\0"s, "UTF-16");
}

TEST(CsvReaderTest, OpenReadsFiles) {
  const std::string path = ::testing::TempDir() + "/zhizhi_csv_reader_test.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xD5\xC5\xC8\xFD,\"a,b\"\n";
  }
  Result<CsvReader> reader = CsvReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(reader->encoding(), "gb18030");
  Record fields;
  ASSERT_TRUE(reader->Next(&fields));
  EXPECT_EQ(fields, (Record{"张三", "a,b"}));
  std::remove(path.c_str());

  Result<CsvReader> missing = CsvReader::Open(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), "not_found");
  EXPECT_TRUE(Contains(missing.status().message(), "zhizhi_csv_reader_test.csv"));
}

// Writes `records` the way a spreadsheet would, quoting fields that need it.
std::string WriteCsv(const std::vector<Record>& records, const char* line_end) {
  std::string out;
  for (const Record& record : records) {
    for (size_t i = 0; i < record.size(); ++i) {
      if (i > 0) out += ',';
      const std::string& f = record[i];
      if (f.find_first_of(",\"\r\n") == std::string::npos) {
        out += f;
        continue;
      }
      out += '"';
      for (const char c : f)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
      out += '"';
    }
    out += line_end;
  }
  return out;
}

TEST(CsvReaderTest, PropertyRandomRecordsRoundTrip) {
  static const std::vector<std::string> kPieces = {"a",    "Zhang", "张三",   ",",    "\"", "\n",
                                                   "\r\n", " ",     "330114", "x\"y", "",   "·"};
  std::mt19937 rng(4180);
  const auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  for (const char* line_end : {"\n", "\r\n"}) {
    std::vector<Record> records(2'000);
    for (Record& record : records) {
      record.resize(1 + pick(6));
      for (std::string& field : record) {
        for (size_t n = pick(4); n > 0; --n)
          field += kPieces[pick(kPieces.size())];
      }
      if (record.size() == 1 && record[0].empty()) record[0] = "only";  // would be an empty line
    }
    EXPECT_EQ(ReadAll(WriteCsv(records, line_end)), records);
  }
}

}  // namespace
}  // namespace zhizhi

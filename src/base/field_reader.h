// FieldReader reads typed fields out of one input record — a JSON object from the API or a row
// of a CSV import — so that both paths share one set of validation rules and error codes.
//
// Reads never throw. The first problem found is kept (with the field name) and later reads
// return empty values, so a parser can read every field and check ok() once at the end.
// Text is trimmed, must be valid UTF-8 without control characters and within a length limit.
//
// Thread-safety: one reader per record, used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/status.h"

namespace zhizhi {

class FieldReader {
 public:
  virtual ~FieldReader() = default;

  // Absent, null or empty text gives nullopt.
  std::optional<std::string> OptText(const std::string& name, size_t max_chars = 200);
  // Required text: records "is required" when absent or empty.
  std::string Text(const std::string& name, size_t max_chars = 200);
  std::optional<double> OptNumber(const std::string& name);
  std::optional<std::int64_t> OptInteger(const std::string& name);
  std::optional<bool> OptBool(const std::string& name);
  std::optional<Date> OptDate(const std::string& name);
  Date RequiredDate(const std::string& name);
  // A position: `lat` and `lng` (WGS 84) together or neither, within -90..90 and -180..180.
  struct Position {
    double lat = 0, lng = 0;
  };
  std::optional<Position> OptPosition();

  // Records `status` unless an earlier problem is already recorded.
  void Fail(Status status);
  bool ok() const { return status_.ok(); }
  // The first problem, or — for readers that know all field names — an unknown field.
  virtual Status Finish() { return status_; }

 protected:
  enum class Kind { kAbsent, kNull, kString, kNumber, kInteger, kBool, kOther };
  struct Raw {
    Kind kind = Kind::kAbsent;
    std::string_view text;  // kString
    double number = 0;      // kNumber, kInteger
    std::int64_t integer = 0;
    bool boolean = false;
  };
  virtual Raw Get(const std::string& name) = 0;
  // True when values arrive as text only (CSV): numbers and booleans are then parsed from text.
  virtual bool TextOnly() const { return false; }

  Status status_;
};

// Reads a JSON object; Finish() rejects fields the parser never asked for (typos are errors).
class JsonFieldReader : public FieldReader {
 public:
  explicit JsonFieldReader(const nlohmann::json& object) : object_(object) {}
  Status Finish() override;

  // An array of texts, each read like OptText; absent or null gives nullopt. At most
  // `max_items` items; duplicates are dropped, order kept.
  std::optional<std::vector<std::string>> OptTextList(const std::string& name, size_t max_items,
                                                      size_t max_chars = 200);

 protected:
  Raw Get(const std::string& name) override;

 private:
  // Finds `name` in the object and remembers it was asked for.
  nlohmann::json::const_iterator Find(const std::string& name);

  const nlohmann::json& object_;
  // The object's own keys that were asked for (its members stay put while the reader lives):
  // no copy of a name, and one allocation for a whole record.
  std::vector<const std::string*> seen_;
};

// Reads a JSON object straight from its text, for the hot path of gate events: nlohmann's SAX
// parser checks the syntax exactly as ParseJsonObject does, but no document is built — a
// member's scalar value is kept as it comes, and a value that is an object or an array reads as
// a wrong type (the members of nested values are not kept). Same answers as JsonFieldReader over
// ParseJsonObject's document, errors included (a repeated key keeps its last value; Finish()
// names the alphabetically first unknown field); the fuzzer json_request checks that.
class FlatJsonFieldReader : public FieldReader {
 public:
  // Parses `body`: 400 invalid_json as ParseJsonObject when it is not one JSON object.
  Status Parse(std::string_view body);
  Status Finish() override;

 protected:
  Raw Get(const std::string& name) override;

 private:
  struct Member {
    std::string key;
    Raw raw;           // raw.text is set by Get(), from `text`
    std::string text;  // a string value
    bool seen = false;
  };
  class Sax;
  std::vector<Member> members_;
};

// Reads one CSV row by header name. Empty cells count as absent.
class CsvFieldReader : public FieldReader {
 public:
  CsvFieldReader(const std::vector<std::string>& header, const std::vector<std::string>& row)
      : header_(header), row_(row) {}

 protected:
  Raw Get(const std::string& name) override;
  bool TextOnly() const override { return true; }

 private:
  const std::vector<std::string>& header_;
  const std::vector<std::string>& row_;
};

// Parses a request body that must be one JSON object (400 invalid_json otherwise).
Result<nlohmann::json> ParseJsonObject(std::string_view body);

}  // namespace zhizhi

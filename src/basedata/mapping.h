// A source system's mapping: which of its columns hold which of our fields, its code lists, and
// how its file is written. Every source feed (public-security population, grid collection, market
// regulation …) comes with one; docs/basedata.md has the format and the demo's mappings.
//
//   {"source":"ps_population","kind":"person","format":"csv","encoding":"utf-8",
//    "key":"人员编号","withdrawn":"注销标志",
//    "fields":{"name":"姓名","id_number":"公民身份号码","sex":"性别","birth_date":"出生日期",
//              "phone":"联系电话","address":"居住地址"},
//    "codes":{"sex":{"1":"M","2":"F"}},"priority":80,"snapshot":false}
//
// Thread-safety: a value.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace zhizhi::basedata {

enum class Kind { kPerson, kHouse, kUnit };
const char* KindName(Kind kind);  // "person", "house", "unit"

inline constexpr int kMaxMappedFields = 8;

// Our fields of each kind, in a fixed order (a row's values are stored in this order).
const std::vector<std::string_view>& FieldsOf(Kind kind);
// Fields whose source values go through the mapping's code list (and must be in it).
bool IsCodedField(Kind kind, std::string_view field);
// True if `value` is one of our values of a coded field ("M", "rental").
bool IsOurCode(Kind kind, std::string_view field, std::string_view value);

struct Mapping {
  std::string source;  // [a-z0-9_]{1,40}
  Kind kind = Kind::kPerson;
  bool jsonl = false;  // else CSV with a header line
  bool gbk = false;    // else UTF-8
  std::string key;     // the column of the source's own record id
  std::optional<std::string>
      withdrawn;  // a column whose non-empty, non-"0" value withdraws the row
  // Which source wins a golden field when sources disagree equally often (higher wins).
  int priority = 50;
  // The file is the source's whole current set: its records missing from the file are withdrawn.
  // Otherwise an import is incremental (new and changed rows, and rows marked withdrawn).
  bool snapshot = false;
  std::array<std::optional<std::string>, kMaxMappedFields> columns;  // per FieldsOf(kind) index
  std::array<std::map<std::string, std::string, std::less<>>, kMaxMappedFields> codes;

  // Validates everything but the columns' existence (the file's header decides that). Errors are
  // 400 invalid_argument with the field path ("mapping.fields.nmae").
  static Result<Mapping> FromJson(const nlohmann::json& json, std::string_view field = "mapping");
  nlohmann::json ToJson() const;

  // The index in FieldsOf(kind) of `field`, or -1.
  int FieldIndex(std::string_view field) const;
};

}  // namespace zhizhi::basedata

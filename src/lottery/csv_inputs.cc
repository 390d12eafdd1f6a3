#include "lottery/csv_inputs.h"

#include <map>
#include <set>

#include "base/csv.h"
#include "base/text.h"

namespace zhizhi::lottery {

namespace {

using nlohmann::json;

constexpr size_t kMaxRows = 200'000;
constexpr size_t kMaxProblems = 1000;

enum class Type { kText, kInteger, kList };

struct Column {
  const char* name;
  const char* chinese;
  Type type;
  bool required;
};

const std::vector<Column>& ColumnsOf(const char* part) {
  static const std::map<std::string, std::vector<Column>> kColumns = {
      {"households",
       {{"id", "户号", Type::kText, true},
        {"name", "户主", Type::kText, false},
        {"flats", "房型", Type::kList, false},
        {"parking", "车位", Type::kInteger, false},
        {"farm_room", "农具间", Type::kInteger, false},
        {"tags", "标签", Type::kList, false},
        {"area_quota_m2", "安置面积", Type::kText, false}}},
      {"flat",
       {{"id", "房号", Type::kText, true},
        {"type", "房型", Type::kText, true},
        {"floor", "楼层", Type::kInteger, true},
        {"building", "幢", Type::kText, false},
        {"unit", "单元", Type::kText, false},
        {"room", "室", Type::kText, false},
        {"area_m2", "面积", Type::kText, false}}},
      {"place", {{"id", "编号", Type::kText, true}, {"location", "位置", Type::kText, false}}},
  };
  return kColumns.at(part);
}

// "A;B", "A、B", "A；B" → ["A","B"]
json ListOf(std::string_view text) {
  json list = json::array();
  std::string item;
  const auto flush = [&] {
    std::string_view trimmed = Trim(item);
    if (!trimmed.empty()) list.push_back(std::string(trimmed));
    item.clear();
  };
  for (size_t i = 0; i < text.size();) {
    if (text[i] == ';' || text[i] == ',') {
      flush();
      ++i;
    } else if (text.substr(i, 3) == "、" || text.substr(i, 3) == "；" ||
               text.substr(i, 3) == "，") {
      flush();
      i += 3;
    } else {
      item.push_back(text[i++]);
    }
  }
  flush();
  return list;
}

Result<CsvPart> ReadPart(const char* part, std::string bytes, bool mask_names) {
  ZZ_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::FromBuffer(std::move(bytes)));
  const std::vector<Column>& columns = ColumnsOf(part);
  std::vector<std::string> fields;
  if (!reader.Next(&fields)) {
    if (!reader.status().ok()) return reader.status();
    return Status::InvalidArgument("content", "the file is empty: a header row is needed");
  }
  // Which column of the file each field of ours is in.
  std::vector<int> at(columns.size(), -1);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string name(Trim(fields[i]));
    size_t c = 0;
    while (c < columns.size() && name != columns[c].name && name != columns[c].chinese)
      ++c;
    if (c == columns.size())
      return Status::InvalidArgument(
          "content", "column " + QuoteForMessage(name) +
                         " is not part of a lottery's inputs (the record is public: only its "
                         "columns are taken)");
    if (at[c] >= 0) return Status::InvalidArgument("content", "column " + name + " twice");
    at[c] = static_cast<int>(i);
  }
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c].required && at[c] < 0)
      return Status::InvalidArgument("content", std::string("the column ") + columns[c].name +
                                                    " (" + columns[c].chinese + ") is needed");
  CsvPart out;
  std::set<std::string> ids;
  size_t rows = 0;
  while (reader.Next(&fields)) {
    if (++rows > kMaxRows)
      return Status::TooLarge("at most " + std::to_string(kMaxRows) + " rows per file");
    const int line = reader.line();
    json item = json::object();
    const auto problem = [&](const std::string& field, std::string message) {
      if (out.problems.size() < kMaxProblems)
        out.problems.push_back({line, field, std::move(message)});
    };
    for (size_t c = 0; c < columns.size(); ++c) {
      if (at[c] < 0 || static_cast<size_t>(at[c]) >= fields.size()) {
        if (columns[c].required) problem(columns[c].name, "missing");
        continue;
      }
      const std::string value(Trim(fields[static_cast<size_t>(at[c])]));
      if (value.empty()) {
        if (columns[c].required) problem(columns[c].name, "empty");
        continue;
      }
      if (HasControlChars(value)) {
        problem(columns[c].name, "control characters");
        continue;
      }
      const std::string_view name = columns[c].name;
      const size_t limit = name == "name" || name == "location" ? 200 : 64;
      if (value.size() > limit) {
        problem(columns[c].name, "at most " + std::to_string(limit) + " bytes");
        continue;
      }
      if ((name == "area_m2" || name == "area_quota_m2") && !ParseArea(value)) {
        problem(columns[c].name, "square metres such as 89.56, not " + QuoteForMessage(value));
        continue;
      }
      switch (columns[c].type) {
        case Type::kText:
          item[columns[c].name] = value;
          break;
        case Type::kList:
          item[columns[c].name] = ListOf(value);
          if (item[columns[c].name].size() > 10) problem(columns[c].name, "at most 10 entries");
          break;
        case Type::kInteger:
          if (value.size() > 4 || value.find_first_not_of("-0123456789") != std::string::npos ||
              value.find('-', 1) != std::string::npos || value == "-")
            problem(columns[c].name, "a whole number, not " + QuoteForMessage(value));
          else
            item[columns[c].name] = std::stoi(value);
          break;
      }
    }
    if (mask_names && item.contains("name")) item["name"] = MaskName(item["name"]);
    if (item.contains("id") && !ids.insert(item["id"].get<std::string>()).second)
      problem("id", "id " + item["id"].get<std::string>() + " twice");
    out.items.push_back(std::move(item));
  }
  if (!reader.status().ok()) return reader.status();
  if (out.items.empty()) return Status::InvalidArgument("content", "the file has no rows");
  return out;
}

}  // namespace

std::string MaskName(const std::string& name) {
  std::u32string text = FromUtf8(name);
  if (text.size() < 2) return name;
  for (size_t i = 1; i < text.size(); ++i)
    if (i + 1 < text.size() || text.size() == 2) text[i] = U'*';
  return ToUtf8(text);
}

Result<CsvPart> HouseholdsFromCsv(std::string bytes) {
  return ReadPart("households", std::move(bytes), /*mask_names=*/true);
}

Result<CsvPart> PoolFromCsv(Pool pool, std::string bytes) {
  return ReadPart(pool == Pool::kFlat ? "flat" : "place", std::move(bytes), false);
}

}  // namespace zhizhi::lottery

#include "basedata/feed.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/text.h"

namespace zhizhi::basedata {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

Result<std::string> ToUtf8Text(const Mapping& mapping, std::string bytes) {
  if (mapping.gbk) return ConvertGb18030ToUtf8(bytes);
  if (bytes.starts_with(kUtf8Bom)) bytes.erase(0, kUtf8Bom.size());
  const size_t bad = FindInvalidUtf8(bytes);
  if (bad != std::string::npos) {
    const auto line =
        std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bad), '\n') + 1;
    return Status::InvalidArgument("encoding",
                                   "the mapping says utf-8 but the file is not UTF-8 at byte " +
                                       std::to_string(bad) + " (line " + std::to_string(line) +
                                       "); if it is GBK, say \"encoding\":\"gbk\"");
  }
  return bytes;
}

// Sex without a code list: GB/T 2261.1 codes and the words people write.
std::string DefaultSex(std::string_view v) {
  if (v == "1" || v == "男" || v == "M" || v == "m" || v == "男性") return "M";
  if (v == "2" || v == "女" || v == "F" || v == "f" || v == "女性") return "F";
  return {};
}

bool IsWithdrawnMark(std::string_view v) {
  return !v.empty() && v != "0" && v != "false" && v != "N" && v != "n" && v != "否";
}

}  // namespace

Result<FeedReader> FeedReader::Open(const Mapping& mapping, std::string bytes) {
  Result<std::string> text = ToUtf8Text(mapping, std::move(bytes));
  if (!text.ok()) return text.status();
  FeedReader reader(mapping);
  reader.column_of_.fill(-1);
  if (mapping.jsonl) {
    reader.text_ = std::move(*text);
    return reader;
  }
  Result<CsvReader> csv = CsvReader::FromBuffer(std::move(*text));
  if (!csv.ok()) return csv.status();
  reader.csv_ = std::make_unique<CsvReader>(std::move(*csv));
  std::vector<std::string> header;
  if (!reader.csv_->Next(&header)) {
    if (!reader.csv_->status().ok()) return reader.csv_->status();
    return Status::InvalidArgument("file", "the file is empty: a CSV feed starts with its header");
  }
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (Trim(header[i]) == name) return static_cast<int>(i);
    return -1;
  };
  auto missing = [&](const std::string& path, const std::string& name) {
    return Status::InvalidArgument(path, "the mapping names column " + QuoteForMessage(name) +
                                             " but the file's header has no such column");
  };
  reader.key_column_ = column(mapping.key);
  if (reader.key_column_ < 0) return missing("mapping.key", mapping.key);
  if (mapping.withdrawn) {
    reader.withdrawn_column_ = column(*mapping.withdrawn);
    if (reader.withdrawn_column_ < 0) return missing("mapping.withdrawn", *mapping.withdrawn);
  }
  const auto& fields = FieldsOf(mapping.kind);
  for (size_t f = 0; f < fields.size(); ++f) {
    if (!mapping.columns[f]) continue;
    reader.column_of_[f] = column(*mapping.columns[f]);
    if (reader.column_of_[f] < 0)
      return missing("mapping.fields." + std::string(fields[f]), *mapping.columns[f]);
  }
  return reader;
}

Result<FeedReader> FeedReader::OpenFile(const Mapping& mapping, const std::string& path) {
  ZZ_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path, kMaxFeedBytes));
  return Open(mapping, std::move(bytes));
}

double FeedReader::progress() const {
  if (csv_) return csv_->size() == 0 ? 1.0 : static_cast<double>(csv_->position()) / csv_->size();
  return text_.empty() ? 1.0 : static_cast<double>(pos_) / text_.size();
}

bool FeedReader::Next(SourceRow* row, std::vector<RowIssue>* issues) {
  if (!status_.ok()) return false;
  return mapping_.jsonl ? NextJsonl(row, issues) : NextCsv(row, issues);
}

bool FeedReader::NextCsv(SourceRow* row, std::vector<RowIssue>* issues) {
  while (csv_->Next(&cells_)) {
    row->line = csv_->line();
    auto cell = [&](int column) -> std::string {
      return column >= 0 && static_cast<size_t>(column) < cells_.size() ? cells_[column]
                                                                        : std::string();
    };
    row->source_id = cell(key_column_);
    row->withdrawn = withdrawn_column_ >= 0 && IsWithdrawnMark(Trim(cell(withdrawn_column_)));
    for (int f = 0; f < kMaxMappedFields; ++f)
      row->values[f] = cell(column_of_[f]);
    if (Finish(row, issues)) return true;
  }
  if (!csv_->status().ok()) status_ = csv_->status();
  return false;
}

bool FeedReader::NextJsonl(SourceRow* row, std::vector<RowIssue>* issues) {
  while (pos_ < text_.size()) {
    size_t end = text_.find('\n', pos_);
    if (end == std::string::npos) end = text_.size();
    std::string_view line = Trim(std::string_view(text_).substr(pos_, end - pos_));
    pos_ = end + 1;
    ++line_;
    if (line.empty()) continue;
    row->line = line_;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      issues->push_back({line_, "", "invalid_json", "", "the line is not a JSON object", true});
      continue;
    }
    auto value = [&](const std::string& key, std::string* out, const std::string& field) {
      out->clear();
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return true;
      if (it->is_string()) {
        *out = it->get<std::string>();
      } else if (it->is_number_integer() || it->is_number_unsigned()) {
        *out = it->dump();
      } else if (it->is_number_float() || it->is_boolean()) {
        *out = it->dump();
      } else {
        issues->push_back(
            {line_, "", "wrong_type", field, key + " is not a string or a number", true});
        return false;
      }
      return true;
    };
    bool ok = value(mapping_.key, &row->source_id, "key");
    std::string mark;
    if (ok && mapping_.withdrawn) ok = value(*mapping_.withdrawn, &mark, "withdrawn");
    row->withdrawn = IsWithdrawnMark(Trim(mark));
    const auto& fields = FieldsOf(mapping_.kind);
    for (size_t f = 0; ok && f < fields.size(); ++f) {
      row->values[f].clear();
      if (mapping_.columns[f])
        ok = value(*mapping_.columns[f], &row->values[f], std::string(fields[f]));
    }
    if (!ok) continue;
    if (Finish(row, issues)) return true;
  }
  return false;
}

bool FeedReader::Finish(SourceRow* row, std::vector<RowIssue>* issues) {
  row->source_id = std::string(Trim(row->source_id));
  if (row->source_id.empty()) {
    issues->push_back(
        {row->line, "", "missing_key", "key", "the row has no " + mapping_.key, true});
    return false;
  }
  if (row->source_id.size() > 100 || HasControlChars(row->source_id)) {
    issues->push_back(
        {row->line, "", "invalid_value", "key", "the record id is not a short line of text", true});
    return false;
  }
  auto [it, fresh] = first_line_.emplace(row->source_id, row->line);
  if (!fresh) {
    issues->push_back({row->line, row->source_id, "duplicate_source_id", "key",
                       mapping_.key + " " + QuoteForMessage(row->source_id) +
                           " is already on line " + std::to_string(it->second),
                       true});
    return false;
  }
  const auto& fields = FieldsOf(mapping_.kind);
  for (size_t f = 0; f < fields.size(); ++f) {
    std::string& v = row->values[f];
    v = std::string(Trim(v));
    if (v.empty() || !IsCodedField(mapping_.kind, fields[f])) continue;
    const auto& list = mapping_.codes[f];
    std::string ours;
    if (auto c = list.find(v); c != list.end())
      ours = c->second;
    else if (list.empty() && fields[f] == "sex")
      ours = DefaultSex(v);
    else if (list.empty() && IsOurCode(mapping_.kind, fields[f], v))
      ours = v;
    if (ours.empty()) {
      issues->push_back(
          {row->line, row->source_id, "unknown_code", std::string(fields[f]),
           QuoteForMessage(v) + " is not in the mapping's code list for " + std::string(fields[f]),
           false});
    }
    v = std::move(ours);
  }
  return true;
}

}  // namespace zhizhi::basedata

// libFuzzer target: a base-data source feed read through its mapping — the encoding (UTF-8 or
// GB18030), CSV or JSON lines, the header check, keys, withdrawn flags, code lists — and every
// row taken converted as record linkage compares it (names folded, ID numbers, dates and phones
// parsed).
//
// An input's first byte chooses the file's form (bit 0: JSON lines, bit 1: GBK); the rest is the
// file. The mapping is fixed (person; columns k, name, id, sex, birth, phone, address, w).
// Invariants beyond "no crash, no sanitizer report": a reader that failed took no row after its
// failure; every row taken has a key no earlier row had and a line after the previous row's; a
// parsed birth date is a real date; a rejected issue never names a row that was taken.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "basedata/feed.h"
#include "basedata/mapping.h"
#include "basedata/person_source.h"
#include "linkage/person.h"

namespace {

using namespace zhizhi;

basedata::Mapping MappingFor(bool jsonl, bool gbk) {
  nlohmann::json json = {{"source", "fuzz"},
                         {"kind", "person"},
                         {"format", jsonl ? "jsonl" : "csv"},
                         {"encoding", gbk ? "gbk" : "utf-8"},
                         {"key", "k"},
                         {"withdrawn", "w"},
                         {"fields",
                          {{"name", "name"},
                           {"id_number", "id"},
                           {"sex", "sex"},
                           {"birth_date", "birth"},
                           {"phone", "phone"},
                           {"address", "address"}}},
                         {"codes", {{"sex", {{"1", "M"}, {"2", "F"}}}}}};
  auto mapping = basedata::Mapping::FromJson(json);
  if (!mapping.ok()) std::abort();
  return *mapping;
}

bool RealDate(std::int32_t d) {
  const int y = d / 10000, m = d / 100 % 100, day = d % 100;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return y >= 1800 && y <= 2200 && m >= 1 && m <= 12 && day >= 1 && day <= kDays[m - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool jsonl = (data[0] & 1) != 0, gbk = (data[0] & 2) != 0;
  static const basedata::Mapping mappings[4] = {MappingFor(false, false), MappingFor(true, false),
                                                MappingFor(false, true), MappingFor(true, true)};
  const basedata::Mapping& mapping = mappings[(jsonl ? 1 : 0) + (gbk ? 2 : 0)];
  auto reader = basedata::FeedReader::Open(
      mapping, std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  if (!reader.ok()) return 0;
  basedata::PersonConverter converter(nullptr, 0);
  std::set<std::string> keys;
  std::vector<basedata::RowIssue> issues;
  basedata::SourceRow row;
  int last_line = 0;
  while (reader->Next(&row, &issues)) {
    if (row.source_id.empty() || !keys.insert(row.source_id).second) std::abort();
    if (row.line <= last_line) std::abort();
    last_line = row.line;
    const linkage::PersonRecord r = converter.Convert(row, &issues);
    if (r.birth != 0 && !RealDate(r.birth)) std::abort();
    if (r.id_valid && !r.has_id()) std::abort();
  }
  for (const basedata::RowIssue& issue : issues)
    if (issue.rejected && !issue.source_id.empty() && issue.code != "duplicate_source_id" &&
        keys.contains(issue.source_id))
      std::abort();
  return 0;
}

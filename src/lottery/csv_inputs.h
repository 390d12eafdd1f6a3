// The lottery's inputs from spreadsheets (docs/lottery.md, "Importing the inputs"): one CSV file
// of households and one per pool, with a header row in English or Chinese column names. Every
// row is checked and every problem reported with its line; a file with a problem is taken as a
// whole or not at all. Only the columns of a public record are accepted — a column such as an
// ID number is refused by name — and heads of household are published masked (张*丰).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lottery/inputs.h"

namespace zhizhi::lottery {

struct RowProblem {
  int line = 0;
  std::string field;
  std::string message;
};

struct CsvPart {
  nlohmann::json items = nlohmann::json::array();  // the part of the inputs document
  std::vector<RowProblem> problems;                // empty when the file is good
};

// Households: id (户号), name (户主), flats (房型, types joined by ; or 、), parking (车位),
// farm_room (农具间), tags (标签), area_quota_m2 (安置面积).
Result<CsvPart> HouseholdsFromCsv(std::string bytes);
// Flats: id (房号), type (房型), floor (楼层), building (幢), unit (单元), room (室), area_m2
// (面积); parking spaces and farm-tool rooms: id (编号), location (位置).
Result<CsvPart> PoolFromCsv(Pool pool, std::string bytes);

// 张三丰 → 张*丰, 张三 → 张*: the head of household as a public board shows them.
std::string MaskName(const std::string& name);

}  // namespace zhizhi::lottery

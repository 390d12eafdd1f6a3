// libFuzzer target: the lottery's hostile inputs — a record to verify (anyone may hand one in),
// an inputs document, and the spreadsheets of households and pools.
//
// An input's first byte chooses what the rest is: 0 a record (JSON) to verify, 1 an inputs
// document (JSON) to check and draw, 2 a households CSV, 3 a flats CSV, 4 a parking CSV.
// Invariants beyond "no crash, no sanitizer report": inputs that pass the checks draw one
// allocation per household, in order 1…n, each household once, no item given twice, every item
// from its pool, of the type asked and within the household's floor limit; when the shortfall
// check found nothing, nobody is left without an item; a drawn record of them verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "lottery/csv_inputs.h"
#include "lottery/draw.h"
#include "lottery/inputs.h"
#include "lottery/record.h"

namespace {

using namespace zhizhi;
using nlohmann::json;

void Check(bool condition) {
  if (!condition) std::abort();
}

void DrawAndCheck(const json& document) {
  auto inputs = lottery::Inputs::FromJson(document);
  if (!inputs.ok()) return;
  const bool complete = inputs->Shortfalls().empty();
  if (inputs->households.size() > 300 || inputs->flats.size() > 2000) return;
  const auto allocations = lottery::RunDraw(*inputs, lottery::Sha256Hex("fuzz"));
  Check(allocations.size() == inputs->households.size());
  std::map<std::string, const lottery::Household*> households;
  for (const auto& h : inputs->households)
    households[h.id] = &h;
  std::map<std::string, const lottery::Flat*> flats;
  for (const auto& f : inputs->flats)
    flats[f.id] = &f;
  const std::set<std::string> parking(inputs->parking.begin(), inputs->parking.end());
  const std::set<std::string> rooms(inputs->farm_rooms.begin(), inputs->farm_rooms.end());
  std::set<std::string> seen, given_flats, given_places, given_rooms;
  for (size_t i = 0; i < allocations.size(); ++i) {
    const auto& a = allocations[i];
    Check(a.order == static_cast<int>(i) + 1);
    Check(seen.insert(a.household).second);
    const lottery::Household& h = *households.at(a.household);
    Check(a.flat.size() == h.flats.size());
    for (size_t f = 0; f < a.flat.size(); ++f) {
      Check(a.flat[f].has_value() || !complete);  // no shortfall found: nobody goes short
      if (!a.flat[f]) continue;
      const lottery::Flat& flat = *flats.at(*a.flat[f]);
      Check(flat.type == h.flats[f]);
      Check(!h.max_floor || flat.floor <= *h.max_floor);
      Check(given_flats.insert(flat.id).second);
    }
    for (const auto& p : a.parking) {
      Check(p.has_value() || !complete);
      if (p) Check(parking.count(*p) && given_places.insert(*p).second);
    }
    for (const auto& r : a.farm_room) {
      Check(r.has_value() || !complete);
      if (r) Check(rooms.count(*r) && given_rooms.insert(*r).second);
    }
  }
  auto record = lottery::DrawRecord(document, std::string(64, 'f'), "fuzz");
  Check(record.ok());
  Check(lottery::VerifyRecord(*record).verified);
}

void CsvPart(int which, std::string bytes) {
  auto part = which == 2   ? lottery::HouseholdsFromCsv(std::move(bytes))
              : which == 3 ? lottery::PoolFromCsv(lottery::Pool::kFlat, std::move(bytes))
                           : lottery::PoolFromCsv(lottery::Pool::kParking, std::move(bytes));
  if (!part.ok() || !part->problems.empty()) return;
  json document = {{"title", "fuzz"},
                   {"households", json::array({{{"id", "h"}}})},
                   {"pools", {{"flat", json::array()}}}};
  if (which == 2) document["households"] = part->items;
  if (which == 3) document["pools"]["flat"] = part->items;
  if (which == 4) document["pools"]["parking"] = part->items;
  DrawAndCheck(document);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int which = data[0] % 5;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (which >= 2) {
    CsvPart(which, std::move(rest));
    return 0;
  }
  const json parsed = json::parse(rest, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return 0;
  if (which == 0)
    (void)lottery::VerifyRecord(parsed);
  else
    DrawAndCheck(parsed);
  return 0;
}

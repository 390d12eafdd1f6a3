#include "lottery/demo_inputs.h"

#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "lottery/csv_inputs.h"

namespace zhizhi::lottery {

namespace {

using nlohmann::json;

constexpr int kFloors = 18;
constexpr int kUnits = 2;
constexpr int kRoomsPerFloor = 2;  // per unit

const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                 "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "沈"};
const char* const kGiven[] = {"建国", "秀英", "国强", "桂芳", "志明", "丽华", "海峰", "美玲",
                              "金水", "根林", "小红", "永康", "月娥", "伟",   "芳",   "强"};

struct FlatType {
  const char* type;
  const char* area;
  int share;  // in 100 households' entitlements
};
const FlatType kTypes[] = {{"A", "89.56", 45}, {"B", "119.80", 35}, {"C", "139.92", 20}};

std::string Padded(const char* prefix, int number, int width) {
  char text[32];
  std::snprintf(text, sizeof(text), "%s%0*d", prefix, width, number);
  return text;
}

}  // namespace

json DemoInputs(int count, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  const auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };
  const auto type_of = [&] {
    int roll = static_cast<int>(random() % 100);
    for (const FlatType& t : kTypes) {
      if (roll < t.share) return std::string(t.type);
      roll -= t.share;
    }
    return std::string(kTypes[0].type);
  };
  json households = json::array();
  std::map<std::string, int> demand;
  int parking = 0, farm_rooms = 0;
  for (int i = 1; i <= count; ++i) {
    json household = {{"id", Padded("H", i, 4)}};
    const std::string name = std::string(kSurnames[random() % std::size(kSurnames)]) +
                             kGiven[random() % std::size(kGiven)];
    household["name"] = MaskName(name);
    json flats = json::array({type_of()});
    if (chance(35)) flats.push_back(type_of());
    for (const auto& type : flats)
      ++demand[type.get<std::string>()];
    household["flats"] = flats;
    const int spaces = chance(75) ? 1 : 0;
    const int rooms = chance(90) ? 1 : 0;
    household["parking"] = spaces;
    household["farm_room"] = rooms;
    parking += spaces;
    farm_rooms += rooms;
    // Priorities only in a draw large enough that the low floors cannot run out.
    if (count >= 100 && chance(3))
      household["tags"] = {"disabled"};
    else if (count >= 100 && chance(5))
      household["tags"] = {"elderly"};
    households.push_back(std::move(household));
  }
  // Flats: each type's demand and 3 % more, filling buildings floor by floor.
  json flats = json::array();
  int slot = 0;
  const int per_building = kFloors * kUnits * kRoomsPerFloor;
  for (const FlatType& type : kTypes) {
    const int supply = demand[type.type] + demand[type.type] * 3 / 100 + 1;
    for (int n = 0; n < supply; ++n, ++slot) {
      const int building = slot / per_building + 1;
      const int within = slot % per_building;
      const int floor = within / (kUnits * kRoomsPerFloor) + 1;
      const int unit = within % (kUnits * kRoomsPerFloor) / kRoomsPerFloor + 1;
      const int room = floor * 100 + within % kRoomsPerFloor + 1;
      flats.push_back({{"id", std::to_string(building) + "-" + std::to_string(unit) + "-" +
                                  Padded("", room, 4)},
                       {"type", type.type},
                       {"building", std::to_string(building) + "幢"},
                       {"unit", std::to_string(unit)},
                       {"floor", floor},
                       {"room", std::to_string(room)},
                       {"area_m2", type.area}});
    }
  }
  json spaces = json::array();
  for (int i = 1; i <= parking + parking / 50 + 1; ++i)
    spaces.push_back({{"id", Padded("P-", i, 4)}, {"location", i % 2 ? "地下一层" : "地下二层"}});
  json rooms = json::array();
  for (int i = 1; i <= farm_rooms + farm_rooms / 50 + 1; ++i)
    rooms.push_back({{"id", Padded("N-", i, 4)}});
  return {{"title", "钱塘区安置房分房（演示）"},
          {"rules",
           {{{"tag", "disabled"},
             {"name", "残疾人家庭优先，安排三层以下"},
             {"tier", 2},
             {"max_floor", 3}},
            {{"tag", "elderly"},
             {"name", "高龄老人家庭优先，安排六层以下"},
             {"tier", 1},
             {"max_floor", 6}}}},
          {"households", std::move(households)},
          {"pools",
           {{"flat", std::move(flats)},
            {"parking", std::move(spaces)},
            {"farm_room", std::move(rooms)}}}};
}

}  // namespace zhizhi::lottery

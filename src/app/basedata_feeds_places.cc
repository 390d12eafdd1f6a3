// The places of the base-data feeds' district (basedata_feeds_model.h): streets and communities
// from the gazetteer, the roads along them, door plates and rooms (the standard-address base),
// houses at rooms, and how many live in each house. Also the counties people are born in.
#include "app/basedata_feeds_model.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "app/divisions.h"

namespace zhizhi::app::feeds {

namespace {

std::string HumanVillageName(std::string_view name, bool* village) {
  *village = false;
  if (name.ends_with("村村委会")) {  // 三丰村村委会: the committee of 三丰村
    *village = true;
    return std::string(name.substr(0, name.size() - std::string_view("村委会").size()));
  }
  if (name.ends_with("村委会")) {  // 义盛村委会
    *village = true;
    return std::string(name.substr(0, name.size() - std::string_view("委会").size()));
  }
  if (name.ends_with("居委会")) {
    return std::string(name.substr(0, name.size() - std::string_view("居委会").size())) + "社区";
  }
  return std::string(name);
}

std::vector<std::string> SplitSpaces(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(' ', i), text.size());
    if (end > i) out.emplace_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

std::string PlateKey(std::string_view road, std::uint32_t number) {
  return std::string(road) + "|" + std::to_string(number);
}

// A door plate of the district as the registry writes a corp's address: 浙江省杭州市钱塘区, the
// street, the road, the number, 号 — nothing after it.
struct Plate {
  size_t town = 0;
  std::string road;
  std::uint32_t number = 0;
};

std::optional<Plate> ParsePlate(std::string_view text, const std::vector<Town>& towns) {
  constexpr std::string_view kCounty = "浙江省杭州市钱塘区", kNumber = "号";
  if (!text.starts_with(kCounty) || !text.ends_with(kNumber)) return std::nullopt;
  text.remove_prefix(kCounty.size());
  text.remove_suffix(kNumber.size());
  for (size_t t = 0; t < towns.size(); ++t) {
    if (!text.starts_with(towns[t].name)) continue;
    std::string_view rest = text.substr(towns[t].name.size());
    size_t digits = 0;
    while (digits < rest.size() && digits < 5 && rest[rest.size() - 1 - digits] >= '0' &&
           rest[rest.size() - 1 - digits] <= '9') {
      ++digits;
    }
    if (digits == 0 || digits == rest.size()) return std::nullopt;
    Plate plate;
    plate.town = t;
    plate.road = std::string(rest.substr(0, rest.size() - digits));
    for (const char c : rest.substr(rest.size() - digits))
      plate.number = plate.number * 10 + static_cast<std::uint32_t>(c - '0');
    if (plate.number == 0) return std::nullopt;
    return plate;
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------- geography

Status Generator::BuildGeography() {
  const auto county = g_.Find("330114");
  if (!county) return Status::NotFound("the gazetteer has no county 330114 (钱塘区)");
  auto road_index = [&](const std::string& name) {
    for (size_t i = 0; i < roads_.size(); ++i) {
      if (roads_[i].name == name) return static_cast<std::uint16_t>(i);
    }
    roads_.push_back({name, 0});
    return static_cast<std::uint16_t>(roads_.size() - 1);
  };
  for (const std::uint32_t t : g_.Children(*county)) {
    if (g_.Children(t).empty()) continue;
    Town town;
    town.name = std::string(g_.Name(t));
    town.short_name = town.name.ends_with("街道")
                          ? town.name.substr(0, town.name.size() - std::string_view("街道").size())
                          : town.name;
    town.former_jianggan = town.name == "下沙街道" || town.name == "白杨街道";
    std::vector<std::string> names = SplitSpaces(kFallbackRoads);
    for (const StreetRoads& s : kStreetRoads) {
      if (town.name == s.town) names = SplitSpaces(s.roads);
    }
    // The numbered roads of Xiasha: odd ones (and 6号大街) in 下沙, even ones in 白杨.
    for (int n = 1; n <= 29; ++n) {
      if ((town.name == "下沙街道" && (n % 2 == 1 || n == 6)) ||
          (town.name == "白杨街道" && n % 2 == 0 && n != 6)) {
        names.push_back(std::to_string(n) + "号大街");
      }
    }
    for (const std::string& name : names)
      town.roads.push_back(road_index(name));
    const auto town_index = static_cast<std::uint16_t>(towns_.size());
    for (const std::uint32_t v : g_.Children(t)) {
      Community c;
      c.code = g_.Code(v);
      c.name = HumanVillageName(g_.Name(v), &c.village);
      c.town = town_index;
      town.communities.push_back(static_cast<std::uint16_t>(communities_.size()));
      communities_.push_back(std::move(c));
    }
    towns_.push_back(std::move(town));
  }
  if (communities_.empty()) return Status::NotFound("the gazetteer has no communities in 330114");

  // Each community lies along two to four roads of its street.
  Rng rng(Seed(), 1);
  for (Community& c : communities_) {
    std::vector<std::uint16_t> roads = towns_[c.town].roads;
    rng.Shuffle(roads);
    roads.resize(std::min<size_t>(roads.size(), static_cast<size_t>(rng.Between(2, 4))));
    c.roads = std::move(roads);
  }

  // Regions of birth.
  std::vector<std::uint64_t> province_weights;
  std::vector<std::string> provinces;
  for (const DivisionCounty& county_row : kSourceCounties) {
    const std::string_view code = county_row.code;
    const auto region = static_cast<std::uint32_t>(std::stoul(std::string(code)));
    if (code.starts_with("3301")) {
      hangzhou_counties_.push_back(region);
    } else if (code.starts_with("33")) {
      zhejiang_counties_.push_back(region);
    } else {
      const std::string province(code.substr(0, 2));
      const auto p = static_cast<size_t>(std::find(provinces.begin(), provinces.end(), province) -
                                         provinces.begin());
      if (p == provinces.size()) {
        provinces.push_back(province);
        province_weights.push_back(static_cast<std::uint64_t>(county_row.weight));
        migrant_counties_.emplace_back();
      }
      migrant_counties_[p].push_back(region);
    }
  }
  migrant_provinces_ = WeightedIndex(province_weights);
  if (migrant_counties_.empty() || zhejiang_counties_.empty() || hangzhou_counties_.empty()) {
    return Status::Internal("divisions table has no source counties");
  }
  return Status::Ok();
}

// Door plates and rooms: compounds (小区) of flats in the communities, village houses (农居房)
// of rental rooms, and shop fronts; `addresses` in all, of which `houses` rooms or more.
void Generator::BuildAddresses() {
  Rng rng(Seed(), 2);
  // Door plates that are not the district's to number: the base's and the registry's corps'.
  for (const DoorPlate& d : options_.base_doors)
    taken_plates_.insert(PlateKey(d.road, d.number));
  for (const RegistryCorp& corp : options_.corps) {
    if (const auto plate = ParsePlate(corp.address, towns_))
      taken_plates_.insert(PlateKey(plate->road, plate->number));
  }
  const size_t total = options_.addresses;
  const size_t door_count =
      std::clamp<size_t>(static_cast<size_t>(std::llround(static_cast<double>(total) / 24.0)), 1,
                         total - options_.houses);
  const size_t room_count = total - door_count;
  const double mean = static_cast<double>(room_count) / static_cast<double>(door_count);
  // Shares of door kinds so that the rooms per door average out: shops ~2, village houses ~14,
  // compounds ~400.
  const double compound_share = std::clamp((mean - 0.15 * 2 - 0.85 * 14) / (400.0 - 14), 0.0, 0.85);
  std::vector<DoorKind> kinds(door_count, DoorKind::kVillageHouse);
  size_t compounds =
      static_cast<size_t>(std::llround(compound_share * static_cast<double>(door_count)));
  if (compounds == 0 && door_count >= 10 && mean > 14) compounds = 1;
  const size_t shops =
      std::min(door_count - compounds,
               static_cast<size_t>(std::llround(0.15 * static_cast<double>(door_count))));
  std::fill(kinds.begin(), kinds.begin() + static_cast<std::ptrdiff_t>(compounds),
            DoorKind::kCompound);
  std::fill(kinds.begin() + static_cast<std::ptrdiff_t>(compounds),
            kinds.begin() + static_cast<std::ptrdiff_t>(compounds + shops), DoorKind::kShop);
  rng.Shuffle(kinds);

  // Communities by kind: compounds in 社区 (anywhere when a street has none), village houses
  // mostly in 村, shops mostly in 社区.
  std::vector<std::uint64_t> w_compound, w_village, w_shop;
  for (const Community& c : communities_) {
    w_compound.push_back(c.village ? 0 : 4);
    w_village.push_back(c.village ? 4 : 1);
    w_shop.push_back(c.village ? 1 : 2);
  }
  WeightedIndex pick_compound(w_compound), pick_village(w_village), pick_shop(w_shop);
  if (pick_compound.empty()) pick_compound = pick_village;

  std::vector<std::uint32_t> sizes(door_count);
  doors_.resize(door_count);
  std::uint64_t size_sum = 0;
  for (size_t i = 0; i < door_count; ++i) {
    Door& d = doors_[i];
    d.kind = kinds[i];
    switch (d.kind) {
      case DoorKind::kCompound:
        d.community = static_cast<std::uint16_t>(pick_compound(rng));
        sizes[i] = static_cast<std::uint32_t>(rng.Between(120, 680));
        break;
      case DoorKind::kVillageHouse:
        d.community = static_cast<std::uint16_t>(pick_village(rng));
        sizes[i] = static_cast<std::uint32_t>(rng.Between(6, 22));
        break;
      case DoorKind::kShop:
        d.community = static_cast<std::uint16_t>(pick_shop(rng));
        sizes[i] = static_cast<std::uint32_t>(rng.Between(1, 3));
        break;
    }
    size_sum += sizes[i];
  }
  // The base lists its doors community by community.
  std::vector<std::uint32_t> order(door_count);
  for (size_t i = 0; i < door_count; ++i)
    order[i] = static_cast<std::uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return doors_[a].community < doors_[b].community;
  });
  std::vector<Door> sorted(door_count);
  std::vector<std::uint32_t> sorted_sizes(door_count);
  for (size_t i = 0; i < door_count; ++i) {
    sorted[i] = doors_[order[i]];
    sorted_sizes[i] = sizes[order[i]];
  }
  doors_ = std::move(sorted);

  // Rooms per door, scaled so that they add up to room_count exactly.
  rooms_.reserve(room_count);
  std::uint64_t cumulative = 0;
  std::uint64_t placed = 0;
  for (size_t i = 0; i < door_count; ++i) {
    Door& d = doors_[i];
    Community& c = communities_[d.community];
    d.serial = ++c.doors;
    d.road = rng.Pick(c.roads);
    // Odd numbers on one side, even on the other; now and then a gap.
    d.number = roads_[d.road].last_number +=
        static_cast<std::uint32_t>(rng.Chance(0.7) ? 2 : rng.Between(1, 8));
    while (!taken_plates_.empty() && taken_plates_.count(PlateKey(roads_[d.road].name, d.number)))
      d.number = roads_[d.road].last_number += 2;
    cumulative += sorted_sizes[i];
    const std::uint64_t until = cumulative * room_count / size_sum;
    const auto n = static_cast<std::uint32_t>(until - placed);
    placed = until;
    d.first_room = static_cast<std::uint32_t>(rooms_.size());
    d.rooms = n;
    // The layout: buildings × units × floors × rooms per floor.
    int units = 0, floors = 0, per_floor = 0;
    bool buildings = true;
    switch (d.kind) {
      case DoorKind::kCompound:
        units = rng.Between(1, 3);
        floors = rng.Chance(0.4) ? rng.Between(6, 7) : rng.Between(11, 33);
        per_floor = rng.Between(2, 4);
        if (units == 1) units = 0;
        break;
      case DoorKind::kVillageHouse:
        floors = rng.Between(3, 6);
        per_floor = rng.Between(2, 6);
        buildings = static_cast<int>(n) > floors * per_floor;
        break;
      case DoorKind::kShop:
        floors = 9;
        per_floor = 9;
        buildings = static_cast<int>(n) > floors * per_floor;
        break;
    }
    const int per_unit = floors * per_floor;
    const int per_building = per_unit * std::max(units, 1);
    for (std::uint32_t k = 0; k < n; ++k) {
      Room r;
      r.door = static_cast<std::uint32_t>(i);
      const int b = static_cast<int>(k) / per_building;
      const int in_building = static_cast<int>(k) % per_building;
      r.building = buildings ? static_cast<std::uint16_t>(b + 1) : 0;
      r.unit = units > 0 ? static_cast<std::uint8_t>(in_building / per_unit + 1) : 0;
      const int in_unit = in_building % per_unit;
      r.number =
          static_cast<std::uint16_t>((in_unit / per_floor + 1) * 100 + in_unit % per_floor + 1);
      rooms_.push_back(r);
    }
  }
  AddCorpDoors();
  counts_.doors = doors_.size();
  counts_.addresses = doors_.size() + rooms_.size();
}

// The registry's corps at door plates of the district: each plate a door (without rooms) in a
// community of its street along its road, unless the base has it already.
void Generator::AddCorpDoors() {
  Rng rng(Seed(), 10);
  std::unordered_set<std::string> seen;
  for (const DoorPlate& d : options_.base_doors)
    seen.insert(PlateKey(d.road, d.number));
  for (const RegistryCorp& corp : options_.corps) {
    const auto plate = ParsePlate(corp.address, towns_);
    if (!plate || !seen.insert(PlateKey(plate->road, plate->number)).second) continue;
    std::uint16_t road = 0;
    while (road < roads_.size() && roads_[road].name != plate->road)
      ++road;
    if (road == roads_.size()) roads_.push_back({plate->road, 0});
    // Planted odd addresses stay above every number of the road.
    roads_[road].last_number = std::max(roads_[road].last_number, plate->number);
    const Town& town = towns_[plate->town];
    std::vector<std::uint16_t> along;
    for (const std::uint16_t c : town.communities) {
      const auto& roads = communities_[c].roads;
      if (std::find(roads.begin(), roads.end(), road) != roads.end()) along.push_back(c);
    }
    Door d;
    d.kind = DoorKind::kShop;
    d.community = rng.Pick(along.empty() ? town.communities : along);
    d.road = road;
    d.number = plate->number;
    d.serial = ++communities_[d.community].doors;
    d.first_room = static_cast<std::uint32_t>(rooms_.size());
    d.rooms = 0;
    doors_.push_back(d);
    ++counts_.corp_doors;
  }
}

// ---------------------------------------------------------------------------------- houses

void Generator::BuildHouses() {
  Rng rng(Seed(), 3);
  // Which rooms are houses: all but (rooms - houses) chosen at random (unregistered flats).
  std::vector<std::uint8_t> is_house(rooms_.size(), 1);
  {
    std::vector<std::uint32_t> all(rooms_.size());
    for (size_t i = 0; i < all.size(); ++i)
      all[i] = static_cast<std::uint32_t>(i);
    const size_t spare = rooms_.size() - options_.houses;
    for (size_t i = 0; i < spare; ++i) {  // a partial Fisher–Yates
      std::swap(all[i], all[i + rng.Below(all.size() - i)]);
      is_house[all[i]] = 0;
    }
  }
  houses_.reserve(options_.houses);
  std::vector<std::uint32_t> rental_rooms;
  for (size_t i = 0; i < rooms_.size(); ++i) {
    if (!is_house[i]) continue;
    House h;
    h.room = static_cast<std::uint32_t>(i);
    const int u = rng.Between(0, 99);
    int m2 = 0;
    switch (doors_[rooms_[i].door].kind) {
      case DoorKind::kCompound: {
        h.use = u < 68 ? Use::kOwn : u < 86 ? Use::kRental : Use::kVacant;
        const int shape = rng.Between(0, 99);
        m2 = shape < 15   ? rng.Between(40, 59)
             : shape < 60 ? rng.Between(75, 95)
             : shape < 95 ? rng.Between(100, 139)
                          : rng.Between(40, 139);
        h.family = h.use == Use::kOwn || rng.Chance(0.5);
        break;
      }
      case DoorKind::kVillageHouse:
        h.use = u < 10   ? Use::kOwn
                : u < 88 ? Use::kRental
                : u < 95 ? Use::kVacant
                         : Use::kDormitory;
        m2 = h.use == Use::kOwn         ? rng.Between(40, 89)
             : h.use == Use::kDormitory ? rng.Between(30, 119)
                                        : rng.Between(12, 29);
        h.family = h.use == Use::kOwn;
        if (h.use == Use::kRental)
          rental_rooms.push_back(static_cast<std::uint32_t>(houses_.size()));
        break;
      case DoorKind::kShop:
        h.use = u < 50 ? Use::kRental : u < 75 ? Use::kDormitory : Use::kVacant;
        m2 = h.use == Use::kDormitory ? rng.Between(30, 79) : rng.Between(20, 59);
        h.family = false;
        break;
    }
    h.area = static_cast<std::uint32_t>(m2 * 100 + rng.Between(0, 99));
    houses_.push_back(h);
  }
  // Grossly overcrowded rental rooms (群租): 10–30 people in 15–25 m².
  size_t planted =
      static_cast<size_t>(std::llround(0.004 * static_cast<double>(rental_rooms.size())));
  if (planted == 0 && !rental_rooms.empty() && options_.people >= 100) planted = 1;
  rng.Shuffle(rental_rooms);
  for (size_t i = 0; i < planted && i < rental_rooms.size(); ++i) {
    House& h = houses_[rental_rooms[i]];
    h.overcrowded = true;
    h.area = static_cast<std::uint32_t>(rng.Between(15, 24) * 100 + rng.Between(0, 99));
    h.occupants = static_cast<std::uint16_t>(rng.Between(10, 30));
  }
  counts_.houses = houses_.size();
}

// How many live in each house: families in own flats, tenants in rental rooms (never below 6 m²
// each, so that only the planted rooms are overcrowded), then scaled to `people` exactly.
void Generator::PlanOccupancy() {
  Rng rng(Seed(), 4);
  const auto cap_of = [](const House& h) {
    return static_cast<int>(std::max<std::uint32_t>(1, h.area / 600));
  };
  std::int64_t fixed = 0;
  for (const House& h : houses_)
    fixed += h.overcrowded ? h.occupants : 0;
  if (fixed * 2 > static_cast<std::int64_t>(options_.people)) {  // too few people to plant
    for (House& h : houses_)
      h.overcrowded = false;
    fixed = 0;
  }
  std::vector<std::uint32_t> flexible;
  std::int64_t wanted = 0;
  for (size_t i = 0; i < houses_.size(); ++i) {
    House& h = houses_[i];
    if (h.overcrowded) continue;
    int n = 0;
    if (h.use == Use::kVacant) {
      n = 0;
    } else if (h.use == Use::kDormitory) {
      n = rng.Between(std::max(1, cap_of(h) * 3 / 4), cap_of(h));
    } else if (h.family) {
      static constexpr int kFamilySizes[] = {1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 6};
      n = rng.Pick(kFamilySizes);
    } else {
      static constexpr int kTenants[] = {1, 1, 1, 2, 2, 2, 3};
      n = rng.Pick(kTenants);
    }
    n = std::min(n, std::max(cap_of(h), h.use == Use::kVacant ? 0 : 1));
    h.occupants = static_cast<std::uint16_t>(n);
    if (n > 0) {
      flexible.push_back(static_cast<std::uint32_t>(i));
      wanted += n;
    }
  }
  if (flexible.empty()) {
    for (size_t i = 0; i < houses_.size(); ++i) {
      if (!houses_[i].overcrowded) flexible.push_back(static_cast<std::uint32_t>(i));
    }
    if (flexible.empty()) flexible.push_back(0);
  }
  const std::int64_t target = static_cast<std::int64_t>(options_.people) - fixed;
  const bool at_least_one = target >= static_cast<std::int64_t>(flexible.size());
  const double factor =
      wanted > 0 ? static_cast<double>(target) / static_cast<double>(wanted) : 1.0;
  std::int64_t sum = 0;
  for (const std::uint32_t i : flexible) {
    House& h = houses_[i];
    const double x = h.occupants * factor;
    int n = static_cast<int>(x) + (rng.Unit() < x - std::floor(x) ? 1 : 0);
    n = std::clamp(n, at_least_one ? 1 : 0, std::max(cap_of(h), 1));
    h.occupants = static_cast<std::uint16_t>(n);
    sum += n;
  }
  // The remainder, one person at a time over the houses in random order; caps give way only
  // when nothing else is left.
  rng.Shuffle(flexible);
  bool capped = true;
  while (sum != target) {
    bool changed = false;
    for (const std::uint32_t i : flexible) {
      if (sum == target) break;
      House& h = houses_[i];
      if (sum < target && (!capped || h.occupants < cap_of(h)) && h.occupants < 60000) {
        ++h.occupants;
        ++sum;
        changed = true;
      } else if (sum > target && h.occupants > (at_least_one ? 1 : 0)) {
        --h.occupants;
        --sum;
        changed = true;
      }
    }
    if (!changed) {
      if (!capped && !at_least_one) break;
      capped = false;
    }
  }
}

}  // namespace zhizhi::app::feeds

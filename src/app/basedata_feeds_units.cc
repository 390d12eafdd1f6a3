// The units of the base-data feeds' district (basedata_feeds_model.h): enterprises and
// individual businesses with their trade names, USCCs, legal persons, phones and addresses, a few
// at an address that is not a standard one.
#include "app/basedata_feeds_model.h"

#include <iterator>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/uscc.h"

namespace zhizhi::app::feeds {

void Generator::BuildUnits() {
  Rng rng(Seed(), 8);
  units_.resize(options_.units);
  std::unordered_set<std::string> names;
  names.reserve(options_.units * 2);
  usccs_.reserve(options_.units * 2 + options_.corps.size());
  for (const RegistryCorp& corp : options_.corps)
    usccs_.insert(corp.uscc);  // the registry's corps hold theirs already
  std::vector<std::uint64_t> industry_weights, door_weights;
  for (const Industry& i : kIndustries)
    industry_weights.push_back(static_cast<std::uint64_t>(i.weight));
  const WeightedIndex industries(industry_weights);
  // Doors for units at a door plate: shop fronts and village houses (workshops) first.
  for (const Door& d : doors_)
    door_weights.push_back(d.kind == DoorKind::kShop           ? 6
                           : d.kind == DoorKind::kVillageHouse ? 2
                                                               : 1);
  const WeightedIndex pick_door(door_weights);
  std::vector<std::uint32_t> shop_rooms;
  for (size_t i = 0; i < rooms_.size(); ++i) {
    if (doors_[rooms_[i].door].kind == DoorKind::kShop)
      shop_rooms.push_back(static_cast<std::uint32_t>(i));
  }
  std::vector<std::uint64_t> status_weights(std::begin(kUnitStatusWeight),
                                            std::end(kUnitStatusWeight));
  const WeightedIndex statuses(status_weights);
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

  for (Unit& u : units_) {
    u.industry = static_cast<std::uint8_t>(industries(rng));
    const Industry& ind = kIndustries[u.industry];
    u.prefix = static_cast<std::uint8_t>(ind.individual ? rng.Below(std::size(kShopPrefixes))
                                                        : rng.Below(std::size(kCompanyPrefixes)));
    for (int attempt = 0;; ++attempt) {
      if (ind.individual && rng.Chance(0.3) && !people_.empty()) {
        u.brand = FullName(people_[rng.Below(people_.size())]);
      } else {
        u.brand = std::string(rng.Pick(kBrandChars)) + rng.Pick(kBrandChars);
        if (attempt > 4 || rng.Chance(0.05)) u.brand += rng.Pick(kBrandChars);
      }
      if (names.insert(u.brand + ind.line).second) break;
    }
    // USCC: 9 (市场监管) + 1 company / 2 individual, the registering authority's region, then
    // the organisation code (MA… for codes issued since 2015).
    for (;;) {
      std::string first17 = ind.individual ? "92" : "91";
      const int r = rng.Between(0, 99);
      first17 += r < 60 ? "330114" : r < 75 ? "330100" : r < 88 ? "330104" : "330109";
      if (rng.Chance(0.8)) {
        first17 += "MA";
        for (int k = 0; k < 7; ++k)
          first17 += kAlphabet[rng.Below(kAlphabet.size())];
      } else {
        for (int k = 0; k < 9; ++k)
          first17 += static_cast<char>('0' + rng.Below(10));
      }
      std::string uscc = MakeUscc(first17);
      if (usccs_.insert(uscc).second) {
        u.uscc = std::move(uscc);
        break;
      }
    }
    u.legal_person =
        rng.Chance(0.6) && !people_.empty()
            ? FullName(people_[rng.Below(people_.size())])
            : std::string(kSurnames[surnames_(rng)].text) + GivenName(rng, rng.Chance(0.7));
    const int p = rng.Between(0, 99);
    if (p < 75) {
      u.phone = std::to_string(NewPhone(rng));
    } else if (p < 95) {
      u.phone = "0571-8" + std::to_string(1000000 + rng.Below(9000000));
    }
    u.status = static_cast<std::uint8_t>(statuses(rng));
    // Where: a door plate or a room (offices, flats companies are registered at).
    if (rng.Chance(0.4) || rooms_.empty()) {
      u.location = {static_cast<std::uint32_t>(pick_door(rng)), kNone};
    } else {
      const std::uint32_t room = !shop_rooms.empty() && rng.Chance(0.3)
                                     ? rng.Pick(shop_rooms)
                                     : static_cast<std::uint32_t>(rng.Below(rooms_.size()));
      u.location = {rooms_[room].door, room};
    }
    if (rng.Chance(rates_.not_standard)) {
      // A number the road does not have, or a place described by its crossing.
      u.not_standard = true;
      const Door& d = doors_[u.location.door];
      const Town& town = TownOf(d);
      std::string text = town.name;
      // The other road of a crossing is a named one: 与11号大街 would read as door number 11.
      const std::uint16_t other = rng.Pick(town.roads);
      if (rng.Chance(0.25) && other != d.road && !roads_[other].name.ends_with("号大街")) {
        text += roads_[d.road].name + "与" + roads_[other].name + "交叉口" +
                rng.Pick({"东北侧", "西北侧", "东南侧", "西南侧"});
      } else {
        // Above every number the road has: never a door of the base.
        const std::uint32_t number =
            roads_[d.road].last_number + static_cast<std::uint32_t>(rng.Between(2, 400));
        text += roads_[d.road].name + std::to_string(number) + "号";
        if (rng.Chance(0.3))
          text += std::to_string(rng.Between(1, 9)) + "幢" +
                  std::to_string(rng.Between(1, 12) * 100 + rng.Between(1, 8)) + "室";
      }
      u.odd_address = std::move(text);
    }
  }
  counts_.units = units_.size();
}

}  // namespace zhizhi::app::feeds

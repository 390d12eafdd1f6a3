// The people of the base-data feeds' district (basedata_feeds_model.h): identities (ID numbers,
// names, phones), families and tenants in the houses, the planted twins and namesakes, and the
// owners of houses.
#include "app/basedata_feeds_model.h"

#include <algorithm>
#include <string>
#include <vector>

namespace zhizhi::app::feeds {

int Generator::BirthYmd(Rng& rng, int age_lo, int age_hi) {
  const std::int64_t days = kAsOf.DaysSinceEpoch() - rng.Between(age_lo * 365, age_hi * 365 + 364);
  const Date d = Date::FromDays(days);
  return d.year * 10000 + d.month * 100 + d.day;
}

// origin: 0 local (this street's county by birth year), 1 Hangzhou, 2 Zhejiang, 3 migrant.
std::uint32_t Generator::PickRegion(Rng& rng, int origin, int birth_year, const Town& town) {
  switch (origin) {
    case 0:
      if (birth_year >= 2021) return 330114;        // 钱塘区
      if (town.former_jianggan) return 330104;      // 江干区
      return birth_year >= 2001 ? 330109 : 330181;  // 萧山区, 萧山市
    case 1:
      return rng.Pick(hangzhou_counties_);
    case 2:
      return rng.Pick(zhejiang_counties_);
    default:
      return rng.Pick(migrant_counties_[migrant_provinces_(rng)]);
  }
}

std::uint64_t Generator::NewId17(Rng& rng, std::uint32_t region, int ymd, bool male) {
  const std::uint64_t base = static_cast<std::uint64_t>(region) * 100'000'000'000ull +
                             static_cast<std::uint64_t>(ymd) * 1000;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::uint64_t id = base + rng.Below(500) * 2 + (male ? 1 : 0);
    if (ids_.insert(id).second) return id;
  }
  for (std::uint64_t seq = male ? 1 : 0; seq < 1000; seq += 2) {
    if (ids_.insert(base + seq).second) return base + seq;
  }
  // Every sequence number of the day is taken: the day before.
  const Date before = Date{ymd / 10000, ymd / 100 % 100, ymd % 100}.AddDays(-1);
  return NewId17(rng, region, before.year * 10000 + before.month * 100 + before.day, male);
}

std::string Generator::GivenName(Rng& rng, bool male) {
  if (rng.Chance(0.2)) {
    return male ? kMaleNames[male_names_(rng)].text : kFemaleNames[female_names_(rng)].text;
  }
  if (rng.Chance(0.12)) return male ? rng.Pick(kMaleSecond) : rng.Pick(kFemaleSecond);
  return male ? std::string(rng.Pick(kMaleFirst)) + rng.Pick(kMaleSecond)
              : std::string(rng.Pick(kFemaleFirst)) + rng.Pick(kFemaleSecond);
}

std::uint64_t Generator::NewPhone(Rng& rng) {
  return std::stoull(rng.Pick(kPhonePrefixes)) * 100'000'000ull + rng.Below(100'000'000);
}

std::uint32_t Generator::AddPerson(Rng& rng, std::uint32_t house, Role role, std::uint8_t surname,
                                   bool male, int ymd, std::uint32_t region, double phone_share) {
  Person p;
  p.id17 = NewId17(rng, region, ymd, male);
  p.phone = rng.Chance(phone_share) ? NewPhone(rng) : 0;
  p.given = GivenName(rng, male);
  p.house = house;
  p.surname = surname;
  p.role = role;
  people_.push_back(std::move(p));
  return static_cast<std::uint32_t>(people_.size() - 1);
}

void Generator::BuildPeople() {
  Rng rng(Seed(), 5);
  people_.reserve(options_.people);
  ids_.reserve(options_.people * 2 + options_.houses / 2 + options_.workers.size());
  // The registry's workers hold their numbers already.
  for (const RegistryWorker& w : options_.workers) {
    std::uint64_t id17 = 0;
    bool digits = w.id_number.size() == 18;
    for (size_t k = 0; digits && k < 17; ++k) {
      digits = w.id_number[k] >= '0' && w.id_number[k] <= '9';
      id17 = id17 * 10 + static_cast<std::uint64_t>(w.id_number[k] - '0');
    }
    if (digits) ids_.insert(id17);
  }
  auto surname = [&] { return static_cast<std::uint8_t>(surnames_(rng)); };
  for (size_t hi = 0; hi < houses_.size(); ++hi) {
    const House& h = houses_[hi];
    const int n = h.occupants;
    if (n == 0) continue;
    const auto house = static_cast<std::uint32_t>(hi);
    const Door& door = doors_[rooms_[h.room].door];
    const Town& town = TownOf(door);
    if (h.family) {
      // Origin of the family: villagers are local; flat owners a mix; tenants migrants.
      const int u = rng.Between(0, 99);
      const int origin = door.kind == DoorKind::kVillageHouse ? (u < 92 ? 0 : 2)
                         : h.use == Use::kOwn                 ? (u < 25   ? 0
                                                                 : u < 40 ? 1
                                                                 : u < 60 ? 2
                                                                          : 3)
                                                              : (u < 85 ? 3 : 2);
      const bool head_male = rng.Chance(0.8);
      const int head_age = rng.Between(28, 62);
      const int head_ymd = BirthYmd(rng, head_age, head_age);
      const std::uint32_t region = PickRegion(rng, origin, head_ymd / 10000, town);
      const std::uint8_t head_surname = surname();
      const std::uint32_t head =
          AddPerson(rng, house, Role::kFamily, head_surname, head_male, head_ymd, region, 0.95);
      std::uint8_t family_surname = head_surname;
      int members = 1;
      if (n >= 3 || (n == 2 && rng.Chance(0.8))) {
        const int age = std::max(20, head_age + rng.Between(-4, 4));
        const std::uint8_t s = surname();
        if (!head_male) family_surname = s;
        AddPerson(rng, house, Role::kFamily, s, !head_male, BirthYmd(rng, age, age),
                  rng.Chance(0.7) ? region : PickRegion(rng, origin, 1990, town), 0.9);
        ++members;
      }
      std::uint32_t previous_child = kNone;
      for (; members < n; ++members) {
        if (members >= 4 && rng.Chance(0.4)) {  // the head's parent
          const int age = std::min(95, head_age + rng.Between(22, 32));
          AddPerson(rng, house, Role::kFamily, head_surname, rng.Chance(0.4),
                    BirthYmd(rng, age, age), region, 0.6);
          continue;
        }
        const int age = rng.Between(0, std::min(head_age - 22, 30));
        const int ymd = BirthYmd(rng, age, age);
        const std::uint32_t child_region =
            origin <= 1 || rng.Chance(0.15) ? PickRegion(rng, 0, ymd / 10000, town) : region;
        const double phone = age >= 16 ? 0.85 : 0.0;
        const std::uint32_t child = AddPerson(rng, house, Role::kFamily, family_surname,
                                              rng.Chance(0.52), ymd, child_region, phone);
        if (age < 16 && rng.Chance(0.4)) people_[child].phone = people_[head].phone;
        if (previous_child != kNone) siblings_.emplace_back(previous_child, child);
        previous_child = child;
      }
    } else {
      // Unrelated tenants, often from the same county as each other.
      const double male_share = h.use == Use::kDormitory || h.overcrowded ? 0.75 : 0.58;
      std::uint32_t first_region = 0;
      for (int k = 0; k < n; ++k) {
        const int age = rng.Between(18, 55);
        const int ymd = BirthYmd(rng, age, age);
        const std::uint32_t region =
            k > 0 && rng.Chance(0.4) ? first_region
                                     : PickRegion(rng, rng.Chance(0.85) ? 3 : 2, ymd / 10000, town);
        if (k == 0) first_region = region;
        AddPerson(rng, house, Role::kTenant, surname(), rng.Chance(male_share), ymd, region, 0.92);
      }
    }
  }
  counts_.persons = people_.size();
}

// Twins: a family's two children born the same day, the same surname and place of birth, the
// sequence numbers next to each other, different given names (often sharing a character).
void Generator::PlantTwins() {
  Rng rng(Seed(), 6);
  size_t wanted = static_cast<size_t>(std::llround(0.0015 * static_cast<double>(people_.size())));
  if (wanted == 0 && !siblings_.empty()) wanted = 1;
  rng.Shuffle(siblings_);
  std::vector<std::uint8_t> used(people_.size(), 0);
  for (const auto& [a, b] : siblings_) {
    if (twins_.size() >= wanted) break;
    if (used[a] || used[b]) continue;
    Person& first = people_[a];
    Person& second = people_[b];
    const bool male = rng.Chance(0.5);
    const std::uint64_t base = first.id17 - first.id17 % 1000;
    const std::uint64_t seq = first.id17 % 1000;
    std::uint64_t id = 0;
    for (std::uint64_t s = seq + 1; s < 1000 && id == 0; ++s) {
      if (s % 2 == (male ? 1u : 0u) && !ids_.count(base + s)) id = base + s;
    }
    if (id == 0) continue;
    ids_.erase(second.id17);
    ids_.insert(id);
    second.id17 = id;
    std::string given;
    do {
      given =
          first.given.size() == 6 && rng.Chance(0.5)
              ? first.given.substr(0, 3) + (male ? rng.Pick(kMaleSecond) : rng.Pick(kFemaleSecond))
              : GivenName(rng, male);
    } while (given == first.given);
    second.given = std::move(given);
    used[a] = used[b] = 1;
    twins_.emplace_back(a, b);
  }
  counts_.twin_pairs = twins_.size();
}

// Namesakes: two tenants in different houses with the same name and birth date, and different
// ID numbers (different places of birth or sequence numbers).
void Generator::PlantNamesakes() {
  Rng rng(Seed(), 7);
  std::vector<std::uint32_t> tenants;
  for (size_t i = 0; i < people_.size(); ++i) {
    if (people_[i].role == Role::kTenant) tenants.push_back(static_cast<std::uint32_t>(i));
  }
  if (tenants.size() < 2) return;
  size_t wanted = static_cast<size_t>(std::llround(0.001 * static_cast<double>(people_.size())));
  wanted = std::max<size_t>(wanted, 1);
  rng.Shuffle(tenants);
  for (size_t i = 0; i + 1 < tenants.size() && namesakes_.size() < wanted; i += 2) {
    const Person& a = people_[tenants[i]];
    Person& b = people_[tenants[i + 1]];
    if (a.house == b.house) continue;
    ids_.erase(b.id17);
    const std::uint32_t region = static_cast<std::uint32_t>(b.id17 / 100'000'000'000ull);
    b.id17 = NewId17(rng, region, a.ymd(), a.male());
    b.surname = a.surname;
    b.given = a.given;
    namesakes_.emplace_back(tenants[i], tenants[i + 1]);
  }
  counts_.namesake_pairs = namesakes_.size();
}

// Owners: the family head of an own house; the landlord of a village rental room is the head of
// an own room at the same door when there is one; dormitories often belong to units.
void Generator::AssignOwners() {
  Rng rng(Seed(), 9);
  // The head (first person) of every own house, by house; and per door its own house.
  std::vector<std::uint32_t> head_of(houses_.size(), kNone);
  for (size_t i = 0; i < people_.size(); ++i) {
    std::uint32_t& head = head_of[people_[i].house];
    if (head == kNone) head = static_cast<std::uint32_t>(i);
  }
  std::vector<std::uint32_t> own_at_door(doors_.size(), kNone);
  std::vector<std::uint32_t> own_houses;
  for (size_t i = 0; i < houses_.size(); ++i) {
    const House& h = houses_[i];
    if (h.use != Use::kOwn || head_of[i] == kNone) continue;
    own_at_door[rooms_[h.room].door] = static_cast<std::uint32_t>(i);
    own_houses.push_back(static_cast<std::uint32_t>(i));
  }
  auto outsider = [&] {
    Person p;
    const int age = rng.Between(35, 75);
    const int ymd = BirthYmd(rng, age, age);
    const bool male = rng.Chance(0.6);
    const int origin = rng.Between(0, 2);
    p.id17 = NewId17(rng,
                     origin == 0   ? (rng.Chance(0.5) ? 330104u : 330181u)
                     : origin == 1 ? rng.Pick(hangzhou_counties_)
                                   : rng.Pick(zhejiang_counties_),
                     ymd, male);
    p.surname = static_cast<std::uint8_t>(surnames_(rng));
    p.given = GivenName(rng, male);
    p.phone = rng.Chance(0.85) ? NewPhone(rng) : 0;
    outsiders_.push_back(std::move(p));
    return static_cast<std::uint32_t>(outsiders_.size() - 1);
  };
  for (size_t i = 0; i < houses_.size(); ++i) {
    House& h = houses_[i];
    const std::uint32_t door = rooms_[h.room].door;
    if (h.use == Use::kOwn && head_of[i] != kNone) {
      h.owner_kind = OwnerKind::kPerson;
      h.owner = head_of[i];
    } else if (h.use == Use::kDormitory && !units_.empty() && rng.Chance(0.7)) {
      h.owner_kind = OwnerKind::kUnit;
      h.owner = static_cast<std::uint32_t>(rng.Below(units_.size()));
    } else if (doors_[door].kind == DoorKind::kVillageHouse && own_at_door[door] != kNone) {
      h.owner_kind = OwnerKind::kPerson;
      h.owner = head_of[own_at_door[door]];
    } else if (!own_houses.empty() && rng.Chance(0.45)) {  // a resident's second flat
      h.owner_kind = OwnerKind::kPerson;
      h.owner = head_of[rng.Pick(own_houses)];
    } else {
      h.owner_kind = OwnerKind::kOutsider;
      h.owner = outsider();
    }
  }
}

}  // namespace zhizhi::app::feeds

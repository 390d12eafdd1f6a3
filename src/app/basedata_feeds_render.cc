// The model's things as the sources of the base-data feeds write them (basedata_feeds_model.h):
// canonical addresses, and noisy ones as clerks and residents write them; ID numbers, unit names,
// phones and owners, with the typos of the partial sources.
#include "app/basedata_feeds_model.h"

#include <algorithm>
#include <string>

#include "app/basedata_feeds_text.h"
#include "base/resident_id.h"

namespace zhizhi::app::feeds {

void Generator::AppendDoorPlate(std::string& out, const Door& d) const {
  out += roads_[d.road].name;
  AppendUint(out, d.number);
  out += "号";
}

void Generator::AppendRoomDetail(std::string& out, const Room& r) const {
  if (r.building > 0) {
    AppendUint(out, r.building);
    out += "幢";
  }
  if (r.unit > 0) {
    AppendUint(out, r.unit);
    out += "单元";
  }
  AppendUint(out, r.number);
  out += "室";
}

void Generator::AppendCanonical(std::string& out, Location at, bool with_community) const {
  const Door& d = doors_[at.door];
  const Community& c = communities_[d.community];
  out += "浙江省杭州市钱塘区";
  out += towns_[c.town].name;
  if (with_community) out += c.name;
  AppendDoorPlate(out, d);
  if (at.room != kNone) AppendRoomDetail(out, rooms_[at.room]);
}

// An address as clerks and residents write it: old division names (江干区, 萧山区, 大江东),
// no province or city, the street without 街道, no community, 栋/#/号楼 for 幢, 3-2-501, Chinese
// numerals, now and then a road typed with a homophone.
void Generator::AppendNoisy(std::string& out, Location at, Rng& rng) const {
  const Door& d = doors_[at.door];
  const Community& c = communities_[d.community];
  const Town& town = towns_[c.town];
  const int form = rng.Between(0, 99);
  if (form < 10) {
    out += "浙江省杭州市钱塘区";
  } else if (form < 28) {
    out += "杭州市钱塘区";
  } else if (form < 43) {
    out += "钱塘区";
  } else if (form < 48) {
    out += "杭州钱塘";
  } else if (form < 58) {
    // the street first
  } else if (town.former_jianggan) {
    out += form < 80 ? "杭州市江干区" : form < 90 ? "江干区" : "浙江省杭州市江干区";
  } else {
    out += form < 72 ? "杭州市萧山区" : form < 82 ? "萧山区" : form < 92 ? "大江东" : "杭州大江东";
  }
  out += rng.Chance(0.8) ? town.name : town.short_name;
  if (rng.Chance(0.7)) out += c.name;
  if (rng.Chance(0.04)) out.push_back(' ');
  std::string road = roads_[d.road].name;
  if (options_.hard && rng.Chance(0.05)) HomophoneTypo(road, rng);
  out += road;
  if (rng.Chance(0.03)) {
    out += ChineseNumber(static_cast<int>(std::min<std::uint32_t>(d.number, 9999)));
  } else {
    AppendUint(out, d.number);
  }
  out += "号";
  if (at.room == kNone) return;
  const Room& r = rooms_[at.room];
  if (r.building > 0 && r.unit > 0 && rng.Chance(0.15)) {  // 3-2-501
    AppendUint(out, r.building);
    out.push_back('-');
    AppendUint(out, r.unit);
    out.push_back('-');
    AppendUint(out, r.number);
    if (rng.Chance(0.3)) out += "室";
    return;
  }
  if (r.building > 0) {
    const int b = rng.Between(0, 99);
    if (b < 8) {
      out += ChineseNumber(r.building);
      out += "幢";
    } else {
      AppendUint(out, r.building);
      out += b < 45 ? "幢" : b < 70 ? "栋" : b < 85 ? "号楼" : "#";
    }
  }
  if (r.unit > 0) {
    if (rng.Chance(0.15)) {
      out += ChineseNumber(r.unit);
    } else {
      AppendUint(out, r.unit);
    }
    out += "单元";
  }
  const int f = rng.Between(0, 99);
  if (f < 10) {
    out += ChineseDigitsOf(r.number);
    out += "室";
  } else {
    AppendUint(out, r.number);
    if (f < 80) out += "室";
  }
}

std::string Generator::IdNumber(std::uint64_t id17) const {
  std::string id = std::to_string(id17);
  id.push_back(ResidentIdNumber::CheckCharacter(id));
  return id;
}

std::string Generator::UnitName(const Unit& u) const {
  const Industry& ind = kIndustries[u.industry];
  const char* prefix = ind.individual ? kShopPrefixes[u.prefix] : kCompanyPrefixes[u.prefix];
  return std::string(prefix) + u.brand + ind.line + ind.suffix;
}

// Names as grid workers write them: without 杭州 or 有限公司, 科技(杭州)有限公司, full-width
// brackets.
std::string Generator::GridUnitName(const Unit& u, Rng& rng) const {
  const Industry& ind = kIndustries[u.industry];
  std::string brand = u.brand;
  if (rng.Chance(rates_.name_typo)) HomophoneTypo(brand, rng);
  if (ind.individual) {
    if (rng.Chance(0.4)) return brand + ind.line + ind.suffix;
    return std::string(kShopPrefixes[u.prefix]) + brand + ind.line + ind.suffix;
  }
  const std::string prefix = kCompanyPrefixes[u.prefix];
  const int v = rng.Between(0, 99);
  if (v < 50) return prefix + brand + ind.line + ind.suffix;
  if (v < 62) return (prefix == "杭州钱塘" ? "钱塘" : "") + brand + ind.line + ind.suffix;
  if (v < 74) return prefix + brand + ind.line;
  const std::string place = prefix == "杭州钱塘" ? (rng.Chance(0.5) ? "钱塘" : "杭州")
                            : prefix == "浙江"   ? "浙江"
                                                 : "杭州";
  if (v < 88) return brand + ind.line + "(" + place + ")" + ind.suffix;
  return brand + ind.line + "（" + place + "）" + ind.suffix;
}

std::string Generator::NoisyId(const std::string& id, Rng& rng) const {
  std::string out = id;
  if (rng.Chance(rates_.id_typo)) {  // one digit off: the check character no longer fits
    const size_t at = rng.Below(17);
    const int digit = out[at] - '0';
    out[at] = static_cast<char>('0' + (digit + rng.Between(1, 9)) % 10);
  }
  if (out.back() == 'X' && rng.Chance(0.3)) out.back() = 'x';
  return out;
}

std::string Generator::NoisyPhone(std::uint64_t phone, Rng& rng) const {
  std::string out = std::to_string(phone);
  if (rng.Chance(rates_.phone_typo)) {
    const size_t at = 3 + rng.Below(8);
    out[at] = static_cast<char>('0' + (out[at] - '0' + rng.Between(1, 9)) % 10);
  }
  return out;
}

std::string Generator::OwnerName(const House& h) const {
  switch (h.owner_kind) {
    case OwnerKind::kPerson:
      return FullName(people_[h.owner]);
    case OwnerKind::kOutsider:
      return FullName(outsiders_[h.owner]);
    case OwnerKind::kUnit:
      return UnitName(units_[h.owner]);
  }
  return "";
}

std::string Generator::OwnerId(const House& h) const {
  switch (h.owner_kind) {
    case OwnerKind::kPerson:
      return IdNumber(people_[h.owner].id17);
    case OwnerKind::kOutsider:
      return IdNumber(outsiders_[h.owner].id17);
    case OwnerKind::kUnit:
      return units_[h.owner].uscc;
  }
  return "";
}

std::uint64_t Generator::OwnerPhone(const House& h) const {
  switch (h.owner_kind) {
    case OwnerKind::kPerson:
      return people_[h.owner].phone;
    case OwnerKind::kOutsider:
      return outsiders_[h.owner].phone;
    case OwnerKind::kUnit:
      return 0;
  }
  return 0;
}

// A person's address in a partial source: where they live, or (moved) a house they left; in a
// noisy form now and then.
void Generator::AppendPersonAddress(std::string& out, std::uint32_t house, Rng& rng) {
  if (rng.Chance(PersonMoved()) && houses_.size() > 1) {
    std::uint32_t other = house;
    while (other == house)
      other = static_cast<std::uint32_t>(rng.Below(houses_.size()));
    house = other;
  }
  if (rng.Chance(rates_.address_noisy)) {
    AppendNoisy(out, HouseLocation(house), rng);
  } else {
    AppendCanonical(out, HouseLocation(house));
  }
}

}  // namespace zhizhi::app::feeds

// The base-data feeds' files and their truth, written from the model (basedata_feeds_model.h)
// in Run's order, and the entry point.
#include "app/basedata_feeds.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "app/basedata_feeds_model.h"
#include "app/basedata_feeds_text.h"
#include "base/civil_time.h"
#include "base/csv.h"
#include "base/text.h"

namespace zhizhi::app {

namespace feeds {

namespace fs = std::filesystem;

namespace {

void AppendTruth(FeedFile& truth, std::string_view source, std::string_view id, char kind,
                 size_t entity) {
  std::string& t = truth.out();
  t += source;
  t.push_back(',');
  t += CsvField(id);
  t.push_back(',');
  AppendEntity(t, kind, entity);
  t.push_back('\n');
  truth.EndRow();
}

// Birth date as YYYYMMDD digits with two adjacent digits transposed or day and month swapped,
// keeping to real dates where it can.
int SwapBirthDigits(int ymd, Rng& rng) {
  const int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
  if (d <= 12 && d != m && rng.Chance(0.5)) return y * 10000 + d * 100 + m;
  std::string s = std::to_string(ymd);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const size_t at = rng.Below(7);
    if (s[at] == s[at + 1]) continue;
    std::string t = s;
    std::swap(t[at], t[at + 1]);
    const int v = std::stoi(t);
    if (Date::FromYmd(v / 10000, v / 100 % 100, v % 100) && v <= kAsOfYmd) return v;
  }
  return ymd;
}

}  // namespace

Rates RatesFor(bool hard) {
  if (!hard) {
    return {.name_typo = 0.03,
            .birth_swap = 0.02,
            .id_typo = 0.01,
            .phone_drop = 0.10,
            .phone_typo = 0.01,
            .address_noisy = 0.20,
            .moved = 0.05,
            .full_width = 0.01,
            .duplicate = 0.005,
            .grid_id_missing = 0.25,
            .grid_phone_drop = 0.18,
            .grid_birth_missing = 0.03,
            .grid_sex_missing = 0.0,
            .null_for_missing = 0.0,
            .rental_id_missing = 0.02,
            .uscc_missing = 0.30,
            .use_mismatch = 0.04,
            .not_standard = 0.03};
  }
  return {.name_typo = 0.06,
          .birth_swap = 0.04,
          .id_typo = 0.02,
          .phone_drop = 0.20,
          .phone_typo = 0.02,
          .address_noisy = 0.35,
          .moved = 0.10,
          .full_width = 0.02,
          .duplicate = 0.01,
          .grid_id_missing = 0.40,
          .grid_phone_drop = 0.35,
          .grid_birth_missing = 0.08,
          .grid_sex_missing = 0.03,
          .null_for_missing = 0.3,
          .rental_id_missing = 0.05,
          .uscc_missing = 0.45,
          .use_mismatch = 0.08,
          .not_standard = 0.05};
}

// ---------------------------------------------------------------------------------- writing

// Which entities a partial source holds (each with its own share), with planted second rows,
// in an order that says nothing about who is who.
std::vector<CopyRow> Generator::Sample(size_t entities, const std::vector<double>& share, Rng& rng,
                                       size_t* duplicates) const {
  std::vector<CopyRow> rows;
  rows.reserve(entities / 2);
  for (size_t i = 0; i < entities; ++i) {
    if (!rng.Chance(share.size() == 1 ? share[0] : share[i])) continue;
    rows.push_back({static_cast<std::uint32_t>(i), false});
    if (rng.Chance(rates_.duplicate)) {
      rows.push_back({static_cast<std::uint32_t>(i), true});
      ++*duplicates;
    }
  }
  rng.Shuffle(rows);
  return rows;
}

Status Generator::WriteAddresses(const fs::path& dir) {
  FeedFile f(dir / "addresses.csv", false);
  std::string& out = f.out();
  out += "code,kind,address,village,parent_code\n";
  std::string door_code;
  for (size_t i = 0; i < doors_.size(); ++i) {
    const Door& d = doors_[i];
    const Community& c = communities_[d.community];
    door_code = "A" + c.code;
    AppendUint(door_code, d.serial, 5);
    out += door_code;
    out += ",door,";
    AppendCanonical(out, {static_cast<std::uint32_t>(i), kNone});
    out.push_back(',');
    out += c.code;
    out += ",\n";
    f.EndRow();
    for (std::uint32_t k = 0; k < d.rooms; ++k) {
      out += door_code;
      out.push_back('-');
      AppendUint(out, k + 1, 4);
      out += ",household,";
      AppendCanonical(out, {static_cast<std::uint32_t>(i), d.first_room + k});
      out.push_back(',');
      out += c.code;
      out.push_back(',');
      out += door_code;
      out.push_back('\n');
      f.EndRow();
    }
  }
  return f.Close();
}

Status Generator::WriteHouses(const fs::path& dir, FeedFile& truth) {
  {
    FeedFile f(dir / "ps_housing.csv", false);
    std::string& out = f.out();
    out += "房屋编号,房屋地址,建筑面积,房屋用途,产权人姓名,产权人证件号码,产权人电话\n";
    std::string id;
    for (size_t i = 0; i < houses_.size(); ++i) {
      const House& h = houses_[i];
      id = "FW";
      AppendUint(id, i + 1, 10);
      out += id;
      out.push_back(',');
      AppendCanonical(out, HouseLocation(static_cast<std::uint32_t>(i)));
      out.push_back(',');
      AppendCenti(out, h.area);
      out.push_back(',');
      out += kUseNames[static_cast<int>(h.use)];
      out.push_back(',');
      out += CsvField(OwnerName(h));
      out.push_back(',');
      out += OwnerId(h);
      out.push_back(',');
      if (const std::uint64_t phone = OwnerPhone(h); phone != 0) AppendUint(out, phone);
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "ps_housing", id, 'H', i);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.ps_housing = f.rows();
  }
  Rng rng(Seed(), 20);
  const std::vector<CopyRow> rows =
      Sample(houses_.size(), {0.4}, rng, &counts_.duplicate_house_rows);
  FeedFile f(dir / "grid_houses.jsonl", false);
  std::string& out = f.out();
  std::string id, text;
  for (size_t r = 0; r < rows.size(); ++r) {
    const House& h = houses_[rows[r].entity];
    id = "G";
    AppendUint(id, r + 1, 9);
    out += "{\"fwbh\":\"";
    out += id;
    out += "\",\"dz\":";
    text.clear();
    if (rng.Chance(rates_.address_noisy)) {
      AppendNoisy(text, HouseLocation(rows[r].entity), rng);
    } else {
      AppendCanonical(text, HouseLocation(rows[r].entity));
    }
    if (rng.Chance(rates_.full_width)) text = FullWidthDigits(text);
    AppendJsonString(out, text);
    // Area: as registered, rounded, measured again, or not taken.
    out += ",\"mj\":";
    const int a = rng.Between(0, 99);
    text.clear();
    if (a < 60) {
      AppendCenti(text, h.area);
    } else if (a < 85) {
      AppendUint(text, (h.area + 50) / 100);
    } else if (a < 95) {
      AppendCenti(text, static_cast<std::uint32_t>(h.area * (0.92 + 0.16 * rng.Unit())));
    }
    AppendJsonString(out, text);
    out += ",\"yt\":";
    int use = static_cast<int>(h.use);
    if (rng.Chance(rates_.use_mismatch)) use = rng.Between(0, 3);  // as seen on the visit
    AppendJsonString(out, kGridUseNames[use]);
    out += ",\"fzxm\":";
    text = OwnerName(h);
    if (h.owner_kind != OwnerKind::kUnit && rng.Chance(rates_.name_typo)) HomophoneTypo(text, rng);
    AppendJsonString(out, text);
    out += ",\"fzdh\":";
    const std::uint64_t phone = OwnerPhone(h);
    AppendJsonString(out, phone != 0 && !rng.Chance(0.3) ? NoisyPhone(phone, rng) : "");
    out += "}\n";
    f.EndRow();
    AppendTruth(truth, "grid_houses", id, 'H', rows[r].entity);
  }
  ZZ_RETURN_IF_ERROR(f.Close());
  counts_.grid_houses = f.rows();
  return Status::Ok();
}

// The registry's workers as public security holds them: registered at their dormitory, the name
// with the sources' usual typos, sex and birth date as the ID number says, the phone they gave.
// Residence registration follows arrival by some days: 40 % of those who came in the last week are
// not in the export yet, and 0.1 % of the others never registered. Entities after the people's.
void Generator::AppendWorkers(FeedFile& f, FeedFile& truth) {
  Rng rng(Seed(), 24);
  std::string& out = f.out();
  std::string id, text;
  for (size_t k = 0; k < options_.workers.size(); ++k) {
    const RegistryWorker& w = options_.workers[k];
    const bool unregistered = rng.Chance(w.days_on_site < 7 ? 0.4 : 0.001);
    const bool typo = rng.Chance(rates_.name_typo);
    const bool phone = !w.phone.empty() && !rng.Chance(rates_.phone_drop);
    if (unregistered) {
      ++counts_.workers_unregistered;
      continue;
    }
    id = "RK";
    AppendUint(id, people_.size() + k + 1, 9);
    out += id;
    out.push_back(',');
    text = w.name;
    if (typo && !text.empty()) {  // in the given name: the surname is the first character
      const auto lead = static_cast<unsigned char>(text[0]);
      const size_t first = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
      if (first < text.size()) {
        std::string given = text.substr(first);
        if (HomophoneTypo(given, rng)) text = text.substr(0, first) + given;
      }
    }
    out += CsvField(text);
    out.push_back(',');
    out += CsvField(w.id_number);
    out.push_back(',');
    if (w.id_number.size() == 18) {
      out += (w.id_number[16] - '0') % 2 == 1 ? "1" : "2";
      out.push_back(',');
      out += w.id_number.substr(6, 8);
    } else {
      out.push_back(',');
    }
    out.push_back(',');
    if (phone) {
      const bool digits =
          w.phone.size() == 11 && w.phone.find_first_not_of("0123456789") == std::string::npos;
      out += digits ? NoisyPhone(std::stoull(w.phone), rng) : CsvField(w.phone);
    }
    out.push_back(',');
    out += CsvField(w.address);
    out.push_back('\n');
    f.EndRow();
    AppendTruth(truth, "ps_population", id, 'P', people_.size() + k);
    ++counts_.workers;
  }
}

Status Generator::WritePeople(const fs::path& dir, FeedFile& truth) {
  {
    FeedFile f(dir / "ps_population.csv", false);
    std::string& out = f.out();
    out += "人员编号,姓名,公民身份号码,性别,出生日期,联系电话,居住地址\n";
    std::string id;
    for (size_t i = 0; i < people_.size(); ++i) {
      const Person& p = people_[i];
      id = "RK";
      AppendUint(id, i + 1, 9);
      out += id;
      out.push_back(',');
      out += kSurnames[p.surname].text;
      out += p.given;
      out.push_back(',');
      out += IdNumber(p.id17);
      out += p.male() ? ",1," : ",2,";
      AppendUint(out, static_cast<std::uint64_t>(p.ymd()));
      out.push_back(',');
      if (p.phone != 0) AppendUint(out, p.phone);
      out.push_back(',');
      AppendCanonical(out, HouseLocation(p.house));
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "ps_population", id, 'P', i);
    }
    AppendWorkers(f, truth);
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.ps_population = f.rows();
  }
  const auto missing = [&](std::string& out, Rng& rng) {
    out += rng.Chance(rates_.null_for_missing) ? "null" : "\"\"";
  };
  {
    // Grid collection: families more often than tenants.
    Rng rng(Seed(), 21);
    std::vector<double> share(people_.size());
    for (size_t i = 0; i < people_.size(); ++i) {
      share[i] = people_[i].role == Role::kFamily ? 0.52 : 0.40;
    }
    const std::vector<CopyRow> rows =
        Sample(people_.size(), share, rng, &counts_.duplicate_person_rows);
    FeedFile f(dir / "grid_people.jsonl", false);
    std::string& out = f.out();
    std::string id, text;
    for (size_t r = 0; r < rows.size(); ++r) {
      const Person& p = people_[rows[r].entity];
      const int wide = rng.Chance(rates_.full_width) ? rng.Between(0, 2) : -1;
      id = "GR";
      AppendUint(id, r + 1, 9);
      out += "{\"rybh\":\"";
      out += id;
      out += "\",\"xm\":";
      text = p.given;
      if (rng.Chance(rates_.name_typo)) HomophoneTypo(text, rng);
      AppendJsonString(out, kSurnames[p.surname].text + text);
      out += ",\"sfzh\":";
      if (rng.Chance(rates_.grid_id_missing)) {
        missing(out, rng);
      } else {
        text = NoisyId(IdNumber(p.id17), rng);
        AppendJsonString(out, wide == 0 ? FullWidthDigits(text) : text);
      }
      out += ",\"xb\":";
      if (rng.Chance(rates_.grid_sex_missing)) {
        missing(out, rng);
      } else {
        out += p.male() ? "\"男\"" : "\"女\"";
      }
      out += ",\"csrq\":";
      if (rng.Chance(rates_.grid_birth_missing)) {
        missing(out, rng);
      } else {
        const int ymd = rng.Chance(rates_.birth_swap) ? SwapBirthDigits(p.ymd(), rng) : p.ymd();
        text.clear();
        AppendUint(text, static_cast<std::uint64_t>(ymd / 10000), 4);
        text.push_back('-');
        AppendUint(text, static_cast<std::uint64_t>(ymd / 100 % 100), 2);
        text.push_back('-');
        AppendUint(text, static_cast<std::uint64_t>(ymd % 100), 2);
        AppendJsonString(out, text);
      }
      out += ",\"sjhm\":";
      if (p.phone == 0 || rng.Chance(rates_.grid_phone_drop)) {
        missing(out, rng);
      } else {
        text = NoisyPhone(p.phone, rng);
        AppendJsonString(out, wide == 1 ? FullWidthDigits(text) : text);
      }
      out += ",\"dz\":";
      text.clear();
      AppendPersonAddress(text, p.house, rng);
      AppendJsonString(out, wide == 2 ? FullWidthDigits(text) : text);
      out += "}\n";
      f.EndRow();
      AppendTruth(truth, "grid_people", id, 'P', rows[r].entity);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.grid_people = f.rows();
  }
  {
    // Landlords report the tenants of rental houses (most landlords, most tenants).
    Rng rng(Seed(), 22);
    std::vector<double> reported(houses_.size());
    for (size_t i = 0; i < houses_.size(); ++i) {
      reported[i] = houses_[i].use == Use::kRental && rng.Chance(0.85) ? 0.9 : 0.0;
    }
    std::vector<double> share(people_.size());
    for (size_t i = 0; i < people_.size(); ++i)
      share[i] = reported[people_[i].house];
    const std::vector<CopyRow> rows =
        Sample(people_.size(), share, rng, &counts_.duplicate_person_rows);
    FeedFile f(dir / "rental_tenants.csv", true);
    std::string& out = f.out();
    out += "登记编号,租客姓名,证件号码,手机,租住地址,登记日期\n";
    std::string id, text;
    const std::int64_t first_day = Date{2019, 1, 1}.DaysSinceEpoch();
    const std::int64_t days = kAsOf.DaysSinceEpoch() - first_day;
    for (size_t r = 0; r < rows.size(); ++r) {
      const Person& p = people_[rows[r].entity];
      const int wide = rng.Chance(rates_.full_width) ? rng.Between(0, 2) : -1;
      id = "ZL";
      AppendUint(id, r + 1, 9);
      out += id;
      out.push_back(',');
      text = p.given;
      if (rng.Chance(rates_.name_typo)) HomophoneTypo(text, rng);
      out += kSurnames[p.surname].text;
      out += text;
      out.push_back(',');
      if (!rng.Chance(rates_.rental_id_missing)) {
        text = NoisyId(IdNumber(p.id17), rng);
        out += wide == 0 ? FullWidthDigits(text) : text;
      }
      out.push_back(',');
      if (p.phone != 0 && !rng.Chance(rates_.phone_drop)) {
        text = NoisyPhone(p.phone, rng);
        out += wide == 1 ? FullWidthDigits(text) : text;
      }
      out.push_back(',');
      text.clear();
      AppendPersonAddress(text, p.house, rng);
      out += CsvField(wide == 2 ? FullWidthDigits(text) : text);
      out.push_back(',');
      // Dates as a spreadsheet writes them: 2024/3/5.
      const Date day = Date::FromDays(
          first_day + static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(days))));
      AppendUint(out, static_cast<std::uint64_t>(day.year));
      out.push_back('/');
      AppendUint(out, static_cast<std::uint64_t>(day.month));
      out.push_back('/');
      AppendUint(out, static_cast<std::uint64_t>(day.day));
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "rental_tenants", id, 'P', rows[r].entity);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.rental_tenants = f.rows();
  }
  return Status::Ok();
}

Status Generator::WriteUnits(const fs::path& dir, FeedFile& truth, FeedFile& odd) {
  Rng rng(Seed(), 23);
  std::string text;
  const auto odd_row = [&](std::string_view source, std::string_view id) {
    std::string& o = odd.out();
    o += source;
    o.push_back(',');
    o += CsvField(id);
    o.push_back('\n');
    odd.EndRow();
  };
  {
    FeedFile f(dir / "market_units.csv", false);
    std::string& out = f.out();
    out += "统一社会信用代码,企业名称,注册地址,法定代表人,联系电话,登记状态\n";
    for (size_t i = 0; i < units_.size(); ++i) {
      const Unit& u = units_[i];
      out += u.uscc;
      out.push_back(',');
      out += CsvField(UnitName(u));
      out.push_back(',');
      text.clear();
      if (u.not_standard) {
        text = "浙江省杭州市钱塘区" + u.odd_address;
      } else if (rng.Chance(0.1)) {  // registered before 2021 and never updated
        const Door& d = doors_[u.location.door];
        text = TownOf(d).former_jianggan ? "浙江省杭州市江干区" : "浙江省杭州市萧山区";
        text += TownOf(d).name;
        AppendDoorPlate(text, d);
        if (u.location.room != kNone) AppendRoomDetail(text, rooms_[u.location.room]);
      } else {
        AppendCanonical(text, u.location, /*with_community=*/rng.Chance(0.4));
      }
      out += CsvField(text);
      out.push_back(',');
      out += CsvField(u.legal_person);
      out.push_back(',');
      out += u.phone;
      out.push_back(',');
      out += kUnitStatus[u.status];
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "market_units", u.uscc, 'U', i);
      if (u.not_standard) odd_row("market_units", u.uscc);
    }
    // The registry's corps, as they registered: entities after the units'.
    for (size_t k = 0; k < options_.corps.size(); ++k) {
      const RegistryCorp& c = options_.corps[k];
      out += CsvField(c.uscc);
      out.push_back(',');
      out += CsvField(c.name);
      out.push_back(',');
      out += CsvField(c.address);
      out.push_back(',');
      out += CsvField(c.legal_person);
      out += ",,";
      out += kUnitStatus[0];
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "market_units", c.uscc, 'U', units_.size() + k);
      ++counts_.corps;
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.market_units = f.rows();
  }
  // Grid collection finds most units that trade, few that were struck off.
  std::vector<double> share(units_.size());
  for (size_t i = 0; i < units_.size(); ++i)
    share[i] = units_[i].status < 2 ? 0.52 : 0.2;
  const std::vector<CopyRow> rows = Sample(units_.size(), share, rng, &counts_.duplicate_unit_rows);
  FeedFile f(dir / "grid_units.jsonl", false);
  std::string& out = f.out();
  std::string id;
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  for (size_t r = 0; r < rows.size(); ++r) {
    const Unit& u = units_[rows[r].entity];
    id = "GD";
    AppendUint(id, r + 1, 9);
    out += "{\"dwbh\":\"";
    out += id;
    out += "\",\"dwmc\":";
    AppendJsonString(out, GridUnitName(u, rng));
    out += ",\"tyshxydm\":";
    if (rng.Chance(rates_.uscc_missing)) {
      out += rng.Chance(rates_.null_for_missing) ? "null" : "\"\"";
    } else {
      text = u.uscc;
      if (rng.Chance(rates_.id_typo)) {
        const size_t at = 8 + rng.Below(9);
        char c = text[at];
        while (c == text[at])
          c = kAlphabet[rng.Below(kAlphabet.size())];
        text[at] = c;
      }
      AppendJsonString(out, text);
    }
    out += ",\"dz\":";
    text.clear();
    if (u.not_standard) {
      text = "钱塘区" + u.odd_address;
    } else {
      Location at = u.location;
      if (rng.Chance(rates_.moved)) {  // trades elsewhere now
        const std::uint32_t room = static_cast<std::uint32_t>(rng.Below(rooms_.size()));
        at = {rooms_[room].door, room};
      }
      if (rng.Chance(rates_.address_noisy)) {
        AppendNoisy(text, at, rng);
      } else {
        AppendCanonical(text, at);
      }
    }
    if (rng.Chance(rates_.full_width)) text = FullWidthDigits(text);
    AppendJsonString(out, text);
    out += ",\"lxdh\":";
    const int p = rng.Between(0, 99);
    if (p < 70 && !u.phone.empty()) {
      AppendJsonString(out, u.phone);
    } else if (p < 85) {
      AppendJsonString(out, std::to_string(NewPhone(rng)));  // the shop's own phone
    } else {
      out += "\"\"";
    }
    out += "}\n";
    f.EndRow();
    AppendTruth(truth, "grid_units", id, 'U', rows[r].entity);
    if (u.not_standard) odd_row("grid_units", id);
  }
  ZZ_RETURN_IF_ERROR(f.Close());
  counts_.grid_units = f.rows();
  for (const Unit& u : units_)
    counts_.units_not_standard += u.not_standard ? 1 : 0;
  return Status::Ok();
}

Status Generator::WriteTruthExtras(const fs::path& dir) {
  {
    FeedFile f(dir / "truth" / "hard_negatives.csv", false);
    std::string& out = f.out();
    out += "kind,entity_a,entity_b\n";
    const auto pairs = [&](const char* kind, const auto& list) {
      for (const auto& [a, b] : list) {
        out += kind;
        out.push_back(',');
        AppendEntity(out, 'P', a);
        out.push_back(',');
        AppendEntity(out, 'P', b);
        out.push_back('\n');
        f.EndRow();
      }
    };
    pairs("twin", twins_);
    pairs("namesake", namesakes_);
    ZZ_RETURN_IF_ERROR(f.Close());
  }
  // Overcrowded: below 5 m² per occupant (occupants: who lives there by public security).
  std::vector<std::uint32_t> occupants(houses_.size(), 0);
  for (const Person& p : people_)
    ++occupants[p.house];
  FeedFile f(dir / "truth" / "overcrowded_houses.csv", false);
  std::string& out = f.out();
  out += "house_id,area,occupants\n";
  for (size_t i = 0; i < houses_.size(); ++i) {
    if (occupants[i] == 0 || houses_[i].area >= 500 * occupants[i]) continue;
    out += "FW";
    AppendUint(out, i + 1, 10);
    out.push_back(',');
    AppendCenti(out, houses_[i].area);
    out.push_back(',');
    AppendUint(out, occupants[i]);
    out.push_back('\n');
    f.EndRow();
  }
  ZZ_RETURN_IF_ERROR(f.Close());
  counts_.overcrowded_houses = f.rows();
  return Status::Ok();
}

Result<BaseDataFeedCounts> Generator::Run(const std::string& dir_name) {
  const fs::path dir(dir_name);
  std::error_code ec;
  fs::create_directories(dir / "mappings", ec);
  if (!ec) fs::create_directories(dir / "truth", ec);
  if (ec) return Status::Internal("cannot create " + dir_name + ": " + ec.message());

  ZZ_RETURN_IF_ERROR(BuildGeography());
  BuildAddresses();
  BuildHouses();
  PlanOccupancy();
  BuildPeople();
  PlantTwins();
  PlantNamesakes();
  BuildUnits();
  AssignOwners();

  ZZ_RETURN_IF_ERROR(WriteAddresses(dir));
  FeedFile houses(dir / "truth" / "houses.csv", false);
  houses.out() += "source,source_id,entity\n";
  ZZ_RETURN_IF_ERROR(WriteHouses(dir, houses));
  ZZ_RETURN_IF_ERROR(houses.Close());
  FeedFile people(dir / "truth" / "people.csv", false);
  people.out() += "source,source_id,entity\n";
  ZZ_RETURN_IF_ERROR(WritePeople(dir, people));
  ZZ_RETURN_IF_ERROR(people.Close());
  FeedFile units(dir / "truth" / "units.csv", false);
  units.out() += "source,source_id,entity\n";
  FeedFile odd(dir / "truth" / "unit_addresses_not_standard.csv", false);
  odd.out() += "source,source_id\n";
  ZZ_RETURN_IF_ERROR(WriteUnits(dir, units, odd));
  ZZ_RETURN_IF_ERROR(units.Close());
  ZZ_RETURN_IF_ERROR(odd.Close());
  ZZ_RETURN_IF_ERROR(WriteTruthExtras(dir));
  ZZ_RETURN_IF_ERROR(WriteMappings(dir));
  return counts_;
}

}  // namespace feeds

Result<BaseDataFeedCounts> WriteBaseDataFeeds(const address::Gazetteer& gazetteer,
                                              const BaseDataFeedOptions& options,
                                              const std::string& dir) {
  if (options.people == 0) return Status::InvalidArgument("people", "must be at least 1");
  if (options.houses == 0) return Status::InvalidArgument("houses", "must be at least 1");
  if (options.units == 0) return Status::InvalidArgument("units", "must be at least 1");
  if (options.addresses <= options.houses) {
    return Status::InvalidArgument(
        "addresses", "must exceed houses: every house is a room, and rooms need doors");
  }
  if (options.people > 50'000'000 || options.addresses > 50'000'000 || options.units > 50'000'000) {
    return Status::InvalidArgument("people", "at most 50 million of each");
  }
  feeds::Generator generator(gazetteer, options);
  return generator.Run(dir);
}

}  // namespace zhizhi::app

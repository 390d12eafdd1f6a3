// The demo district's people (demo_district_seeder.h): identities from the counties migrant
// workers come from, certificates, the dormitories they live in (standard addresses), and their
// enrolments on sites and exits.
#include "app/demo_district_seeder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "app/demo_district_words.h"
#include "base/resident_id.h"
#include "registry/registry_input.h"

namespace zhizhi::app::demo {

using nlohmann::json;

std::string Seeder::Surname() {
  // Zipf-like: the commonest surnames much more often.
  const double u = rng_.Real(0, 1);
  const size_t i = static_cast<size_t>(std::pow(u, 2.2) * kSurnames.size());
  return kSurnames[std::min(i, kSurnames.size() - 1)];
}

Seeder::NewPerson Seeder::MakeIdentity(bool manager) {
  NewPerson n;
  const DivisionCounty* county = counties_[county_pick_(rng_.gen())];
  if (manager && rng_.Chance(0.6)) {
    // Most managers are from Zhejiang.
    static std::vector<const DivisionCounty*> zhejiang;
    if (zhejiang.empty()) {
      for (const DivisionCounty* c : counties_)
        if (std::string_view(c->code).substr(0, 2) == "33") zhejiang.push_back(c);
    }
    if (!zhejiang.empty()) county = rng_.Pick(zhejiang);
  }
  const bool female = rng_.Chance(manager ? 0.18 : 0.07);
  // Construction workers are older than most: 20–62, around 46; managers 28–58.
  const int age =
      manager ? rng_.Int(28, 58) : std::clamp(static_cast<int>(rng_.Normal(46, 9)), 20, 62);
  const Date birth = today_.AddDays(-365L * age - rng_.Int(0, 364));
  for (;;) {
    int seq = rng_.Int(0, 998);
    if ((seq % 2 == 0) != female) ++seq;  // odd 17th digit = male
    n.id_number = MakeResidentIdNumber(county->code, birth, seq);
    if (id_numbers_.insert(n.id_number).second) break;
  }
  // Uyghur and Kazakh workers from Xinjiang, Yi from Liangshan, Tibetans from Ganzi and Aba
  // carry their own full names (the long names the screen must lay out).
  std::vector<const MinorityName*> names;
  for (const MinorityName& m : kMinorityNames) {
    const std::string_view code(county->code);
    if (m.female == female && code.substr(0, std::string_view(m.region).size()) == m.region) {
      names.push_back(&m);
    }
  }
  const bool xinjiang = std::string_view(county->code).substr(0, 2) == "65";
  if (!manager && !names.empty() && rng_.Chance(xinjiang ? 0.8 : 0.6)) {
    const MinorityName& m = *rng_.Pick(names);
    n.name = m.name;
    n.nation = m.nation;
  } else {
    n.name = Surname() + (female ? rng_.Pick(kFemaleGiven) : rng_.Pick(kMaleGiven));
    if (rng_.Chance(0.01)) n.nation = rng_.Chance(0.5) ? "15" : "06";  // 土家族, 苗族
  }
  n.id_address = std::string(county->place) + rng_.Pick(kTownNames) + "镇" +
                 rng_.Pick(kVillageNames) + "村" + std::to_string(rng_.Int(1, 12)) + "组" +
                 std::to_string(rng_.Int(1, 88)) + "号";
  static constexpr std::array<const char*, 12> kPrefixes = {
      "133", "135", "136", "137", "138", "139", "150", "152", "158", "177", "187", "199"};
  char phone[16];
  std::snprintf(phone, sizeof phone, "%s%08d", rng_.Pick(kPrefixes), rng_.Int(0, 99'999'999));
  n.phone = phone;
  return n;
}

Result<std::int64_t> Seeder::CreatePerson(store::Connection& conn, bool manager) {
  NewPerson n = MakeIdentity(manager);
  json body = {{"id_type", "01"},    {"id_number", n.id_number}, {"name", n.name},
               {"nation", n.nation}, {"phone", n.phone},         {"id_address", n.id_address}};
  ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParsePerson));
  ZZ_ASSIGN_OR_RETURN(std::int64_t id, p_.registry().CreatePerson(conn, draft));
  ++summary_.persons;
  if (rng_.Chance(0.12)) id_card_[id] = n.id_number;  // passes with the ID-card reader
  return id;
}

// A certificate valid until today + days_left (negative: expired that many days ago).
Status Seeder::Certify(store::Connection& conn, std::int64_t person, const char* kind,
                       const char* type, int days_left, const char* issuer) {
  const Date valid_to = today_.AddDays(days_left);
  const Date valid_from = std::min(valid_to.AddDays(-365 * rng_.Int(2, 5)), today_.AddDays(-40));
  char number[64];
  const int serial = next_certificate_++;
  const std::string_view k(kind);
  if (k == "special_operation") {
    std::snprintf(number, sizeof number, "浙T%s%04d%06d", type, valid_from.year, serial);
  } else if (k == "registered") {
    std::snprintf(number, sizeof number, "浙%d33%04d%06d", type[11] == '1' ? 1 : 2, valid_from.year,
                  serial);
  } else if (k == "safety_post") {
    std::snprintf(number, sizeof number, "浙建安%s(%04d)%07d", type, valid_from.year, serial);
  } else {
    std::snprintf(number, sizeof number, "33%04d%08d", valid_from.year, serial);
  }
  json body = {{"kind", kind},
               {"type_code", type},
               {"number", number},
               {"issuer", issuer},
               {"valid_from", valid_from.ToString()},
               {"valid_to", valid_to.ToString()}};
  ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParseCertificate));
  ZZ_RETURN_IF_ERROR(p_.registry().AddCertificate(conn, person, draft).status());
  ++summary_.certificates;
  return Status::Ok();
}

// Each site houses its workers in one dormitory, 建设者之家, in a community of its street, on a
// numbered road: its door plate and the rooms of its nine buildings are standard addresses.
std::string Seeder::DormDoor(const Site& site) const {
  const auto i = static_cast<size_t>(&site - sites_.data());
  const auto found = communities_.find(site.street);
  const std::string community = found == communities_.end() || found->second.empty()
                                    ? ""
                                    : found->second[i % found->second.size()];
  return std::string("浙江省杭州市钱塘区") + kQiantangStreets[site.street].name + community +
         std::to_string(1 + i % 29) + "号大街" + std::to_string(2 + 2 * (i / 29)) + "号";
}

std::string Seeder::DormRoom(int building, int room) {
  return "建设者之家" + std::to_string(building) + "幢" + std::to_string(room) + "室";
}

std::string Seeder::Dorm(const Site& site, std::int64_t person) const {
  return DormDoor(site) + DormRoom(static_cast<int>(1 + person % 9),
                                   static_cast<int>(100 * (1 + person % 6) + 1 + person % 18));
}

// The dormitories' standard addresses, through the import a district's address office uses:
// each site's door plate and its 972 rooms (9 buildings, 6 floors, 18 rooms).
Status Seeder::SeedAddresses() {
  std::string csv = "code,kind,address,parent_code\n";
  for (const Site& site : sites_) {
    const std::string door = DormDoor(site);
    const std::string door_code = "QT-" + site.code;
    csv += door_code + ",door," + door + ",\n";
    for (int b = 1; b <= 9; ++b) {
      for (int floor = 1; floor <= 6; ++floor) {
        for (int r = 1; r <= 18; ++r) {
          const int room = 100 * floor + r;
          csv += door_code + "-" + std::to_string(b) + "-" + std::to_string(room) + ",household," +
                 door + DormRoom(b, room) + "," + door_code + "\n";
        }
      }
    }
  }
  auto imported = p_.addresses().Import(std::move(csv), /*partial=*/false);
  if (!imported.ok()) {
    if (imported.status().kind() == StatusKind::kUnavailable) {
      std::fprintf(stderr, "demo: no standard addresses (%s)\n",
                   imported.status().ToString().c_str());
      return Status::Ok();
    }
    return imported.status();
  }
  if (!imported->errors.empty()) {
    const auto& e = imported->errors.front();
    return Status::Internal("demo standard addresses: line " + std::to_string(e.line) + ": " +
                            e.code + ": " + e.message);
  }
  summary_.addresses = imported->imported;
  return Status::Ok();
}

Result<std::int64_t> Seeder::Enrol(store::Connection& conn, Site& site, std::int64_t person,
                                   const std::string& uscc, std::optional<std::int64_t> team,
                                   const char* work_type, const std::string& post, Date entry) {
  json body = {{"person_id", person},
               {"uscc", uscc},
               {"work_role", post.empty() ? "20" : "10"},
               {"entry_date", entry.ToString()},
               {"dorm_address", Dorm(site, person)},
               {"card_no", "QT" + std::to_string(880000000 + person)}};
  if (team) body["team_id"] = *team;
  if (post.empty()) {
    body["work_type"] = work_type;
  } else {
    body["post"] = post;
  }
  ZZ_ASSIGN_OR_RETURN(
      auto draft, Parse(
                      body, +[](FieldReader& in) { return registry::ParseEnrolment(in, true); }));
  ZZ_ASSIGN_OR_RETURN(std::int64_t id, p_.registry().Enrol(conn, site.code, draft));
  ++summary_.enrolments;
  Member m;
  m.person = person;
  m.manager = !post.empty();
  m.post = post;
  m.entry = entry;
  if (auto it = id_card_.find(person); it != id_card_.end()) m.id_number = it->second;
  site.members.push_back(m);
  return id;
}

Status Seeder::Exit(store::Connection& conn, Site& site, std::int64_t person, Date date,
                    const char* reason) {
  for (const Member& m : site.members) {
    if (m.person == person && !m.exit) date = std::max(date, m.entry);  // never before entry
  }
  json body = {{"exit_date", date.ToString()}, {"reason", reason}};
  ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParseExit));
  ZZ_RETURN_IF_ERROR(p_.registry().Exit(conn, site.code, person, draft));
  ++summary_.exits;
  for (Member& m : site.members) {
    if (m.person == person && !m.exit) m.exit = date;
  }
  return Status::Ok();
}

}  // namespace zhizhi::app::demo

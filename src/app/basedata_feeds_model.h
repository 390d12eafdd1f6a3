// The model of the district that the base-data feeds (basedata_feeds.h) are drawn from — streets,
// communities and roads, door plates and rooms, houses, people, units — and the Generator that
// builds it and writes the feeds. The Generator's work lies in one file per concept:
//   basedata_feeds_places.cc    streets, communities, roads, doors and rooms; houses, occupancy
//   basedata_feeds_people.cc    people and their identities, twins, namesakes; house owners
//   basedata_feeds_units.cc     units (enterprises, individual businesses)
//   basedata_feeds_render.cc    addresses, names and numbers as the sources write them
//   basedata_feeds.cc           the feed files and the truth, in Run's order
//   basedata_feeds_mappings.cc  the mapping files
//
// Thread-safety: a Generator is used by one thread, once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "address/gazetteer.h"
#include "app/basedata_feeds.h"
#include "app/basedata_feeds_file.h"
#include "app/basedata_feeds_random.h"
#include "app/basedata_feeds_words.h"
#include "base/civil_time.h"
#include "base/status.h"

namespace zhizhi::app::feeds {

// The day the feeds were exported: every birth date is on or before it.
inline constexpr Date kAsOf{2025, 6, 30};
inline constexpr int kAsOfYmd = 20250630;
inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// Noise in the copies kept by sources other than public security, per row.
struct Rates {
  double name_typo;
  double birth_swap;
  double id_typo;
  double phone_drop;  // on top of people without a phone
  double phone_typo;
  double address_noisy;
  double moved;
  double full_width;
  double duplicate;
  double grid_id_missing;
  double grid_phone_drop;  // the grid's own gaps, instead of phone_drop
  double grid_birth_missing;
  double grid_sex_missing;
  double null_for_missing;  // a missing JSON value written as null rather than ""
  double rental_id_missing;
  double uscc_missing;
  double use_mismatch;
  double not_standard;  // units at an address that is not a standard address
};

// The rates of the normal set, or of the hard one (BaseDataFeedOptions::hard).
Rates RatesFor(bool hard);

enum class DoorKind : std::uint8_t { kCompound, kVillageHouse, kShop };
enum class Use : std::uint8_t { kOwn = 0, kRental = 1, kVacant = 2, kDormitory = 3 };
enum class OwnerKind : std::uint8_t { kPerson, kOutsider, kUnit };
enum class Role : std::uint8_t { kFamily, kTenant };

struct Town {
  std::string name;              // 下沙街道
  std::string short_name;        // 下沙
  bool former_jianggan = false;  // 下沙, 白杨 were 江干区's until 2021; the rest 萧山区's
  std::vector<std::uint16_t> roads;
  std::vector<std::uint16_t> communities;
};

struct Community {
  std::string code;  // 12 digits
  std::string name;  // as addresses write it: 头格社区, 义盛村
  std::uint16_t town = 0;
  bool village = false;  // a 村 of village houses rather than a 社区 of compounds
  std::vector<std::uint16_t> roads;
  std::uint32_t doors = 0;
};

struct Road {
  std::string name;
  std::uint32_t last_number = 0;
};

struct Door {
  std::uint32_t first_room = 0;
  std::uint32_t rooms = 0;
  std::uint32_t number = 0;
  std::uint32_t serial = 0;  // within its community
  std::uint16_t community = 0;
  std::uint16_t road = 0;
  DoorKind kind = DoorKind::kVillageHouse;
};

struct Room {
  std::uint32_t door = 0;
  std::uint16_t building = 0;  // 0: none (a village house)
  std::uint16_t number = 0;    // 501
  std::uint8_t unit = 0;       // 0: none
};

struct House {
  std::uint32_t room = 0;
  std::uint32_t area = 0;  // centi-m²
  std::uint32_t owner = 0;
  std::uint16_t occupants = 0;
  Use use = Use::kOwn;
  OwnerKind owner_kind = OwnerKind::kOutsider;
  bool overcrowded = false;
  bool family = true;  // a family lives there rather than unrelated tenants
};

struct Person {
  std::uint64_t id17 = 0;   // the first 17 digits: region, birth date, sequence
  std::uint64_t phone = 0;  // 0: none
  std::string given;
  std::uint32_t house = kNone;
  std::uint8_t surname = 0;
  Role role = Role::kFamily;

  int ymd() const { return static_cast<int>(id17 / 1000 % 100'000'000); }
  bool male() const { return id17 % 2 == 1; }
};

struct Location {
  std::uint32_t door = 0;
  std::uint32_t room = kNone;  // kNone: the door itself
};

struct Unit {
  std::string brand;
  std::string uscc;
  std::string legal_person;
  std::string phone;
  std::string odd_address;  // the address when it is not a standard one
  Location location;
  std::uint8_t industry = 0;
  std::uint8_t prefix = 0;
  std::uint8_t status = 0;
  bool not_standard = false;
};

// One row of a non-PS source: whose copy, and whether it is a planted second copy.
struct CopyRow {
  std::uint32_t entity;
  bool duplicate;
};

// Builds the district (BuildGeography … AssignOwners, each stage with its own random stream) and
// writes the feeds from it (Run).
class Generator {
 public:
  Generator(const address::Gazetteer& g, const BaseDataFeedOptions& options)
      : g_(g), options_(options), rates_(RatesFor(options.hard)) {}

  Result<BaseDataFeedCounts> Run(const std::string& dir);

 private:
  // Building the district (basedata_feeds_places.cc, _people.cc, _units.cc).
  Status BuildGeography();
  void BuildAddresses();
  void AddCorpDoors();  // the registry's corps' door plates, after the district's doors
  void BuildHouses();
  void PlanOccupancy();
  void BuildPeople();
  void PlantTwins();
  void PlantNamesakes();
  void BuildUnits();
  void AssignOwners();

  // People's identities (basedata_feeds_people.cc).
  std::uint32_t PickRegion(Rng& rng, int origin, int birth_year, const Town& town);
  std::uint64_t NewId17(Rng& rng, std::uint32_t region, int ymd, bool male);
  std::string GivenName(Rng& rng, bool male);
  std::uint64_t NewPhone(Rng& rng);
  int BirthYmd(Rng& rng, int age_lo, int age_hi);
  std::uint32_t AddPerson(Rng& rng, std::uint32_t house, Role role, std::uint8_t surname, bool male,
                          int ymd, std::uint32_t region, double phone_share);

  // Text (basedata_feeds_render.cc).
  const Town& TownOf(const Door& d) const { return towns_[communities_[d.community].town]; }
  void AppendDoorPlate(std::string& out, const Door& d) const;  // road + number号
  void AppendRoomDetail(std::string& out, const Room& r) const;
  void AppendCanonical(std::string& out, Location at, bool with_community = true) const;
  void AppendNoisy(std::string& out, Location at, Rng& rng) const;
  Location HouseLocation(std::uint32_t house) const {
    return {rooms_[houses_[house].room].door, houses_[house].room};
  }
  std::string FullName(const Person& p) const {
    return std::string(kSurnames[p.surname].text) + p.given;
  }
  std::string IdNumber(std::uint64_t id17) const;
  std::string UnitName(const Unit& u) const;
  std::string GridUnitName(const Unit& u, Rng& rng) const;
  void AppendPersonAddress(std::string& out, std::uint32_t house, Rng& rng);
  double PersonMoved() const {
    return options_.people_moved >= 0 ? options_.people_moved : rates_.moved;
  }
  std::string NoisyId(const std::string& id, Rng& rng) const;
  std::string NoisyPhone(std::uint64_t phone, Rng& rng) const;
  std::string OwnerName(const House& h) const;
  std::string OwnerId(const House& h) const;
  std::uint64_t OwnerPhone(const House& h) const;

  // Writing (basedata_feeds.cc, basedata_feeds_mappings.cc).
  std::vector<CopyRow> Sample(size_t entities, const std::vector<double>& share, Rng& rng,
                              size_t* duplicates) const;
  Status WriteAddresses(const std::filesystem::path& dir);
  Status WriteHouses(const std::filesystem::path& dir, FeedFile& truth);
  Status WritePeople(const std::filesystem::path& dir, FeedFile& truth);
  void AppendWorkers(FeedFile& f, FeedFile& truth);  // the registry's, into ps_population
  Status WriteUnits(const std::filesystem::path& dir, FeedFile& truth, FeedFile& odd);
  Status WriteTruthExtras(const std::filesystem::path& dir);
  Status WriteMappings(const std::filesystem::path& dir);

  const address::Gazetteer& g_;
  const BaseDataFeedOptions options_;
  const Rates rates_;
  std::uint64_t Seed() const { return options_.seed; }

  std::vector<Town> towns_;
  std::vector<Community> communities_;
  std::vector<Road> roads_;
  std::vector<Door> doors_;
  std::vector<Room> rooms_;
  std::vector<House> houses_;
  std::vector<Person> people_;
  std::vector<Person> outsiders_;  // owners who do not live in the district
  std::vector<Unit> units_;
  std::unordered_set<std::uint64_t> ids_;  // every id17 handed out
  std::unordered_set<std::string> usccs_;
  std::unordered_set<std::string> taken_plates_;  // road|number of doors not the district's
  std::vector<std::pair<std::uint32_t, std::uint32_t>> siblings_;  // twin candidates
  std::vector<std::pair<std::uint32_t, std::uint32_t>> twins_, namesakes_;

  // Regions of birth (GB/T 2260): migrant provinces by weight, Zhejiang, Hangzhou.
  std::vector<std::vector<std::uint32_t>> migrant_counties_;
  WeightedIndex migrant_provinces_;
  std::vector<std::uint32_t> zhejiang_counties_, hangzhou_counties_;
  WeightedIndex surnames_ = MakeWeighted(kSurnames);
  WeightedIndex male_names_ = MakeWeighted(kMaleNames);
  WeightedIndex female_names_ = MakeWeighted(kFemaleNames);

  BaseDataFeedCounts counts_;
};

}  // namespace zhizhi::app::feeds

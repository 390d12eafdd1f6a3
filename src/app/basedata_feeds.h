// The demo district's base-data source feeds (三实: 实有人口, 实有房屋, 实有单位) with planted
// duplicates, noise and hard negatives, and the truth written apart, so that record linkage
// (issue 26) can be measured against a known answer.
//
// Qiantang (330114) is imitated from the gazetteer: its streets and communities, real-looking
// roads per street, door plates (门楼牌) and rooms (层户) as the standard-address base; houses at
// rooms; people living in houses (families in flats, tenants in rental rooms, some rooms grossly
// overcrowded); units (enterprises and individual businesses) at standard addresses, a few at
// addresses that are not. Each real thing is copied into the sources that would hold it — public
// security (clean, complete), grid collection and landlords' tenant reports (partial and noisy:
// homophone name typos, swapped birth-date digits, mistyped ID numbers, old division names,
// people who moved, duplicate rows), market regulation — and the truth says which rows are the
// same real person, house or unit. Hard negatives (twins, namesakes) are distinct entities.
//
// Files under `dir` (CSV with a header line, RFC 4180 quoting; UTF-8 unless stated):
//   addresses.csv                 standard addresses, AddressService::Import's format
//   ps_housing.csv                public-security housing, one row per house
//   grid_houses.jsonl             grid collection of houses (~40 %)
//   ps_population.csv             public-security population, everyone once (and the registry's
//                                 workers, BaseDataFeedOptions::workers)
//   grid_people.jsonl             grid collection of people (~45 %)
//   rental_tenants.csv            tenants reported by landlords (~30 %), GBK
//   market_units.csv              market regulation, one row per unit (and per registry corp)
//   grid_units.jsonl              grid collection of units (~50 %)
//   mappings/<source>.json        how each feed's columns map to the importer's fields
//   truth/people.csv, truth/houses.csv, truth/units.csv        source,source_id,entity
//   truth/hard_negatives.csv      kind (twin, namesake),entity_a,entity_b
//   truth/unit_addresses_not_standard.csv                      source,source_id
//   truth/overcrowded_houses.csv  house_id,area,occupants (PS house id; < 5 m² per occupant)
//
// Deterministic: the same options give the same bytes (no clock, no std:: distributions).
// Thread-safety: a pure function of its arguments; calls on different directories may run at
// once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "address/gazetteer.h"
#include "base/status.h"

namespace zhizhi::app {

// What zhizhi's own workforce registry already holds, for a district whose sources know it (the
// demo, demo_base_data.h). The linkage feeds leave it empty.
struct RegistryWorker {  // a person with an open enrolment
  std::string name;
  std::string id_number;  // resident ID, 18 characters
  std::string phone;
  std::string address;   // the dormitory of the latest open enrolment
  int days_on_site = 0;  // since that enrolment's entry date
};
struct RegistryCorp {
  std::string uscc, name, address, legal_person;
};
struct DoorPlate {  // a door of the county's standard-address base: road and number
  std::string road;
  std::uint32_t number = 0;
};

struct BaseDataFeedOptions {
  std::uint64_t seed = 1;
  size_t people = 1'030'000;   // real persons
  size_t houses = 650'000;     // real houses (flats/rooms, each at one standard address)
  size_t addresses = 710'000;  // standard addresses (门楼牌 doors + 层户 rooms); > houses
  size_t units = 110'000;      // real units (enterprises)
  bool hard = false;           // a harder set: about twice the noise rates, more missing fields
  // Share of the partial sources' person rows (grid, landlords) that name a house the person
  // has left; below 0 the set's rate (5 %, hard 10 %), which keeps linkage busy. In a working
  // district the sources mostly agree on where people live (the demo: 0.2 %).
  double people_moved = -1;
  // The registry's workers live in the district: public security holds them at their dormitory
  // (their residence registration: the registry's name with the sources' usual typos, the same
  // ID number, the phone), after the people above — all but 40 % of those who arrived in the last
  // 7 days (not registered yet, or not yet in the export) and 0.1 % of the others.
  std::vector<RegistryWorker> workers;
  // The registry's corps are registered with market regulation (after the units above) at their
  // own addresses; those that are a door plate of the district (浙江省杭州市钱塘区 + street + road
  // + number号) join the standard-address base as doors.
  std::vector<RegistryCorp> corps;
  // Doors the standard-address base already has (the demo's dormitories): the district's own
  // doors keep clear of their road and number, so that no address of the base is there twice.
  std::vector<DoorPlate> base_doors;
};

struct BaseDataFeedCounts {
  // Rows written per file (header lines not counted).
  size_t addresses = 0;  // doors + rooms
  size_t doors = 0;
  size_t ps_housing = 0;
  size_t grid_houses = 0;
  size_t ps_population = 0;
  size_t grid_people = 0;
  size_t rental_tenants = 0;
  size_t market_units = 0;
  size_t grid_units = 0;
  // Truth entities.
  size_t persons = 0;
  size_t houses = 0;
  size_t units = 0;
  // Planted duplicates: second rows of an entity under another id within one source, per kind.
  size_t duplicate_person_rows = 0;
  size_t duplicate_house_rows = 0;
  size_t duplicate_unit_rows = 0;
  // Planted hard negatives and findings.
  size_t twin_pairs = 0;
  size_t namesake_pairs = 0;
  size_t overcrowded_houses = 0;
  size_t units_not_standard = 0;  // units whose address is not a standard address
  // The registry's (BaseDataFeedOptions::workers, corps).
  size_t workers = 0;               // workers in ps_population
  size_t workers_unregistered = 0;  // workers left out of it
  size_t corps = 0;                 // corps in market_units
  size_t corp_doors = 0;            // door plates of corps added to the base (in `doors`)
};

// Writes the feeds into `dir` (created if missing). Errors: InvalidArgument for options that
// cannot be met (no people, houses or units; addresses not above houses), NotFound when the
// gazetteer has no 330114, Internal when a file cannot be written.
Result<BaseDataFeedCounts> WriteBaseDataFeeds(const address::Gazetteer& gazetteer,
                                              const BaseDataFeedOptions& options,
                                              const std::string& dir);

}  // namespace zhizhi::app

// A person row of a source feed as record linkage compares it (linkage/person.h): the name
// normalised (simplified characters, full-width forms folded, spaces gone, the middle dot of
// minority names unified), the ID number, birth date and phone parsed, and the address run
// through the standardiser for its community and house.
//
// Thread-safety: PersonConverter holds a cache; use one per thread (the standardiser is shared).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "address/address_service.h"
#include "address/standardizer.h"
#include "basedata/feed.h"
#include "linkage/person.h"

namespace zhizhi::basedata {

// A house as the standardiser reads an address: county + road + number + building + unit + room
// (0 when the address names no door), and the community's 12-digit code (0 when not settled).
struct HouseKey {
  std::uint64_t house = 0;
  std::uint64_t village = 0;
  std::int64_t standard_address = 0;  // the district's standard address it matched, 0 if none
};

// A name as linkage compares it: simplified characters, full-width forms folded, no spaces, the
// middle dot of minority names unified; empty when longer than `max_chars` characters.
std::u32string FoldName(const address::Standardizer* standardizer, std::string_view text,
                        size_t max_chars = 40);

class PersonConverter {
 public:
  // `standardizer` may be null (addresses are then not compared); `home` is the district's county.
  // With `service` (the running platform's, whose standardiser is `standardizer`), addresses are
  // also matched against the district's standard-address base, and a road typed one character
  // off a road of the base is read as that road.
  PersonConverter(const address::Standardizer* standardizer, std::uint32_t home,
                  const address::AddressService* service = nullptr)
      : standardizer_(standardizer), home_(home), service_(service) {}

  // Unusable values (an ID number of the wrong form, a date that does not exist) leave the field
  // empty and add a warning to *issues.
  linkage::PersonRecord Convert(const SourceRow& row, std::vector<RowIssue>* issues);
  HouseKey House(const std::string& address);

 private:
  const address::Standardizer* standardizer_;
  std::uint32_t home_;
  const address::AddressService* service_;
  std::unordered_map<std::string, HouseKey> houses_;  // addresses repeat: a house has occupants
};

}  // namespace zhizhi::basedata

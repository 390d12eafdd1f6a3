// A person as record linkage sees one source record: the fields in a form cheap to compare, and
// the comparison of two records, field by field, into Fellegi–Sunter levels (model.h).
//
//   field       levels (lowest first)                           what "near" catches
//   id_number   other · near · exact                            one digit mistyped, two swapped
//   name        other · one character off · sounds alike · exact  王丽/王莉 (pinyin), 张伟/张玮
//   birth_date  other · same year · near · exact                 two digits swapped, day ↔ month
//   sex         differ · agree
//   phone       other · near · exact                            one digit mistyped
//   address     other · same town · same community · same house  (codes from the standardiser)
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "linkage/model.h"

namespace zhizhi::linkage {

enum PersonField : int { kIdNumber, kName, kBirthDate, kSex, kPhone, kAddress, kPersonFields };

struct PersonRecord {
  std::array<char, 18> id{};  // the ID number's 18 characters ('X' upper case); id[0] == 0: none
  bool id_valid = false;      // the GB 11643 check digit holds: the number is a key
  std::u32string name;        // as normalised (no spaces, simplified characters)
  std::int32_t birth = 0;     // YYYYMMDD, 0 if unknown
  char sex = 0;               // 'M', 'F' or 0
  std::uint64_t phone = 0;    // the digits, 0 if none
  std::uint64_t house = 0;  // the standard address (or a hash of the canonical address), 0 if none
  std::uint64_t village = 0;  // 12-digit community code, 0 if the address did not settle one

  bool has_id() const { return id[0] != 0; }
};

// splitmix64's finaliser: the one 64-bit mixer of keys and hashes in linkage and its callers.
inline std::uint64_t MixBits(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The field specs of the person model, in PersonField order.
std::vector<FieldSpec> PersonFieldSpecs();

// Levels (the indices of PersonFieldSpecs()'s levels), kMissing where a side lacks the field.
int CompareIdNumbers(const PersonRecord& a, const PersonRecord& b);
int CompareNames(std::u32string_view a, std::u32string_view b);
int CompareBirthDates(std::int32_t a, std::int32_t b);
int CompareSexes(char a, char b);
int ComparePhones(std::uint64_t a, std::uint64_t b);
int CompareAddresses(const PersonRecord& a, const PersonRecord& b);
Pattern ComparePersons(const PersonRecord& a, const PersonRecord& b);

// Field parsers for source values; each returns false when the value is unusable (the caller
// records a row warning and leaves the field empty).
// "330106199003071234", lower-case x allowed; the check digit decides id_valid.
bool ParseIdNumber(std::string_view text, PersonRecord* r);
// "1990-03-07", "19900307", "1990/3/7", "1990年3月7日" → 19900307; the date must exist.
bool ParseBirthDate(std::string_view text, std::int32_t* yyyymmdd);
// Digits of a phone: "+86 138-0000-1234", "0571-86001234" → the digits without +86; 7–12 digits.
bool ParsePhone(std::string_view text, std::uint64_t* digits);

}  // namespace zhizhi::linkage

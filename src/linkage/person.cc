#include "linkage/person.h"

#include <algorithm>
#include <cstdlib>

#include "base/civil_time.h"
#include "base/resident_id.h"
#include "pinyin/pinyin.h"

namespace zhizhi::linkage {

namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Levels: the strongest relation first (so a homophone typo counts as "sounds alike", not as
// "one character off").
enum NameLevel { kNameOther, kNameOneOff, kNameSoundsAlike, kNameExact };
enum DateLevel { kDateOther, kDateSameYear, kDateNear, kDateExact };
enum TriLevel { kOther, kNear, kExact };

// One substitution, or two neighbours swapped, between two equally long sequences.
template <typename T>
bool OneTypoApart(const T* a, const T* b, size_t n) {
  size_t first = n;
  int diffs = 0;
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    if (++diffs > 2) return false;
    if (first == n) first = i;
  }
  if (diffs <= 1) return true;
  return first + 1 < n && a[first] == b[first + 1] && a[first + 1] == b[first] && [&] {
    for (size_t i = first + 2; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }();
}

}  // namespace

std::vector<FieldSpec> PersonFieldSpecs() {
  return {
      {"id_number", {"other", "near", "exact"}},
      {"name", {"other", "one_character_off", "sounds_alike", "exact"}},
      {"birth_date", {"other", "same_year", "near", "exact"}},
      {"sex", {"differ", "agree"}},
      {"phone", {"other", "near", "exact"}},
      {"address", {"other", "same_town", "same_community", "same_house"}},
  };
}

int CompareIdNumbers(const PersonRecord& a, const PersonRecord& b) {
  if (!a.has_id() || !b.has_id()) return kMissing;
  if (a.id == b.id) return kExact;
  // Two valid numbers that differ are two people (twins differ in the sequence digits only).
  if (a.id_valid && b.id_valid) return kOther;
  return OneTypoApart(a.id.data(), b.id.data(), a.id.size()) ? kNear : kOther;
}

int CompareNames(std::u32string_view a, std::u32string_view b) {
  if (a.empty() || b.empty()) return kMissing;
  if (a == b) return kNameExact;
  if (a.size() != b.size()) {
    // One character more or less (a dropped middle character: 欧阳娜娜 / 欧阳娜).
    const std::u32string_view& longer = a.size() > b.size() ? a : b;
    const std::u32string_view& shorter = a.size() > b.size() ? b : a;
    if (longer.size() != shorter.size() + 1 || shorter.size() < 2) return kNameOther;
    size_t i = 0;
    while (i < shorter.size() && longer[i] == shorter[i])
      ++i;
    return longer.substr(i + 1) == shorter.substr(i) ? kNameOneOff : kNameOther;
  }
  bool sounds = true;
  int diffs = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    ++diffs;
    if (!pinyin::SoundAlike(a[i], b[i])) sounds = false;
  }
  if (sounds) return kNameSoundsAlike;
  // One character off, never the first one of two (a surname changed is another family).
  if (diffs == 1 && (a.size() > 2 || a[0] == b[0])) return kNameOneOff;
  return kNameOther;
}

int CompareBirthDates(std::int32_t a, std::int32_t b) {
  if (a == 0 || b == 0) return kMissing;
  if (a == b) return kDateExact;
  char da[8], db[8];
  for (int i = 7, x = a, y = b; i >= 0; --i, x /= 10, y /= 10) {
    da[i] = static_cast<char>(x % 10);
    db[i] = static_cast<char>(y % 10);
  }
  const int ma = a / 100 % 100, dda = a % 100, mb = b / 100 % 100, ddb = b % 100;
  if (OneTypoApart(da, db, 8) || (a / 10000 == b / 10000 && ma == ddb && dda == mb))
    return kDateNear;
  return a / 10000 == b / 10000 ? kDateSameYear : kDateOther;
}

int CompareSexes(char a, char b) {
  if (a == 0 || b == 0) return kMissing;
  return a == b ? 1 : 0;
}

int ComparePhones(std::uint64_t a, std::uint64_t b) {
  if (a == 0 || b == 0) return kMissing;
  if (a == b) return kExact;
  char da[20], db[20];
  int na = 0, nb = 0;
  for (; a > 0; a /= 10)
    da[na++] = static_cast<char>(a % 10);
  for (; b > 0; b /= 10)
    db[nb++] = static_cast<char>(b % 10);
  return na == nb && OneTypoApart(da, db, static_cast<size_t>(na)) ? kNear : kOther;
}

int CompareAddresses(const PersonRecord& a, const PersonRecord& b) {
  if ((a.house == 0 && a.village == 0) || (b.house == 0 && b.village == 0)) return kMissing;
  if (a.house != 0 && a.house == b.house) return 3;
  if (a.village != 0 && a.village == b.village) return 2;
  if (a.village != 0 && b.village != 0 && a.village / 1000 == b.village / 1000) return 1;
  return 0;
}

Pattern ComparePersons(const PersonRecord& a, const PersonRecord& b) {
  Pattern p;
  p.fill(kMissing);
  p[kIdNumber] = static_cast<std::int8_t>(CompareIdNumbers(a, b));
  p[kName] = static_cast<std::int8_t>(CompareNames(a.name, b.name));
  p[kBirthDate] = static_cast<std::int8_t>(CompareBirthDates(a.birth, b.birth));
  p[kSex] = static_cast<std::int8_t>(CompareSexes(a.sex, b.sex));
  p[kPhone] = static_cast<std::int8_t>(ComparePhones(a.phone, b.phone));
  p[kAddress] = static_cast<std::int8_t>(CompareAddresses(a, b));
  return p;
}

bool ParseIdNumber(std::string_view text, PersonRecord* r) {
  if (text.size() != 18) return false;
  for (size_t i = 0; i < 18; ++i) {
    char c = text[i];
    if (i == 17 && (c == 'x' || c == 'X')) c = 'X';
    if (!IsDigit(c) && !(i == 17 && c == 'X')) return false;
    r->id[i] = c;
  }
  r->id_valid = ResidentIdNumber::CheckCharacter(text.substr(0, 17)) == r->id[17];
  return true;
}

bool ParseBirthDate(std::string_view text, std::int32_t* yyyymmdd) {
  int parts[3] = {0, 0, 0};
  int digits[3] = {0, 0, 0};
  int part = 0;
  if (text.size() == 8 && std::all_of(text.begin(), text.end(), IsDigit)) {  // YYYYMMDD
    parts[0] = std::atoi(std::string(text.substr(0, 4)).c_str());
    parts[1] = std::atoi(std::string(text.substr(4, 2)).c_str());
    parts[2] = std::atoi(std::string(text.substr(6, 2)).c_str());
  } else {
    // YYYY-M-D with '-', '/', '.' or 年/月/日 between the parts.
    for (size_t i = 0; i < text.size();) {
      const char c = text[i];
      if (IsDigit(c)) {
        if (digits[part] >= (part == 0 ? 4 : 2)) return false;
        parts[part] = parts[part] * 10 + (c - '0');
        ++digits[part];
        ++i;
        continue;
      }
      size_t skip = 1;
      if (text.substr(i, 3) == "年" || text.substr(i, 3) == "月" || text.substr(i, 3) == "日")
        skip = 3;
      else if (c != '-' && c != '/' && c != '.')
        return false;
      if (digits[part] == 0) return false;
      if (skip == 3 && text.substr(i, 3) == "日") {
        if (i + 3 != text.size()) return false;
      } else if (++part > 2) {
        return false;
      }
      i += skip;
    }
    if (part != 2 || digits[0] != 4 || digits[2] == 0) return false;
  }
  if (!Date::FromYmd(parts[0], parts[1], parts[2])) return false;
  if (parts[0] < 1900 || parts[0] > 2100) return false;
  *yyyymmdd = parts[0] * 10000 + parts[1] * 100 + parts[2];
  return true;
}

bool ParsePhone(std::string_view text, std::uint64_t* digits) {
  std::string d;
  for (char c : text) {
    if (IsDigit(c))
      d += c;
    else if (c != ' ' && c != '-' && c != '+' && c != '(' && c != ')')
      return false;
  }
  if (d.size() == 13 && d.starts_with("86")) d = d.substr(2);
  if (d.size() < 7 || d.size() > 12) return false;
  *digits = std::strtoull(d.c_str(), nullptr, 10);
  return *digits != 0;
}

}  // namespace zhizhi::linkage

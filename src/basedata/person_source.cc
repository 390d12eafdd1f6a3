#include "basedata/person_source.h"

#include "base/text.h"

namespace zhizhi::basedata {

namespace {

using linkage::MixBits;

std::uint64_t HashText(std::uint64_t h, const std::optional<std::string>& s) {
  h = MixBits(h ^ (s ? s->size() + 1 : 0));
  if (s)
    for (unsigned char c : *s)
      h = MixBits(h ^ c);
  return h;
}

enum Field { kName, kIdNumber, kSex, kBirthDate, kPhone, kAddress };  // FieldsOf(kPerson)

}  // namespace

std::u32string FoldName(const address::Standardizer* standardizer, std::string_view text,
                        size_t max_chars) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    char32_t c = DecodeUtf8(text, i);
    if (standardizer != nullptr) c = standardizer->normalizer().Fold(c);
    if (c == U' ' || c == U'\u3000' || c == U'\t') continue;
    if (c == U'•' || c == U'・' || c == U'.' || c == U'．') c = U'·';
    out.push_back(c);
  }
  if (out.size() > max_chars) out.clear();
  return out;
}

HouseKey PersonConverter::House(const std::string& address) {
  if (standardizer_ == nullptr || address.empty()) return {};
  if (auto it = houses_.find(address); it != houses_.end()) return it->second;
  HouseKey key;
  Result<address::Standardized> s = service_ != nullptr
                                        ? service_->Standardize(address)
                                        : standardizer_->Standardize(address, home_);
  if (s.ok() && s->standard_address_id) key.standard_address = *s->standard_address_id;
  if (s.ok() && s->division != address::kNoDivision) {
    const auto& g = standardizer_->gazetteer();
    const std::uint32_t village = g.AncestorAt(s->division, address::Level::kVillage);
    if (village != address::kNoDivision) key.village = g.at(village).code;
    const std::uint32_t county = g.AncestorAt(s->division, address::Level::kCounty);
    const auto& p = s->parts;
    if (county != address::kNoDivision && p.number) {
      std::uint64_t h = MixBits(g.at(county).code);
      for (const auto* part : {&p.road, &p.number, &p.building, &p.unit, &p.room})
        h = HashText(h, *part);
      key.house = h | 1;
    }
  }
  if (houses_.size() < 1'000'000) houses_.emplace(address, key);
  return key;
}

linkage::PersonRecord PersonConverter::Convert(const SourceRow& row,
                                               std::vector<RowIssue>* issues) {
  linkage::PersonRecord r;
  auto warn = [&](const char* field, std::string message) {
    issues->push_back({row.line, row.source_id, "invalid_value", field, std::move(message), false});
  };
  // Name: folded like addresses (traditional → simplified, full-width → ASCII), no spaces.
  if (const std::string& name = row.values[kName]; !name.empty()) {
    r.name = FoldName(standardizer_, name);
    if (r.name.empty()) warn("name", "a name of more than 40 characters");
  }
  if (const std::string& id = row.values[kIdNumber];
      !id.empty() && !linkage::ParseIdNumber(id, &r)) {
    warn("id_number", "not an 18-character ID number");
    r.id = {};
  } else if (!id.empty() && !r.id_valid) {
    issues->push_back({row.line, row.source_id, "id_number_checksum", "id_number",
                       "the check digit does not hold: kept for comparison, not as a key", false});
  }
  if (const std::string& d = row.values[kBirthDate];
      !d.empty() && !linkage::ParseBirthDate(d, &r.birth))
    warn("birth_date", QuoteForMessage(d) + " is not a date");
  if (const std::string& s = row.values[kSex]; !s.empty()) r.sex = s == "M" ? 'M' : 'F';
  if (const std::string& p = row.values[kPhone]; !p.empty() && !linkage::ParsePhone(p, &r.phone))
    warn("phone", QuoteForMessage(p) + " is not a phone number");
  const HouseKey house = House(row.values[kAddress]);
  r.house = house.house;
  r.village = house.village;
  return r;
}

}  // namespace zhizhi::basedata

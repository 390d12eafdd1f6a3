#include "basedata/record_store.h"

#include <charconv>
#include <cmath>
#include <unordered_set>

#include <sodium.h>

#include "base/text.h"
#include "base/uscc.h"
#include "linkage/person.h"

namespace zhizhi::basedata {

namespace {

// FieldsOf(kind) indices.
enum PersonIndex { kPersonName, kPersonId, kPersonSex, kPersonBirth, kPersonPhone, kPersonAddress };
enum HouseIndex { kHouseAddress, kHouseArea, kHouseUse, kOwnerName, kOwnerId, kOwnerPhone };
enum UnitIndex { kUnitUscc, kUnitName, kUnitAddress, kUnitPhone, kUnitLegalPerson };

// The largest floor area a house can have (m²): a value above it is a unit mistake (cm², a
// stray digit).
constexpr double kMaxArea = 100'000;

// Over the values as stored (`fields_text`, the JSON of r.fields), the ID number and the keys.
std::string Digest(const IncomingRecord& r, const std::string& fields_text, int priority) {
  std::string text = fields_text;
  text += '\0';
  text += r.id_number;
  text += '\0';
  text += r.keys.name;
  for (std::uint64_t v :
       {static_cast<std::uint64_t>(r.keys.birth), static_cast<std::uint64_t>(r.keys.sex),
        r.keys.phone, r.keys.house, r.keys.village,
        static_cast<std::uint64_t>(r.keys.standard_address), static_cast<std::uint64_t>(priority),
        static_cast<std::uint64_t>(r.withdrawn)}) {
    text += '\0';
    text += std::to_string(v);
  }
  text += '\0';
  text += r.keys.uscc;
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(hash), sizeof hash);
}

// Keeps the row's non-empty values under our field names, but for those in `leave_out`.
nlohmann::json FieldsJson(Kind kind, const SourceRow& row, std::initializer_list<int> leave_out) {
  nlohmann::json fields = nlohmann::json::object();
  const auto& names = FieldsOf(kind);
  for (size_t i = 0; i < names.size(); ++i) {
    if (row.values[i].empty()) continue;
    if (std::find(leave_out.begin(), leave_out.end(), static_cast<int>(i)) != leave_out.end())
      continue;
    fields[std::string(names[i])] = row.values[i];
  }
  return fields;
}

std::string IdOf(const linkage::PersonRecord& r) {
  return r.has_id() ? std::string(r.id.data(), r.id.size()) : std::string();
}

template <typename T>
std::optional<T> OptionalKey(T value) {
  return value == T{} ? std::nullopt : std::optional<T>(value);
}

std::optional<std::int64_t> OptionalSqlKey(std::uint64_t key) {
  return key == 0 ? std::nullopt : std::optional<std::int64_t>(KeyToSql(key));
}

std::optional<std::string> OptionalText(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

void Prepare(IncomingRecord* r, const security::FieldCipher& cipher, int priority) {
  r->fields_text = r->fields.dump();
  r->digest = Digest(*r, r->fields_text, priority);
  if (!r->id_number.empty()) {
    r->id_sealed = cipher.Seal(r->id_number);
    r->id_hash = IdLookupHash(cipher, r->id_number);
  }
}

std::string PhoneDigits(std::string_view text) {
  std::uint64_t value = 0;
  if (!linkage::ParsePhone(text, &value)) return "";
  std::string digits;
  for (char c : text)
    if (c >= '0' && c <= '9') digits += c;
  if (digits.size() == 13 && digits.starts_with("86")) digits = digits.substr(2);
  return digits;
}

std::string IdLookupHash(const security::FieldCipher& cipher, std::string_view id_number) {
  return cipher.LookupHash("01:" + std::string(id_number));
}

IncomingRecord RowConverter::Convert(const SourceRow& row, std::vector<RowIssue>* issues) {
  IncomingRecord r;
  r.source_id = row.source_id;
  r.line = row.line;
  r.withdrawn = row.withdrawn;
  auto warn = [&](const char* field, std::string message) {
    issues->push_back({row.line, row.source_id, "invalid_value", field, std::move(message), false});
  };
  auto phone = [&](int index, const char* field) {
    const std::string& text = row.values[index];
    if (!text.empty() && !linkage::ParsePhone(text, &r.keys.phone))
      warn(field, QuoteForMessage(text) + " is not a phone number");
  };
  switch (kind_) {
    case Kind::kPerson: {
      const linkage::PersonRecord p = persons_.Convert(row, issues);
      r.fields = FieldsJson(kind_, row, {kPersonId});
      r.id_number = IdOf(p);
      r.keys.name = ToUtf8(p.name);
      r.keys.birth = p.birth;
      r.keys.sex = p.sex;
      r.keys.phone = p.phone;
      r.keys.house = p.house;
      r.keys.village = p.village;
      if (p.house != 0)
        r.keys.standard_address = persons_.House(row.values[kPersonAddress]).standard_address;
      break;
    }
    case Kind::kHouse: {
      r.fields = FieldsJson(kind_, row, {kOwnerId});
      const HouseKey key = persons_.House(row.values[kHouseAddress]);
      r.keys.house = key.house;
      r.keys.village = key.village;
      r.keys.standard_address = key.standard_address;
      if (const std::string& area = row.values[kHouseArea]; !area.empty()) {
        double value = 0;
        const auto [end, ec] = std::from_chars(area.data(), area.data() + area.size(), value);
        if (ec != std::errc() || end != area.data() + area.size() || !std::isfinite(value) ||
            value <= 0 || value > kMaxArea) {
          warn("area", QuoteForMessage(area) + " is not a floor area in m²");
          r.fields.erase("area");
        }
      }
      if (const std::string& id = row.values[kOwnerId]; !id.empty()) {
        linkage::PersonRecord owner;
        if (linkage::ParseIdNumber(id, &owner))
          r.id_number = IdOf(owner);
        else
          warn("owner_id_number", "not an 18-character ID number");
      }
      if (!row.values[kOwnerName].empty())
        r.keys.name = ToUtf8(FoldName(standardizer_, row.values[kOwnerName]));
      phone(kOwnerPhone, "owner_phone");
      break;
    }
    case Kind::kUnit: {
      r.fields = FieldsJson(kind_, row, {});
      if (const std::string& uscc = row.values[kUnitUscc]; !uscc.empty()) {
        auto parsed = UnifiedSocialCreditCode::Parse(uscc, "uscc");
        if (parsed.ok()) {
          r.keys.uscc = parsed->str();
          r.fields["uscc"] = parsed->str();
        } else {
          warn("uscc", parsed.status().message() + ": kept, not a key");
        }
      }
      r.keys.name = ToUtf8(FoldName(standardizer_, row.values[kUnitName], 100));
      const HouseKey key = persons_.House(row.values[kUnitAddress]);
      r.keys.house = key.house;
      r.keys.village = key.village;
      r.keys.standard_address = key.standard_address;
      phone(kUnitPhone, "phone");
      break;
    }
  }
  return r;
}

nlohmann::json ImportCounts::ToJson() const {
  return {{"rows", rows},           {"added", added},         {"changed", changed},
          {"unchanged", unchanged}, {"withdrawn", withdrawn}, {"rejected", rejected},
          {"warnings", warnings}};
}

Result<ImportCounts> StoreRecords(store::Connection& conn, const security::FieldCipher& cipher,
                                  const Mapping& mapping, std::int64_t import_id,
                                  const std::vector<IncomingRecord>& records, std::int64_t now_ms,
                                  const AwaitRecords& await) {
  const char* kind = KindName(mapping.kind);
  ImportCounts counts;
  counts.rows = static_cast<std::int64_t>(records.size());
  std::unordered_set<std::string_view> seen;
  if (mapping.snapshot) seen.reserve(records.size());
  // A source's first import of this kind: no record can be known, so none is looked up (the
  // feed reader refused duplicate ids; one that got here anyway fails the job on the UNIQUE key).
  bool first = false;
  {
    auto s = conn.Prepare("SELECT 1 FROM source_records WHERE kind = ? AND source = ? LIMIT 1");
    s.Bind(1, kind).Bind(2, mapping.source);
    first = !s.Step();
    ZZ_RETURN_IF_ERROR(s.status());
  }
  IncomingRecord unprepared;
  size_t ready = await ? 0 : records.size();
  for (size_t i = 0; i < records.size(); ++i) {
    if (i >= ready) ready = await(i);
    const IncomingRecord& prepared = records[i];
    const IncomingRecord* record = &prepared;
    if (prepared.digest.empty()) {
      unprepared = prepared;
      Prepare(&unprepared, cipher, mapping.priority);
      record = &unprepared;
    }
    const IncomingRecord& r = *record;
    if (mapping.snapshot) seen.insert(prepared.source_id);
    const std::string& digest = r.digest;
    std::optional<std::int64_t> existing;
    bool was_withdrawn = false;
    if (!first) {
      auto s = conn.Prepare(
          "SELECT id, digest, withdrawn FROM source_records "
          "WHERE kind = ? AND source = ? AND source_id = ?");
      s.Bind(1, kind).Bind(2, mapping.source).Bind(3, r.source_id);
      if (s.Step()) {
        if (s.Blob(1) == digest) {
          ++counts.unchanged;
          continue;
        }
        existing = s.Int(0);
        was_withdrawn = s.Int(2) != 0;
      } else if (!s.status().ok()) {
        return s.status();
      }
    }
    if (!existing && r.withdrawn) continue;  // never seen, already withdrawn: nothing to keep
    auto s = existing
                 ? conn.Prepare(
                       "UPDATE source_records SET priority = ?4, digest = ?5, withdrawn = ?6, "
                       "import_id = ?7, line = ?8, fields = ?9, id_cipher = ?10, id_hash = ?11, "
                       "key_name = ?12, key_birth = ?13, key_sex = ?14, key_phone = ?15, "
                       "key_house = ?16, key_village = ?17, key_uscc = ?18, updated_at = ?19, "
                       "standard_address_id = ?21 WHERE id = ?20")
                 : conn.Prepare(
                       "INSERT INTO source_records(kind, source, source_id, priority, digest, "
                       "withdrawn, import_id, line, fields, id_cipher, id_hash, key_name, "
                       "key_birth, key_sex, key_phone, key_house, key_village, key_uscc, "
                       "updated_at, standard_address_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                       "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?21)");
    if (!existing) s.Bind(1, kind).Bind(2, mapping.source).Bind(3, r.source_id);
    s.Bind(4, mapping.priority)
        .BindBlob(5, digest)
        .Bind(6, r.withdrawn ? 1 : 0)
        .Bind(7, import_id)
        .Bind(8, r.line)
        .Bind(9, r.fields_text);
    if (!r.id_sealed.empty()) {
      s.BindBlob(10, r.id_sealed).BindBlob(11, r.id_hash);
    } else {
      s.BindNull(10).BindNull(11);
    }
    s.Bind(12, OptionalText(r.keys.name))
        .Bind(13, OptionalKey<std::int64_t>(r.keys.birth))
        .Bind(14,
              r.keys.sex ? std::optional<std::string>(std::string(1, r.keys.sex)) : std::nullopt)
        .Bind(15, OptionalSqlKey(r.keys.phone))
        .Bind(16, OptionalSqlKey(r.keys.house))
        .Bind(17, OptionalSqlKey(r.keys.village))
        .Bind(18, OptionalText(r.keys.uscc))
        .Bind(19, now_ms)
        .Bind(21, OptionalKey<std::int64_t>(r.keys.standard_address));
    if (existing) s.Bind(20, *existing);
    ZZ_RETURN_IF_ERROR(s.Run());
    if (!existing)
      ++counts.added;
    else if (r.withdrawn && !was_withdrawn)
      ++counts.withdrawn;
    else
      ++counts.changed;
  }
  if (mapping.snapshot) {
    std::vector<std::int64_t> gone;
    auto s = conn.Prepare(
        "SELECT id, source_id FROM source_records WHERE kind = ? AND source = ? AND withdrawn = 0");
    s.Bind(1, kind).Bind(2, mapping.source);
    while (s.Step())
      if (!seen.contains(s.Text(1))) gone.push_back(s.Int(0));
    ZZ_RETURN_IF_ERROR(s.status());
    for (std::int64_t id : gone) {
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE source_records SET withdrawn = 1, import_id = ?, "
                                      "updated_at = ? WHERE id = ?")
                             .Bind(1, import_id)
                             .Bind(2, now_ms)
                             .Bind(3, id)
                             .Run());
    }
    counts.withdrawn += static_cast<std::int64_t>(gone.size());
  }
  return counts;
}

Result<std::vector<LoadedRecord>> LoadRecords(store::Connection& conn,
                                              const security::FieldCipher& cipher, Kind kind) {
  std::vector<LoadedRecord> out;
  auto s = conn.Prepare(
      "SELECT id, entity_id, digest, key_name, key_birth, key_sex, key_phone, key_house, "
      "key_village, key_uscc, id_cipher, standard_address_id FROM source_records WHERE kind = ? "
      "AND withdrawn = 0 "
      "ORDER BY id");
  s.Bind(1, KindName(kind));
  while (s.Step()) {
    LoadedRecord r;
    r.id = s.Int(0);
    r.entity_id = s.OptInt(1).value_or(0);
    r.digest = s.Blob(2);
    r.keys.name = s.OptText(3).value_or("");
    r.keys.birth = static_cast<std::int32_t>(s.OptInt(4).value_or(0));
    if (auto sex = s.OptText(5); sex && !sex->empty()) r.keys.sex = (*sex)[0];
    r.keys.phone = KeyFromSql(s.OptInt(6).value_or(0));
    r.keys.house = KeyFromSql(s.OptInt(7).value_or(0));
    r.keys.village = KeyFromSql(s.OptInt(8).value_or(0));
    r.keys.uscc = s.OptText(9).value_or("");
    if (!s.IsNull(10)) {
      ZZ_ASSIGN_OR_RETURN(r.id_number, cipher.Unseal(s.Blob(10)));
    }
    r.keys.standard_address = s.OptInt(11).value_or(0);
    out.push_back(std::move(r));
  }
  ZZ_RETURN_IF_ERROR(s.status());
  return out;
}

}  // namespace zhizhi::basedata

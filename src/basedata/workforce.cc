// BaseData::SyncWorkforce: zhizhi's own workforce registry as the base-data source `workforce`.
// The registry's tables are read directly (one read snapshot) and turned into feed rows, so that
// the rest — conversion, digests, snapshots, linking, checks — is the same as for any source:
//   units   one per corp (USCC, name, address, legal person)          source id corp:<uscc>
//   houses  one per dormitory address of an open enrolment (use dormitory)  dorm:<hash>
//   people  one per person with an open enrolment: name, resident ID number, sex, birth date,
//           phone, the dormitory as address, the employer's USCC (works at)  person:<id>
// Workers who exit are withdrawn by the next sync (each kind is a snapshot).
#include <sodium.h>

#include "basedata/base_data.h"
#include "security/field_cipher.h"

namespace zhizhi::basedata {

namespace {

using nlohmann::json;

Mapping WorkforceMapping(Kind kind) {
  Mapping m;
  m.source = kWorkforceSource;
  m.kind = kind;
  m.key = "id";
  m.snapshot = true;
  m.priority = 40;  // below the public-security sources, above nothing
  const auto& fields = FieldsOf(kind);
  for (size_t i = 0; i < fields.size(); ++i)
    m.columns[i] = std::string(fields[i]);
  return m;
}

std::string DormKey(const std::string& address) {
  unsigned char hash[8];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(address.data()),
                     address.size(), nullptr, 0);
  return "dorm:" + security::ToHex(std::string_view(reinterpret_cast<const char*>(hash), 8));
}

struct Rows {
  std::vector<SourceRow> units, houses, people;
  std::vector<std::string> employers;  // per people row: the USCC of its open enrolment
};

Result<Rows> ReadRegistry(store::Connection& conn, const security::FieldCipher& cipher) {
  Rows rows;
  auto corps = conn.Prepare("SELECT uscc, name, address, legal_person FROM corps ORDER BY uscc");
  while (corps.Step()) {
    SourceRow row;
    row.source_id = "corp:" + corps.Text(0);
    // uscc, name, address, phone, legal_person
    row.values[0] = corps.Text(0);
    row.values[1] = corps.Text(1);
    row.values[2] = corps.OptText(2).value_or("");
    row.values[4] = corps.OptText(3).value_or("");
    rows.units.push_back(std::move(row));
  }
  ZZ_RETURN_IF_ERROR(corps.status());
  auto dorms = conn.Prepare(
      "SELECT DISTINCT dorm_address FROM enrolments WHERE exit_date IS NULL AND dorm_address IS "
      "NOT NULL AND dorm_address != '' ORDER BY 1");
  while (dorms.Step()) {
    SourceRow row;
    const std::string address = dorms.Text(0);
    row.source_id = DormKey(address);
    // address, area, use, owner_name, owner_id_number, owner_phone
    row.values[0] = address;
    row.values[2] = "dormitory";
    rows.houses.push_back(std::move(row));
  }
  ZZ_RETURN_IF_ERROR(dorms.status());
  // One row per person with an open enrolment: the latest one gives dormitory and employer.
  auto people = conn.Prepare(
      "SELECT p.id, p.name, p.id_type, p.id_cipher, p.sex, p.birth_date, p.phone, "
      "e.dorm_address, e.uscc FROM persons p JOIN enrolments e ON e.id = (SELECT MAX(id) FROM "
      "enrolments WHERE person_id = p.id AND exit_date IS NULL) ORDER BY p.id");
  while (people.Step()) {
    SourceRow row;
    row.source_id = "person:" + std::to_string(people.Int(0));
    // name, id_number, sex, birth_date, phone, address
    row.values[0] = people.Text(1);
    if (people.Text(2) == "01") {
      ZZ_ASSIGN_OR_RETURN(row.values[1], cipher.Unseal(people.Blob(3)));
    }
    row.values[2] = people.OptText(4).value_or("");
    row.values[3] = people.OptText(5).value_or("");
    row.values[4] = people.OptText(6).value_or("");
    row.values[5] = people.OptText(7).value_or("");
    rows.people.push_back(std::move(row));
    rows.employers.push_back(people.Text(8));
  }
  ZZ_RETURN_IF_ERROR(people.status());
  return rows;
}

}  // namespace

Result<json> BaseData::SyncWorkforce(const security::Actor& actor) {
  // Two syncs at once could store an older snapshot after a newer one.
  std::lock_guard lock(sync_mu_);
  ZZ_ASSIGN_OR_RETURN(const address::Standardizer* standardizer, addresses_->Get());
  ZZ_ASSIGN_OR_RETURN(std::uint32_t home, addresses_->Home());
  ZZ_ASSIGN_OR_RETURN(
      Rows rows, db_->Read([&](store::Connection& conn) { return ReadRegistry(conn, *cipher_); }));
  json out = json::object();
  auto store = [&](Kind kind, std::vector<SourceRow>& source_rows) -> Status {
    RowConverter converter(kind, standardizer, home, addresses_);
    std::vector<IncomingRecord> records;
    std::vector<RowIssue> issues;
    for (size_t i = 0; i < source_rows.size(); ++i) {
      IncomingRecord record = converter.Convert(source_rows[i], &issues);
      if (kind == Kind::kPerson && !rows.employers[i].empty()) {
        record.keys.uscc = rows.employers[i];
        record.fields["employer_uscc"] = rows.employers[i];
      }
      records.push_back(std::move(record));
    }
    ZZ_ASSIGN_OR_RETURN(json answer,
                        Store(
                            WorkforceMapping(kind), records,
                            [&]() -> const std::vector<RowIssue>& { return issues; }, actor,
                            /*keep_if_unchanged=*/false));
    out[KindName(kind)] = std::move(answer);
    return Status::Ok();
  };
  ZZ_RETURN_IF_ERROR(store(Kind::kUnit, rows.units));
  ZZ_RETURN_IF_ERROR(store(Kind::kHouse, rows.houses));
  ZZ_RETURN_IF_ERROR(store(Kind::kPerson, rows.people));
  return out;
}

}  // namespace zhizhi::basedata

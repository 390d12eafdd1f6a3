#include "address/address_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <unordered_set>

#include "base/civil_time.h"
#include "base/clock.h"
#include "base/csv.h"
#include "base/text.h"
#include "pinyin/pinyin.h"

namespace zhizhi::address {

using nlohmann::json;

namespace {

json OptText(const store::Statement& s, int column) {
  return s.IsNull(column) ? json(nullptr) : json(s.Text(column));
}

// A code names one thing: why `code` cannot be a road (`road`) or an address (not `road`)
// because the other table has it, or nullopt.
Result<std::optional<std::string>> CodeTaken(store::Connection& conn, bool road,
                                             const std::string& code) {
  ZZ_ASSIGN_OR_RETURN(
      const bool taken,
      road ? store::RowExists(conn, "SELECT 1 FROM standard_addresses WHERE code = ?", code)
           : store::RowExists(conn, "SELECT 1 FROM standard_roads WHERE code = ?", code));
  if (!taken) return std::optional<std::string>();
  return std::optional<std::string>(
      "code " + code +
      (road ? " is a standard address, not a road" : " is a road (街路巷), not an address"));
}

}  // namespace

AddressService::AddressService(store::Database* db, std::string gazetteer_dir, std::string region)
    : db_(db),
      dir_(gazetteer_dir.empty() ? Gazetteer::DefaultDir() : std::move(gazetteer_dir)),
      region_(std::move(region)) {}

AddressService::~AddressService() {
  // A load still running holds no pointer to us beyond its own result; wait for it to end.
  if (loaded_.valid()) loaded_.wait();
}

void AddressService::StartLoading() {
  std::call_once(start_once_, [this] {
    loaded_ = std::async(std::launch::async, [dir = dir_, region = region_] {
                auto loaded = std::make_shared<Loaded>();
                const auto started = std::chrono::steady_clock::now();
                auto standardizer = Standardizer::Load(dir);
                if (!standardizer.ok()) {
                  loaded->status = Status::Unavailable("the gazetteer is unavailable: " +
                                                       standardizer.status().message());
                  spdlog::error("event=gazetteer_failed dir=\"{}\" error=\"{}\"", dir,
                                standardizer.status().ToString());
                  return std::shared_ptr<const Loaded>(loaded);
                }
                loaded->standardizer = std::move(standardizer).value();
                if (!region.empty()) {
                  const auto home = loaded->standardizer->gazetteer().Find(region);
                  if (!home) {
                    loaded->status = Status::Unavailable("region " + region +
                                                         " is no division of the gazetteer");
                    spdlog::error("event=gazetteer_failed error=\"unknown region {}\"", region);
                    return std::shared_ptr<const Loaded>(loaded);
                  }
                  loaded->home = *home;
                }
                spdlog::info("event=gazetteer_loaded source=\"{}\" divisions={} ms={}",
                             loaded->standardizer->gazetteer().source(),
                             loaded->standardizer->gazetteer().size(),
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count());
                return std::shared_ptr<const Loaded>(loaded);
              }).share();
  });
}

Result<const Standardizer*> AddressService::Get() const {
  const_cast<AddressService*>(this)->StartLoading();
  const auto& loaded = loaded_.get();
  if (!loaded->status.ok()) return loaded->status;
  // The base needs the standardiser; the first caller builds it.
  if (!book()) ZZ_RETURN_IF_ERROR(ReloadBook());
  return loaded->standardizer.get();
}

Result<std::uint32_t> AddressService::Home() const {
  ZZ_RETURN_IF_ERROR(Get().status());
  return loaded_.get()->home;
}

std::shared_ptr<const AddressService::Book> AddressService::book() const {
  std::lock_guard lock(book_mu_);
  return book_;
}

std::string AddressService::MatchKey(const Standardizer& s, const Standardized& a) {
  std::string key = s.CodeAt(a, Level::kCounty);
  for (const auto* part :
       {&a.parts.road, &a.parts.number, &a.parts.building, &a.parts.unit, &a.parts.room}) {
    key += '|';
    if (*part) key += **part;
  }
  return key;
}

Status AddressService::ReloadBook() const {
  // One reload at a time, read and install together: an older read never replaces a newer one.
  std::lock_guard reloading(reload_mu_);
  if (!loaded_.valid()) return Status::Unavailable("the gazetteer is not loading");
  const auto& loaded = loaded_.get();
  if (!loaded->status.ok()) return loaded->status;
  const Gazetteer& g = loaded->standardizer->gazetteer();
  auto next = std::make_shared<Book>();
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT id, match_key, village FROM standard_addresses");
    while (s.Step()) {
      const auto village = g.Find(s.Text(2));
      if (!village) continue;  // a community the gazetteer no longer has
      next->by_key.emplace(s.Text(1), BookEntry{s.Int(0), *village});
    }
    ZZ_RETURN_IF_ERROR(s.status());
    // The roads the county's addresses use, then its register (街路巷): a registered road is
    // authoritative on its own, without a door plate of the base behind it.
    auto r = conn.Prepare(
        "SELECT county, road, 0 FROM standard_addresses WHERE road IS NOT NULL "
        "UNION SELECT county, name, 1 FROM standard_roads");
    while (r.Step()) {
      const std::string county = r.Text(0);
      const std::string road = r.Text(1);
      std::string key = county + '|' + road;
      if (r.Int(2) == 1) next->registered.insert(key);
      if (next->known.insert(std::move(key)).second) next->roads[county].push_back(FromUtf8(road));
    }
    return r.status();
  }));
  std::lock_guard lock(book_mu_);
  book_ = std::move(next);
  return Status::Ok();
}

Result<Standardized> AddressService::Standardize(std::string_view input) const {
  ZZ_ASSIGN_OR_RETURN(const Standardizer* s, Get());
  ZZ_ASSIGN_OR_RETURN(Standardized a, s->Standardize(input, loaded_.get()->home));
  const auto current = book();
  if (!current || (current->by_key.empty() && current->roads.empty()) || !a.parts.road) return a;
  const double confidence = a.confidence;
  const std::string county = s->CodeAt(a, Level::kCounty);
  const bool by_ear = CorrectRoad(*current, county, a);
  auto it = a.parts.number ? current->by_key.find(MatchKey(*s, a)) : current->by_key.end();
  if (a.road_as_typed && it == current->by_key.end() &&
      !(by_ear && current->registered.contains(county + '|' + *a.parts.road))) {
    // A correction stands only when it names an address of the base, or a road of the county's
    // register whose character sounds like the one typed: 2号大街 is not 3号大街, and a register
    // that lacks a road must not turn it into any road one character away.
    a.parts.road = std::move(a.road_as_typed);
    a.road_as_typed.reset();
    a.confidence = confidence;
  }
  if (a.road_as_typed) a.canonical = s->Canonical(a);
  if (it == current->by_key.end()) return a;
  const Gazetteer& g = s->gazetteer();
  const BookEntry& entry = it->second;
  // The base knows the community: a text that stopped above it, on the same chain, is completed.
  if (a.division == kNoDivision || g.IsAncestor(a.division, entry.village) ||
      a.division == entry.village) {
    if (a.division != entry.village) {
      a.division = entry.village;
      a.confidence = std::round(std::min(1.0, a.confidence + 0.05) * 100.0) / 100.0;
    }
    a.standard_address_id = entry.id;
    a.canonical = s->Canonical(a);
  }
  return a;
}

bool AddressService::CorrectRoad(const Book& book, const std::string& county, Standardized& a) {
  if (county.empty() || book.known.contains(county + '|' + *a.parts.road)) return false;
  const auto roads = book.roads.find(county);
  if (roads == book.roads.end()) return false;
  auto direction = [](char32_t c) {
    return c == U'东' || c == U'西' || c == U'南' || c == U'北' || c == U'中';
  };
  const std::u32string typed = FromUtf8(*a.parts.road);
  // The roads one character off; of two or more, the one whose character sounds like the typed
  // one (文海楠路: 文海南路, not 文海北路), else the one whose character sounds near it to a
  // speaker who does not tell ming from min (人明路: 人民路, not 光明路) — people type roads by
  // ear.
  const std::u32string* only = nullptr;
  const std::u32string* only_alike = nullptr;
  const std::u32string* only_near = nullptr;
  int close = 0, alike = 0, near = 0;
  for (const std::u32string& road : roads->second) {
    if (road == typed) return false;  // a road of the base: nothing to correct
    if (road.size() != typed.size() || road.size() < 3 || road.back() != typed.back()) continue;
    size_t differ = 0, at = 0;
    bool digit = false;  // a number in a road's name is not a typo (2号大街, 3号大街)
    for (size_t i = 0; i < road.size() && differ < 2; ++i) {
      if (road[i] == typed[i]) continue;
      ++differ;
      at = i;
      digit =
          digit || (road[i] >= U'0' && road[i] <= U'9') || (typed[i] >= U'0' && typed[i] <= U'9');
    }
    if (differ != 1 || digit) continue;
    // 人民东路 is not a typo of 人民西路: another direction is another road.
    if (direction(road[at]) && direction(typed[at])) continue;
    ++close;
    only = &road;
    if (pinyin::SoundAlike(road[at], typed[at])) {
      ++alike;
      only_alike = &road;
    }
    if (pinyin::SoundsNear(road[at], typed[at])) {
      ++near;
      only_near = &road;
    }
  }
  if (close > 1) {  // else: too close to call
    only = alike == 1 ? only_alike : alike == 0 && near == 1 ? only_near : nullptr;
  }
  if (only == nullptr) return false;
  a.road_as_typed = a.parts.road;
  a.parts.road = ToUtf8(*only);
  a.confidence = std::round(a.confidence * 0.95 * 100.0) / 100.0;
  return only == only_near || only == only_alike;
}

json AddressService::Answer(const Result<Standardized>& result) const {
  if (!result.ok()) {
    return {{"error", {{"code", result.status().code()}, {"message", result.status().message()}}}};
  }
  auto s = Get();
  return s.ok() ? (*s)->ToJson(*result)
                : json{{"error", {{"code", s.status().code()}, {"message", s.status().message()}}}};
}

bool AddressService::Ready() const {
  const_cast<AddressService*>(this)->StartLoading();
  return loaded_.wait_for(std::chrono::seconds(0)) == std::future_status::ready &&
         loaded_.get()->status.ok() && book() != nullptr;
}

Result<SettledAddress> AddressService::Settle(std::string_view input) const {
  SettledAddress settled;
  // Inside a write job: never wait for the gazetteer. Until it is ready the address stays
  // unsettled, and SettleDormitories (registry) settles it once it is.
  if (!Ready()) {
    settled.pending = true;
    return settled;
  }
  auto ready = Get();
  // Without a gazetteer the enrolment is still taken; its community stays unsettled, and the
  // residence registration lists it as missing (the log said why at load).
  if (!ready.ok() && ready.status().kind() == StatusKind::kUnavailable) return settled;
  ZZ_ASSIGN_OR_RETURN(const Standardizer* s, std::move(ready));
  auto a = Standardize(input);
  if (!a.ok()) {
    if (a.status().kind() == StatusKind::kUnavailable ||
        a.status().kind() == StatusKind::kInternal) {
      return a.status();
    }
    return settled;  // not an address: nothing settled
  }
  settled.canonical = a->canonical;
  settled.standard_address_id = a->standard_address_id;
  if (a->division != kNoDivision && s->gazetteer().LevelOf(a->division) == Level::kVillage) {
    settled.community = s->gazetteer().Code(a->division);
  }
  return settled;
}

Result<ImportSummary> AddressService::Import(
    std::string csv_text, bool partial,
    const std::function<Status(store::Connection&, const ImportSummary&)>& also) {
  ZZ_ASSIGN_OR_RETURN(const Standardizer* s, Get());
  const Gazetteer& g = s->gazetteer();
  ZZ_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::FromBuffer(std::move(csv_text)));
  std::vector<std::string> fields;
  if (!reader.Next(&fields)) {
    if (!reader.status().ok()) return reader.status();
    return Status::InvalidArgument("content", "the file is empty; it needs a header line");
  }
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < fields.size(); ++i)
    column[ToUpperAscii(Trim(fields[i]))] = i;  // headers in any case
  for (const char* required : {"code", "kind", "address"}) {
    if (!column.count(ToUpperAscii(required))) {
      return Status::InvalidArgument("content", std::string("the header has no column \"") +
                                                    required +
                                                    "\" (code, kind, address; "
                                                    "optional village, parent_code)");
    }
  }
  auto field = [&](const char* name) -> std::string {
    const auto it = column.find(ToUpperAscii(name));
    if (it == column.end() || it->second >= fields.size()) return "";
    return std::string(Trim(fields[it->second]));
  };

  struct Row {
    int line;
    std::string code, kind, parent_code, source;
    Standardized a;
  };
  std::vector<Row> rows;
  ImportSummary summary;
  std::map<std::string, int> seen;
  while (reader.Next(&fields)) {
    Row row;
    row.line = reader.line();
    auto fail = [&](std::string code, std::string message) {
      summary.errors.push_back({row.line, std::move(code), std::move(message)});
    };
    row.code = field("code");
    std::string kind = field("kind");
    row.source = field("address");
    row.parent_code = field("parent_code");
    if (row.code.empty() || row.code.size() > 64 || HasControlChars(row.code)) {
      fail("invalid_code", "code must be 1–64 characters");
      continue;
    }
    if (seen.count(row.code)) {
      fail("duplicate_code",
           "code " + row.code + " is also on line " + std::to_string(seen[row.code]));
      continue;
    }
    if (kind == "door" || kind == "门楼牌") {
      row.kind = "door";
    } else if (kind == "household" || kind == "层户") {
      row.kind = "household";
    } else if (kind == "road" || kind == "街路巷") {
      row.kind = "road";
    } else {
      fail("invalid_kind", "kind must be door (门楼牌), household (层户) or road (街路巷), not " +
                               QuoteForMessage(kind));
      continue;
    }
    auto a = s->Standardize(row.source, loaded_.get()->home);
    if (!a.ok()) {
      fail(a.status().code(), a.status().message());
      continue;
    }
    if (const std::string village = field("village"); !village.empty()) {
      const auto v = g.Find(village);
      if (!v || g.LevelOf(*v) != Level::kVillage) {
        fail("unknown_village", "village " + QuoteForMessage(village) +
                                    " is no 12-digit community code of the gazetteer");
        continue;
      }
      if (a->division != kNoDivision && a->division != *v && !g.IsAncestor(a->division, *v)) {
        fail("village_mismatch", "the address reads as " + s->CodeAt(*a, g.LevelOf(a->division)) +
                                     ", which does not hold village " + village);
        continue;
      }
      a->division = *v;
    }
    if (row.kind == "road") {
      // A road of the register: its county (a town may narrow it), its name, nothing more.
      if (s->CodeAt(*a, Level::kCounty).empty()) {
        fail("county_unsettled", "the road's text does not settle its county; name it");
        continue;
      }
      if (!a->parts.road || a->parts.number || a->parts.building || a->parts.unit ||
          a->parts.room || !row.parent_code.empty()) {
        fail("kind_mismatch",
             "a road (街路巷) is its county and its name, without door number, detail or parent");
        continue;
      }
      seen[row.code] = row.line;
      row.a = std::move(a).value();
      rows.push_back(std::move(row));
      continue;
    }
    if (a->division == kNoDivision || g.LevelOf(a->division) != Level::kVillage) {
      fail("village_unsettled",
           "the address does not name its community; add it to the text or a village column");
      continue;
    }
    if (!a->parts.road || !a->parts.number) {
      fail("door_unsettled", "a standard address needs its road and door number");
      continue;
    }
    const bool detail = a->parts.building || a->parts.unit || a->parts.room;
    if (row.kind == "door" && detail) {
      fail("kind_mismatch",
           "a door plate (门楼牌) has no building, unit or room; this is a household");
      continue;
    }
    if (row.kind == "household" && !detail) {
      fail("kind_mismatch", "a household (层户) address needs a building, unit or room");
      continue;
    }
    seen[row.code] = row.line;
    row.a = std::move(a).value();
    rows.push_back(std::move(row));
  }
  if (!reader.status().ok()) return reader.status();
  // A code names one thing: a road's code that is an address's (or the other way round) is the
  // row's error. The write job checks again, in case another import took the code meanwhile.
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    for (Row& row : rows) {
      ZZ_ASSIGN_OR_RETURN(auto taken, CodeTaken(conn, row.kind == "road", row.code));
      if (!taken) continue;
      summary.errors.push_back({row.line, "code_taken", std::move(*taken)});
      row.code.clear();
    }
    return Status::Ok();
  }));
  std::erase_if(rows, [](const Row& row) { return row.code.empty(); });
  std::stable_sort(summary.errors.begin(), summary.errors.end(),
                   [](const ImportError& a, const ImportError& b) { return a.line < b.line; });
  if (!summary.errors.empty() && !partial) return summary;  // nothing written

  const std::int64_t now = NowUnixMs();
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    int imported = 0, updated = 0;
    for (const Row& row : rows) {
      // Checked above; again here in case another import took the code meanwhile.
      ZZ_ASSIGN_OR_RETURN(auto taken, CodeTaken(conn, row.kind == "road", row.code));
      if (taken) {
        return Status::Rule("code_taken", "content",
                            "line " + std::to_string(row.line) + ": " + *taken);
      }
      if (row.kind == "road") {
        ZZ_ASSIGN_OR_RETURN(
            const bool known,
            store::RowExists(conn, "SELECT 1 FROM standard_roads WHERE code = ?", row.code));
        auto w = conn.Prepare(
            "INSERT INTO standard_roads(code, county, town, name, source_text, updated_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET county = excluded.county, "
            "town = excluded.town, name = excluded.name, source_text = excluded.source_text, "
            "updated_at = excluded.updated_at");
        const std::string town = s->CodeAt(row.a, Level::kTown);
        w.Bind(1, row.code).Bind(2, s->CodeAt(row.a, Level::kCounty));
        w.Bind(3, town.empty() ? std::optional<std::string>() : std::optional<std::string>(town));
        w.Bind(4, *row.a.parts.road).Bind(5, row.source).Bind(6, now);
        ZZ_RETURN_IF_ERROR(w.Run());
        (known ? updated : imported) += 1;
        continue;
      }
      std::optional<std::int64_t> parent;
      if (!row.parent_code.empty()) {
        auto p = conn.Prepare("SELECT id FROM standard_addresses WHERE code = ?");
        p.Bind(1, row.parent_code);
        if (p.Step()) {
          parent = p.Int(0);
        } else {
          ZZ_RETURN_IF_ERROR(p.status());
          // Parents come first: in the base already, or on an earlier line of the file.
          return Status::Rule("unknown_parent", "content",
                              "line " + std::to_string(row.line) + ": parent_code " +
                                  row.parent_code + " is not a standard address");
        }
      }
      ZZ_ASSIGN_OR_RETURN(
          const bool known,
          store::RowExists(conn, "SELECT 1 FROM standard_addresses WHERE code = ?", row.code));
      auto w = conn.Prepare(
          "INSERT INTO standard_addresses(code, kind, parent_id, county, town, village, road, "
          "number, building, unit, room, canonical, match_key, source_text, updated_at) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET "
          "kind = excluded.kind, parent_id = excluded.parent_id, county = excluded.county, "
          "town = excluded.town, village = excluded.village, road = excluded.road, "
          "number = excluded.number, building = excluded.building, unit = excluded.unit, "
          "room = excluded.room, canonical = excluded.canonical, match_key = excluded.match_key, "
          "source_text = excluded.source_text, updated_at = excluded.updated_at");
      const Standardized& a = row.a;
      w.Bind(1, row.code).Bind(2, row.kind).Bind(3, parent);
      w.Bind(4, s->CodeAt(a, Level::kCounty)).Bind(5, s->CodeAt(a, Level::kTown));
      w.Bind(6, s->CodeAt(a, Level::kVillage));
      w.Bind(7, a.parts.road).Bind(8, a.parts.number).Bind(9, a.parts.building);
      w.Bind(10, a.parts.unit).Bind(11, a.parts.room);
      // With a village column the text's canonical may stop above it: rebuilt from the chain.
      const std::string canonical = s->Canonical(a);
      w.Bind(12, canonical).Bind(13, MatchKey(*s, a)).Bind(14, row.source).Bind(15, now);
      ZZ_RETURN_IF_ERROR(w.Run());
      (known ? updated : imported) += 1;
    }
    summary.imported = imported;
    summary.updated = updated;
    return also ? also(conn, summary) : Status::Ok();
  }));
  if (Status reloaded = ReloadBook(); !reloaded.ok()) {
    // The rows are committed: the answer says so; the base in memory is read again on next use.
    spdlog::error("event=address_book_reload_failed error=\"{}\"", reloaded.ToString());
    std::lock_guard lock(book_mu_);
    book_.reset();
  }
  return summary;
}

Result<json> AddressService::List(const std::string& q, const std::string& village,
                                  std::int64_t after_id, int limit) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(
        "SELECT id, code, kind, parent_id, county, town, village, road, number, building, unit, "
        "room, canonical FROM standard_addresses WHERE id > ?1 "
        "AND (?2 = '' OR village = ?2) "
        "AND (?3 = '' OR instr(canonical, ?3) > 0 OR code = ?3 OR instr(source_text, ?3) > 0) "
        "ORDER BY id LIMIT ?4");
    s.Bind(1, after_id).Bind(2, village).Bind(3, q).Bind(4, limit);
    json items = json::array();
    while (s.Step()) {
      items.push_back({{"id", s.Int(0)},
                       {"code", s.Text(1)},
                       {"kind", s.Text(2)},
                       {"parent_id", s.IsNull(3) ? json(nullptr) : json(s.Int(3))},
                       {"county", s.Text(4)},
                       {"town", OptText(s, 5)},
                       {"village", s.Text(6)},
                       {"road", OptText(s, 7)},
                       {"number", OptText(s, 8)},
                       {"building", OptText(s, 9)},
                       {"unit", OptText(s, 10)},
                       {"room", OptText(s, 11)},
                       {"canonical", s.Text(12)}});
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return items;
  });
}

Result<json> AddressService::ListRoads(const std::string& q, const std::string& county,
                                       std::int64_t after_id, int limit) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(
        "SELECT id, code, county, town, name, source_text FROM standard_roads WHERE id > ?1 "
        "AND (?2 = '' OR county = ?2) AND (?3 = '' OR instr(name, ?3) > 0 OR code = ?3) "
        "ORDER BY id LIMIT ?4");
    s.Bind(1, after_id).Bind(2, county).Bind(3, q).Bind(4, limit);
    json items = json::array();
    while (s.Step()) {
      items.push_back({{"id", s.Int(0)},
                       {"code", s.Text(1)},
                       {"county", s.Text(2)},
                       {"town", OptText(s, 3)},
                       {"name", s.Text(4)},
                       {"source_text", s.Text(5)}});
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return items;
  });
}

Result<json> AddressService::Division(std::string_view code) const {
  ZZ_ASSIGN_OR_RETURN(const Standardizer* s, Get());
  const Gazetteer& g = s->gazetteer();
  std::uint32_t index = kNoDivision;
  if (!code.empty()) {
    const auto found = g.Find(code);
    if (!found) return Status::NotFound("no division " + QuoteForMessage(code), "code");
    index = *found;
  }
  json children = json::array();
  for (std::uint32_t child : g.Children(index))
    children.push_back({{"code", g.Code(child)}, {"name", std::string(g.Name(child))}});
  if (index == kNoDivision) {
    return json{{"code", nullptr},
                {"name", nullptr},
                {"level", nullptr},
                {"parent", nullptr},
                {"children", std::move(children)},
                {"source", g.source()}};
  }
  const std::uint32_t parent = g.at(index).parent;
  return json{{"code", g.Code(index)},
              {"name", std::string(g.Name(index))},
              {"level", LevelName(g.LevelOf(index))},
              {"parent", parent == kNoDivision ? json(nullptr) : json(g.Code(parent))},
              {"children", std::move(children)}};
}

}  // namespace zhizhi::address

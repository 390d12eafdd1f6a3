#include "basedata/base_data.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/civil_time.h"
#include "base/text.h"
#include "basedata/checks.h"
#include "basedata/entities.h"
#include "basedata/feed.h"
#include "basedata/record_store.h"
#include "linkage/person.h"
#include "security/principal.h"

namespace zhizhi::basedata {

namespace {

using nlohmann::json;

constexpr Kind kKinds[] = {Kind::kPerson, Kind::kHouse, Kind::kUnit};

unsigned Bit(Kind kind) {
  return 1u << static_cast<int>(kind);
}

// The entity kinds' names in messages and targets ("person 12", "base_person:12").
const char* Noun(Kind kind) {
  return KindName(kind);
}

json IssueJson(const RowIssue& issue) {
  json j = {{"line", issue.line}, {"code", issue.code}, {"message", issue.message}};
  if (!issue.source_id.empty()) j["source_id"] = issue.source_id;
  if (!issue.field.empty()) j["field"] = issue.field;
  j["rejected"] = issue.rejected;
  return j;
}

std::string ShownId(const security::FieldCipher& cipher, const std::string& sealed, bool pii) {
  auto plain = cipher.Unseal(sealed);
  if (!plain.ok()) return "";
  return pii ? *plain : security::MaskIdNumber(*plain);
}

// The ID number's field of a kind ("" for units).
const char* IdField(Kind kind) {
  return kind == Kind::kPerson ? "id_number" : kind == Kind::kHouse ? "owner_id_number" : "";
}

// A source record as the API shows it.
json RecordJson(const security::FieldCipher& cipher, Kind kind, store::Statement& s, int first,
                bool pii) {
  // Columns from `first`: id, source, source_id, fields, id_cipher, updated_at, entity_id.
  json fields = json::parse(s.Text(first + 3), nullptr, false);
  if (!fields.is_object()) fields = json::object();
  if (!s.IsNull(first + 4)) fields[IdField(kind)] = ShownId(cipher, s.Blob(first + 4), pii);
  json j = {{"record_id", s.Int(first)},
            {"source", s.Text(first + 1)},
            {"source_id", s.Text(first + 2)},
            {"fields", std::move(fields)},
            {"updated_at", FormatRfc3339(s.Int(first + 5))}};
  j["entity_id"] = s.IsNull(first + 6) ? json(nullptr) : json(s.Int(first + 6));
  return j;
}

// The golden record's fields as the API shows them: {field: {value, source, source_id, agree,
// of}}, the ID number unsealed (masked without `pii`).
json GoldenJson(const security::FieldCipher& cipher, Kind kind, const std::string& golden,
                const std::optional<std::string>& sealed, bool pii) {
  json fields = json::parse(golden, nullptr, false);
  if (!fields.is_object()) fields = json::object();
  if (sealed && fields.contains(IdField(kind)))
    fields[IdField(kind)]["value"] = ShownId(cipher, *sealed, pii);
  return fields;
}

std::optional<std::string> OptBlob(store::Statement& s, int column) {
  return s.IsNull(column) ? std::nullopt : std::optional<std::string>(s.Blob(column));
}

// An entity in a list: its golden values (without provenance).
json Summary(const security::FieldCipher& cipher, Kind kind, store::Statement& s, bool pii) {
  // Columns: id, golden, id_cipher, village, records, updated_at.
  const json golden = GoldenJson(cipher, kind, s.Text(1), OptBlob(s, 2), pii);
  json j = {{"id", s.Int(0)}};
  for (std::string_view name : FieldsOf(kind)) {
    const std::string field(name);
    auto it = golden.find(field);
    j[field] = it != golden.end() && it->contains("value") ? (*it)["value"] : json(nullptr);
  }
  j["village"] = s.IsNull(3) ? json(nullptr) : json(s.Text(3));
  j["records"] = s.Int(4);
  j["updated_at"] = FormatRfc3339(s.Int(5));
  return j;
}

constexpr const char* kSummaryColumns =
    "e.id, e.golden, e.id_cipher, e.village, e.records, "
    "e.updated_at";

// An entity's links, through the live records' keys: ?1 is the entity's id, or its house key.
struct LinkQuery {
  Kind of;
  const char* name;
  const char* where;
  bool by_house_key;
  int limit;
};
constexpr const char* kLinkedEntities =
    "SELECT e.id, e.golden, e.id_cipher, e.village, e.records, e.updated_at, e.kind FROM "
    "entities e WHERE ";
constexpr LinkQuery kLinkQueries[] = {
    // A person lives at the houses its records name, and works for the units whose USCC its
    // (workforce) records carry.
    {Kind::kPerson, "houses",
     "e.kind = 'house' AND e.house_key IN (SELECT key_house FROM source_records WHERE entity_id "
     "= ?1 AND withdrawn = 0 AND key_house IS NOT NULL)",
     false, 100},
    {Kind::kPerson, "units",
     "e.id IN (SELECT u.entity_id FROM source_records u WHERE u.kind = 'unit' AND u.withdrawn = "
     "0 AND u.key_uscc IN (SELECT key_uscc FROM source_records WHERE entity_id = ?1 AND "
     "withdrawn = 0 AND key_uscc IS NOT NULL))",
     false, 100},
    {Kind::kHouse, "occupants",
     "e.id IN (SELECT entity_id FROM source_records WHERE kind = 'person' AND key_house = ?1 AND "
     "withdrawn = 0)",
     true, 1000},
    {Kind::kHouse, "units",
     "e.id IN (SELECT entity_id FROM source_records WHERE kind = 'unit' AND key_house = ?1 AND "
     "withdrawn = 0)",
     true, 100},
    {Kind::kUnit, "people",
     "e.id IN (SELECT p.entity_id FROM source_records p WHERE p.kind = 'person' AND p.withdrawn "
     "= 0 AND p.key_uscc IN (SELECT key_uscc FROM source_records WHERE entity_id = ?1 AND "
     "withdrawn = 0 AND key_uscc IS NOT NULL))",
     false, 1000},
    {Kind::kUnit, "houses", "e.kind = 'house' AND e.house_key = ?1", true, 10},
};

// A page of a list keyed by id: its items and the cursor of the next page (null at the end).
json Paged(json items, const store::Page& page) {
  json next = nullptr;
  if (static_cast<int>(items.size()) == page.limit)
    next = page.NextCursor(std::to_string(items.back()["id"].get<std::int64_t>()));
  return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

Result<Kind> KindOf(std::string_view name) {
  for (Kind k : kKinds)
    if (name == KindName(k)) return k;
  return Status::Internal("unknown kind " + std::string(name));
}

}  // namespace

BaseData::BaseData(store::Database* db, const security::FieldCipher* cipher,
                   const security::AuditLog* audit, const address::AddressService* addresses,
                   BaseDataOptions options)
    : db_(db), cipher_(cipher), audit_(audit), addresses_(addresses), options_(options) {}

BaseData::~BaseData() {
  Stop();
}

Status BaseData::Start() {
  ZZ_ASSIGN_OR_RETURN(std::vector<std::string> kinds,
                      db_->Read([](store::Connection& conn) -> Result<std::vector<std::string>> {
                        std::vector<std::string> out;
                        auto s = conn.Prepare(
                            "SELECT DISTINCT kind FROM basedata_imports WHERE status = 'running'");
                        while (s.Step())
                          out.push_back(s.Text(0));
                        ZZ_RETURN_IF_ERROR(s.status());
                        return out;
                      }));
  for (const std::string& name : kinds) {
    ZZ_ASSIGN_OR_RETURN(Kind kind, KindOf(name));
    Queue(kind);
  }
  std::lock_guard lock(mu_);
  // The registry, at once (unless syncs are only on demand).
  sync_wanted_ = options_.workforce_sync_interval.count() > 0;
  if (!linker_.joinable() && !stopping_) linker_ = std::thread([this] { LinkerLoop(); });
  return Status::Ok();
}

void BaseData::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (linker_.joinable()) linker_.join();
}

void BaseData::Queue(Kind kind) {
  {
    std::lock_guard lock(mu_);
    dirty_ |= Bit(kind);
    ++requested_[static_cast<int>(kind)];
  }
  cv_.notify_all();
}

Status BaseData::WaitForPersonLinking(std::chrono::milliseconds timeout) {
  const int k = static_cast<int>(Kind::kPerson);
  std::unique_lock lock(mu_);
  const std::uint64_t target = requested_[k];
  if (!linked_cv_.wait_for(lock, timeout, [&] { return covered_[k] >= target || stopping_; }))
    return Status::Unavailable("person records are still being linked");
  return Status::Ok();
}

void BaseData::LinkerLoop() {
  for (;;) {
    unsigned work = 0;
    bool sync = false;
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return stopping_ || dirty_ != 0 || sync_wanted_; };
      bool timed_out = false;
      if (options_.workforce_sync_interval.count() > 0)
        timed_out = !cv_.wait_for(lock, options_.workforce_sync_interval, ready);
      else
        cv_.wait(lock, ready);
      // Work left at a stop is found again at the next start (its imports are still running).
      if (stopping_) return;
      sync = timed_out || sync_wanted_;
      sync_wanted_ = false;
    }
    if (sync) {
      if (auto synced = SyncWorkforce(security::Actor::Command("workforce-sync")); !synced.ok())
        spdlog::warn("event=workforce_sync_failed error={}", synced.status().message());
    }
    {
      std::lock_guard lock(mu_);
      work = dirty_;
      dirty_ = 0;
    }
    for (Kind kind : kKinds) {
      if ((work & Bit(kind)) == 0) continue;
      if (Status s = Link(kind); !s.ok())
        spdlog::error("event=basedata_link_failed kind={} error={}", KindName(kind), s.message());
    }
  }
}

Status BaseData::LinkNow(Kind kind) {
  return Link(kind);
}

Status BaseData::Link(Kind kind) {
  std::lock_guard lock(link_mu_);
  const char* name = KindName(kind);
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t covers = 0;
  {
    std::lock_guard state(mu_);
    covers = requested_[static_cast<int>(kind)];
  }
  ZZ_ASSIGN_OR_RETURN(std::int64_t upto, db_->Read([&](store::Connection& conn) {
    auto s = conn.Prepare(
        "SELECT COALESCE(MAX(id), 0) FROM basedata_imports WHERE kind = ? AND status = 'running'");
    s.Bind(1, name);
    if (!s.Step()) return Result<std::int64_t>(s.status());
    return Result<std::int64_t>(s.Int(0));
  }));
  auto run = [&]() -> Result<json> {
    auto lap = [last = std::chrono::steady_clock::now()]() mutable {
      const auto now = std::chrono::steady_clock::now();
      const double seconds = std::chrono::duration<double>(now - last).count();
      last = now;
      return std::round(seconds * 100) / 100;
    };
    std::vector<StoredDecision> decisions;
    std::unordered_map<std::int64_t, std::string> previous;
    ZZ_ASSIGN_OR_RETURN(EntityPlan plan,
                        LoadForLinking(*db_, *cipher_, kind, &decisions, &previous));
    const double load = lap();
    PlanEntities(&plan, decisions, previous, options_.link);
    const double planning = lap();
    ZZ_RETURN_IF_ERROR(WriteEntities(*db_, *cipher_, &plan, NowUnixMs()));
    const double writing = lap();
    plan.report["reviews"] = plan.reviews.size();
    ZZ_ASSIGN_OR_RETURN(CheckCounts checks, RunChecks(*db_, options_.checks, NowUnixMs()));
    plan.report["checks"] = {{"house_overcrowded", checks.overcrowded},
                             {"worker_not_in_population", checks.workers_not_in_population},
                             {"unit_address_not_standard", checks.units_not_standard},
                             {"person_two_residences", checks.two_residences},
                             {"alerts_opened", checks.alerts.opened},
                             {"alerts_resolved", checks.alerts.resolved}};
    plan.report["phases"] = {
        {"load", load}, {"plan", planning}, {"write", writing}, {"checks", lap()}};
    plan.report["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return plan.report;
  };
  Result<json> report = run();
  spdlog::info("event=basedata_linked kind={} ok={} report={}", name, report.ok(),
               report.ok() ? report->dump() : report.status().message());
  {
    std::lock_guard state(mu_);
    std::uint64_t& covered = covered_[static_cast<int>(kind)];
    covered = std::max(covered, covers);
  }
  linked_cv_.notify_all();
  if (upto == 0) return report.status();
  Status marked = db_->Write([&](store::Connection& conn) {
    auto s = conn.Prepare(
        "UPDATE basedata_imports SET status = ?, linkage = ?, error = ?, finished_at = ? "
        "WHERE kind = ? AND status = 'running' AND id <= ?");
    s.Bind(1, report.ok() ? "linked" : "failed")
        .Bind(2, report.ok() ? std::optional<std::string>(report->dump()) : std::nullopt)
        .Bind(3, report.ok() ? std::nullopt : std::optional<std::string>(report.status().message()))
        .Bind(4, NowUnixMs())
        .Bind(5, name)
        .Bind(6, upto);
    return s.Run();
  });
  if (!report.ok()) return report.status();
  return marked;
}

Result<json> BaseData::Import(const Mapping& mapping, std::string bytes,
                              const security::Actor& actor) {
  if (mapping.source == kWorkforceSource)
    return Status::InvalidArgument("source",
                                   "the workforce source is taken from the registry "
                                   "(POST /api/v1/sources/workforce/sync)");
  ZZ_ASSIGN_OR_RETURN(const address::Standardizer* standardizer, addresses_->Get());
  ZZ_ASSIGN_OR_RETURN(std::uint32_t home, addresses_->Home());
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  ZZ_ASSIGN_OR_RETURN(FeedReader reader, FeedReader::Open(mapping, std::move(bytes)));
  std::vector<SourceRow> rows;
  std::vector<RowIssue> issues;
  for (SourceRow row; reader.Next(&row, &issues);)
    rows.push_back(std::move(row));
  ZZ_RETURN_IF_ERROR(reader.status());
  const double read_seconds = seconds();
  // Converting is mostly standardising addresses; it runs in chunks on threads of its own while
  // the writer stores the chunks already converted, in order, in the one transaction.
  constexpr size_t kChunk = 4096;
  const size_t chunks = (rows.size() + kChunk - 1) / kChunk;
  const size_t threads =
      std::clamp<size_t>(std::thread::hardware_concurrency(), 1, std::max<size_t>(1, chunks));
  std::vector<IncomingRecord> records(rows.size());
  std::vector<std::vector<RowIssue>> found(threads);
  std::mutex converted_mu;
  std::condition_variable converted_cv;
  std::vector<char> converted(chunks, 0);
  std::atomic<size_t> next_chunk{0};
  std::atomic<bool> abandoned{false};  // the write job failed: convert no more
  auto convert = [&](size_t t) {
    RowConverter converter(mapping.kind, standardizer, home, addresses_);
    for (size_t c = next_chunk++; c < chunks && !abandoned; c = next_chunk++) {
      for (size_t i = c * kChunk; i < std::min(rows.size(), (c + 1) * kChunk); ++i) {
        records[i] = converter.Convert(rows[i], &found[t]);
        Prepare(&records[i], *cipher_, mapping.priority);
        rows[i] = SourceRow();  // read once: its memory goes while the rest is converted
      }
      {
        std::lock_guard lock(converted_mu);
        converted[c] = 1;
      }
      converted_cv.notify_all();
    }
  };
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t)
    workers.emplace_back(convert, t);
  struct Joiner {
    std::vector<std::thread>& threads;
    ~Joiner() {
      for (std::thread& w : threads)
        if (w.joinable()) w.join();
    }
  } joiner{workers};
  // The writer's view: how many records from the start are converted, waiting for record i.
  auto await = [&](size_t i) {
    std::unique_lock lock(converted_mu);
    size_t c = i / kChunk;
    converted_cv.wait(lock, [&] { return converted[c] != 0; });
    while (c < chunks && converted[c] != 0)
      ++c;
    return std::min(rows.size(), c * kChunk);
  };
  // Asked once every record was stored, so every chunk is converted and `found` complete.
  auto all_issues = [&]() -> const std::vector<RowIssue>& {
    for (auto& more : found) {
      issues.insert(issues.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
      more.clear();
    }
    std::stable_sort(issues.begin(), issues.end(),
                     [](const RowIssue& a, const RowIssue& b) { return a.line < b.line; });
    return issues;
  };
  auto stored = Store(mapping, records, all_issues, actor, /*keep_if_unchanged=*/true, await);
  if (!stored.ok()) abandoned = true;  // the workers stop at their next chunk; joined on return
  spdlog::info(
      "event=basedata_import source={} rows={} read_s={:.2f} convert_and_store_s={:.2f} "
      "rows_per_s={:.0f}",
      mapping.source, records.size(), read_seconds, seconds() - read_seconds,
      records.size() / std::max(seconds(), 1e-9));
  return stored;
}

Result<json> BaseData::Store(const Mapping& mapping, const std::vector<IncomingRecord>& records,
                             const std::function<const std::vector<RowIssue>&()>& all_issues,
                             const security::Actor& actor, bool keep_if_unchanged,
                             const AwaitRecords& await) {
  json answer;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    const std::int64_t now = NowUnixMs();
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO basedata_imports(source, kind, status, actor, mapping, counts, "
                     "issues, issue_count, created_at) VALUES (?, ?, 'running', ?, ?, '{}', '[]', "
                     "0, ?)")
            .Bind(1, mapping.source)
            .Bind(2, KindName(mapping.kind))
            .Bind(3, actor.name)
            .Bind(4, mapping.ToJson().dump())
            .Bind(5, now)
            .Run());
    const std::int64_t id = conn.LastInsertRowId();
    ZZ_ASSIGN_OR_RETURN(ImportCounts counts,
                        StoreRecords(conn, *cipher_, mapping, id, records, now, await));
    const std::vector<RowIssue>& issues = all_issues();
    std::int64_t rejected = 0;
    for (const RowIssue& issue : issues)
      rejected += issue.rejected;
    json kept = json::array();
    for (size_t i = 0; i < issues.size() && i < kMaxKeptIssues; ++i)
      kept.push_back(IssueJson(issues[i]));
    counts.rejected = rejected;
    counts.warnings = static_cast<std::int64_t>(issues.size()) - rejected;
    // Nothing new: nothing to link again.
    const bool unchanged = counts.added + counts.changed + counts.withdrawn == 0;
    answer = {{"id", id},
              {"status", unchanged ? "linked" : "running"},
              {"source", mapping.source},
              {"kind", KindName(mapping.kind)},
              {"counts", counts.ToJson()},
              {"issue_count", issues.size()}};
    if (unchanged && !keep_if_unchanged) {
      // A periodic sync that found nothing new leaves no trace.
      answer["id"] = nullptr;
      return conn.Prepare("DELETE FROM basedata_imports WHERE id = ?").Bind(1, id).Run();
    }
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE basedata_imports SET counts = ?, status = ?, "
                                    "finished_at = ?, issues = ?, issue_count = ? WHERE id = ?")
                           .Bind(1, counts.ToJson().dump())
                           .Bind(2, unchanged ? "linked" : "running")
                           .Bind(3, unchanged ? std::optional<std::int64_t>(now) : std::nullopt)
                           .Bind(4, kept.dump())
                           .Bind(5, static_cast<std::int64_t>(issues.size()))
                           .Bind(6, id)
                           .Run());
    return audit_->Append(conn, actor,
                          security::AuditRecord{"basedata.import",
                                                "import:" + std::to_string(id),
                                                {},
                                                {{"source", mapping.source},
                                                 {"kind", KindName(mapping.kind)},
                                                 {"counts", counts.ToJson()}}});
  }));
  if (answer["status"] == "running") Queue(mapping.kind);
  return answer;
}

Result<json> BaseData::ImportStatus(std::int64_t id) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(
        "SELECT id, source, kind, status, actor, counts, issues, issue_count, linkage, error, "
        "created_at, finished_at FROM basedata_imports WHERE id = ?");
    s.Bind(1, id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no import " + std::to_string(id), "id");
    }
    json j = {{"id", s.Int(0)},
              {"source", s.Text(1)},
              {"kind", s.Text(2)},
              {"status", s.Text(3)},
              {"actor", s.Text(4)},
              {"counts", json::parse(s.Text(5), nullptr, false)},
              {"issues", json::parse(s.Text(6), nullptr, false)},
              {"issue_count", s.Int(7)},
              {"created_at", FormatRfc3339(s.Int(10))}};
    j["linkage"] = s.IsNull(8) ? json(nullptr) : json::parse(s.Text(8), nullptr, false);
    j["error"] = s.IsNull(9) ? json(nullptr) : json(s.Text(9));
    j["finished_at"] = s.IsNull(11) ? json(nullptr) : json(FormatRfc3339(s.Int(11)));
    return j;
  });
}

Result<json> BaseData::WaitForImport(std::int64_t id, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    ZZ_ASSIGN_OR_RETURN(json status, ImportStatus(id));
    if (status["status"] != "running") return status;
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::Unavailable("import " + std::to_string(id) + " is still being linked");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<json> BaseData::Entity(Kind kind, std::int64_t id, bool pii) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(
        "SELECT e.id, e.golden, e.id_cipher, e.village, e.records, e.updated_at, e.kind, "
        "e.house_key FROM entities e WHERE e.id = ?");
    s.Bind(1, id);
    if (!s.Step() || s.Text(6) != KindName(kind)) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound(std::string("no ") + Noun(kind) + " " + std::to_string(id), "id");
    }
    const std::optional<std::int64_t> house_key = s.OptInt(7);
    json out = {{"id", s.Int(0)},
                {"kind", KindName(kind)},
                {"fields", GoldenJson(*cipher_, kind, s.Text(1), OptBlob(s, 2), pii)},
                {"village", s.IsNull(3) ? json(nullptr) : json(s.Text(3))},
                {"updated_at", FormatRfc3339(s.Int(5))}};
    json records = json::array();
    auto r = conn.Prepare(
        "SELECT r.id, r.source, r.source_id, r.fields, r.id_cipher, r.updated_at, r.entity_id "
        "FROM source_records r WHERE r.entity_id = ? AND r.withdrawn = 0 ORDER BY r.id");
    r.Bind(1, id);
    while (r.Step())
      records.push_back(RecordJson(*cipher_, kind, r, 0, pii));
    ZZ_RETURN_IF_ERROR(r.status());
    out["records"] = std::move(records);
    auto standard = conn.Prepare(
        "SELECT standard_address_id FROM source_records WHERE entity_id = ? AND withdrawn = 0 "
        "AND standard_address_id IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1");
    standard.Bind(1, id);
    out["standard_address_id"] = standard.Step() ? json(standard.Int(0)) : json(nullptr);
    ZZ_RETURN_IF_ERROR(standard.status());

    // Links, through the live records' keys.
    auto entities = [&](store::Statement& q) -> Result<json> {
      json list = json::array();
      while (q.Step())
        list.push_back(Summary(*cipher_, *KindOf(q.Text(6)), q, pii));
      ZZ_RETURN_IF_ERROR(q.status());
      return list;
    };
    // Each list stops at its limit; `link_counts` says how many there are in all.
    json counts = json::object();
    for (const LinkQuery& link : kLinkQueries) {
      if (link.of != kind) continue;
      const std::int64_t key = link.by_house_key ? house_key.value_or(0) : id;
      auto q = conn.Prepare(std::string(kLinkedEntities) + link.where + " ORDER BY e.id LIMIT " +
                            std::to_string(link.limit));
      q.Bind(1, key);
      ZZ_ASSIGN_OR_RETURN(out[link.name], entities(q));
      std::int64_t total = static_cast<std::int64_t>(out[link.name].size());
      if (total == link.limit) {
        auto c = conn.Prepare(std::string("SELECT COUNT(*) FROM entities e WHERE ") + link.where);
        c.Bind(1, key);
        if (c.Step()) total = c.Int(0);
        ZZ_RETURN_IF_ERROR(c.status());
      }
      counts[link.name] = total;
    }
    out["link_counts"] = std::move(counts);
    return out;
  });
}

Result<json> BaseData::Search(Kind kind, const std::string& q, const std::string& village,
                              const store::Page& page, bool pii) const {
  std::string where = "e.kind = ?1 AND e.id > ?2 AND (?3 = '' OR e.village = ?3)";
  std::string key;
  enum { kAll, kId, kPhone, kText } mode = kAll;
  if (!q.empty()) {
    linkage::PersonRecord p;
    if (q.size() == 18 && linkage::ParseIdNumber(q, &p)) {
      if (!pii) return Status::PermissionDenied("searching by ID number needs the pii right");
      mode = kId;
      key = IdLookupHash(*cipher_, std::string(p.id.data(), p.id.size()));
      where += " AND e.id_hash = ?4";
    } else if (q.find_first_not_of("0123456789+-() ") == std::string::npos &&
               !PhoneDigits(q).empty()) {
      mode = kPhone;
      key = PhoneDigits(q);
      where += " AND e.phone = ?4";
    } else {
      mode = kText;
      key = q;
      where += " AND ((e.name >= ?4 AND e.name < ?4 || x'F4') OR instr(e.address, ?4) > 0)";
    }
  }
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(std::string("SELECT ") + kSummaryColumns + ", e.kind FROM entities e " +
                          "WHERE " + where + " ORDER BY e.id LIMIT ?5");
    s.Bind(1, KindName(kind)).Bind(2, page.after_id).Bind(3, village);
    if (mode == kId)
      s.BindBlob(4, key);
    else if (mode != kAll)
      s.Bind(4, key);
    s.Bind(5, page.limit);
    json items = json::array();
    while (s.Step())
      items.push_back(Summary(*cipher_, kind, s, pii));
    ZZ_RETURN_IF_ERROR(s.status());
    return Paged(std::move(items), page);
  });
}

Result<json> BaseData::Figures() const {
  ZZ_ASSIGN_OR_RETURN(const address::Standardizer* standardizer, addresses_->Get());
  const address::Gazetteer& g = standardizer->gazetteer();
  auto name_of = [&](const std::string& code) -> json {
    auto index = g.Find(code);
    return index ? json(std::string(g.Name(*index))) : json(nullptr);
  };
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    // community → {people, houses, units, alerts}
    std::map<std::string, std::array<std::int64_t, 4>> villages;
    std::array<std::int64_t, 4> unplaced{}, totals{};
    auto counts = conn.Prepare(
        "SELECT kind, COALESCE(village, ''), COUNT(*) FROM entities GROUP BY kind, village");
    while (counts.Step()) {
      const std::string kind = counts.Text(0);
      const int column = kind == "person" ? 0 : kind == "house" ? 1 : 2;
      const std::string village = counts.Text(1);
      (village.size() == 12 ? villages[village] : unplaced)[column] += counts.Int(2);
      totals[column] += counts.Int(2);
    }
    ZZ_RETURN_IF_ERROR(counts.status());
    auto alerts = conn.Prepare(
        "SELECT COALESCE(e.village, ''), COUNT(*) FROM alerts a JOIN entities e ON e.id = "
        "CAST(a.subject_id AS INTEGER) WHERE a.status != 'resolved' AND a.subject_kind IN "
        "('base_person', 'house', 'unit') GROUP BY e.village");
    while (alerts.Step()) {
      const std::string village = alerts.Text(0);
      (village.size() == 12 ? villages[village] : unplaced)[3] += alerts.Int(1);
      totals[3] += alerts.Int(1);
    }
    ZZ_RETURN_IF_ERROR(alerts.status());
    auto figures = [](const std::array<std::int64_t, 4>& n) {
      return json{{"people", n[0]}, {"houses", n[1]}, {"units", n[2]}, {"alerts", n[3]}};
    };
    json streets = json::array();
    std::string street_code;
    std::array<std::int64_t, 4> street{};
    json communities = json::array();
    auto close_street = [&] {
      if (street_code.empty()) return;
      json s = figures(street);
      s["code"] = street_code;
      s["name"] = name_of(street_code);
      s["communities"] = std::move(communities);
      streets.push_back(std::move(s));
      communities = json::array();
      street = {};
    };
    for (const auto& [village, n] : villages) {
      const std::string town = village.substr(0, 9);
      if (town != street_code) {
        close_street();
        street_code = town;
      }
      for (int i = 0; i < 4; ++i)
        street[i] += n[i];
      json c = figures(n);
      c["code"] = village;
      c["name"] = name_of(village);
      communities.push_back(std::move(c));
    }
    close_street();
    json sources = json::array();
    auto per_source = conn.Prepare(
        "SELECT source, kind, COUNT(*) FROM source_records WHERE withdrawn = 0 GROUP BY source, "
        "kind ORDER BY kind, source");
    while (per_source.Step())
      sources.push_back({{"source", per_source.Text(0)},
                         {"kind", per_source.Text(1)},
                         {"records", per_source.Int(2)}});
    ZZ_RETURN_IF_ERROR(per_source.status());
    return json{{"totals", figures(totals)},
                {"streets", std::move(streets)},
                {"unplaced", figures(unplaced)},
                {"sources", std::move(sources)}};
  });
}

Result<json> BaseData::Reviews(const store::Page& page, bool pii) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(
        "SELECT id, record_a, record_b, weight, probability, reason, fields FROM linkage_reviews "
        "WHERE kind = 'person' AND id > ? ORDER BY id LIMIT ?");
    s.Bind(1, page.after_id).Bind(2, page.limit);
    json items = json::array();
    while (s.Step()) {
      json review = {{"id", s.Int(0)},
                     {"weight", s.Double(3)},
                     {"probability", s.Double(4)},
                     {"reason", s.Text(5)},
                     {"fields", json::parse(s.Text(6), nullptr, false)}};
      for (int side = 0; side < 2; ++side) {
        auto r = conn.Prepare(
            "SELECT r.id, r.source, r.source_id, r.fields, r.id_cipher, r.updated_at, "
            "r.entity_id FROM source_records r WHERE r.id = ?");
        r.Bind(1, s.Int(1 + side));
        if (r.Step())
          review[side == 0 ? "a" : "b"] = RecordJson(*cipher_, Kind::kPerson, r, 0, pii);
        ZZ_RETURN_IF_ERROR(r.status());
      }
      items.push_back(std::move(review));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return Paged(std::move(items), page);
  });
}

Result<json> BaseData::Decide(std::int64_t record_a, std::int64_t record_b, bool same,
                              const std::string& note, const security::Actor& actor) {
  if (record_a == record_b)
    return Status::InvalidArgument("record_b", "a record is always the same as itself");
  json answer;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    for (std::int64_t record : {record_a, record_b}) {
      ZZ_ASSIGN_OR_RETURN(bool exists,
                          store::RowExists(conn,
                                           "SELECT 1 FROM source_records WHERE id = ? AND kind = "
                                           "'person' AND withdrawn = 0",
                                           record));
      if (!exists) {
        return Status::NotFound("no live person record " + std::to_string(record),
                                record == record_a ? "record_a" : "record_b");
      }
    }
    const std::int64_t now = NowUnixMs();
    ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO linkage_decisions(kind, record_a, record_b, "
                                    "same, note, actor, decided_at) VALUES ('person', ?, ?, ?, ?, "
                                    "?, ?)")
                           .Bind(1, record_a)
                           .Bind(2, record_b)
                           .Bind(3, same ? 1 : 0)
                           .Bind(4, note.empty() ? std::nullopt : std::optional<std::string>(note))
                           .Bind(5, actor.name)
                           .Bind(6, now)
                           .Run());
    const std::int64_t id = conn.LastInsertRowId();
    answer = {{"id", id},
              {"record_a", record_a},
              {"record_b", record_b},
              {"decision", same ? "same" : "different"},
              {"note", note.empty() ? json(nullptr) : json(note)},
              {"actor", actor.name},
              {"decided_at", FormatRfc3339(now)},
              {"undone_at", nullptr}};
    return audit_->Append(conn, actor,
                          security::AuditRecord{"linkage.decide",
                                                "decision:" + std::to_string(id),
                                                {},
                                                {{"record_a", record_a},
                                                 {"record_b", record_b},
                                                 {"decision", same ? "same" : "different"}}});
  }));
  Queue(Kind::kPerson);
  return answer;
}

Result<json> BaseData::Undo(std::int64_t id, const security::Actor& actor) {
  json answer;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT record_a, record_b, same, undone_at FROM linkage_decisions WHERE id = ?");
    s.Bind(1, id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no decision " + std::to_string(id), "id");
    }
    if (!s.IsNull(3))
      return Status::Conflict("already_undone", "id",
                              "decision " + std::to_string(id) + " was undone already");
    const std::int64_t now = NowUnixMs();
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("UPDATE linkage_decisions SET undone_by = ?, undone_at = ? WHERE id = ?")
            .Bind(1, actor.name)
            .Bind(2, now)
            .Bind(3, id)
            .Run());
    answer = {{"id", id},
              {"record_a", s.Int(0)},
              {"record_b", s.Int(1)},
              {"decision", s.Int(2) ? "same" : "different"},
              {"undone_by", actor.name},
              {"undone_at", FormatRfc3339(now)}};
    return audit_->Append(
        conn, actor,
        security::AuditRecord{"linkage.undo", "decision:" + std::to_string(id), {}, {}});
  }));
  Queue(Kind::kPerson);
  return answer;
}

Result<json> BaseData::Decisions(const store::Page& page) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(
        "SELECT id, record_a, record_b, same, note, actor, decided_at, undone_by, undone_at "
        "FROM linkage_decisions WHERE id > ? ORDER BY id LIMIT ?");
    s.Bind(1, page.after_id).Bind(2, page.limit);
    json items = json::array();
    while (s.Step()) {
      items.push_back({{"id", s.Int(0)},
                       {"record_a", s.Int(1)},
                       {"record_b", s.Int(2)},
                       {"decision", s.Int(3) ? "same" : "different"},
                       {"note", s.IsNull(4) ? json(nullptr) : json(s.Text(4))},
                       {"actor", s.Text(5)},
                       {"decided_at", FormatRfc3339(s.Int(6))},
                       {"undone_by", s.IsNull(7) ? json(nullptr) : json(s.Text(7))},
                       {"undone_at", s.IsNull(8) ? json(nullptr) : json(FormatRfc3339(s.Int(8)))}});
    }
    ZZ_RETURN_IF_ERROR(s.status());
    return Paged(std::move(items), page);
  });
}

}  // namespace zhizhi::basedata

#include "lottery/lottery_service.h"

#include <map>

#include <spdlog/spdlog.h>

#include "base/civil_time.h"
#include "base/text.h"
#include "base/thread_name.h"
#include "lottery/draw.h"
#include "lottery/record.h"

namespace zhizhi::lottery {

using nlohmann::json;

namespace {

constexpr int kDefaultIntervalMs = 1000;
constexpr int kMaxIntervalMs = 60'000;
constexpr int kBoardPage = 500;
// Without a pause between results, this many go in one write (one fsync).
constexpr size_t kBatch = 200;
// Boards waiting for news at once; more are answered at once (and poll again).
constexpr size_t kMaxWatches = 2000;
// The pause before a draw that met a passing failure goes on.
constexpr auto kRetry = std::chrono::seconds(2);

json EmptyInputs(const std::string& title, const json& rules) {
  return {{"title", title},
          {"rules", rules},
          {"households", json::array()},
          {"pools",
           {{"flat", json::array()}, {"parking", json::array()}, {"farm_room", json::array()}}}};
}

std::string Time(std::optional<std::int64_t> unix_ms) {
  return unix_ms ? FormatRfc3339(*unix_ms) : std::string();
}

json TimeOrNull(std::optional<std::int64_t> unix_ms) {
  return unix_ms ? json(FormatRfc3339(*unix_ms)) : json();
}

bool Published(const std::string& status) {
  return status != "draft";
}
bool Over(const std::string& status) {
  return status == "drawn" || status == "signed";
}

}  // namespace

struct LotteryService::Row {
  std::int64_t id = 0;
  std::string title;
  std::string status;
  std::shared_ptr<const json> inputs;  // frozen ones are shared from the cache
  std::string inputs_hash, commitment, secret_cipher, entropy, seed;
  int interval_ms = 0;
  std::int64_t total = 0;
  std::string created_by;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> committed_at, started_at, drawn_at, signed_at;
  std::string committed_by, entropy_by, signed_by, statement, record_hash;
  std::int64_t done = 0;  // results written
};

LotteryService::LotteryService(store::Database* db, const security::FieldCipher* cipher,
                               const security::AuditLog* audit)
    : db_(db), cipher_(cipher), audit_(audit) {}

LotteryService::~LotteryService() {
  Stop();
}

Status LotteryService::Start() {
  {
    std::lock_guard lock(mu_);
    if (running_) return Status::Ok();
    running_ = true;
    stopping_ = false;
    releasing_ = false;
    work_ = true;  // draws a stop interrupted
  }
  drawer_ = std::thread([this] {
    NameThisThread("zz-lottery");
    DrawerLoop();
  });
  watcher_ = std::thread([this] {
    NameThisThread("zz-lottery-board");
    WatcherLoop();
  });
  return Status::Ok();
}

void LotteryService::ReleaseWatches() {
  {
    std::lock_guard lock(mu_);
    releasing_ = true;
  }
  cv_.notify_all();
}

void LotteryService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  drawer_.join();
  watcher_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

void LotteryService::Changed(std::int64_t id) {
  {
    std::lock_guard lock(mu_);
    ++version_;
    ++versions_[id];
  }
  cv_.notify_all();
}

Result<LotteryService::Row> LotteryService::Load(store::Connection& conn, std::int64_t id) const {
  // A published draw's inputs never change: parsed once and shared (a public board reads them
  // on every answer); a draft's are read each time.
  auto s = conn.Prepare(
      "SELECT id, title, status, CASE WHEN status = 'draft' THEN inputs END, inputs_hash, "
      "commitment, secret_cipher, entropy, seed, "
      "interval_ms, total, created_by, created_at, committed_by, committed_at, entropy_by, "
      "started_at, drawn_at, signed_by, signed_at, statement, record_hash, "
      "(SELECT count(*) FROM lottery_results WHERE lottery_id = lotteries.id) "
      "FROM lotteries WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    if (!s.status().ok()) return s.status();
    return Status::NotFound("no lottery " + std::to_string(id), "id");
  }
  Row row;
  row.id = s.Int(0);
  row.title = s.Text(1);
  row.status = s.Text(2);
  row.inputs_hash = s.OptText(4).value_or("");
  if (row.status == "draft") {
    row.inputs = std::make_shared<const json>(json::parse(s.Text(3)));
  } else {
    ZZ_ASSIGN_OR_RETURN(row.inputs, FrozenInputs(conn, id, row.inputs_hash));
  }
  row.commitment = s.OptText(5).value_or("");
  row.secret_cipher = s.IsNull(6) ? std::string() : s.Blob(6);
  row.entropy = s.OptText(7).value_or("");
  row.seed = s.OptText(8).value_or("");
  row.interval_ms = static_cast<int>(s.Int(9));
  row.total = s.OptInt(10).value_or(0);
  row.created_by = s.Text(11);
  row.created_at = s.Int(12);
  row.committed_by = s.OptText(13).value_or("");
  row.committed_at = s.OptInt(14);
  row.entropy_by = s.OptText(15).value_or("");
  row.started_at = s.OptInt(16);
  row.drawn_at = s.OptInt(17);
  row.signed_by = s.OptText(18).value_or("");
  row.signed_at = s.OptInt(19);
  row.statement = s.OptText(20).value_or("");
  row.record_hash = s.OptText(21).value_or("");
  row.done = s.Int(22);
  return row;
}

Result<std::shared_ptr<const json>> LotteryService::FrozenInputs(store::Connection& conn,
                                                                 std::int64_t id,
                                                                 const std::string& hash) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = frozen_.find(id); it != frozen_.end() && it->second.first == hash)
      return it->second.second;
  }
  auto s = conn.Prepare("SELECT inputs FROM lotteries WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    if (!s.status().ok()) return s.status();
    return Status::NotFound("no lottery " + std::to_string(id), "id");
  }
  auto inputs = std::make_shared<const json>(json::parse(s.Text(0)));
  std::lock_guard lock(mu_);
  frozen_[id] = {hash, inputs};
  return inputs;
}

json LotteryService::Summary(store::Connection& conn, const Row& row) const {
  const json& inputs = *row.inputs;
  // Sizes and parts read in place: the inputs of a big draw are a megabyte, not to be copied
  // for every board's answer.
  static const json kNone = json::array();
  const auto member = [](const json& object, const char* name) -> const json& {
    auto it = object.find(name);
    return it == object.end() ? kNone : *it;
  };
  const json& pools = member(inputs, "pools");
  const auto count = [&](const char* pool) { return member(pools, pool).size(); };
  json out = {
      {"id", row.id},
      {"title", row.title},
      {"status", row.status},
      {"interval_ms", row.interval_ms},
      {"counts",
       {{"households", member(inputs, "households").size()},
        {"flat", count("flat")},
        {"parking", count("parking")},
        {"farm_room", count("farm_room")}}},
      {"rules", member(inputs, "rules")},
      {"inputs_hash", row.inputs_hash.empty() ? json() : json(row.inputs_hash)},
      {"commitment", row.commitment.empty() ? json() : json(row.commitment)},
      {"entropy", row.entropy.empty() ? json() : json(row.entropy)},
      {"progress", {{"done", row.done}, {"total", row.total}}},
      {"created_at", FormatRfc3339(row.created_at)},
      {"committed_at", TimeOrNull(row.committed_at)},
      {"started_at", TimeOrNull(row.started_at)},
      {"drawn_at", TimeOrNull(row.drawn_at)},
  };
  if (row.signed_at)
    out["notary"] = {{"name", row.signed_by},
                     {"signed_at", FormatRfc3339(*row.signed_at)},
                     {"statement", row.statement},
                     {"record_hash", row.record_hash}};
  if (row.status == "drawing") {
    std::lock_guard lock(mu_);
    if (auto it = halted_.find(row.id); it != halted_.end()) out["halted"] = it->second;
  }
  return out;
}

Result<json> LotteryService::RecordOf(store::Connection& conn, const Row& row) const {
  if (!Published(row.status))
    return Status::NotFound("lottery " + std::to_string(row.id) + " is not published yet", "id");
  RecordParts parts;
  parts.title = row.title;
  parts.inputs = *row.inputs;
  parts.inputs_hash = row.inputs_hash;
  parts.commitment = row.commitment;
  parts.committed_at = Time(row.committed_at);
  parts.entropy = row.entropy;
  if (Over(row.status)) {
    // Revealed only now: with the seed, anyone could tell the results before they are drawn.
    ZZ_ASSIGN_OR_RETURN(parts.secret, cipher_->Unseal(row.secret_cipher));
    parts.seed = SeedOf(row.commitment, parts.secret, row.entropy);
  }
  auto s = conn.Prepare("SELECT allocation FROM lottery_results WHERE lottery_id = ? ORDER BY ord");
  s.Bind(1, row.id);
  json results = json::array();
  while (s.Step())
    results.push_back(json::parse(s.Text(0)));
  ZZ_RETURN_IF_ERROR(s.status());
  json record = MakeRecord(parts);
  record["results"] = std::move(results);
  record["lottery_id"] = row.id;
  record["status"] = row.status;
  if (row.started_at) record["started_at"] = FormatRfc3339(*row.started_at);
  if (row.drawn_at) record["drawn_at"] = FormatRfc3339(*row.drawn_at);
  if (row.signed_at)
    record["notary"] = {{"name", row.signed_by},
                        {"signed_at", FormatRfc3339(*row.signed_at)},
                        {"statement", row.statement},
                        {"record_hash", row.record_hash}};
  return record;
}

Result<json> LotteryService::Create(const json& body, const security::Actor& actor) {
  if (!body.is_object()) return Status::InvalidArgument("", "a JSON object");
  for (const auto& [name, value] : body.items())
    if (name != "title" && name != "rules" && name != "interval_ms")
      return Status::InvalidArgument(name, "unknown field " + name);
  if (!body.contains("title") || !body["title"].is_string() ||
      body["title"].get<std::string>().empty() || body["title"].get<std::string>().size() > 200)
    return Status::InvalidArgument("title", "the draw's title, 1–200 bytes");
  const std::string title = body["title"];
  const json rules = body.value("rules", json::array());
  // The rules are checked as the inputs will be, with nothing else in them yet.
  json probe = EmptyInputs(title, rules);
  probe["households"].push_back({{"id", "probe"}});
  if (auto checked = Inputs::FromJson(probe); !checked.ok()) return checked.status();
  int interval = kDefaultIntervalMs;
  if (body.contains("interval_ms")) {
    const json& value = body["interval_ms"];
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
        value.get<std::int64_t>() > kMaxIntervalMs)
      return Status::InvalidArgument("interval_ms", "milliseconds between results, 0–60000");
    interval = value.get<int>();
  }
  std::int64_t id = 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "INSERT INTO lotteries (title, status, inputs, interval_ms, created_by, created_at) "
        "VALUES (?, 'draft', ?, ?, ?, ?)");
    s.Bind(1, title).Bind(2, EmptyInputs(title, rules).dump()).Bind(3, interval);
    s.Bind(4, actor.name).Bind(5, NowUnixMs());
    ZZ_RETURN_IF_ERROR(s.Run());
    id = conn.LastInsertRowId();
    return audit_->Append(
        conn, actor, {"lottery.create", "lottery:" + std::to_string(id), {}, {{"title", title}}});
  }));
  return Get(id);
}

Result<json> LotteryService::UpdateDraft(std::int64_t id, const security::Actor& actor,
                                         const std::string& what,
                                         const std::function<Status(json&)>& change) {
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
    if (row.status != "draft")
      return Status::Conflict("lottery_committed", "id",
                              "the inputs of lottery " + std::to_string(id) +
                                  " were committed: they cannot change any more");
    json inputs = *row.inputs;
    ZZ_RETURN_IF_ERROR(change(inputs));
    auto s = conn.Prepare("UPDATE lotteries SET inputs = ?, title = ? WHERE id = ?");
    s.Bind(1, inputs.dump()).Bind(2, inputs.value("title", row.title)).Bind(3, id);
    ZZ_RETURN_IF_ERROR(s.Run());
    return audit_->Append(
        conn, actor, {"lottery.inputs", "lottery:" + std::to_string(id), {}, {{"part", what}}});
  }));
  return Get(id);
}

Result<json> LotteryService::PutPart(std::int64_t id, const std::string& part, std::string csv,
                                     const security::Actor& actor) {
  Result<CsvPart> read = Status::InvalidArgument("part", "");
  if (part == "households") {
    read = HouseholdsFromCsv(std::move(csv));
  } else if (part == "flat") {
    read = PoolFromCsv(Pool::kFlat, std::move(csv));
  } else if (part == "parking" || part == "farm_room") {
    read = PoolFromCsv(Pool::kParking, std::move(csv));
  } else {
    return Status::InvalidArgument("part", "households, flat, parking or farm_room");
  }
  if (!read.ok()) return read.status();
  if (!read->problems.empty()) {
    json problems = json::array();
    for (const RowProblem& p : read->problems)
      problems.push_back({{"line", p.line}, {"field", p.field}, {"message", p.message}});
    Status status = Status::InvalidArgument(
        "content", std::to_string(read->problems.size()) +
                       " problems in the file (error.problems); nothing was taken");
    status.With("problems", std::move(problems));
    return status;
  }
  json items = std::move(read->items);
  return UpdateDraft(id, actor, part, [&](json& inputs) {
    if (part == "households")
      inputs["households"] = items;
    else
      inputs["pools"][part] = items;
    return Status::Ok();
  });
}

Result<json> LotteryService::PutInputs(std::int64_t id, const json& document,
                                       const security::Actor& actor) {
  ZZ_RETURN_IF_ERROR(Inputs::FromJson(document).status());
  // Published heads of household are masked, whichever way the inputs came in.
  json inputs = document;
  for (json& household : inputs["households"])
    if (household.contains("name")) household["name"] = MaskName(household["name"]);
  return UpdateDraft(id, actor, "all", [&](json& stored) {
    stored = std::move(inputs);
    return Status::Ok();
  });
}

Result<json> LotteryService::Commit(std::int64_t id, const security::Actor& actor) {
  ZZ_ASSIGN_OR_RETURN(std::string secret, NewSecret());
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
    if (row.status != "draft")
      return Status::Conflict("lottery_committed", "id",
                              "lottery " + std::to_string(id) + " was committed already");
    ZZ_ASSIGN_OR_RETURN(Inputs inputs, Inputs::FromJson(*row.inputs));
    if (auto shortfalls = inputs.Shortfalls(); !shortfalls.empty()) {
      Status status =
          Status::Rule("lottery_shortfall", "inputs",
                       "the pools cannot give every household its due: " + shortfalls.front());
      status.With("shortfalls", shortfalls);
      return status;
    }
    ZZ_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(*row.inputs));
    const std::string inputs_hash = InputsHash(canonical);
    const std::string commitment = CommitmentOf(inputs_hash, secret);
    auto s = conn.Prepare(
        "UPDATE lotteries SET status = 'committed', inputs_hash = ?, commitment = ?, "
        "secret_cipher = ?, total = ?, committed_by = ?, committed_at = ? WHERE id = ?");
    s.Bind(1, inputs_hash).Bind(2, commitment).BindBlob(3, cipher_->Seal(secret));
    s.Bind(4, static_cast<std::int64_t>(inputs.households.size())).Bind(5, actor.name);
    s.Bind(6, NowUnixMs()).Bind(7, id);
    ZZ_RETURN_IF_ERROR(s.Run());
    return audit_->Append(conn, actor,
                          {"lottery.commit",
                           "lottery:" + std::to_string(id),
                           {},
                           {{"inputs_hash", inputs_hash}, {"commitment", commitment}}});
  }));
  Changed(id);
  return Get(id);
}

Result<json> LotteryService::Draw(std::int64_t id, const std::string& entropy,
                                  const security::Actor& actor) {
  if (entropy.empty() || entropy.size() > 1000 || HasControlChars(entropy) || !IsValidUtf8(entropy))
    return Status::InvalidArgument(
        "entropy", "the public entropy as text, 1–1000 bytes without control characters");
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
    if (row.status == "draft")
      return Status::Conflict("lottery_not_committed", "id",
                              "commit lottery " + std::to_string(id) + " before its draw");
    if (row.status != "committed")
      return Status::Conflict(
          "lottery_started", "id",
          "the entropy of lottery " + std::to_string(id) + " was entered already");
    // The seed is not stored while the draw runs: whoever reads the file (or a backup) could
    // tell the results ahead of the board. The drawer derives it from the sealed secret.
    auto s = conn.Prepare(
        "UPDATE lotteries SET status = 'drawing', entropy = ?, entropy_by = ?, started_at = ? "
        "WHERE id = ?");
    s.Bind(1, entropy).Bind(2, actor.name).Bind(3, NowUnixMs()).Bind(4, id);
    ZZ_RETURN_IF_ERROR(s.Run());
    return audit_->Append(
        conn, actor, {"lottery.draw", "lottery:" + std::to_string(id), {}, {{"entropy", entropy}}});
  }));
  {
    std::lock_guard lock(mu_);
    work_ = true;
    ++version_;
    ++versions_[id];
  }
  cv_.notify_all();
  return Get(id);
}

Result<json> LotteryService::Sign(std::int64_t id, const std::string& statement,
                                  const security::Actor& actor) {
  if (statement.size() > 2000 || !IsValidUtf8(statement))
    return Status::InvalidArgument("statement", "the notary's statement, at most 2000 bytes");
  const auto state = [id](const Row& row) -> Status {
    if (row.status == "signed")
      return Status::Conflict("lottery_signed", "id",
                              "lottery " + std::to_string(id) + " was signed off already");
    if (row.status != "drawn")
      return Status::Conflict("lottery_not_drawn", "id",
                              "lottery " + std::to_string(id) + " is not drawn yet");
    return Status::Ok();
  };
  // The record is verified on a snapshot, outside the writer: a drawn record changes no more.
  ZZ_ASSIGN_OR_RETURN(std::string record_hash,
                      db_->Read([&](store::Connection& conn) -> Result<std::string> {
                        ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
                        ZZ_RETURN_IF_ERROR(state(row));
                        ZZ_ASSIGN_OR_RETURN(json record, RecordOf(conn, row));
                        const Verdict verdict = VerifyRecord(record);
                        if (!verdict.verified)
                          return Status::Internal("the record of lottery " + std::to_string(id) +
                                                  " does not verify: " + verdict.difference);
                        return RecordHash(record);
                      }));
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
    ZZ_RETURN_IF_ERROR(state(row));
    auto s = conn.Prepare(
        "UPDATE lotteries SET status = 'signed', signed_by = ?, signed_at = ?, statement = ?, "
        "record_hash = ? WHERE id = ?");
    s.Bind(1, actor.name).Bind(2, NowUnixMs()).Bind(3, statement).Bind(4, record_hash);
    s.Bind(5, id);
    ZZ_RETURN_IF_ERROR(s.Run());
    return audit_->Append(
        conn, actor,
        {"lottery.sign", "lottery:" + std::to_string(id), {}, {{"record_hash", record_hash}}});
  }));
  Changed(id);
  return Get(id);
}

Result<json> LotteryService::Get(std::int64_t id) {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
    json out = Summary(conn, row);
    if (row.status == "draft") {
      // What still keeps the draft from being committed.
      json problems = json::array();
      auto inputs = Inputs::FromJson(*row.inputs);
      if (!inputs.ok())
        problems.push_back(inputs.status().field() + ": " + inputs.status().message());
      else
        for (std::string& shortfall : inputs->Shortfalls())
          problems.push_back(std::move(shortfall));
      out["problems"] = std::move(problems);
    }
    return out;
  });
}

Result<json> LotteryService::List(bool published_only) {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    auto s = conn.Prepare(
        "SELECT id FROM lotteries WHERE ? = 0 OR status != 'draft' ORDER BY id DESC LIMIT 200");
    s.Bind(1, published_only ? 1 : 0);
    json items = json::array();
    while (s.Step()) {
      ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, s.Int(0)));
      json summary = Summary(conn, row);
      summary.erase("rules");
      if (published_only)
        for (const char* internal : {"interval_ms", "created_at"})
          summary.erase(internal);
      items.push_back(std::move(summary));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    // The newest 200 are listed; the count is of them all.
    auto c = conn.Prepare("SELECT COUNT(*) FROM lotteries WHERE ? = 0 OR status != 'draft'");
    c.Bind(1, published_only ? 1 : 0);
    const std::int64_t total = c.Step() ? c.Int(0) : 0;
    ZZ_RETURN_IF_ERROR(c.status());
    return json{{"items", std::move(items)}, {"counts", {{"total", total}}}};
  });
}

Result<json> LotteryService::Record(std::int64_t id) {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
    return RecordOf(conn, row);
  });
}

Result<json> LotteryService::Board(std::int64_t id, int after) {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
    if (!Published(row.status))
      return Status::NotFound("lottery " + std::to_string(id) + " is not published yet", "id");
    std::map<std::string, std::string> names;
    static const json kNone = json::array();
    auto households = row.inputs->find("households");
    for (const json& household : households == row.inputs->end() ? kNone : *households)
      names[household["id"]] = household.value("name", "");
    json out = Summary(conn, row);
    for (const char* internal : {"interval_ms", "created_at"})
      out.erase(internal);
    auto s = conn.Prepare(
        "SELECT allocation FROM lottery_results WHERE lottery_id = ? AND ord > ? "
        "ORDER BY ord LIMIT ?");
    s.Bind(1, id).Bind(2, after).Bind(3, kBoardPage);
    json results = json::array();
    while (s.Step()) {
      json result = json::parse(s.Text(0));
      result["name"] = names[result["household"]];
      results.push_back(std::move(result));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    out["results"] = std::move(results);
    return out;
  });
}

void LotteryService::WatchBoard(std::int64_t id, int after, std::string known,
                                std::chrono::milliseconds wait, BoardReply reply) {
  std::uint64_t seen;
  {
    std::lock_guard lock(mu_);
    seen = versions_[id];
  }
  auto board = Board(id, after);
  if (!HasNews(board, known) && wait.count() > 0) {
    std::lock_guard lock(mu_);
    // A stopping server answers at once (its connections are about to close).
    if (running_ && !stopping_ && !releasing_ && watches_.size() < kMaxWatches) {
      watches_.push_back({id, after, std::move(known), std::chrono::steady_clock::now() + wait,
                          seen, std::move(reply)});
      cv_.notify_all();
      return;
    }
  }
  reply(std::move(board));
}

// Whether a board has something its watcher waits for: new results, or another status.
bool LotteryService::HasNews(const Result<json>& board, const std::string& known) {
  if (!board.ok() || !(*board)["results"].empty()) return true;
  return known.empty() ? (*board)["status"] != "drawing" : (*board)["status"] != known;
}

std::chrono::steady_clock::time_point LotteryService::NextDeadline() const {
  auto next = std::chrono::steady_clock::time_point::max();
  for (const Watch& watch : watches_)
    next = std::min(next, watch.deadline);
  return next;
}

void LotteryService::WatcherLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Every watch is answered when the service stops or the server goes (ReleaseWatches).
    const bool flush = stopping_ || releasing_;
    const auto now = std::chrono::steady_clock::now();
    std::vector<Watch> due;
    for (size_t i = 0; i < watches_.size();) {
      if (flush || watches_[i].version != versions_[watches_[i].id] ||
          watches_[i].deadline <= now) {
        due.push_back(std::move(watches_[i]));
        watches_[i] = std::move(watches_.back());
        watches_.pop_back();
      } else {
        ++i;
      }
    }
    if (!due.empty()) {
      std::map<std::int64_t, std::uint64_t> version;  // of each due watch's lottery, now
      for (const Watch& watch : due)
        version[watch.id] = versions_[watch.id];
      lock.unlock();
      std::vector<Watch> again;
      for (Watch& watch : due) {
        auto board = Board(watch.id, watch.after);
        if (flush || HasNews(board, watch.known) || watch.deadline <= now) {
          watch.reply(std::move(board));
        } else {
          watch.version = version[watch.id];  // a change, but not for this board: wait on
          again.push_back(std::move(watch));
        }
      }
      lock.lock();
      for (Watch& watch : again)
        watches_.push_back(std::move(watch));
      continue;  // changes made meanwhile are seen by the next scan
    }
    if (stopping_) return;
    const std::uint64_t seen = version_;
    const size_t waiting = watches_.size();
    cv_.wait_until(lock, NextDeadline(), [&] {
      return stopping_ || (releasing_ && !watches_.empty()) || version_ != seen ||
             watches_.size() != waiting;
    });
  }
}

bool LotteryService::WaitUntilDrawn(std::int64_t id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(mu_);
      seen = version_;
    }
    auto status = db_->Read([&](store::Connection& conn) -> Result<std::string> {
      ZZ_ASSIGN_OR_RETURN(Row row, Load(conn, id));
      return row.status;
    });
    if (!status.ok()) return false;
    if (*status != "drawing") return true;
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return version_ != seen || stopping_; }))
      return false;
    if (stopping_) return false;
  }
}

void LotteryService::DrawerLoop() {
  bool retry = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // After a passing failure (the database busy, a group rolled back), again in a while.
      if (retry) cv_.wait_for(lock, kRetry, [&] { return stopping_; });
      cv_.wait(lock, [&] { return work_ || retry || stopping_; });
      if (stopping_) return;
      work_ = false;
    }
    retry = false;
    auto drawing = db_->Read([](store::Connection& conn) -> Result<std::vector<std::int64_t>> {
      auto s = conn.Prepare("SELECT id FROM lotteries WHERE status = 'drawing' ORDER BY id");
      std::vector<std::int64_t> ids;
      while (s.Step())
        ids.push_back(s.Int(0));
      ZZ_RETURN_IF_ERROR(s.status());
      return ids;
    });
    if (!drawing.ok()) {
      spdlog::warn("lottery: cannot list the draws under way, trying again: {}",
                   drawing.status().ToString());
      retry = true;
      continue;
    }
    // One draw after the other, as in one hall.
    for (std::int64_t id : *drawing) {
      Status status = DrawOne(id);
      std::lock_guard lock(mu_);
      if (status.ok()) {
        halted_.erase(id);
      } else if (status.kind() == StatusKind::kUnavailable) {
        spdlog::warn("lottery {}: the draw paused, trying again: {}", id, status.ToString());
        retry = true;
      } else {
        // Not worth retrying (results in the database that are not the draw's): it stays
        // `drawing`, shows why, and is tried again at the next start.
        spdlog::error("lottery {}: the draw stopped: {}", id, status.ToString());
        halted_[id] = status.message();
        ++version_;
        ++versions_[id];
      }
    }
  }
}

Status LotteryService::DrawOne(std::int64_t id) {
  struct Start {
    Row row;
    std::vector<std::string> written;
  };
  ZZ_ASSIGN_OR_RETURN(Start start, db_->Read([&](store::Connection& conn) -> Result<Start> {
    Start out;
    ZZ_ASSIGN_OR_RETURN(out.row, Load(conn, id));
    auto s =
        conn.Prepare("SELECT allocation FROM lottery_results WHERE lottery_id = ? ORDER BY ord");
    s.Bind(1, id);
    while (s.Step())
      out.written.push_back(s.Text(0));
    ZZ_RETURN_IF_ERROR(s.status());
    return out;
  }));
  ZZ_ASSIGN_OR_RETURN(Inputs inputs, Inputs::FromJson(*start.row.inputs));
  ZZ_ASSIGN_OR_RETURN(std::string secret, cipher_->Unseal(start.row.secret_cipher));
  const std::string seed = SeedOf(start.row.commitment, secret, start.row.entropy);
  const std::vector<Allocation> allocations = RunDraw(inputs, seed);
  // A resumed draw: what is written must be this draw's own beginning.
  for (size_t i = 0; i < start.written.size(); ++i) {
    if (i >= allocations.size() || json::parse(start.written[i]) != allocations[i].ToJson())
      return Status::Internal("result " + std::to_string(i + 1) +
                              " in the database is not the draw's: the database was changed");
  }
  if (!start.written.empty())
    spdlog::info("lottery {}: resuming after result {} of {}", id, start.written.size(),
                 allocations.size());
  const auto interval = std::chrono::milliseconds(start.row.interval_ms);
  const size_t batch = start.row.interval_ms == 0 ? kBatch : 1;
  for (size_t next = start.written.size(); next < allocations.size();) {
    if (next > start.written.size() && interval.count() > 0) {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, interval, [&] { return stopping_; })) return Status::Ok();
    } else {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::Ok();
    }
    const size_t end = std::min(allocations.size(), next + batch);
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      const std::int64_t now = NowUnixMs();
      for (size_t i = next; i < end; ++i) {
        auto s = conn.Prepare(
            "INSERT INTO lottery_results (lottery_id, ord, household, allocation, drawn_at) "
            "VALUES (?, ?, ?, ?, ?)");
        s.Bind(1, id).Bind(2, allocations[i].order).Bind(3, allocations[i].household);
        s.Bind(4, allocations[i].ToJson().dump()).Bind(5, now);
        ZZ_RETURN_IF_ERROR(s.Run());
      }
      if (end < allocations.size()) return Status::Ok();
      auto s = conn.Prepare(
          "UPDATE lotteries SET status = 'drawn', drawn_at = ?, seed = ? WHERE id = ?");
      s.Bind(1, now).Bind(2, seed).Bind(3, id);
      ZZ_RETURN_IF_ERROR(s.Run());
      return audit_->Append(conn, security::Actor::Command("lottery"),
                            {"lottery.drawn",
                             "lottery:" + std::to_string(id),
                             {},
                             {{"results", allocations.size()}}});
    }));
    next = end;
    Changed(id);
  }
  spdlog::info("lottery {}: drawn, {} households", id, allocations.size());
  return Status::Ok();
}

}  // namespace zhizhi::lottery

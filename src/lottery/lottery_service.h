// LotteryService: the draws of the running platform (docs/lottery.md, "The ceremony").
//
//   draft      the operator creates it and puts its inputs (CSV per part, or one JSON document)
//   committed  the operator commits: the inputs are frozen and checked (no shortfall), a secret
//              is drawn and sealed, and the commitment is published on the board
//   drawing    the notary enters the public entropy: the seed is fixed and the drawer thread
//              writes the results one by one, `interval_ms` apart, each durable before it shows
//   drawn      every result is written; the secret is revealed and the record verifies
//   signed     the notary signs off the record (its hash kept)
//
// A draw that a crash or a stop interrupted resumes at the next start: the drawer re-runs the
// draw from the seed, checks that the results already written are its own, and writes the rest.
// A passing failure (the database busy) pauses a draw for a moment; results that are not the
// draw's halt it (`halted` in its state) until the next start. The seed is not stored until the
// draw is over: the drawer derives it from the sealed secret. Every step is audited.
//
// Thread-safety: all public methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lottery/csv_inputs.h"
#include "security/audit_log.h"
#include "security/field_cipher.h"
#include "store/database.h"

namespace zhizhi::lottery {

class LotteryService {
 public:
  LotteryService(store::Database* db, const security::FieldCipher* cipher,
                 const security::AuditLog* audit);
  ~LotteryService();
  LotteryService(const LotteryService&) = delete;
  LotteryService& operator=(const LotteryService&) = delete;

  // Starts the drawer thread and the boards' watcher; draws left `drawing` by a stop resume.
  Status Start();
  // Answers every board waiting for news now, and lets none wait from now on: call when the
  // HTTP server begins to stop, so that no answer outlives it.
  void ReleaseWatches();
  void Stop();

  // `{"title", "rules"?, "interval_ms"?}` → the new draft.
  Result<nlohmann::json> Create(const nlohmann::json& body, const security::Actor& actor);
  // Replaces one part of a draft's inputs (`households`, `flat`, `parking`, `farm_room`) with a
  // CSV file; a file with row problems is refused whole (400 with `error.problems`).
  Result<nlohmann::json> PutPart(std::int64_t id, const std::string& part, std::string csv,
                                 const security::Actor& actor);
  // Replaces a draft's whole inputs document.
  Result<nlohmann::json> PutInputs(std::int64_t id, const nlohmann::json& inputs,
                                   const security::Actor& actor);
  Result<nlohmann::json> Commit(std::int64_t id, const security::Actor& actor);
  // The notary's entropy: the draw starts.
  Result<nlohmann::json> Draw(std::int64_t id, const std::string& entropy,
                              const security::Actor& actor);
  Result<nlohmann::json> Sign(std::int64_t id, const std::string& statement,
                              const security::Actor& actor);

  // A lottery's state for its operators (drafts included, with their shortfalls).
  Result<nlohmann::json> Get(std::int64_t id);
  // All lotteries; with `published_only`, those committed or later (the public list).
  Result<nlohmann::json> List(bool published_only);
  // The record so far: the secret only once the draw is over. Drafts are not published.
  Result<nlohmann::json> Record(std::int64_t id);
  // The public board: state, commitment, progress and the results after `after`.
  Result<nlohmann::json> Board(std::int64_t id, int after);
  // The same, answered once there is something new — a result after `after`, or a status other
  // than `known` (the one the board shows; empty: any but `drawing`) — or `wait` passed, without
  // holding the caller's thread: `reply` runs later on the service's watcher thread, or at once
  // when there is news already.
  using BoardReply = std::function<void(Result<nlohmann::json>)>;
  void WatchBoard(std::int64_t id, int after, std::string known, std::chrono::milliseconds wait,
                  BoardReply reply);

  // Blocks until lottery `id` is no longer drawing, or `timeout` passes; true when done.
  bool WaitUntilDrawn(std::int64_t id, std::chrono::milliseconds timeout);

 private:
  struct Row;
  Result<Row> Load(store::Connection& conn, std::int64_t id) const;
  Result<nlohmann::json> RecordOf(store::Connection& conn, const Row& row) const;
  nlohmann::json Summary(store::Connection& conn, const Row& row) const;
  Result<nlohmann::json> UpdateDraft(std::int64_t id, const security::Actor& actor,
                                     const std::string& what,
                                     const std::function<Status(nlohmann::json&)>& change);
  void DrawerLoop();
  void WatcherLoop();
  static bool HasNews(const Result<nlohmann::json>& board, const std::string& known);
  std::chrono::steady_clock::time_point NextDeadline() const;  // under mu_
  Status DrawOne(std::int64_t id);
  void Changed(std::int64_t id);
  // A published draw's inputs, parsed once (they never change after the commitment).
  Result<std::shared_ptr<const nlohmann::json>> FrozenInputs(store::Connection& conn,
                                                             std::int64_t id,
                                                             const std::string& hash) const;

  store::Database* db_;
  const security::FieldCipher* cipher_;
  const security::AuditLog* audit_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t version_ = 0;                       // bumped on every change the board shows
  std::map<std::int64_t, std::uint64_t> versions_;  // the same per lottery (its boards wake)
  mutable std::map<std::int64_t, std::pair<std::string, std::shared_ptr<const nlohmann::json>>>
      frozen_;            // lottery → (inputs hash, parsed inputs)
  bool running_ = false;  // Start() .. Stop()
  bool stopping_ = false;
  bool releasing_ = false;                      // ReleaseWatches(): no more waiting boards
  bool work_ = false;                           // a draw may be waiting
  std::map<std::int64_t, std::string> halted_;  // draws that stopped, and why
  std::thread drawer_;

  struct Watch {
    std::int64_t id;
    int after;
    std::string known;
    std::chrono::steady_clock::time_point deadline;
    std::uint64_t version;
    BoardReply reply;
  };
  std::vector<Watch> watches_;  // guarded by mu_
  std::thread watcher_;
};

}  // namespace zhizhi::lottery

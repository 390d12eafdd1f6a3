// BaseData: the base data (三实 — people, houses, units) of the running platform. Source feeds
// are imported through their mappings (record_store.h); after each import a linker thread of its
// own links the import's kind again (entities.h) and marks the import `linked` (or `failed`, with
// why). An import whose linking a stop or a crash interrupted is linked again at the next start:
// its records committed with the import, so nothing acknowledged is lost.
//
// Reads answer golden records with provenance, the source records they were made of, occupants
// of a house and the people of a unit (through the records' keys: always as current as the
// records), a search, and the review queue. Reviewers' decisions (same / not the same) are kept
// and undone as records; each queues a new linking run, which takes them as constraints.
//
// Personal data: ID numbers are shown masked unless the caller has the `pii` right, and every
// read of a person, house (owner) or unit's people is audited by the API before it is answered.
//
// Thread-safety: all public methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "address/address_service.h"
#include "base/status.h"
#include "basedata/checks.h"
#include "basedata/mapping.h"
#include "basedata/record_store.h"
#include "linkage/person_linker.h"
#include "security/audit_log.h"
#include "security/field_cipher.h"
#include "store/database.h"
#include "store/page.h"

namespace zhizhi::basedata {

// Issues kept per import (the count is kept whole).
inline constexpr size_t kMaxKeptIssues = 1000;

// The source name of zhizhi's own workforce registry (workforce.h); no feed may take it.
inline constexpr const char* kWorkforceSource = "workforce";

struct BaseDataOptions {
  linkage::LinkOptions link;
  CheckOptions checks;
  // How often the linker thread takes the workforce registry in again (also at start); 0: only
  // when asked (SyncWorkforce), not at start either.
  std::chrono::milliseconds workforce_sync_interval = std::chrono::minutes(10);
};

class BaseData {
 public:
  BaseData(store::Database* db, const security::FieldCipher* cipher,
           const security::AuditLog* audit, const address::AddressService* addresses,
           BaseDataOptions options = {});
  ~BaseData();  // Stop()
  BaseData(const BaseData&) = delete;
  BaseData& operator=(const BaseData&) = delete;

  // Starts the linker thread; kinds with imports still `running` are linked again.
  Status Start();
  // Stops the linker thread (a run in progress finishes first). Idempotent.
  void Stop();

  // Reads the feed `bytes` through `mapping` and stores its rows as one import in one writer
  // job with its audit row; answers {"id","status":"running","counts","issue_count"}. A feed
  // that cannot be read at all (encoding, header, size) is the error and nothing is written.
  Result<nlohmann::json> Import(const Mapping& mapping, std::string bytes,
                                const security::Actor& actor);
  // Blocks until import `id` is no longer `running` (or `timeout` passes: 503 unavailable).
  Result<nlohmann::json> WaitForImport(std::int64_t id, std::chrono::milliseconds timeout) const;
  // GET /api/v1/imports/{id}.
  Result<nlohmann::json> ImportStatus(std::int64_t id) const;

  // GET /api/v1/people|houses|units/{id}: the golden record, its records, and its links.
  Result<nlohmann::json> Entity(Kind kind, std::int64_t id, bool pii) const;
  // GET /api/v1/people|houses|units?q=: by name (prefix), ID number (18 characters; only with
  // `pii`), phone (digits), address (any part), or a community code (`village`).
  Result<nlohmann::json> Search(Kind kind, const std::string& q, const std::string& village,
                                const store::Page& page, bool pii) const;

  // GET /api/v1/basedata/figures: people, houses, units and active base-data alerts per street
  // and community (by the golden records' communities), the entities no community was settled
  // for, and the live records per source.
  Result<nlohmann::json> Figures() const;

  // GET /api/v1/linkage/reviews: the grey-zone pairs of the last run, strongest first.
  Result<nlohmann::json> Reviews(const store::Page& page, bool pii) const;
  // A reviewer's decision on two person records; queues a linking run.
  Result<nlohmann::json> Decide(std::int64_t record_a, std::int64_t record_b, bool same,
                                const std::string& note, const security::Actor& actor);
  // Undoes decision `id` (kept, marked undone); queues a linking run.
  Result<nlohmann::json> Undo(std::int64_t id, const security::Actor& actor);
  Result<nlohmann::json> Decisions(const store::Page& page) const;

  // Takes the workforce registry in as source `workforce` (workforce.h): corps as units,
  // dormitories as houses, enrolled workers as people — a snapshot each, stored only where
  // something changed, then linked like any import. Answers the three imports (null id: nothing
  // changed).
  Result<nlohmann::json> SyncWorkforce(const security::Actor& actor);

  // Links `kind` now on the caller's thread (the command line; tests).
  Status LinkNow(Kind kind);
  // Blocks until a linking run of person records that started after the last decision (or
  // undo) has finished, or `timeout` passes (503 unavailable). For `?wait=` of the decisions.
  Status WaitForPersonLinking(std::chrono::milliseconds timeout);

 private:
  void LinkerLoop();
  Status Link(Kind kind);
  void Queue(Kind kind);
  // Stores one import's converted rows in one writer job with its audit row; queues linking.
  // With `await` the rows are still being converted (StoreRecords reads each once it is ready),
  // and `issues` is asked for only after the last row was stored.
  Result<nlohmann::json> Store(const Mapping& mapping, const std::vector<IncomingRecord>& records,
                               const std::function<const std::vector<RowIssue>&()>& issues,
                               const security::Actor& actor, bool keep_if_unchanged,
                               const AwaitRecords& await = nullptr);

  store::Database* db_;
  const security::FieldCipher* cipher_;
  const security::AuditLog* audit_;
  const address::AddressService* addresses_;
  const BaseDataOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  unsigned dirty_ = 0;  // bit per Kind
  // Per kind: linking runs asked for (each Queue) and the last asked-for run a finished run
  // covered — a run covers every request made before it loaded the records.
  std::uint64_t requested_[3] = {0, 0, 0};
  std::uint64_t covered_[3] = {0, 0, 0};
  std::condition_variable linked_cv_;
  bool stopping_ = false;
  bool sync_wanted_ = false;
  std::thread linker_;
  std::mutex link_mu_;  // one linking run at a time (the thread, or LinkNow)
  std::mutex sync_mu_;  // one workforce sync at a time (the thread, or a call)
};

}  // namespace zhizhi::basedata

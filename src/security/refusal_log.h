// RefusalLog: refused calls as security events in the audit trail (MLPS level 3, 等保三级 asks
// that security events be audited with who, what, when and the outcome, protected like the rest
// of the trail). A call refused to an authenticated caller — a right it lacks (403), what it
// names out of its scope (404), a gate device's token on another route — becomes one
// `access.refused` row in the same hash chain: the actor, IP and request id (never a token),
// the route, the path without its query (no ID number from a query string), the outcome and
// the right.
//
// It never blocks the request: the row is appended by a writer job of its own. A caller who
// keeps knocking costs at most kPerMinute rows a minute; what is left out is counted and
// reported (`suppressed`) in that caller's next row.
//
// A burst — kBurst refusals of one principal within a minute — is told to the burst listener in
// the same writer job as the refusal's row (the platform raises an alert: access_refusal_burst).
//
// Thread-safety: Refused() may be called from any thread; set the listener before serving.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::security {

class RefusalLog {
 public:
  static constexpr int kPerMinute = 30;
  static constexpr int kBurst = 10;  // refusals of one principal within 60 s

  RefusalLog(store::Database* db, const AuditLog* audit) : db_(db), audit_(audit) {}

  // Called in the writer job of the refusal that makes a burst: the actor, the refusals in the
  // last minute, the time.
  using BurstListener = std::function<Status(store::Connection&, const Actor&, int, std::int64_t)>;
  void SetBurstListener(BurstListener listener) { burst_ = std::move(listener); }

  // `route` as "METHOD /pattern"; `outcome` permission_denied, out_of_scope or token_misuse.
  void Refused(const Actor& actor, const std::string& route, const std::string& path,
               const std::string& outcome, const std::string& right, std::int64_t now_ms);

 private:
  struct Window {
    std::int64_t minute = 0;
    int recorded = 0;
    std::int64_t suppressed = 0;
    std::deque<std::int64_t> recent;  // the last kBurst refusals' times
  };
  store::Database* db_;
  const AuditLog* audit_;
  BurstListener burst_;
  std::mutex mu_;
  std::map<std::string, Window> windows_;  // per principal (token id, else name)
};

}  // namespace zhizhi::security

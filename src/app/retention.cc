#include "app/retention.h"

#include <sqlite3.h>

#include "base/civil_time.h"

namespace zhizhi::app {

namespace {
constexpr int kChunk = 5000;
}

const std::vector<RetentionRule>& RetentionRules() {
  static const std::vector<RetentionRule> rules = {
      // Attendance (考勤) and trajectories are built from the passes.
      {"gate_events", "gate_events", "seq", "time_ms", 730},
      // Borrowed-ID-card attempts (face/faces.h) are kept as long as the passes they came from.
      {"identity_attempts", "identity_attempts", "id", "created_at", 730},
      // Sessions ended long ago (their audit rows stay); the administrator and device tokens
      // never expire and are never deleted.
      {"expired_sessions", "api_tokens", "id", "expires_at", 30},
  };
  return rules;
}

Result<RetentionReport> RunRetention(store::Database& db, const security::AuditLog& audit,
                                     const security::Actor& actor, const RetentionDays& days,
                                     std::int64_t now_ms) {
  RetentionReport report;
  nlohmann::json detail = nlohmann::json::object();
  for (const RetentionRule& rule : RetentionRules()) {
    auto it = days.find(rule.name);
    const int keep = it == days.end() ? rule.default_days : it->second;
    report.deleted[rule.name] = 0;
    if (keep <= 0) continue;
    const std::int64_t cutoff = now_ms - static_cast<std::int64_t>(keep) * 86'400'000LL;
    const std::string sql = std::string("DELETE FROM ") + rule.table + " WHERE " + rule.key +
                            " IN (SELECT " + rule.key + " FROM " + rule.table + " WHERE " +
                            rule.time_column + " < ?1 LIMIT ?2)";
    for (;;) {
      int deleted = 0;
      ZZ_RETURN_IF_ERROR(db.Write([&](store::Connection& conn) -> Status {
        ZZ_ASSIGN_OR_RETURN(auto stmt, conn.PrepareUncached(sql));
        sqlite3_bind_int64(stmt.get(), 1, cutoff);
        sqlite3_bind_int64(stmt.get(), 2, kChunk);
        if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
          return Status::Internal("retention of " + std::string(rule.table) + ": " +
                                  conn.LastError());
        }
        deleted = conn.Changes();
        return Status::Ok();
      }));
      report.deleted[rule.name] += deleted;
      if (deleted < kChunk) break;
    }
    report.total += report.deleted[rule.name];
    detail[rule.name] = {{"keep_days", keep},
                         {"before", FormatRfc3339(cutoff)},
                         {"deleted", report.deleted[rule.name]}};
  }
  if (report.total > 0) {
    ZZ_RETURN_IF_ERROR(
        audit.Record(db, actor, security::AuditRecord{"retention.run", "", {}, detail}));
  }
  return report;
}

}  // namespace zhizhi::app

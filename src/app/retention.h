// Retention: personal data is kept only as long as its rule says, then deleted (PIPL: stored no
// longer than the purpose needs). Each rule names a table, its time column and a default age;
// `zhizhi retention run` applies them, and `zhizhi serve` applies them every day.
//
// Rules today: gate events (passes: attendance and trajectories) after 2 years; session tokens
// 30 days after they expired. Gate photos and face embeddings of passes join with the face
// module (a row in RetentionRules()).
//
// Deletion runs in chunks of 5,000 rows, each its own writer job, so the gate never waits long
// behind it; one audit row per run says what was deleted. The writer zeroes deleted content
// (secure_delete), so deleted passes do not linger in the file's free pages.
//
// Thread-safety: RunRetention is safe from any thread (writes go through the Database).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::app {

struct RetentionRule {
  const char* name;  // as in options and reports, e.g. gate_events
  const char* table;
  const char* key;          // primary key column
  const char* time_column;  // unix ms
  int default_days;
};
const std::vector<RetentionRule>& RetentionRules();

// Days to keep per rule name; a rule not named keeps its default; 0 keeps forever.
using RetentionDays = std::map<std::string, int>;

struct RetentionReport {
  std::map<std::string, std::int64_t> deleted;  // rows per rule
  std::int64_t total = 0;
};

// Deletes what is older than its rule at `now_ms`.
Result<RetentionReport> RunRetention(store::Database& db, const security::AuditLog& audit,
                                     const security::Actor& actor, const RetentionDays& days,
                                     std::int64_t now_ms);

}  // namespace zhizhi::app

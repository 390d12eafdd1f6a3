#include "store/migrations.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testkit/scratch_database.h"

namespace zhizhi::store {
namespace {
using testkit::ScratchDatabase;

// SQLite's plan for `sql`, one line per step.
std::string PlanOf(Database& db, const std::string& sql) {
  auto plan = db.Read([&](Connection& conn) -> Result<std::string> {
    std::string plan;
    auto s = conn.Prepare("EXPLAIN QUERY PLAN " + sql);
    while (s.Step())
      plan += s.Text(3) + "\n";
    ZZ_RETURN_IF_ERROR(s.status());
    return plan;
  });
  return plan.ok() ? *plan : plan.status().ToString();
}

// The key columns of `index`, in order.
std::vector<std::string> IndexColumns(Database& db, const std::string& index) {
  auto columns = db.Read([&](Connection& conn) -> Result<std::vector<std::string>> {
    std::vector<std::string> columns;
    auto s = conn.Prepare("PRAGMA index_info(" + index + ")");
    while (s.Step())
      columns.push_back(s.Text(2));
    ZZ_RETURN_IF_ERROR(s.status());
    return columns;
  });
  return columns.ok() ? *columns : std::vector<std::string>{columns.status().ToString()};
}

// What every gate pass costs the writer depends on these two indexes (migration 9): a pass must
// append to the day index, and its question about the person's active alerts must be answered
// by the partial index alone.
TEST(MigrationsTest, TheGatePassQueriesUseTheirIndexes) {
  auto opened = ScratchDatabase::Open("migrations");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Database& db = (*opened)->db();

  // Equal times (terminals send seconds) must keep arrival order, so seq follows the time.
  EXPECT_EQ(IndexColumns(db, "gate_events_by_day_seq"),
            (std::vector<std::string>{"local_date", "project_code", "time_ms", "seq", "decision",
                                      "person_id", "flags"}));
  // The command screen's figures of a day still read the index only.
  EXPECT_NE(PlanOf(db,
                   "SELECT decision, COUNT(*) FROM gate_events WHERE project_code = 'P' AND "
                   "local_date = '2026-11-23' AND (flags & 4) = 0 GROUP BY decision")
                .find("COVERING INDEX gate_events_by_day_seq"),
            std::string::npos);
  // AlertEngine::OnPass, once per pass.
  const std::string plan = PlanOf(
      db, "SELECT type, project_code FROM alerts WHERE person_id = 7 AND status != 'resolved'");
  EXPECT_NE(plan.find("COVERING INDEX alerts_active_person"), std::string::npos) << plan;
}

}  // namespace
}  // namespace zhizhi::store

namespace zhizhi::store {
namespace {

// Migration 12 rebuilds the alerts table (a CHECK cannot be altered): a database at version 11
// with alerts and their history keeps every row and reference, and takes the new subjects.
TEST(MigrationsTest, RebuildingTheAlertsTableKeepsItsRowsAndReferences) {
  auto scratch = ScratchDatabase::Open("migrations-rebuild");
  ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
  const std::string path = (*scratch)->dir() + "/old.db";
  auto opened = Connection::Open(path, Connection::Mode::kReadWrite);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Connection& conn = **opened;
  for (const Migration& m : Migrations()) {
    if (m.version > 11) break;
    ASSERT_TRUE(conn.Exec(m.sql).ok()) << m.name;
  }
  ASSERT_TRUE(conn.Exec("PRAGMA user_version=11").ok());
  ASSERT_TRUE(conn.Exec("INSERT INTO alerts(id, type, severity, alert_key, subject_kind, "
                        "subject_id, message, evidence, detail, status, first_seen, last_seen) "
                        "VALUES (7, 'device_offline', 'orange', 'device_offline:P1:3', 'device', "
                        "'3', 'm', '[]', '{}', 'open', 1, 2);"
                        "INSERT INTO alert_history(alert_id, at, action, actor) VALUES (7, 1, "
                        "'opened', 'system');")
                  .ok());
  // Before: a house cannot be an alert's subject.
  EXPECT_FALSE(conn.Exec("INSERT INTO alerts(type, severity, alert_key, subject_kind, subject_id, "
                         "message, evidence, detail, status, first_seen, last_seen) VALUES "
                         "('house_overcrowded', 'orange', 'k', 'house', '1', 'm', '[]', '{}', "
                         "'open', 1, 1)")
                   .ok());

  auto version = ApplyMigrations(conn);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, Migrations().back().version);
  EXPECT_EQ(*QueryInt(conn,
                      "SELECT COUNT(*) FROM alerts WHERE id = 7 AND alert_key = "
                      "'device_offline:P1:3' AND last_seen = 2"),
            1);
  EXPECT_EQ(*QueryInt(conn,
                      "SELECT COUNT(*) FROM alert_history h JOIN alerts a ON a.id = "
                      "h.alert_id"),
            1);
  EXPECT_EQ(*QueryInt(conn, "SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
  EXPECT_EQ(*QueryInt(conn, "PRAGMA foreign_keys"), 1);  // back on
  EXPECT_TRUE(conn.Exec("INSERT INTO alerts(type, severity, alert_key, subject_kind, subject_id, "
                        "message, evidence, detail, status, first_seen, last_seen) VALUES "
                        "('house_overcrowded', 'orange', 'k', 'house', '1', 'm', '[]', '{}', "
                        "'open', 1, 1)")
                  .ok());
  // The active-key index came back: a second active alert with one key is refused.
  EXPECT_FALSE(conn.Exec("INSERT INTO alerts(type, severity, alert_key, subject_kind, subject_id, "
                         "message, evidence, detail, status, first_seen, last_seen) VALUES "
                         "('house_overcrowded', 'orange', 'k', 'house', '1', 'm', '[]', '{}', "
                         "'open', 1, 1)")
                   .ok());
}

}  // namespace
}  // namespace zhizhi::store

#include "app/retention.h"

#include <gtest/gtest.h>

#include "base/civil_time.h"
#include "testkit/scratch_database.h"

namespace zhizhi::app {
namespace {

constexpr std::int64_t kDay = 86'400'000;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = testkit::ScratchDatabase::Open("retention");
    ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
    scratch_ = std::move(scratch).value();
    db_ = &scratch_->db();
  }
  std::int64_t Count(const std::string& sql) {
    auto n = db_->Read([&](store::Connection& conn) { return store::QueryInt(conn, sql); });
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  std::unique_ptr<testkit::ScratchDatabase> scratch_;
  store::Database* db_ = nullptr;
  security::FieldCipher cipher_ =
      security::FieldCipher::FromMasterKey(security::FieldCipher::GenerateKey());
};

TEST_F(RetentionTest, DeletesWhatIsPastItsRuleInChunks) {
  const std::int64_t now = NowUnixMs();
  ASSERT_TRUE(db_->Write([&](store::Connection& conn) -> Status {
                   // 12,000 passes three years old (more than two chunks), 10 from last week.
                   for (int i = 0; i < 12'010; ++i) {
                     const std::int64_t t = i < 12'000 ? now - 3 * 365 * kDay : now - 7 * kDay;
                     ZZ_RETURN_IF_ERROR(
                         conn.Prepare("INSERT INTO gate_events(event_id, project_code, time_ms, "
                                      "utc_offset, local_date, received_at, identified_by, "
                                      "direction, decision, reasons, warnings) VALUES "
                                      "(?, 'P1', ?, 480, '2023-01-01', ?, 'terminal', 'in', "
                                      "'allow', '[]', '[]')")
                             .Bind(1, "e" + std::to_string(i))
                             .Bind(2, t)
                             .Bind(3, t)
                             .Run());
                   }
                   // Sessions: one ended 40 days ago, one 10 days ago; the administrator token.
                   for (const auto& [name, expires] :
                        std::vector<std::pair<std::string, std::optional<std::int64_t>>>{
                            {"old", now - 40 * kDay}, {"recent", now - 10 * kDay}, {"admin", {}}}) {
                     ZZ_RETURN_IF_ERROR(
                         conn.Prepare("INSERT INTO api_tokens(name, role, token_hash, created_at, "
                                      "expires_at) VALUES (?, 'inspector', ?, 0, ?)")
                             .Bind(1, name)
                             .BindBlob(2, name)
                             .Bind(3, expires)
                             .Run());
                   }
                   return Status::Ok();
                 })
                  .ok());
  security::AuditLog audit(&cipher_);
  auto report = RunRetention(*db_, audit, security::Actor::Command("test"), {}, now);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted["gate_events"], 12'000);
  EXPECT_EQ(report->deleted["expired_sessions"], 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM gate_events"), 10);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM api_tokens"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM api_tokens WHERE name = 'old'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run'"), 1);

  // A rule set to 0 keeps everything; a shorter one deletes more; nothing to do writes no row.
  report = RunRetention(*db_, audit, security::Actor::Command("test"),
                        {{"gate_events", 0}, {"expired_sessions", 0}}, now);
  EXPECT_EQ(report->total, 0);
  report = RunRetention(*db_, audit, security::Actor::Command("test"), {{"gate_events", 5}}, now);
  EXPECT_EQ(report->deleted["gate_events"], 10);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run'"), 2);
}

}  // namespace
}  // namespace zhizhi::app

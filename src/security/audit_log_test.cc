#include "security/audit_log.h"

#include <gtest/gtest.h>

#include "testkit/scratch_database.h"

namespace zhizhi::security {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = testkit::ScratchDatabase::Open("audit");
    ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
    scratch_ = std::move(scratch).value();
    db_ = &scratch_->db();
  }
  Result<AuditLog::Verification> Verify(const AuditLog& log) {
    return db_->Read([&](store::Connection& conn) { return log.Verify(conn); });
  }

  std::unique_ptr<testkit::ScratchDatabase> scratch_;
  store::Database* db_ = nullptr;
  FieldCipher cipher_ = FieldCipher::FromMasterKey(FieldCipher::GenerateKey());
};

TEST_F(AuditLogTest, ChainVerifiesUnderItsKeyOnly) {
  AuditLog log(&cipher_);
  Principal who;
  who.name = "wang";
  who.role = "site_manager";
  who.user_id = 7;
  const Actor actor = Actor::Of(who, "10.1.2.3:51234", "req-1");
  EXPECT_EQ(actor.ip, "10.1.2.3");
  EXPECT_EQ(Actor::Of(who, "::1:8080", "r").ip, "::1");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(log.Record(*db_, actor, AuditRecord{"person.read", "person:1", {1, 2, 1}}).ok());
  }
  auto v = Verify(log);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->rows, 5);
  EXPECT_EQ(v->head_seq, 5);
  EXPECT_EQ(v->head_hash.size(), 64u);
  EXPECT_TRUE(v->problems.empty());

  // Duplicate persons are indexed once.
  auto indexed = db_->Read([](store::Connection& conn) {
    return store::QueryInt(conn, "SELECT COUNT(*) FROM audit_subjects");
  });
  EXPECT_EQ(*indexed, 10);

  // Another key sees every row as forged.
  const FieldCipher other = FieldCipher::FromMasterKey(FieldCipher::GenerateKey());
  AuditLog wrong(&other);
  auto w = Verify(wrong);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->problems.size(), 5u);

  // Re-hashed under the other key, it verifies there and no longer here.
  ASSERT_TRUE(db_->Write([&](store::Connection& conn) { return log.Rehash(conn, other); }).ok());
  EXPECT_TRUE(Verify(wrong)->problems.empty());
  EXPECT_EQ(Verify(log)->problems.size(), 5u);
}

TEST_F(AuditLogTest, RowsOfARolledBackChangeVanishWithIt) {
  AuditLog log(&cipher_);
  const Actor actor = Actor::Command("test");
  ASSERT_TRUE(log.Record(*db_, actor, AuditRecord{"a", "", {}, {}}).ok());
  const Status failed = db_->Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(log.Append(conn, actor, AuditRecord{"b", "", {3}}));
    return Status::Conflict("nope", "", "the change failed");
  });
  EXPECT_FALSE(failed.ok());
  ASSERT_TRUE(log.Record(*db_, actor, AuditRecord{"c", "", {}, {}}).ok());
  auto v = Verify(log);
  EXPECT_EQ(v->rows, 2);
  EXPECT_TRUE(v->problems.empty()) << v->problems.front().what;
}

}  // namespace
}  // namespace zhizhi::security

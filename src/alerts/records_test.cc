#include "alerts/records.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace zhizhi::alerts {
namespace {

// On a database where the existence checks' queries fail (here: there is no schema beyond a
// persons table), the records answer the database's error, never 404 or 422.
TEST(RecordsTest, AFailedExistenceCheckIsTheDatabaseError) {
  const std::string path =
      ::testing::TempDir() + "records_test_" + std::to_string(::getpid()) + ".db";
  {
    auto conn = store::Connection::Open(path, store::Connection::Mode::kReadWrite);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    const Records records(nullptr);  // the engine is reached only after the checks
    EXPECT_EQ(records.ListLeaves(**conn, 1).status().kind(), StatusKind::kInternal);
    ExemptionDraft exemption;
    exemption.person_id = 1;
    exemption.project_code = "P1";
    EXPECT_EQ(records.AddExemption(**conn, exemption, "admin").status().kind(),
              StatusKind::kInternal);  // not person_not_registered

    ASSERT_TRUE(
        (*conn)->Exec("CREATE TABLE persons(id INTEGER); INSERT INTO persons VALUES (1);").ok());
    LeaveDraft leave;
    leave.project_code = "P1";
    EXPECT_EQ(records.AddLeave(**conn, 1, leave, "admin").status().kind(),
              StatusKind::kInternal);  // not project_not_registered
    EXPECT_EQ(records.AddExemption(**conn, exemption, "admin").status().kind(),
              StatusKind::kInternal);
  }
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path + suffix);
}

}  // namespace
}  // namespace zhizhi::alerts

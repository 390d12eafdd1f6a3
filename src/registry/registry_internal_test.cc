#include "registry/registry_internal.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "registry/registry.h"

namespace zhizhi::registry {
namespace {

// A database holding only the tables a test creates: a query on any other table fails, as every
// query does on a broken database. A failed check must answer the database's error (500), never
// "no such row" (404) nor a broken rule (422).
class RegistryOnABrokenDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "registry_internal_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    auto conn = store::Connection::Open(path_, store::Connection::Mode::kReadWrite);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(*conn);
  }
  void TearDown() override {
    conn_.reset();
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_ + suffix);
  }
  // Project P1 (active) with corp U1 taking part, and no other table.
  void ProjectWithCorp() {
    ASSERT_TRUE(conn_
                    ->Exec("CREATE TABLE projects(code TEXT, status TEXT);"
                           "CREATE TABLE project_corps(project_code TEXT, uscc TEXT);"
                           "INSERT INTO projects VALUES ('P1', 'active');"
                           "INSERT INTO project_corps VALUES ('P1', 'U1');")
                    .ok());
  }

  std::string path_;
  std::unique_ptr<store::Connection> conn_;
  Registry registry_{nullptr};
};

TEST_F(RegistryOnABrokenDatabaseTest, RowExistsTellsARowFromNoRowFromAFailedQuery) {
  ProjectWithCorp();
  auto found = RowExists(*conn_, "SELECT 1 FROM projects WHERE code = ?", std::string("P1"));
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(*found);
  auto absent = RowExists(*conn_, "SELECT 1 FROM projects WHERE code = ?", std::string("P2"));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(*absent);
  auto failed = RowExists(*conn_, "SELECT 1 FROM persons WHERE id = ?", std::int64_t{1});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().kind(), StatusKind::kInternal);
}

TEST_F(RegistryOnABrokenDatabaseTest, AFailedProjectCheckIsNotANotFound) {
  const Page page;
  const auto expect_internal = [](const Status& status) {
    EXPECT_EQ(status.kind(), StatusKind::kInternal) << status.ToString();
  };
  expect_internal(registry_.ListTeams(*conn_, "P1").status());
  expect_internal(registry_.ListWorkers(*conn_, "P1", "all", page, false).status());
  expect_internal(registry_.AddProjectCorp(*conn_, "P1", {"U1", "009"}));
  expect_internal(registry_.CreateTeam(*conn_, "P1", {"A", "U1", std::nullopt}).status());
  expect_internal(registry_.Exit(*conn_, "P1", 1, {}));
  expect_internal(registry_.MoveDormitory(*conn_, "P1", 1, {"Room 1", std::nullopt}));
  expect_internal(registry_.AddCertificate(*conn_, 1, {}).status());
}

TEST_F(RegistryOnABrokenDatabaseTest, AFailedCheckIsNotABrokenRule) {
  ProjectWithCorp();  // no corps, teams or persons tables
  const auto expect_internal = [](const Status& status) {
    EXPECT_EQ(status.kind(), StatusKind::kInternal) << status.ToString();
  };
  expect_internal(registry_.AddProjectCorp(*conn_, "P1", {"U2", "009"}));  // corp_not_registered
  expect_internal(registry_.CreateTeam(*conn_, "P1", {"A", "U1", 7}).status());  // leader
  EnrolmentDraft enrolment;
  enrolment.person_id = 7;
  enrolment.uscc = "U1";
  expect_internal(registry_.Enrol(*conn_, "P1", enrolment).status());  // person_not_found
}

}  // namespace
}  // namespace zhizhi::registry

#include "basedata/base_data.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testkit/scratch_database.h"

namespace zhizhi::basedata {
namespace {

using nlohmann::json;

Mapping PersonMapping(const std::string& source, int priority = 50, bool snapshot = false) {
  auto m = Mapping::FromJson(json{{"source", source},
                                  {"kind", "person"},
                                  {"key", "k"},
                                  {"priority", priority},
                                  {"snapshot", snapshot},
                                  {"fields",
                                   {{"name", "name"},
                                    {"id_number", "id"},
                                    {"birth_date", "birth"},
                                    {"phone", "phone"},
                                    {"address", "address"}}}});
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

class BaseDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = testkit::ScratchDatabase::Open("basedata");
    ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
    scratch_ = std::move(*scratch);
    addresses_ = std::make_unique<address::AddressService>(&scratch_->db(), "");
    Open();
  }
  void Open() { base_ = std::make_unique<BaseData>(&db(), &cipher_, &audit_, addresses_.get()); }
  store::Database& db() { return scratch_->db(); }

  json Import(const Mapping& mapping, const std::string& csv) {
    auto answer = base_->Import(mapping, csv, security::Actor::Command("test"));
    EXPECT_TRUE(answer.ok()) << answer.status().ToString();
    return answer.ok() ? *answer : json();
  }
  // The entity of each source id, after linking persons.
  std::map<std::string, std::int64_t> EntityOf() {
    std::map<std::string, std::int64_t> out;
    auto status = db().Read([&](store::Connection& conn) -> Status {
      auto s = conn.Prepare(
          "SELECT source || ':' || source_id, entity_id FROM source_records WHERE withdrawn = 0");
      while (s.Step())
        out[s.Text(0)] = s.OptInt(1).value_or(0);
      return s.status();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out;
  }

  security::FieldCipher cipher_ =
      security::FieldCipher::FromMasterKey(security::FieldCipher::GenerateKey());
  security::AuditLog audit_{&cipher_};
  std::unique_ptr<testkit::ScratchDatabase> scratch_;
  std::unique_ptr<address::AddressService> addresses_;
  std::unique_ptr<BaseData> base_;
};

const char* kHeader = "k,name,id,birth,phone,address\n";

TEST_F(BaseDataTest, EntitiesKeepTheirIdsAndUnchangedOnesAreNotRewritten) {
  Import(PersonMapping("a", 80), std::string(kHeader) +
                                     "1,王丽,330114199003071236,1990-03-07,13800001234,\n"
                                     "2,李强,411522198511203379,1985-11-20,,\n"
                                     "3,赵敏,330106197206150015,1972-06-15,,\n");
  ASSERT_TRUE(base_->LinkNow(Kind::kPerson).ok());
  const auto before = EntityOf();
  ASSERT_EQ(before.size(), 3u);
  EXPECT_NE(before.at("a:1"), before.at("a:2"));

  // A second source adds a record of 王丽 by ID number: only her entity changes.
  json answer = Import(PersonMapping("b"),
                       std::string(kHeader) + "x,王丽,330114199003071236,,13800009999,\n");
  EXPECT_EQ(answer["counts"]["added"], 1);
  ASSERT_TRUE(base_->LinkNow(Kind::kPerson).ok());
  const auto after = EntityOf();
  EXPECT_EQ(after.at("b:x"), before.at("a:1"));
  for (const char* key : {"a:1", "a:2", "a:3"})
    EXPECT_EQ(after.at(key), before.at(key)) << key;
  auto status = base_->ImportStatus(answer["id"].get<std::int64_t>());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["status"], "linked");
  EXPECT_EQ((*status)["linkage"]["entities_changed"], 1) << status->dump();

  // The golden phone: one record each, the higher priority wins (a at 80); then b at 90.
  auto person = base_->Entity(Kind::kPerson, before.at("a:1"), true);
  ASSERT_TRUE(person.ok());
  EXPECT_EQ((*person)["fields"]["phone"]["value"], "13800001234");
  Import(PersonMapping("b", 90),
         std::string(kHeader) + "x,王丽,330114199003071236,,13800009999,\n");
  ASSERT_TRUE(base_->LinkNow(Kind::kPerson).ok());
  person = base_->Entity(Kind::kPerson, before.at("a:1"), false);
  ASSERT_TRUE(person.ok());
  EXPECT_EQ((*person)["fields"]["phone"]["value"], "13800009999");
  EXPECT_EQ((*person)["fields"]["phone"]["source"], "b");
  EXPECT_EQ((*person)["fields"]["id_number"]["value"], "330114********1236");
}

// An import of many chunks (rows are converted on threads while the writer stores the converted
// ones): every row stored once, in file order; the warnings of every chunk kept, by line; then a
// re-import finds each row unchanged, and one changed row in the last chunk.
TEST_F(BaseDataTest, ALargeImportIsConvertedWhileItIsStored) {
  constexpr int kRows = 20'000;  // five chunks of 4,096
  std::string csv = kHeader;
  for (int i = 0; i < kRows; ++i) {
    const bool bad_phone = i % 5'000 == 7;  // one warning in each of four chunks
    static const char* const kNames[] = {"王丽", "李强", "赵敏", "张伟", "刘洋", "陈静", "杨帆"};
    csv += std::to_string(i) + "," + kNames[i % 7] + ",,1990-01-01," + (bad_phone ? "137" : "") +
           ",钱塘区下沙街道上沙社区21号大街" + std::to_string(i % 300 + 1) + "号\n";
  }
  json first = Import(PersonMapping("big"), csv);
  EXPECT_EQ(first["counts"]["rows"], kRows) << first.dump();
  EXPECT_EQ(first["counts"]["added"], kRows);
  EXPECT_EQ(first["counts"]["warnings"], 4);
  EXPECT_EQ(first["issue_count"], 4);
  auto status = base_->ImportStatus(first["id"].get<std::int64_t>());
  ASSERT_TRUE(status.ok());
  const json& issues = (*status)["issues"];
  ASSERT_EQ(issues.size(), 4u) << status->dump();
  for (size_t i = 0; i < issues.size(); ++i)
    EXPECT_EQ(issues[i]["line"], 2 + 7 + 5'000 * static_cast<int>(i)) << issues.dump();
  auto stored = db().Read([](store::Connection& conn) -> Result<std::int64_t> {
    // Line n holds the row of source id n − 2: each row once, its own line.
    return store::QueryInt(conn,
                           "SELECT COUNT(*) FROM source_records WHERE source = 'big' AND "
                           "CAST(source_id AS INTEGER) = line - 2");
  });
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, kRows);

  const size_t last = csv.rfind("19999,");
  ASSERT_NE(last, std::string::npos);
  std::string changed = csv;
  changed.replace(last, 6, "19999,改");
  json again = Import(PersonMapping("big"), changed);
  EXPECT_EQ(again["counts"]["unchanged"], kRows - 1) << again.dump();
  EXPECT_EQ(again["counts"]["changed"], 1);
  EXPECT_EQ(again["counts"]["added"], 0);
}

TEST_F(BaseDataTest, ReimportsWriteOnlyWhatChangedAndSnapshotsWithdraw) {
  const std::string rows = std::string(kHeader) +
                           "1,王丽,330114199003071236,1990-03-07,,\n"
                           "2,李强,411522198511203379,1985-11-20,,\n";
  EXPECT_EQ(Import(PersonMapping("a"), rows)["counts"]["added"], 2);
  json again = Import(PersonMapping("a"), rows);
  EXPECT_EQ(again["counts"]["unchanged"], 2);
  EXPECT_EQ(again["status"], "linked");  // nothing to link
  json changed = Import(PersonMapping("a"),
                        std::string(kHeader) + "2,李强,411522198511203379,1985-11-20,137,\n");
  EXPECT_EQ(changed["counts"]["changed"], 1);
  EXPECT_EQ(changed["counts"]["warnings"], 1);  // "137" is no phone
  json snapshot = Import(PersonMapping("a", 50, true),
                         std::string(kHeader) + "2,李强,411522198511203379,1985-11-20,137,\n");
  EXPECT_EQ(snapshot["counts"]["unchanged"], 1);
  EXPECT_EQ(snapshot["counts"]["withdrawn"], 1);
  ASSERT_TRUE(base_->LinkNow(Kind::kPerson).ok());
  EXPECT_EQ(EntityOf().size(), 1u);
  auto count = db().Read([](store::Connection& conn) {
    return store::QueryInt(conn, "SELECT COUNT(*) FROM entities WHERE kind = 'person'");
  });
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1);
}

TEST_F(BaseDataTest, AnImportLeftRunningIsLinkedAtTheNextStart) {
  json answer =
      Import(PersonMapping("a"), std::string(kHeader) + "1,王丽,330114199003071236,1990-03-07,,\n");
  EXPECT_EQ(answer["status"], "running");  // no linker thread: as if stopped before linking
  base_.reset();
  Open();
  ASSERT_TRUE(base_->Start().ok());
  auto done =
      base_->WaitForImport(answer["id"].get<std::int64_t>(), std::chrono::milliseconds(20'000));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"], "linked");
  EXPECT_NE(EntityOf().at("a:1"), 0);
}

TEST_F(BaseDataTest, AFeedThatCannotBeReadWritesNothing) {
  auto answer = base_->Import(PersonMapping("a"), "k,name\n1,王丽\n",  // no column "id" …
                              security::Actor::Command("test"));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().field(), "mapping.fields.id_number");
  auto imports = db().Read([](store::Connection& conn) {
    return store::QueryInt(conn, "SELECT COUNT(*) FROM basedata_imports");
  });
  ASSERT_TRUE(imports.ok());
  EXPECT_EQ(*imports, 0);
}

}  // namespace
}  // namespace zhizhi::basedata

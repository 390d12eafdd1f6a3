#include "accounts/accounts.h"

#include <gtest/gtest.h>

#include "base/civil_time.h"
#include "base/clock.h"
#include "security/field_cipher.h"
#include "testkit/scratch_database.h"

namespace zhizhi::accounts {
namespace {

constexpr std::int64_t kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// Accounts and the token check on one ManualClock: time moves only when a test says so.
class AccountsTest : public ::testing::Test {
 protected:
  void Open(AccountOptions options) {
    auto scratch = testkit::ScratchDatabase::Open("accounts");
    ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
    scratch_ = std::move(scratch).value();
    auth_ = std::make_unique<security::TokenAuthenticator>(&scratch_->db(), clock_.AsClock());
    options.clock = clock_.AsClock();
    accounts_ = std::make_unique<Accounts>(&scratch_->db(), auth_.get(), &audit_, options);
  }

  void CreateUser(const std::string& name) {
    UserDraft draft{name, Password(name), "inspector", {}, false, {}};
    auto created = accounts_->CreateUser(draft, security::Actor::Command("test"));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  static std::string Password(const std::string& name) { return "Pass-" + name + "-2026"; }

  Result<nlohmann::json> Login(const std::string& name, const std::string& password) {
    security::Actor from = security::Actor::Command("test");
    from.ip = "127.0.0.1";
    return accounts_->Login(name, password, from);
  }

  ManualClock clock_{kStart};
  std::unique_ptr<testkit::ScratchDatabase> scratch_;
  security::FieldCipher cipher_ =
      security::FieldCipher::FromMasterKey(security::FieldCipher::GenerateKey());
  security::AuditLog audit_{&cipher_};
  std::unique_ptr<security::TokenAuthenticator> auth_;
  std::unique_ptr<Accounts> accounts_;
};

TEST_F(AccountsTest, ALockOutLastsItsWindowAndThenTheCountStartsOver) {
  AccountOptions options;
  options.lockout_failures = 3;
  options.lockout_ms = 2'000;
  Open(options);
  CreateUser("wang.site");
  CreateUser("other.user");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Login("wang.site", "Wrong-Pass-2026").status().code(), "unauthenticated") << i;
  }
  // Locked: even the right password is refused, with the time to come back.
  auto locked = Login("wang.site", Password("wang.site"));
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.status().code(), "rate_limited");
  EXPECT_EQ(locked.status().details().value("reason", ""), "locked_out");
  EXPECT_EQ(locked.status().details().value("retry_after", 0), 2);
  // Another user is not affected.
  EXPECT_TRUE(Login("other.user", Password("other.user")).ok());

  clock_.Advance(1'999);
  locked = Login("wang.site", Password("wang.site"));
  ASSERT_FALSE(locked.ok()) << "a millisecond before the lock runs out";
  EXPECT_EQ(locked.status().details().value("retry_after", 0), 1);

  // When the lock has run out, the right password works and the count starts over.
  clock_.Advance(1);
  EXPECT_TRUE(Login("wang.site", Password("wang.site")).ok());
  EXPECT_EQ(Login("wang.site", "Wrong-Pass-2026").status().code(), "unauthenticated");
  EXPECT_TRUE(Login("wang.site", Password("wang.site")).ok());
}

TEST_F(AccountsTest, ASessionExpiresAtItsTimeCachedOrNot) {
  AccountOptions options;
  options.session_ttl_ms = 1'000;
  Open(options);
  CreateUser("short.session");
  auto session = Login("short.session", Password("short.session"));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const std::string bearer = "Bearer " + (*session)["token"].get<std::string>();
  EXPECT_EQ((*session)["expires_at"], FormatRfc3339(kStart + 1'000));

  // The first use caches the principal; expiry is checked on the cached entry too.
  auto principal = auth_->Authenticate(bearer);
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_EQ(principal->expires_at, kStart + 1'000);
  clock_.Advance(999);
  EXPECT_TRUE(auth_->Authenticate(bearer).ok());
  clock_.Advance(1);
  auto expired = auth_->Authenticate(bearer);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().message(), "token expired");

  // Read from the database (nothing cached), it is expired as well.
  auth_->Invalidate();
  expired = auth_->Authenticate(bearer);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().message(), "token expired");
}

}  // namespace
}  // namespace zhizhi::accounts

#include "security/password.h"

#include <gtest/gtest.h>

namespace zhizhi::security {
namespace {

TEST(PasswordRuleTest, LengthClassesAndName) {
  EXPECT_TRUE(CheckPasswordRule("Correct-Horse-1", "wang", "password").ok());
  EXPECT_TRUE(CheckPasswordRule("正确马电池订书钉Ab1", "wang", "password").ok())
      << "non-ASCII counts as other characters";
  const Status short_one = CheckPasswordRule("Aa1-aaaa", "wang", "password");
  EXPECT_EQ(short_one.code(), "invalid_argument");
  EXPECT_EQ(short_one.field(), "password");
  EXPECT_FALSE(CheckPasswordRule("onlylowercaseletters", "wang", "password").ok());
  EXPECT_FALSE(CheckPasswordRule("lowercase-and-dashes", "wang", "password").ok());
  EXPECT_TRUE(CheckPasswordRule("lowercase-and-digits-1", "wang", "password").ok());
  EXPECT_FALSE(CheckPasswordRule("My-WANG-Password-1", "wang", "password").ok())
      << "the user name, in any case";
  EXPECT_FALSE(CheckPasswordRule(std::string(129, 'a') + "A1", "wang", "password").ok());
  EXPECT_FALSE(CheckPasswordRule("Tab\tinside-Pass1", "wang", "new_password").ok());
  EXPECT_EQ(CheckPasswordRule("x", "wang", "new_password").field(), "new_password");
}

TEST(PasswordHashTest, Argon2idVerifiesOnlyTheRightPassword) {
  auto hash = HashPassword("Correct-Horse-1");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifyPassword("Correct-Horse-1", *hash));
  EXPECT_FALSE(VerifyPassword("Correct-Horse-2", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
  EXPECT_FALSE(VerifyPassword("Correct-Horse-1", "not a hash"));
  // Salted: the same password hashes differently each time.
  EXPECT_NE(*HashPassword("Correct-Horse-1"), *hash);
}

}  // namespace
}  // namespace zhizhi::security

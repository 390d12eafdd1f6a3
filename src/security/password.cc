#include "security/password.h"

#include <sodium.h>

#include "base/text.h"
#include "security/field_cipher.h"

namespace zhizhi::security {

namespace {

// Interactive cost: 2 passes over 64 MiB (libsodium's recommendation for logins).
constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty() || needle.size() > haystack.size()) return false;
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(haystack[i + j]) == lower(needle[j]))
      ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

}  // namespace

Status CheckPasswordRule(std::string_view password, std::string_view user_name,
                         const std::string& field) {
  if (!IsValidUtf8(password) || HasControlChars(password)) {
    return Status::InvalidArgument(field, field + " must be UTF-8 without control characters");
  }
  const size_t length = Utf8Length(password);
  if (length < 10 || length > 128) {
    return Status::InvalidArgument(field, field + " must be 10 to 128 characters long");
  }
  bool lower = false, upper = false, digit = false, other = false;
  for (unsigned char c : password) {
    if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      other = true;
    }
  }
  if (lower + upper + digit + other < 3) {
    return Status::InvalidArgument(
        field,
        field + " needs at least three of: lower case, upper case, digits, other characters");
  }
  if (user_name.size() >= 3 && ContainsIgnoringCase(password, user_name)) {
    return Status::InvalidArgument(field, field + " must not contain the user name");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  ZZ_RETURN_IF_ERROR(InitSodium());
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOps, kMem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, const std::string& hash) {
  if (InitSodium().ok() == false) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void VerifyDummyPassword(std::string_view password) {
  static const std::string dummy = [] {
    auto hash = HashPassword("dummy-Password-1");
    return hash.ok() ? *hash : std::string();
  }();
  if (!dummy.empty()) VerifyPassword(password, dummy);
}

}  // namespace zhizhi::security

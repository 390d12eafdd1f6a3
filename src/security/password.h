// Password hashing with Argon2id (libsodium crypto_pwhash_str: salt and cost parameters are
// stored inside the hash string) and the password rules for users.
//
// Hashing costs about 64 MiB and tens of milliseconds by design; call it on a request thread,
// never on the database writer.
//
// Thread-safety: pure functions (libsodium is initialised on first use).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace zhizhi::security {

// The password rule: 10–128 characters, at least three of lower case, upper case, digits and
// other characters, and not containing the user name. 400 invalid_argument on `field` otherwise.
Status CheckPasswordRule(std::string_view password, std::string_view user_name,
                         const std::string& field);

Result<std::string> HashPassword(std::string_view password);
// True when `password` matches `hash` (constant time in the password).
bool VerifyPassword(std::string_view password, const std::string& hash);
// Runs one verification against a fixed hash, so that an unknown user name costs as much time
// as a known one.
void VerifyDummyPassword(std::string_view password);

}  // namespace zhizhi::security

// Base64 (RFC 4648) for binary data in JSON bodies: face photos from terminals and ID readers.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace zhizhi {

// Standard alphabet ('+' '/'), '=' padding optional; whitespace is ignored and a
// `data:image/jpeg;base64,` prefix is accepted. 400 invalid_argument (naming `field`) otherwise.
Result<std::string> DecodeBase64(std::string_view text, const std::string& field);
std::string EncodeBase64(std::string_view bytes);

}  // namespace zhizhi

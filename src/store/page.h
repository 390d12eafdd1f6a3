// Keyset pagination shared by every list endpoint: `?limit=` (default 100, max 1000) and an
// opaque `?cursor=` that encodes the last key of the previous page.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace zhizhi::store {

struct Page {
  static constexpr int kDefaultLimit = 100;
  static constexpr int kMaxLimit = 1000;
  int limit = kDefaultLimit;
  std::string after;  // decoded cursor: the last key of the previous page ("" = from the start)
};

std::string EncodeCursor(std::string_view key);
// Fails with 400 invalid_argument (field "cursor") on anything this server did not produce.
Result<std::string> DecodeCursor(std::string_view cursor);

}  // namespace zhizhi::store

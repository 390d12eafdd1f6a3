// Keyset pagination shared by every list endpoint: `?limit=` (default 100, max 1000) and an
// opaque `?cursor=` that encodes the last key of the previous page.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace zhizhi::store {

// What a list's cursor holds: the text of its last key (a project code, a USCC) or a record id.
enum class CursorKey { kText, kId };

struct Page {
  static constexpr int kDefaultLimit = 100;
  static constexpr int kMaxLimit = 1000;
  std::string list;  // which list the cursor belongs to ("persons", "corps", …)
  int limit = kDefaultLimit;
  std::string after;  // decoded cursor: the last key of the previous page ("" = from the start)
  std::int64_t after_id = 0;  // that key for a list keyed by record id (0 = from the start)

  // The cursor for the page after one that ended at `last_key`.
  std::string NextCursor(std::string_view last_key) const;
};

// A cursor names its list, so one list's cursor sent to another is refused, not misread.
std::string EncodeCursor(std::string_view list, std::string_view key);
// Fails with 400 invalid_argument (field "cursor") on anything this server did not produce for
// `list`.
Result<std::string> DecodeCursor(std::string_view list, std::string_view cursor);
// The same for a list keyed by record id: also fails unless the key is one (base/record_id.h), so
// a forged cursor is refused instead of being read as "from the start" or as another id.
Result<std::int64_t> DecodeIdCursor(std::string_view list, std::string_view cursor);

}  // namespace zhizhi::store

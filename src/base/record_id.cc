#include "base/record_id.h"

#include <charconv>

namespace zhizhi {

std::optional<std::int64_t> ParseRecordId(std::string_view text) {
  // from_chars alone would take "012"; it already refuses a sign, spaces and "+".
  if (text.empty() || text.front() < '1' || text.front() > '9') return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace zhizhi

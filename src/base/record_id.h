// The one spelling of a record id (a person, a device, an alert, …) where it travels as text: in
// a URL path (/api/v1/persons/12), a query (?person_id=12) and inside a list cursor. Record ids are
// SQLite rowids, so always positive.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zhizhi {

// The id `text` spells: decimal digits only, no sign, no spaces, no leading zero, at least 1, at
// most INT64_MAX. "12" is 12; "012", "+12", "12abc", " 12", "0" and "" are no id at all (nullopt),
// so two readers can never disagree about which record a text names.
std::optional<std::int64_t> ParseRecordId(std::string_view text);

}  // namespace zhizhi

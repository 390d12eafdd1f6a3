// Small, allocation-free checks on UTF-8 text: validity, trimming, control characters, length.
// Input from HTTP bodies, CSV imports and terminals passes through these before it is stored.
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zhizhi {

// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Byte offset of the first byte that starts an ill-formed UTF-8 sequence, or npos if valid.
size_t FindInvalidUtf8(std::string_view text);

// Strips ASCII whitespace (space, \t, \n, \v, \f, \r) and U+3000 IDEOGRAPHIC SPACE, which Chinese
// input methods type as a "full-width space", from both ends.
std::string_view Trim(std::string_view text);

// True if `text` holds a C0 control character (U+0000..U+001F, including tab and newlines) or DEL.
// C1 controls (U+0080..U+009F) are not checked.
bool HasControlChars(std::string_view text);

// Number of code points; counts lead bytes, so for ill-formed input it is only an estimate.
size_t Utf8Length(std::string_view text);

// Copy of `text` with a-z mapped to A-Z; every other byte is kept as is.
std::string ToUpperAscii(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` that ends on a character boundary (valid
// UTF-8 in, valid UTF-8 out: a title cut from a longer message).
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

// `text` in double quotes for an error message, cut to about `max_bytes`. Control characters and
// bytes of ill-formed UTF-8 become '?', so the result is always safe to put in a JSON response.
std::string QuoteForMessage(std::string_view text, size_t max_bytes = 40);

// Appends `text` to `out` as a JSON string, quotes included, as nlohmann::json's dump() writes it
// with ensure_ascii off: '"', '\\' and C0 controls escaped (\b \f \n \r \t, else \u00XX), the
// rest as is; each byte of ill-formed UTF-8 becomes U+FFFD. For answers written on hot paths
// without building a json value first.
void AppendJsonString(std::string& out, std::string_view text);

// Code points. These do not validate: use them on text IsValidUtf8 accepted, or on our own
// literals and data (the gazetteer, the pinyin table).
// Decodes the code point of well-formed UTF-8 that starts at `i` and moves `i` past it.
char32_t DecodeUtf8(std::string_view utf8, size_t& i);
std::u32string FromUtf8(std::string_view utf8);
void AppendUtf8(std::string& out, char32_t c);
std::string ToUtf8(std::u32string_view text);

}  // namespace zhizhi

// Bodies that are not JSON, as the terminals of other makers send them: URL-encoded form fields
// (Uface callbacks) and multipart/form-data (Hikvision's event push with its pictures).
//
// Both parsers bound what they accept (fields, parts, header sizes) and refuse the rest with a
// 400 and a stable code, never half a result. They take what devices in the field send: LF as
// well as CRLF line ends, header names in any case, a missing final boundary after the last part.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace zhizhi::http {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// `a=1&b=%E4%B8%AD+x`: decoded names and values in order (a repeated name stays repeated).
// invalid_form on a bad escape or more than `max_fields` fields.
Result<FormFields> ParseUrlEncodedForm(std::string_view body, size_t max_fields = 64);

// The body of a form post: names and values percent-encoded (space as %20), joined with '&'.
std::string EncodeForm(const FormFields& fields);

// The value of the first field `name`, if any.
std::optional<std::string_view> FormValue(const FormFields& fields, std::string_view name);

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(std::string_view content_type);
// A parameter of a Content-Type value (`boundary`, `charset`), unquoted; nullopt when absent.
std::optional<std::string> MediaTypeParameter(std::string_view content_type, std::string_view name);

struct MultipartPart {
  std::string name;          // Content-Disposition name
  std::string filename;      // Content-Disposition filename, if any
  std::string content_type;  // the part's Content-Type, lower case, no parameters
  std::string_view body;     // into the parsed body: keep it alive while parts are used
};

// multipart/form-data with the boundary of `content_type`. invalid_multipart when the boundary
// is missing or never found, a part has no name, headers are too long, or there are more than
// `max_parts` parts.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body, size_t max_parts = 16);

}  // namespace zhizhi::http

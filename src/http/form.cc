#include "http/form.h"

#include <algorithm>
#include <cctype>

#include "http/router.h"

namespace zhizhi::http {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// The parameters of a header value after its first ';': name=value or name="value".
std::optional<std::string> Parameter(std::string_view value, std::string_view wanted) {
  size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    value.remove_prefix(pos + 1);
    size_t eq = value.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string name = Lower(Trim(value.substr(0, eq)));
    value.remove_prefix(eq + 1);
    value = Trim(value);
    std::string parsed;
    if (!value.empty() && value.front() == '"') {
      size_t i = 1;
      for (; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        parsed += value[i];
      }
      value.remove_prefix(std::min(i + 1, value.size()));
      pos = value.find(';');
    } else {
      pos = value.find(';');
      parsed = std::string(Trim(value.substr(0, pos)));
    }
    if (name == wanted) return parsed;
  }
  return std::nullopt;
}

Status BadMultipart(std::string message) {
  return Status::Invalid("invalid_multipart", "", std::move(message));
}

}  // namespace

Result<FormFields> ParseUrlEncodedForm(std::string_view body, size_t max_fields) {
  FormFields fields;
  // Some devices end the body with a line break.
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
    body.remove_suffix(1);
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    if (fields.size() == max_fields) {
      return Status::Invalid("invalid_form", "",
                             "more than " + std::to_string(max_fields) + " form fields");
    }
    const size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), /*form=*/true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), /*form=*/true);
    if (!name || !value || name->empty()) {
      return Status::Invalid("invalid_form", "", "malformed form field (a bad %-escape?)");
    }
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

std::string EncodeForm(const FormFields& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto encode = [&](std::string_view text) {
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    encode(name);
    out.push_back('=');
    encode(value);
  }
  return out;
}

std::optional<std::string_view> FormValue(const FormFields& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string MediaType(std::string_view content_type) {
  return Lower(Trim(content_type.substr(0, content_type.find(';'))));
}

std::optional<std::string> MediaTypeParameter(std::string_view content_type,
                                              std::string_view name) {
  return Parameter(content_type, name);
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body, size_t max_parts) {
  if (MediaType(content_type) != "multipart/form-data") {
    return BadMultipart("the body must be multipart/form-data");
  }
  const auto boundary = Parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) {
    return BadMultipart("multipart/form-data without a usable boundary");
  }
  std::string delimiter = "--" + *boundary;
  // The first delimiter starts the body or a line (a preamble before it is ignored).
  size_t pos = body.rfind(delimiter, 0) == 0 ? 0 : body.find("\n" + delimiter);
  if (pos == std::string_view::npos) {
    // Some terminals announce the boundary in another case than they write it (Hikvision:
    // boundary=mime_boundary, then --MIME_boundary): take it as it is written.
    auto same = [&](size_t at) {
      for (size_t i = 0; i < delimiter.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(body[at + i])) !=
            std::tolower(static_cast<unsigned char>(delimiter[i]))) {
          return false;
        }
      }
      return true;
    };
    for (size_t at = 0; at + delimiter.size() <= body.size(); ++at) {
      if ((at == 0 || body[at - 1] == '\n') && same(at)) {
        delimiter = std::string(body.substr(at, delimiter.size()));
        pos = at == 0 ? 0 : at - 1;
        break;
      }
    }
  }
  if (pos == std::string_view::npos) return BadMultipart("the boundary is never found");
  if (pos != 0) ++pos;
  std::vector<MultipartPart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    // The rest of the delimiter line (transport padding), then the part's headers.
    const size_t line_end = body.find('\n', pos);
    if (line_end == std::string_view::npos) {
      if (!parts.empty() && Trim(body.substr(pos)).empty()) break;  // no closing delimiter
      return BadMultipart("a part without headers");
    }
    pos = line_end + 1;
    MultipartPart part;
    bool has_disposition = false;
    size_t header_bytes = 0;
    while (true) {
      const size_t end = body.find('\n', pos);
      if (end == std::string_view::npos) return BadMultipart("a part's headers never end");
      const std::string_view line = Trim(body.substr(pos, end - pos));
      header_bytes += end - pos;
      pos = end + 1;
      if (header_bytes > 4096) return BadMultipart("a part's headers exceed 4 KiB");
      if (line.empty()) break;
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return BadMultipart("a part header without ':'");
      const std::string name = Lower(Trim(line.substr(0, colon)));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        has_disposition = true;
        part.name = Parameter(value, "name").value_or("");
        part.filename = Parameter(value, "filename").value_or("");
      } else if (name == "content-type") {
        part.content_type = MediaType(value);
      }
    }
    if (!has_disposition || part.name.empty()) {
      return BadMultipart("a part without a Content-Disposition name");
    }
    // The part's body runs to the line break before the next delimiter.
    size_t next = body.find("\n" + delimiter, pos);
    if (next == std::string_view::npos) {
      // Devices that never close the body: the part runs to the end.
      std::string_view rest = body.substr(pos);
      while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r'))
        rest.remove_suffix(1);
      part.body = rest;
      if (parts.size() == max_parts) {
        return BadMultipart("more than " + std::to_string(max_parts) + " parts");
      }
      parts.push_back(std::move(part));
      break;
    }
    size_t content_end = next;
    if (content_end > pos && body[content_end - 1] == '\r') --content_end;
    part.body = body.substr(pos, content_end - pos);
    if (parts.size() == max_parts) {
      return BadMultipart("more than " + std::to_string(max_parts) + " parts");
    }
    parts.push_back(std::move(part));
    pos = next + 1;
  }
  if (parts.empty()) return BadMultipart("no parts");
  return parts;
}

}  // namespace zhizhi::http

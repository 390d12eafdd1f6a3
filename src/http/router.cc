#include "http/router.h"

#include <boost/beast/http/status.hpp>

#include "base/record_id.h"
#include "base/text.h"

namespace zhizhi::http {

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 1;  // paths begin with '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::string_view Request::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::optional<std::string> Request::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.body =
      body.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::Error(const Status& status) {
  nlohmann::json error = {{"code", status.code()}, {"message", status.message()}};
  if (!status.field().empty()) error["field"] = status.field();
  for (const auto& [key, value] : status.details().items()) {
    // Details add to the error; they never replace its code, message or field.
    if (!error.contains(key) && key != "field") error[key] = value;
  }
  Response response = Json(HttpStatusOf(status.kind()), {{"error", error}});
  // A 429 says when to come back (RFC 9110 §10.2.3).
  if (auto it = status.details().find("retry_after");
      it != status.details().end() && it->is_number_integer()) {
    response.headers.emplace_back("Retry-After", std::to_string(it->get<std::int64_t>()));
  }
  return response;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

int HttpStatusOf(StatusKind kind) {
  switch (kind) {
    case StatusKind::kOk:
      return 200;
    case StatusKind::kInvalid:
      return 400;
    case StatusKind::kUnauthenticated:
      return 401;
    case StatusKind::kPermissionDenied:
      return 403;
    case StatusKind::kNotFound:
      return 404;
    case StatusKind::kMethodNotAllowed:
      return 405;
    case StatusKind::kConflict:
      return 409;
    case StatusKind::kTooLarge:
      return 413;
    case StatusKind::kUnsupportedMediaType:
      return 415;
    case StatusKind::kRuleViolation:
      return 422;
    case StatusKind::kRateLimited:
      return 429;
    case StatusKind::kInternal:
      return 500;
    case StatusKind::kUnavailable:
      return 503;
  }
  return 500;
}

void Router::Add(Route route) {
  std::vector<std::string> segments;
  std::vector<std::string> keys;
  for (auto part : SplitPath(route.pattern)) {
    if (IsParam(part)) {
      keys.push_back((segments.empty() ? std::string() : segments.back()) + "/" +
                     std::string(part));
    }
    segments.emplace_back(part);
  }
  segments_.push_back(std::move(segments));
  scope_keys_.push_back(std::move(keys));
  routes_.push_back(std::move(route));
}

void Router::AddScopeCheck(std::string key, ScopeCheck check) {
  scope_checks_.emplace_back(std::move(key), std::move(check));
}

void Router::AddIdScopeCheck(std::string key, IdScopeCheck check) {
  const size_t open = key.find('{');
  std::string name = key.substr(open + 1, key.size() - open - 2);  // "persons/{id}" -> "id"
  AddScopeCheck(std::move(key), [name = std::move(name), check = std::move(check)](
                                    const security::Principal& p, const std::string& text) {
    ZZ_ASSIGN_OR_RETURN(const std::int64_t id, PathId(name, text));
    return check(p, id);
  });
}

Status Router::CheckScope(int index, const Request& request) const {
  if (request.principal.all_projects) return Status::Ok();
  const auto& keys = scope_keys_[index];
  for (size_t i = 0; i < keys.size() && i < request.params.size(); ++i) {
    const ScopeCheck* check = nullptr;
    bool registered = false;
    for (const auto& [key, fn] : scope_checks_) {
      if (key != keys[i]) continue;
      registered = true;
      check = &fn;
      break;
    }
    if (!registered) {
      // Fail closed: nobody said how to scope this parameter.
      return Status::NotFound("no such " + request.params[i].first + " \"" +
                              request.params[i].second + "\"");
    }
    if (*check) ZZ_RETURN_IF_ERROR((*check)(request.principal, request.params[i].second));
  }
  return Status::Ok();
}

Router::Match Router::Find(Verb method, std::string_view path, Request& request) const {
  Match match;
  if (path.empty() || path.front() != '/') {
    match.status = Status::NotFound("no such endpoint");
    return match;
  }
  const auto parts = SplitPath(path);
  bool path_matched = false;
  // HEAD is GET without the body (the server drops it).
  const Verb wanted = method == Verb::head ? Verb::get : method;
  for (size_t r = 0; r < routes_.size(); ++r) {
    const auto& pattern = segments_[r];
    if (pattern.size() != parts.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      if (IsParam(pattern[i])) {
        auto decoded = PercentDecode(parts[i], /*form=*/false);
        if (!decoded || decoded->empty()) {
          ok = false;
          break;
        }
        params.emplace_back(pattern[i].substr(1, pattern[i].size() - 2), std::move(*decoded));
      } else {
        ok = pattern[i] == parts[i];
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (routes_[r].method != wanted) {
      const std::string name(boost::beast::http::to_string(routes_[r].method));
      if (match.allow.find(name) == std::string::npos) {
        match.allow += (match.allow.empty() ? "" : ", ") + name;
        if (routes_[r].method == Verb::get) match.allow += ", HEAD";
      }
      continue;
    }
    request.params = std::move(params);
    match.route = &routes_[r];
    match.index = static_cast<int>(r);
    return match;
  }
  match.status = path_matched ? Status::MethodNotAllowed("method not allowed on this path")
                              : Status::NotFound("no such endpoint");
  return match;
}

nlohmann::json Router::OpenApi(const std::string& version) const {
  nlohmann::json paths = nlohmann::json::object();
  for (const Route& route : routes_) {
    nlohmann::json op = route.openapi;
    op["summary"] = route.summary;
    std::string method(boost::beast::http::to_string(route.method));
    for (auto& c : method)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    op["operationId"] = method + route.pattern;
    if (route.websocket) op["x-websocket"] = true;  // GET with Upgrade: websocket
    if (route.right) {
      op["security"] = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
      op["x-required-right"] = std::string(security::RightName(*route.right));
    } else {
      op["security"] = nlohmann::json::array();
    }
    // Path parameters are implied by the pattern.
    nlohmann::json parameters = op.value("parameters", nlohmann::json::array());
    for (auto part : SplitPath(route.pattern)) {
      if (!IsParam(part)) continue;
      parameters.push_back({{"name", std::string(part.substr(1, part.size() - 2))},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    if (!parameters.empty()) op["parameters"] = parameters;
    if (!op.contains("responses")) op["responses"] = nlohmann::json::object();
    if (!op["responses"].contains("200") && !op["responses"].contains("201")) {
      op["responses"]["200"] = {{"description", "OK"}};
    }
    if (route.right) {
      op["responses"]["401"] = {{"$ref", "#/components/responses/Error"}};
      op["responses"]["403"] = {{"$ref", "#/components/responses/Error"}};
    }
    paths[route.pattern][method] = std::move(op);
  }
  nlohmann::json error_schema = {{"type", "object"},
                                 {"required", {"error"}},
                                 {"properties",
                                  {{"error",
                                    {{"type", "object"},
                                     {"required", {"code", "message"}},
                                     {"properties",
                                      {{"code", {{"type", "string"}}},
                                       {"message", {{"type", "string"}}},
                                       {"field", {{"type", "string"}}}}}}}}}};
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "zhizhi (智治) API"},
        {"version", version},
        {"description",
         "Digital governance of an industrial district: smart construction-site real-name "
         "workforce registry and gates. Errors are {\"error\":{code,message,field}}."}}},
      {"servers", nlohmann::json::array({{{"url", "/"}}})},
      {"paths", paths},
      {"components",
       {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas", {{"Error", error_schema}}},
        {"responses",
         {{"Error",
           {{"description", "Error"},
            {"content",
             {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}}}};
}

Result<std::int64_t> PathId(std::string_view name, std::string_view text) {
  if (auto id = ParseRecordId(text)) return *id;
  return Status::NotFound("no such " + std::string(name) + " " + QuoteForMessage(text),
                          std::string(name));
}

std::optional<std::string> PercentDecode(std::string_view text, bool form) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && form) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace zhizhi::http

namespace zhizhi::http {

namespace {

nlohmann::json SchemaOf(const char* type) {
  const std::string t = type;
  if (t == "date") return {{"type", "string"}, {"format", "date"}};
  if (t == "date-time") return {{"type", "string"}, {"format", "date-time"}};
  return {{"type", t}};
}

}  // namespace

nlohmann::json Operation(std::initializer_list<FieldDoc> body, std::initializer_list<int> errors,
                         int success, std::initializer_list<FieldDoc> query) {
  nlohmann::json op = nlohmann::json::object();
  if (body.size() > 0) {
    nlohmann::json properties = nlohmann::json::object();
    nlohmann::json required = nlohmann::json::array();
    for (const FieldDoc& f : body) {
      nlohmann::json schema = SchemaOf(f.type);
      schema["description"] = f.description;
      properties[f.name] = std::move(schema);
      if (f.required) required.push_back(f.name);
    }
    nlohmann::json schema = {
        {"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
    if (!required.empty()) schema["required"] = required;
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", schema}}}}}};
  }
  if (query.size() > 0) {
    nlohmann::json parameters = nlohmann::json::array();
    for (const FieldDoc& f : query) {
      parameters.push_back({{"name", f.name},
                            {"in", "query"},
                            {"required", f.required},
                            {"description", f.description},
                            {"schema", SchemaOf(f.type)}});
    }
    op["parameters"] = parameters;
  }
  op["responses"] = {{std::to_string(success),
                      {{"description", success == 201 ? "Created" : "OK"},
                       {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}};
  for (int status : errors) {
    op["responses"][std::to_string(status)] = {{"$ref", "#/components/responses/Error"}};
  }
  return op;
}

}  // namespace zhizhi::http

// Small helpers every module's handlers use: the JSON body, list paging, record ids and
// turning a Result into a Response. One way to do each of these across the API.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/field_reader.h"
#include "base/status.h"
#include "http/router.h"
#include "security/audit_log.h"
#include "store/database.h"
#include "store/page.h"

namespace zhizhi::http {

// The request body as one JSON object (400 invalid_json otherwise).
Result<nlohmann::json> JsonBody(const Request& request);
// `?limit=` and `?cursor=` of the list named `list`, whose cursor holds a key of kind `key`; 400
// invalid_argument on a bad limit, and on any cursor we did not issue for that list (field
// `cursor`): a list never starts over at its first page because of a cursor it cannot read. An
// empty `?cursor=` is the first page. For CursorKey::kId both `after` and `after_id` are set.
Result<store::Page> PageOf(const Request& request, std::string_view list, store::CursorKey key);
// A record id path parameter (http::PathId: "12", not "012", "+12" or "12abc"); 404 otherwise.
Result<std::int64_t> IdParam(const Request& request, std::string_view name);
// A record id in the query string (`?person_id=12`), read like a path id; none when absent or
// empty, 400 invalid_argument naming the parameter when it is no id.
Result<std::optional<std::int64_t>> IdQuery(const Request& request, std::string_view name);
// One of `allowed` from the query string, or `fallback` when absent.
Result<std::string> EnumQuery(const Request& request, std::string_view name,
                              std::initializer_list<std::string_view> allowed,
                              std::string_view fallback);
// A query parameter as free text: nullopt when absent or empty, 400 (field `name`) when longer
// than `max` bytes.
Result<std::optional<std::string>> OptTextQuery(const Request& request, const char* name,
                                                size_t max);

// An instant from the query string: RFC 3339 with an offset, or a date (midnight in China; with
// `end_of_day` the midnight after, so an end date is inclusive). `fallback` when absent.
Result<std::int64_t> InstantQuery(const Request& request, std::string_view name,
                                  std::int64_t fallback, bool end_of_day);

// Who made the request, for the audit trail.
security::Actor ActorOf(const Request& request);

// What a scope check answers when its lookup failed or found a record out of the caller's
// scope: out of scope looks like absent (`absent`, a 404), and a lookup that failed for another
// reason — a database error — is that error, never a 404.
inline Status OutOfScope(const Status& lookup, Status absent) {
  if (!lookup.ok() && lookup.kind() != StatusKind::kNotFound) return lookup;
  return absent;
}

// The audit row of `action` on `target` (e.g. person:12), about `persons`, with `detail`.
security::AuditRecord Audit(std::string action, std::string target,
                            std::vector<std::int64_t> persons = {},
                            nlohmann::json detail = nlohmann::json::object());

// The person an answer is about: its integer `person_id`, or none.
std::vector<std::int64_t> PersonOf(const nlohmann::json& answer);

Response Reply(const Result<nlohmann::json>& result, int ok_status = 200);

// Parses the JSON body into a draft with `parse(FieldReader&)`, or returns why not.
template <typename Draft, typename Parse>
Result<Draft> ParseBody(const Request& request, Parse parse) {
  ZZ_ASSIGN_OR_RETURN(nlohmann::json body, JsonBody(request));
  JsonFieldReader reader(body);
  return parse(reader);
}

// Runs `write(conn)` as one writer job; `write` returns the JSON to answer with. A failure rolls
// the job back, so a rejected request writes nothing.
template <typename Write>
Result<nlohmann::json> WriteJson(store::Database& db, Write write) {
  nlohmann::json out;
  Status status = db.Write([&](store::Connection& conn) -> Status {
    Result<nlohmann::json> result = write(conn);
    if (!result.ok()) return result.status();
    out = std::move(result).value();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

// Runs `write(conn)` (returning the JSON to answer with) as one writer job and appends the audit
// row `describe(answer)` in the same job: the change and its audit row commit together.
template <typename Write, typename Describe>
Result<nlohmann::json> WriteAudited(store::Database& db, const security::AuditLog& audit,
                                    const Request& request, Write write, Describe describe) {
  return WriteJson(db, [&](store::Connection& conn) -> Result<nlohmann::json> {
    ZZ_ASSIGN_OR_RETURN(nlohmann::json out, write(conn));
    ZZ_RETURN_IF_ERROR(audit.Append(conn, ActorOf(request), describe(out)));
    return out;
  });
}

// Reads with `read(conn)`; on success records `describe(answer)` durably before the answer is
// given, so no personal data leaves without its audit row (a failed audit write fails the call).
template <typename Read, typename Describe>
Result<nlohmann::json> ReadAudited(store::Database& db, const security::AuditLog& audit,
                                   const Request& request, Read read, Describe describe) {
  Result<nlohmann::json> result = db.Read(read);
  if (!result.ok()) return result;
  ZZ_RETURN_IF_ERROR(audit.Record(db, ActorOf(request), describe(*result)));
  return result;
}

// The integer values of `key` in each object of `items` (e.g. the person ids of a list).
std::vector<std::int64_t> IdsOf(const nlohmann::json& items, const char* key);

}  // namespace zhizhi::http

#include "address/address_api.h"

#include <functional>

#include "http/handler_support.h"

namespace zhizhi::address {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

// GET of a list keyset-paged by id, filtered by text `q` (at most 200 bytes) and by the code in
// query parameter `code_param` (`digits` digits when given): fetch(q, code, after_id, limit).
Response PagedById(const Request& request, std::string_view list, const char* code_param,
                   size_t digits, const char* code_what,
                   const std::function<Result<json>(const std::string&, const std::string&,
                                                    std::int64_t, int)>& fetch) {
  auto page = http::PageOf(request, list, store::CursorKey::kId);
  if (!page.ok()) return Response::Error(page.status());
  const std::string q = request.Query("q").value_or("");
  const std::string code = request.Query(code_param).value_or("");
  if (q.size() > 200) return Response::Error(Status::InvalidArgument("q", "at most 200 bytes"));
  if (!code.empty() &&
      (code.size() != digits || code.find_first_not_of("0123456789") != std::string::npos)) {
    return Response::Error(Status::InvalidArgument(code_param, code_what));
  }
  auto items = fetch(q, code, page->after_id, page->limit);
  if (!items.ok()) return Response::Error(items.status());
  json next = nullptr;
  if (static_cast<int>(items->size()) == page->limit && !items->empty())
    next = page->NextCursor(std::to_string(items->back()["id"].get<std::int64_t>()));
  return Response::Json(200, {{"items", std::move(*items)}, {"next_cursor", next}});
}

}  // namespace

void AddAddressRoutes(http::Router& router, AddressService& service_ref, store::Database& db,
                      const security::AuditLog& audit_ref) {
  AddressService* service = &service_ref;
  const security::AuditLog* audit = &audit_ref;
  // Divisions are public reference data: no scope to check.
  router.AddScopeCheck("divisions/{code}", nullptr);

  router.Add(Route{
      Verb::post, "/api/v1/addresses:standardize", Right::kAddressRead,
      "Standardise addresses: the gazetteer's codes per level, road, number, building, unit, "
      "room, a confidence and the canonical string; a line that cannot be read gets its error",
      Operation({{"addresses", "array", true, "the addresses, at most 1,000 strings"}},
                {400, 413, 503}),
      [=](Request& request) {
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        const auto it = body->find("addresses");
        if (it == body->end() || !it->is_array()) {
          return Response::Error(Status::InvalidArgument("addresses", "an array of strings"));
        }
        if (it->size() > kMaxBatch) {
          return Response::Error(Status::TooLarge("at most " + std::to_string(kMaxBatch) +
                                                  " addresses per call, not " +
                                                  std::to_string(it->size())));
        }
        for (size_t i = 0; i < it->size(); ++i) {
          if (!(*it)[i].is_string()) {
            return Response::Error(Status::InvalidArgument("addresses[" + std::to_string(i) + "]",
                                                           "each address is a string"));
          }
        }
        // The gazetteer first: unavailable is the call's error, not each line's.
        if (auto ready = service->Get(); !ready.ok()) return Response::Error(ready.status());
        json items = json::array();
        for (const auto& address : *it)
          items.push_back(service->Answer(service->Standardize(address.get<std::string>())));
        return Response::Json(200, {{"items", std::move(items)}});
      }});

  auto division = [=](std::string_view code) { return Reply(service->Division(code)); };
  router.Add(Route{Verb::get, "/api/v1/divisions", Right::kAddressRead,
                   "The provinces of the gazetteer (the root of GET /api/v1/divisions/{code})",
                   Operation({}, {503}), [=](Request&) { return division(""); }});
  router.Add(Route{
      Verb::get, "/api/v1/divisions/{code}", Right::kAddressRead,
      "A division of the gazetteer (2/4/6/9/12-digit code) with its level, parent and children",
      Operation({}, {404, 503}),
      [=](Request& request) { return division(request.Param("code")); }});

  router.Add(Route{
      Verb::get, "/api/v1/addresses", Right::kAddressRead,
      "The district's standard addresses (门楼牌 door plates, 层户 households) with their ids",
      Operation({}, {400}, 200,
                {{"q", "string", false, "text in the canonical form or the source, or a code"},
                 {"village", "string", false, "a community's 12-digit code"},
                 {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        return PagedById(
            request, "addresses", "village", 12, "a 12-digit community code",
            [&](const std::string& q, const std::string& village, std::int64_t after_id,
                int limit) { return service->List(q, village, after_id, limit); });
      }});

  router.Add(Route{
      Verb::get, "/api/v1/addresses/roads", Right::kAddressRead,
      "The register of roads (街路巷): each road's code, county and name, against which a road "
      "typed one character off is corrected",
      Operation({}, {400}, 200,
                {{"q", "string", false, "text in the road's name, or its code"},
                 {"county", "string", false, "a county's 6-digit code"},
                 {"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        return PagedById(request, "roads", "county", 6, "a 6-digit county code",
                         [&](const std::string& q, const std::string& county, std::int64_t after_id,
                             int limit) { return service->ListRoads(q, county, after_id, limit); });
      }});

  router.Add(Route{
      Verb::post, "/api/v1/addresses/imports", Right::kAdmin,
      "Import standard addresses from CSV (code, kind door|household|road, address; optional "
      "village, parent_code): each standardised; all or nothing unless partial",
      Operation({{"format", "string", true, "csv"},
                 {"content", "string", true, "the file's text (UTF-8 or GBK)"},
                 {"partial", "boolean", false, "take the good rows when some are bad"}},
                {400, 413, 422, 503}),
      [=](Request& request) {
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        if (body->value("format", json()) != "csv") {
          return Response::Error(Status::InvalidArgument("format", "only csv"));
        }
        if (!body->contains("content") || !(*body)["content"].is_string()) {
          return Response::Error(Status::InvalidArgument("content", "the CSV text as a string"));
        }
        const json partial = body->value("partial", json(false));
        if (!partial.is_boolean()) {
          return Response::Error(Status::InvalidArgument("partial", "true or false"));
        }
        auto summary = service->Import(
            (*body)["content"].get<std::string>(), partial.get<bool>(),
            [&](store::Connection& conn, const ImportSummary& done) {
              return audit->Append(conn, http::ActorOf(request),
                                   http::Audit("addresses.import", "standard_addresses", {},
                                               {{"imported", done.imported},
                                                {"updated", done.updated},
                                                {"rejected", done.errors.size()}}));
            });
        if (!summary.ok()) return Response::Error(summary.status());
        json errors = json::array();
        for (const ImportError& e : summary->errors)
          errors.push_back({{"line", e.line}, {"code", e.code}, {"message", e.message}});
        const json answer = {
            {"imported", summary->imported}, {"updated", summary->updated}, {"errors", errors}};
        if (!summary->errors.empty() && !partial.get<bool>()) {
          return Response::Error(Status::Rule("invalid_rows", "content",
                                              std::to_string(summary->errors.size()) +
                                                  " rows cannot be imported; nothing was written")
                                     .With("errors", errors));
        }
        return Response::Json(200, answer);
      }});
}

}  // namespace zhizhi::address

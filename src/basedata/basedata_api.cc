#include "basedata/basedata_api.h"

#include "base/base64.h"
#include "http/handler_support.h"

namespace zhizhi::basedata {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

// The import's body: the mapping (source from the path), the file as text or as base64 bytes.
Result<std::pair<Mapping, std::string>> ImportOf(const Request& request) {
  ZZ_ASSIGN_OR_RETURN(json body, http::JsonBody(request));
  for (const auto& [name, value] : body.items())
    if (name != "format" && name != "encoding" && name != "content" && name != "content_base64" &&
        name != "mapping")
      return Status::InvalidArgument(name, "unknown field " + name);
  if (!body.contains("mapping")) return Status::InvalidArgument("mapping", "the mapping is needed");
  json mapping_json = body["mapping"];
  if (!mapping_json.is_object())
    return Status::InvalidArgument("mapping", "the mapping must be a JSON object");
  const std::string source(request.Param("source"));
  if (mapping_json.contains("source") && mapping_json["source"] != source)
    return Status::InvalidArgument("mapping.source", "the mapping names another source");
  mapping_json["source"] = source;
  // The body's format and encoding, when given, are the file's.
  for (const char* field : {"format", "encoding"}) {
    if (!body.contains(field)) continue;
    if (mapping_json.contains(field) && mapping_json[field] != body[field])
      return Status::InvalidArgument(field,
                                     std::string("the body and the mapping disagree on ") + field);
    mapping_json[field] = body[field];
  }
  const bool text = body.contains("content"), bytes = body.contains("content_base64");
  if (text == bytes)
    return Status::InvalidArgument(
        "content", "the file goes in content (text) or in content_base64 (bytes), not both");
  std::string content;
  if (text) {
    if (!body["content"].is_string())
      return Status::InvalidArgument("content", "the file's text as a string");
    content = body["content"].get<std::string>();
    // A JSON string is Unicode already: whatever the file was, its text arrives as UTF-8.
    mapping_json["encoding"] = "utf-8";
  } else {
    if (!body["content_base64"].is_string())
      return Status::InvalidArgument("content_base64", "the file's bytes in base64");
    ZZ_ASSIGN_OR_RETURN(content,
                        DecodeBase64(body["content_base64"].get<std::string>(), "content_base64"));
  }
  ZZ_ASSIGN_OR_RETURN(Mapping mapping, Mapping::FromJson(mapping_json, "mapping"));
  return std::make_pair(std::move(mapping), std::move(content));
}

// The search's query parameters.
Result<std::pair<std::string, std::string>> SearchOf(const Request& request) {
  std::string q = request.Query("q").value_or("");
  std::string village = request.Query("village").value_or("");
  if (q.size() > 200) return Status::InvalidArgument("q", "at most 200 bytes");
  if (!village.empty() &&
      (village.size() != 12 || village.find_first_not_of("0123456789") != std::string::npos))
    return Status::InvalidArgument("village", "a 12-digit community code");
  return std::make_pair(std::move(q), std::move(village));
}

// `?wait=SECONDS` (0–10): how long a call may wait for linking to finish.
Result<std::chrono::milliseconds> WaitOf(const Request& request) {
  const std::string text = request.Query("wait").value_or("0");
  if (text.empty() || text.size() > 2 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) > 10)
    return Status::InvalidArgument("wait", "seconds to wait for linking, 0–10");
  return std::chrono::milliseconds(std::stoi(text) * 1000);
}

struct KindRoutes {
  Kind kind;
  const char* path;    // "/api/v1/people"
  const char* list;    // cursor list name
  const char* noun;    // for docs
  const char* target;  // audit target prefix
};

}  // namespace

void AddBaseDataRoutes(http::Router& router, BaseData& base_data_ref, store::Database& db,
                       const security::AuditLog& audit_ref) {
  BaseData* base_data = &base_data_ref;
  store::Database* database = &db;
  const security::AuditLog* audit = &audit_ref;
  // Base data is district-wide: only district-wide roles hold its rights.
  for (const char* key :
       {"imports/{id}", "people/{id}", "houses/{id}", "units/{id}", "decisions/{id}"})
    router.AddScopeCheck(key, nullptr);
  router.AddScopeCheck("sources/{source}", nullptr);

  router.Add(Route{
      Verb::post, "/api/v1/sources/{source}/imports", Right::kBaseDataWrite,
      "Import a source system's feed (CSV or JSON lines) through its mapping: new, changed and "
      "withdrawn records are stored, then linked into golden records by themselves",
      Operation({{"mapping", "object", true,
                  "kind person|house|unit, key, fields, codes, withdrawn, priority, snapshot"},
                 {"format", "string", false, "csv (default) or jsonl"},
                 {"encoding", "string", false, "utf-8 (default) or gbk, for content_base64"},
                 {"content", "string", false, "the file's text"},
                 {"content_base64", "string", false, "or the file's bytes, in base64"}},
                {400, 413, 503}, 202),
      [=](Request& request) {
        auto parsed = ImportOf(request);
        if (!parsed.ok()) return Response::Error(parsed.status());
        return Reply(
            base_data->Import(parsed->first, std::move(parsed->second), http::ActorOf(request)),
            202);
      }});
  router.Add(Route{
      Verb::post, "/api/v1/sources/workforce/sync", Right::kBaseDataWrite,
      "Take the workforce registry in now as source workforce (corps → units, dormitories → "
      "houses, enrolled workers → people; the server also does it every 10 minutes)",
      Operation({}, {503}),
      [=](Request& request) { return Reply(base_data->SyncWorkforce(http::ActorOf(request))); }});
  router.Add(Route{
      Verb::get, "/api/v1/imports/{id}", Right::kBaseDataRead,
      "An import: running, linked or failed, its counts, its row issues (the first "
      "1,000) and the linking run's report",
      Operation({}, {400, 404, 503}, 200,
                {{"wait", "integer", false, "seconds (0–10) to wait while the import is running"}}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        auto wait = WaitOf(request);
        if (!wait.ok()) return Response::Error(wait.status());
        if (wait->count() == 0) return Reply(base_data->ImportStatus(*id));
        return Reply(base_data->WaitForImport(*id, *wait));
      }});

  const KindRoutes kinds[] = {
      {Kind::kPerson, "/api/v1/people", "people", "people (real population)", "base_person"},
      {Kind::kHouse, "/api/v1/houses", "houses", "houses (real housing)", "base_house"},
      {Kind::kUnit, "/api/v1/units", "units", "units (real units)", "base_unit"},
  };
  for (const KindRoutes& k : kinds) {
    const Kind kind = k.kind;
    const std::string target = k.target, list = k.list;
    router.Add(Route{
        Verb::get, k.path, Right::kBaseDataRead,
        std::string("Search the golden records of ") + k.noun +
            " by name, ID number (pii right), phone or address",
        Operation(
            {}, {400, 403}, 200,
            {{"q", "string", false, "a name (prefix), an ID number, a phone or part of an address"},
             {"village", "string", false, "a community's 12-digit code"},
             {"limit", "integer", false, "page size, 1–1000 (default 100)"},
             {"cursor", "string", false, "next_cursor of the previous page"}}),
        [=](Request& request) {
          auto search = SearchOf(request);
          if (!search.ok()) return Response::Error(search.status());
          auto page = http::PageOf(request, list, store::CursorKey::kId);
          if (!page.ok()) return Response::Error(page.status());
          auto result = base_data->Search(kind, search->first, search->second, *page,
                                          request.principal.Has(Right::kPii));
          if (result.ok()) {
            Status recorded = audit->Record(
                *database, http::ActorOf(request),
                http::Audit(target + ".search", target, {},
                            {{"q", search->first.size() == 18 ? "(an ID number)" : search->first},
                             {"results", (*result)["items"].size()}}));
            if (!recorded.ok()) return Response::Error(recorded);
          }
          return Reply(result);
        }});
    router.Add(Route{
        Verb::get, std::string(k.path) + "/{id}", Right::kBaseDataRead,
        std::string("One of the ") + k.noun +
            ": the golden record with each field's source, the source records it was linked "
            "from, and its links (people ↔ houses ↔ units)",
        Operation({}, {404}), [=](Request& request) {
          auto id = http::IdParam(request, "id");
          if (!id.ok()) return Response::Error(id.status());
          auto result = base_data->Entity(kind, *id, request.principal.Has(Right::kPii));
          if (result.ok()) {
            Status recorded =
                audit->Record(*database, http::ActorOf(request),
                              http::Audit(target + ".read", target + ":" + std::to_string(*id)));
            if (!recorded.ok()) return Response::Error(recorded);
          }
          return Reply(result);
        }});
  }

  router.Add(Route{Verb::get, "/api/v1/basedata/figures", Right::kBaseDataRead,
                   "People, houses, units and active base-data alerts per street and community, "
                   "and the live records per source (the command screen's figures)",
                   Operation({}, {503}), [=](Request&) { return Reply(base_data->Figures()); }});
  router.Add(Route{
      Verb::get, "/api/v1/linkage/reviews", Right::kBaseDataRead,
      "Pairs of person records in the grey zone of the last linking run, strongest first, each "
      "with its match weight, probability, reason and the per-field weights that explain it",
      Operation({}, {400}, 200,
                {{"limit", "integer", false, "page size, 1–1000 (default 100)"},
                 {"cursor", "string", false, "next_cursor of the previous page"}}),
      [=](Request& request) {
        auto page = http::PageOf(request, "reviews", store::CursorKey::kId);
        if (!page.ok()) return Response::Error(page.status());
        auto result = base_data->Reviews(*page, request.principal.Has(Right::kPii));
        if (result.ok()) {
          Status recorded = audit->Record(*database, http::ActorOf(request),
                                          http::Audit("linkage.reviews.read", "linkage_reviews", {},
                                                      {{"results", (*result)["items"].size()}}));
          if (!recorded.ok()) return Response::Error(recorded);
        }
        return Reply(result);
      }});
  router.Add(Route{Verb::get, "/api/v1/linkage/decisions", Right::kBaseDataRead,
                   "Reviewers' decisions, oldest first, undone ones too",
                   Operation({}, {400}, 200,
                             {{"limit", "integer", false, "page size, 1–1000 (default 100)"},
                              {"cursor", "string", false, "next_cursor of the previous page"}}),
                   [=](Request& request) {
                     auto page = http::PageOf(request, "decisions", store::CursorKey::kId);
                     if (!page.ok()) return Response::Error(page.status());
                     return Reply(base_data->Decisions(*page));
                   }});
  router.Add(Route{
      Verb::post, "/api/v1/linkage/decisions", Right::kBaseDataWrite,
      "Decide that two person records are the same person (merge) or not (split); the next "
      "linking run, queued at once, takes it as a constraint",
      Operation({{"record_a", "integer", true, "a source record id"},
                 {"record_b", "integer", true, "another"},
                 {"decision", "string", true, "same or different"},
                 {"note", "string", false, "why, for the record (at most 500 bytes)"}},
                {400, 404, 503}, 201,
                {{"wait", "integer", false, "seconds (0–10) to wait for the linking run"}}),
      [=](Request& request) {
        auto wait = WaitOf(request);
        if (!wait.ok()) return Response::Error(wait.status());
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        for (const auto& [name, value] : body->items())
          if (name != "record_a" && name != "record_b" && name != "decision" && name != "note")
            return Response::Error(Status::InvalidArgument(name, "unknown field " + name));
        for (const char* field : {"record_a", "record_b"}) {
          if (!body->contains(field) || !(*body)[field].is_number_integer() ||
              (*body)[field].get<std::int64_t>() <= 0)
            return Response::Error(Status::InvalidArgument(field, "a source record id"));
        }
        const json decision = body->value("decision", json());
        if (decision != "same" && decision != "different")
          return Response::Error(Status::InvalidArgument("decision", "same or different"));
        const json note = body->value("note", json(""));
        if (!note.is_string() || note.get_ref<const std::string&>().size() > 500)
          return Response::Error(Status::InvalidArgument("note", "a string of at most 500 bytes"));
        auto decided = base_data->Decide(
            (*body)["record_a"].get<std::int64_t>(), (*body)["record_b"].get<std::int64_t>(),
            decision == "same", note.get<std::string>(), http::ActorOf(request));
        if (decided.ok() && wait->count() > 0) {
          if (Status s = base_data->WaitForPersonLinking(*wait); !s.ok()) return Response::Error(s);
        }
        return Reply(decided, 201);
      }});
  router.Add(
      Route{Verb::post, "/api/v1/linkage/decisions/{id}/undo", Right::kBaseDataWrite,
            "Take a decision back (it stays on record as undone); linking runs again",
            Operation({}, {400, 404, 409, 503}, 200,
                      {{"wait", "integer", false, "seconds (0–10) to wait for the linking run"}}),
            [=](Request& request) {
              auto id = http::IdParam(request, "id");
              if (!id.ok()) return Response::Error(id.status());
              auto wait = WaitOf(request);
              if (!wait.ok()) return Response::Error(wait.status());
              auto undone = base_data->Undo(*id, http::ActorOf(request));
              if (undone.ok() && wait->count() > 0) {
                if (Status s = base_data->WaitForPersonLinking(*wait); !s.ok())
                  return Response::Error(s);
              }
              return Reply(undone);
            }});
}

}  // namespace zhizhi::basedata

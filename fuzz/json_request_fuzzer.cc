// libFuzzer target: everything the server does with the bytes of a request before any state is
// touched — the target's percent-decoding and routing, the JSON body, and every body parser of
// the API (registry, gate events and batches, gate policy, users, text lists).
//
// Invariants checked beyond "no crash, no sanitizer report": a parsed person's ID number masks to
// the same length; what was parsed from JSON dumps back to JSON; the gate's FlatJsonFieldReader
// (no document) gives the same answers and errors as JsonFieldReader over ParseJsonObject.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "base/field_reader.h"
#include "gate/gate_decision.h"
#include "gate/gate_event.h"
#include "http/router.h"
#include "registry/registry_input.h"
#include "security/principal.h"

namespace {

using nlohmann::json;
using namespace zhizhi;

const http::Router& Routes() {
  static const http::Router router = [] {
    http::Router r;
    for (const char* pattern :
         {"/api/v1/persons/{id}", "/api/v1/projects/{code}/workers/{person_id}/exit",
          "/api/v1/gate/events:batch", "/api/v1/corps/{uscc}", "/healthz"}) {
      r.Add(http::Route{
          http::Verb::get, pattern, security::Right::kRegistryRead, "", {}, [](http::Request&) {
            return http::Response();
          }});
    }
    return r;
  }();
  return router;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

// The flat reader against the document's: the body's verdict, every member read as each type
// (a fresh pair of readers per read), the unknown-field check, and a whole gate event.
void CheckFlatReader(std::string_view bytes, const Result<json>& parsed) {
  FlatJsonFieldReader flat;
  Check(flat.Parse(bytes).ToString() == parsed.status().ToString());
  if (!parsed.ok()) return;
  const json& body = *parsed;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& name = it.key();
    auto compare = [&](auto read) {
      JsonFieldReader doc_reader(body);
      FlatJsonFieldReader flat_reader;
      Check(flat_reader.Parse(bytes).ok());
      Check(read(doc_reader) == read(flat_reader));
      Check(doc_reader.Finish().ToString() == flat_reader.Finish().ToString());
    };
    compare([&](FieldReader& in) { return in.OptText(name, 1 << 20); });
    compare([&](FieldReader& in) { return in.OptInteger(name); });
    compare([&](FieldReader& in) { return in.OptNumber(name); });
    compare([&](FieldReader& in) { return in.OptBool(name); });
  }
  JsonFieldReader doc(body);
  const auto a = gate::ParseGateEvent(doc);
  const auto b = gate::ParseGateEvent(flat);
  Check(a.status().ToString() == b.status().ToString());
  if (a.ok()) Check(*a == *b);
}

template <typename Parse>
void Run(const json& body, Parse parse) {
  JsonFieldReader in(body);
  auto result = parse(in);
  if (result.ok()) (void)in.Finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The request target: path and query as the server splits and decodes them.
  (void)http::PercentDecode(bytes, /*form=*/true);
  {
    http::Request request;
    const std::string_view path = bytes.substr(0, bytes.find('?'));
    auto match = Routes().Find(http::Verb::get, path, request);
    if (match.route != nullptr) Check(!request.params.empty() || path == "/healthz");
  }

  auto parsed = ParseJsonObject(bytes);
  CheckFlatReader(bytes, parsed);
  if (!parsed.ok()) return 0;
  const json& body = *parsed;
  Check(json::parse(body.dump()) == body);

  Run(body, registry::ParseCorp);
  Run(body, registry::ParseProject);
  Run(body, registry::ParseProjectCorp);
  Run(body, registry::ParseTeam);
  Run(body, registry::ParseCertificate);
  Run(body, registry::ParseExit);
  Run(body, registry::ParseRevoke);
  Run(body, [](FieldReader& in) { return registry::ParseEnrolment(in, true); });
  Run(body, [](FieldReader& in) { return registry::ParseEnrolment(in, false); });
  Run(body, gate::ParseGateEvent);
  Run(body, [](FieldReader& in) {
    auto& json_in = static_cast<JsonFieldReader&>(in);
    return accounts::ParseUser(json_in);
  });
  {
    JsonFieldReader in(body);
    auto person = registry::ParsePerson(in);
    if (person.ok()) {
      Check(security::MaskIdNumber(person->id_number).size() == person->id_number.size());
    }
  }
  {
    JsonFieldReader in(body);
    (void)in.OptTextList("projects", 1000, 32);
    (void)in.Finish();
  }
  (void)gate::GatePolicy::FromJson(body);
  // An offline batch: each event parsed on its own.
  if (auto events = body.find("events"); events != body.end() && events->is_array()) {
    for (const json& event : *events) {
      if (!event.is_object()) continue;
      JsonFieldReader in(event);
      (void)gate::ParseGateEvent(in);
    }
  }
  return 0;
}

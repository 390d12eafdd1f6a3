// libFuzzer target: the address standardiser on arbitrary bytes — what a clerk, a CSV column or a
// police record may hand it (issue 25: empty lines, huge lines, ill-formed UTF-8, no address).
//
// Invariants checked beyond "no crash, no sanitizer report": an answer or an error with one of the
// four codes; an answer's codes are a chain (each level's code begins with the one above, and a
// level below a null one is null); numbers are ASCII digit strings; the JSON written by hand on
// the CLI's hot path parses and says the same as ToJson.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "address/standardizer.h"

namespace {

using namespace zhizhi;
using nlohmann::json;

std::unique_ptr<const address::Standardizer> g_standardizer;

[[noreturn]] void Broken(const char* what, std::string_view input) {
  std::fprintf(stderr, "invariant broken: %s on %zu bytes\n", what, input.size());
  std::abort();
}

}  // namespace

// Loading the gazetteer takes seconds under the sanitizers: once, before the first input.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto loaded = address::Standardizer::Load(address::Gazetteer::DefaultDir());
  if (!loaded.ok()) {
    std::fprintf(stderr, "address fuzzer: %s\n", loaded.status().ToString().c_str());
    std::abort();
  }
  g_standardizer = std::move(loaded).value();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const address::Standardizer& s = *g_standardizer;
  auto result = s.Standardize(input);
  if (!result.ok()) {
    const std::string& code = result.status().code();
    if (code != "empty" && code != "too_long" && code != "invalid_utf8" &&
        code != "not_an_address") {
      Broken("an unknown error code", input);
    }
    return 0;
  }
  const json j = s.ToJson(*result);
  std::string previous;
  bool above_null = false;
  for (const char* level : {"province", "city", "county", "town", "village"}) {
    if (j[level].is_null()) {
      above_null = true;
      continue;
    }
    const std::string code = j[level].get<std::string>();
    if (above_null) Broken("a level below a null one", input);
    if (code.rfind(previous, 0) != 0) Broken("a code that does not begin with its parent's", input);
    previous = code;
  }
  for (const char* part : {"number", "unit"}) {
    if (j[part].is_null()) continue;
    for (char c : j[part].get<std::string>()) {
      if (!((c >= '0' && c <= '9') || c == '-' || (c >= 'A' && c <= 'Z'))) {
        Broken("a number that is not ASCII", input);
      }
    }
  }
  std::string line = "{\"id\":1";
  s.AppendJson(*result, line);
  line += '}';
  const json again = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (again.is_discarded()) Broken("the CLI's JSON does not parse", input);
  for (const auto& [key, value] : j.items()) {
    if (key == "confidence") continue;  // printed with two decimals
    if (again[key] != value) Broken("the CLI's JSON differs from ToJson", input);
  }
  return 0;
}

// Data-driven API cases: one small text file per scenario under tests/api/*.case, read and run
// against a fresh server (the format is documented in tests/api/README.md).
//
//   POST /api/v1/corps
//   {"uscc":"91350100M000100Y43","name":"钱塘建设"}
//   => 201
//   {"uscc":"91350100M000100Y43"}
//   capture corp = uscc
//
// ParseCaseFile() turns a file into steps (syntax errors carry their line); RunCase() runs them
// in order and reports the first failing step as a gtest failure at FILE:LINE with the request
// and the actual response.
//
// Thread-safety: plain values and functions; RunCase drives one TestServer on the calling thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_server.h"

namespace zhizhi::e2e {

struct CaseRequest {
  int line = 0;
  std::string method;
  std::string target;  // may hold ${variables}
  enum class Auth { kAdmin, kNone, kBad, kRaw } auth = Auth::kAdmin;
  std::string auth_raw;  // the whole Authorization value for kRaw
  Headers headers;
  std::string body;
  std::optional<std::pair<std::size_t, std::string>> body_repeat;  // count, text
  int expect_status = 0;
};

// Something a step does after its request (or on its own): a check, a capture or a directive.
struct CaseAction {
  enum class Kind {
    kJson,         // text: expected JSON (subset match)
    kCapture,      // name = path
    kSql,          // text: query, value: expected first column of the first row
    kHeader,       // name: value (exact, case-sensitive value)
    kContains,     // text: the body contains it
    kNotContains,  // text: the body does not contain it
    kRestart,      // SIGTERM (exit 0 expected) and start again on the same data directory
    kCrash,        // SIGKILL and start again
    kSet,          // name = value
    kSqlExec,      // text: statements run read-write on the server's database
  };
  Kind kind = Kind::kJson;
  int line = 0;
  std::string name;
  std::string text;
  std::string value;
};

struct CaseStep {
  int line = 0;
  std::optional<CaseRequest> request;
  std::vector<CaseAction> actions;
};

struct ApiCase {
  std::string path;
  std::string name;  // file name without .case
  std::vector<CaseStep> steps;
};

// Parses a case file; on a syntax error returns nullopt and sets *error to "FILE:LINE: why".
std::optional<ApiCase> ParseCaseFile(const std::string& path, std::string* error);

// Every *.case file in `dir`, sorted by name.
std::vector<std::string> ListCaseFiles(const std::string& dir);

// Runs the case against a fresh server; failures are reported through gtest.
void RunCase(const ApiCase& api_case);

// Subset match of `actual` against `expected` (see README.md: objects compare the listed keys,
// arrays have the same length and match elementwise; "<any>", "<not-null>", "<absent>").
// Returns an empty string on a match, else where and how they differ.
std::string MatchJson(const nlohmann::json& expected, const nlohmann::json& actual,
                      const std::string& where = "");

// True when `path` (e.g. /api/v1/persons/12) matches the route `pattern` (/api/v1/persons/{id}).
bool PathMatchesPattern(const std::string& path, const std::string& pattern);

}  // namespace zhizhi::e2e

// What the Registry's own files (corps.cc, projects.cc, teams.cc, persons.cc, certificates.cc,
// enrolments.cc, project_view.cc) share and nobody else needs: JSON of optional columns, list
// pages, the projects of a limited scope, and existence checks that keep a failed query apart
// from "no such row". Not part of the module's interface: include it only from those files.
//
// Thread-safety: stateless functions; the connection belongs to the calling thread.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "security/principal.h"
#include "store/page.h"
#include "store/sqlite.h"

namespace zhizhi::registry {

inline nlohmann::json OptJson(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}
inline nlohmann::json OptJson(const std::optional<std::int64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

// A list answer: `items`, and a cursor after `last_key` when the page is full.
inline nlohmann::json ListPage(nlohmann::json items, const store::Page& page,
                               const std::string& last_key) {
  nlohmann::json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (out["items"].size() == static_cast<size_t>(page.limit) && !last_key.empty()) {
    out["next_cursor"] = page.NextCursor(last_key);
  }
  return out;
}

// The id a page of rows ordered by integer id starts after (0 on the first page).
inline std::int64_t AfterId(const store::Page& page) {
  return page.after.empty() ? 0 : std::strtoll(page.after.c_str(), nullptr, 10);
}

// The error that ended a statement's rows, if any.
inline Status StepError(const store::Statement& stmt) {
  return stmt.status().ok() ? Status::Ok() : stmt.status();
}

using store::RowExists;

// 404 unless project `code` is registered.
inline Status ProjectMustExist(store::Connection& conn, const std::string& code) {
  ZZ_ASSIGN_OR_RETURN(const bool found,
                      RowExists(conn, "SELECT 1 FROM projects WHERE code = ?", code));
  return found ? Status::Ok() : Status::NotFound("no project " + code);
}

// 422 corp_not_on_project unless corp `uscc` takes part in `project`.
inline Status CorpMustBeOnProject(store::Connection& conn, const std::string& project,
                                  const std::string& uscc) {
  auto stmt = conn.Prepare("SELECT 1 FROM project_corps WHERE project_code = ? AND uscc = ?");
  stmt.Bind(1, project).Bind(2, uscc);
  if (stmt.Step()) return Status::Ok();
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return Status::Rule("corp_not_on_project", "uscc",
                      "corp " + uscc + " does not take part in project " + project);
}

// Whether `scope` sees only some projects (nullptr sees everything).
inline bool Limited(const security::Principal* scope) {
  return scope != nullptr && !scope->all_projects;
}

// The projects of a limited scope as a JSON array, for `json_each(?)` in SQL.
inline std::string ScopeProjects(const security::Principal* scope) {
  return Limited(scope) ? nlohmann::json(scope->projects).dump() : "[]";
}

}  // namespace zhizhi::registry

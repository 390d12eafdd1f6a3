// Thin RAII layer over the SQLite C API: one Connection, prepared Statements cached per
// connection, and Status errors instead of result codes.
//
// Thread-safety: a Connection and its Statements belong to one thread at a time (the writer
// thread, or a reader borrowed from the pool); they are not synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace zhizhi::store {

class Connection;

// A prepared statement borrowed from the connection's cache. Bind with 1-based indexes, then call
// Step() until it returns false. The statement is reset and its bindings cleared on destruction.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    if (!value) return BindNull(index);
    return Bind(index, *value);
  }

  // Advances to the next row. Returns true on a row, false when done; errors go to status().
  bool Step();
  // Runs a statement that returns no rows (or ignores them).
  Status Run();
  const Status& status() const { return status_; }

  bool IsNull(int column) const;
  std::int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptText(int column) const;
  std::optional<std::int64_t> OptInt(int column) const;
  std::optional<double> OptDouble(int column) const;
  std::string Blob(int column) const;

 private:
  friend class Connection;
  Statement(Connection* connection, sqlite3_stmt* stmt) : connection_(connection), stmt_(stmt) {}

  Connection* connection_;
  sqlite3_stmt* stmt_;
  Status status_;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Mode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Executes one or more statements without results (DDL, pragmas, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  // Returns a cached prepared statement; `sql` must outlive the connection (use literals).
  Statement Prepare(const char* sql);
  // Returns a statement cached by its text: for SQL assembled at run time from a bounded set of
  // shapes (optional filters), never from values — those are always bound.
  Statement Prepare(const std::string& sql);
  // Prepares a statement that is not cached (dynamic SQL).
  Result<std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>> PrepareUncached(
      std::string_view sql);

  std::int64_t LastInsertRowId() const;
  int Changes() const;
  // Rows inserted, changed or deleted by all statements since the connection opened (triggers'
  // too): unchanged across a job means the job wrote no row.
  std::int64_t TotalChanges() const;
  bool InTransaction() const;
  std::string LastError() const;
  sqlite3* handle() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  std::unordered_map<std::string, sqlite3_stmt*> text_cache_;
  Status broken_;  // set when a Prepare failed; the statement returned is inert
};

// Runs `sql` on `conn` and returns the single integer of the first row (e.g. COUNT(*)).
Result<std::int64_t> QueryInt(Connection& conn, const char* sql);

}  // namespace zhizhi::store

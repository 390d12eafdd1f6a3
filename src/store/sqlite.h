// Thin RAII layer over the SQLite C API: one Connection, prepared Statements cached per
// connection, and Status errors instead of result codes.
//
// Thread-safety: a Connection and its Statements belong to one thread at a time (the writer
// thread, or a reader borrowed from the pool); they are not synchronised.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
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

// SQL text known at compile time: a string literal, or a constexpr pointer to one. Statements
// prepared from it are cached by its address, which is why nothing else converts to it — text
// built at run time (whose address a later string may reuse) goes to Prepare(const std::string&).
class SqlLiteral {
 public:
  consteval SqlLiteral(const char* text) : text_(text) {}  // NOLINT(google-explicit-constructor)
  const char* text() const { return text_; }

 private:
  const char* text_;
};

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

  // Advances to the next row. Returns true on a row, false when done; errors go to status(),
  // also a failed Bind — a statement whose parameters could not all be bound does not run.
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
  Statement& Checked(int rc, int index);

  Connection* connection_;
  sqlite3_stmt* stmt_;
  Status status_;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // `base_vfs`: the SQLite VFS under zhizhi's WAL layer (wal_vfs.h); empty for the default.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Mode mode,
                                                  const std::string& base_vfs = "");
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Executes one or more statements without results (DDL, pragmas, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  // Returns a prepared statement cached by the literal's address (the hot path: no hashing).
  Statement Prepare(SqlLiteral sql);
  // Returns a statement cached by its text: for SQL assembled at run time from a bounded set of
  // shapes (optional filters), never from values — those are always bound. (A template only so
  // that a string literal is not ambiguous between the two.)
  template <std::same_as<std::string> Text>
  Statement Prepare(const Text& sql) {
    return PrepareText(sql);
  }
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

  // --- memory that follows the write transaction (the writer's connection, inside a job) ---
  //
  // A module that keeps state in memory changes it inside the write job that changes the rows
  // behind it, and registers here how to put it back. If the job's writes are rolled back — its
  // savepoint (Savepoint, or the job's own in Database), or its whole group — the undos run,
  // newest first, on the writer thread, so memory never keeps what the database does not. Once
  // the group has committed they are dropped. An undo must not fail and must not touch the
  // database.
  void OnRollback(std::function<void()> undo) { undo_.push_back(std::move(undo)); }
  // Undos registered so far; a savepoint remembers this to undo only what came after it.
  size_t undo_mark() const { return undo_.size(); }
  // Runs the undos registered after `mark`, newest first, and forgets them.
  void RunUndo(size_t mark);
  // Forgets every undo (the transaction committed).
  void ForgetUndo() { undo_.clear(); }
  // Tests only: RunUndo drops the undos without running them — memory then keeps what rolled
  // back writes did, which the fault tests must detect (DatabaseOptions::undo_memory).
  void DisableUndoForTests() { undo_disabled_ = true; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  Statement PrepareText(const std::string& sql);

  sqlite3* db_;
  std::vector<std::function<void()>> undo_;
  bool undo_disabled_ = false;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  std::unordered_map<std::string, sqlite3_stmt*> text_cache_;
  Status broken_;  // set when a Prepare failed; the statement returned is inert
};

// Whether `sql`, with `key` bound to its one parameter, returns a row ("SELECT 1 FROM t WHERE
// id = ?"). A query that fails is that error — never a "no" that would become a 404.
template <typename Key>
Result<bool> RowExists(Connection& conn, SqlLiteral sql, const Key& key) {
  Statement s = conn.Prepare(sql);
  s.Bind(1, key);
  if (s.Step()) return true;
  if (!s.status().ok()) return s.status();
  return false;
}

// Runs `sql` on `conn` and returns the single integer of the first row (e.g. COUNT(*)).
Result<std::int64_t> QueryInt(Connection& conn, SqlLiteral sql);
Result<std::int64_t> QueryIntText(Connection& conn, const std::string& sql);
template <std::same_as<std::string> Text>
Result<std::int64_t> QueryInt(Connection& conn, const Text& sql) {
  return QueryIntText(conn, sql);
}

}  // namespace zhizhi::store

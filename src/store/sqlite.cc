#include "store/sqlite.h"

#include <algorithm>
#include <mutex>

#include <sqlite3.h>

#include "store/wal_vfs.h"

namespace zhizhi::store {

namespace {

Status SqliteError(sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : "out of memory";
  return Status::Internal(std::move(message));
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : connection_(other.connection_), stmt_(other.stmt_), status_(std::move(other.status_)) {
  other.stmt_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

// A bind can fail (a text or blob is copied, and the copy can run out of memory; an index out of
// range). The statement then must not run: with the parameter left NULL, "WHERE code = ?" would
// find nothing and a lookup would answer "absent" for what is an error. The first failure is kept
// and Step() reports it.
Statement& Statement::Checked(int rc, int index) {
  if (rc != SQLITE_OK && status_.ok()) {
    status_ = SqliteError(sqlite3_db_handle(stmt_), "bind ?" + std::to_string(index));
  }
  return *this;
}

Statement& Statement::Bind(int index, std::int64_t value) {
  if (!stmt_) return *this;
  return Checked(sqlite3_bind_int64(stmt_, index, value), index);
}

Statement& Statement::Bind(int index, double value) {
  if (!stmt_) return *this;
  return Checked(sqlite3_bind_double(stmt_, index, value), index);
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (!stmt_) return *this;
  return Checked(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  if (!stmt_) return *this;
  return Checked(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
                 index);
}

Statement& Statement::BindNull(int index) {
  if (!stmt_) return *this;
  return Checked(sqlite3_bind_null(stmt_, index), index);
}

bool Statement::Step() {
  if (stmt_ == nullptr) {
    if (status_.ok()) status_ = Status::Internal("statement failed to prepare");
    return false;
  }
  if (!status_.ok()) return false;  // a failed bind, or an error of an earlier step
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = SqliteError(sqlite3_db_handle(stmt_), "step");
  return false;
}

Status Statement::Run() {
  while (Step()) {
  }
  return status_;
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::Double(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, column));
}

std::optional<std::string> Statement::OptText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::optional<std::int64_t> Statement::OptInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::optional<double> Statement::OptDouble(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Double(column);
}

std::string Statement::Blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, column));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Mode mode,
                                                     const std::string& base_vfs) {
  // No memory statistics: they take a global mutex on every SQLite allocation (about a tenth of
  // the CPU of a write-heavy job). Must precede SQLite's initialisation; a no-op after it.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  // A transaction's WAL frames are written together at its commit frame (wal_vfs.h).
  const char* vfs = RegisterWalVfs(base_vfs);
  if (vfs == nullptr && !base_vfs.empty()) {
    return Status::Internal("no SQLite VFS named " + base_vfs);
  }
  if (sqlite3_open_v2(path.c_str(), &db, flags, vfs) != SQLITE_OK) {
    Status status = SqliteError(db, "open " + path);
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Connection> conn(new Connection(db));
  // Readers wait for the writer's checkpoints instead of failing; durability is FULL so that an
  // acknowledged commit survives power loss, not only a process crash.
  ZZ_RETURN_IF_ERROR(
      conn->Exec("PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000;"
                 "PRAGMA temp_store=MEMORY;"));
  if (mode == Mode::kReadWrite) {
    ZZ_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  } else {
    ZZ_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=ON;"));
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_)
    sqlite3_finalize(stmt);
  for (auto& [sql, stmt] : text_cache_)
    sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Connection::Exec(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return Status::Internal("sqlite: " + message);
  }
  return Status::Ok();
}

Statement Connection::Prepare(SqlLiteral literal) {
  const char* sql = literal.text();
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    Statement failed(this, nullptr);
    failed.status_ = SqliteError(db_, std::string("prepare `") + sql + "`");
    return failed;
  }
  cache_.emplace(sql, stmt);
  return Statement(this, stmt);
}

Statement Connection::PrepareText(const std::string& sql) {
  auto it = text_cache_.find(sql);
  if (it != text_cache_.end()) return Statement(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    Statement failed(this, nullptr);
    failed.status_ = SqliteError(db_, "prepare `" + sql + "`");
    return failed;
  }
  text_cache_.emplace(sql, stmt);
  return Statement(this, stmt);
}

Result<std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>> Connection::PrepareUncached(
    std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db_, "prepare");
  }
  return std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>(stmt, sqlite3_finalize);
}

std::int64_t Connection::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::Changes() const {
  return sqlite3_changes(db_);
}

std::int64_t Connection::TotalChanges() const {
  return sqlite3_total_changes64(db_);
}

bool Connection::InTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

std::string Connection::LastError() const {
  return sqlite3_errmsg(db_);
}

void Connection::RunUndo(size_t mark) {
  if (undo_disabled_) {
    undo_.resize(std::min(mark, undo_.size()));
    return;
  }
  while (undo_.size() > mark) {
    auto undo = std::move(undo_.back());
    undo_.pop_back();
    undo();
  }
}

namespace {

Result<std::int64_t> FirstInt(Statement stmt, std::string_view sql) {
  if (!stmt.Step()) {
    if (!stmt.status().ok()) return stmt.status();
    return Status::Internal("no row from `" + std::string(sql) + "`");
  }
  return stmt.Int(0);
}

}  // namespace

Result<std::int64_t> QueryInt(Connection& conn, SqlLiteral sql) {
  return FirstInt(conn.Prepare(sql), sql.text());
}

Result<std::int64_t> QueryIntText(Connection& conn, const std::string& sql) {
  return FirstInt(conn.Prepare(sql), sql);
}

}  // namespace zhizhi::store

// Savepoint: a nested transaction on the writer's connection, and the memory that follows it.
//
//   ZZ_ASSIGN_OR_RETURN(store::Savepoint savepoint, store::Savepoint::Open(conn));
//   Status status = Work(conn);
//   ZZ_RETURN_IF_ERROR(status.ok() ? savepoint.Release() : savepoint.RollBack());
//
// Release() keeps the writes and the undos registered since Open() (they now belong to whatever
// encloses the savepoint: the job, and its group). RollBack() undoes both: the writes with
// ROLLBACK TO, the memory with the undos (Connection::OnRollback), newest first. When either
// fails, the transaction around it is in a state no one can vouch for: the caller must fail its
// job, and Database then rolls back the whole group. A savepoint destroyed while open rolls back.
//
// Every savepoint has the same name: SQLite's ROLLBACK TO and RELEASE take the innermost one of
// that name, which is exactly the nesting that C++ scopes give.
//
// Thread-safety: the writer thread only, like its Connection.
#pragma once

#include <cstddef>

#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::store {

class Savepoint {
 public:
  static Result<Savepoint> Open(Connection& conn);
  Savepoint(Savepoint&& other) noexcept;
  Savepoint& operator=(Savepoint&&) = delete;
  ~Savepoint();

  // Keeps what was done since Open().
  Status Release();
  // Undoes what was done since Open(), in the database and in memory.
  Status RollBack();

 private:
  Savepoint(Connection* conn, size_t undo_mark) : conn_(conn), undo_mark_(undo_mark) {}

  Connection* conn_;  // null once released, rolled back or moved from
  size_t undo_mark_;
};

}  // namespace zhizhi::store

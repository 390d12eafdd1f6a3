#include "store/savepoint.h"

namespace zhizhi::store {

Result<Savepoint> Savepoint::Open(Connection& conn) {
  ZZ_RETURN_IF_ERROR(conn.Prepare("SAVEPOINT zz").Run());
  return Savepoint(&conn, conn.undo_mark());
}

Savepoint::Savepoint(Savepoint&& other) noexcept
    : conn_(other.conn_), undo_mark_(other.undo_mark_) {
  other.conn_ = nullptr;
}

Savepoint::~Savepoint() {
  // Only an early return gets here with the savepoint open, and it returns an error: the job
  // fails, and its own savepoint or group is rolled back whatever this one does.
  if (conn_ != nullptr) RollBack().IgnoreError();
}

Status Savepoint::Release() {
  Connection* conn = conn_;
  conn_ = nullptr;
  return conn->Prepare("RELEASE zz").Run();
}

Status Savepoint::RollBack() {
  Connection* conn = conn_;
  conn_ = nullptr;
  // Memory first: the undos need nothing from the database, and they must run even when the
  // database cannot roll back (then the group is rolled back, and its undos run too).
  conn->RunUndo(undo_mark_);
  ZZ_RETURN_IF_ERROR(conn->Prepare("ROLLBACK TO zz").Run());
  return conn->Prepare("RELEASE zz").Run();
}

}  // namespace zhizhi::store

// Versioned schema migrations, applied in order at start inside one transaction each.
// The applied version is kept in `PRAGMA user_version`; a database newer than this binary is
// refused rather than guessed at.
#pragma once

#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
  // The migration rebuilds a table that others reference (SQLite cannot alter a CHECK): it runs
  // with foreign keys off, as SQLite's documented twelve-step procedure says, and must leave
  // PRAGMA foreign_key_check empty before it commits.
  bool rebuilds_tables = false;
};

// All migrations, oldest first. Never edit a shipped migration: append a new one.
const std::vector<Migration>& Migrations();

// Brings `conn` up to the newest version; returns the version now in force.
Result<int> ApplyMigrations(Connection& conn);

}  // namespace zhizhi::store

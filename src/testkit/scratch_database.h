// ScratchDatabase: a database in a fresh temporary directory, removed together with it — for
// tests and benchmarks, which run in parallel processes and must never share a file.
//
//   ZZ_ASSIGN_OR_RETURN(auto scratch, testkit::ScratchDatabase::Open("audit"));
//   scratch->db().Write(...);
//
// Thread-safety: the database is a Database; open and destroy on one thread.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "store/database.h"

namespace zhizhi::testkit {

class ScratchDatabase {
 public:
  // Makes PARENT/zhizhi-NAME-XXXXXX and opens NAME.db in it.
  static Result<std::unique_ptr<ScratchDatabase>> Open(const std::string& name,
                                                       store::DatabaseOptions options = {},
                                                       const std::string& parent = "/tmp") {
    std::string dir = parent + "/zhizhi-" + name + "-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) {
      return Status::Internal("cannot make a directory under " + parent);
    }
    std::unique_ptr<ScratchDatabase> scratch(new ScratchDatabase(dir));
    ZZ_ASSIGN_OR_RETURN(scratch->db_, store::Database::Open(dir + "/" + name + ".db", options));
    return scratch;
  }
  ~ScratchDatabase() {
    db_.reset();  // the writer drains and the WAL is folded back before the files go
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  store::Database& db() { return *db_; }
  const std::string& dir() const { return dir_; }

 private:
  explicit ScratchDatabase(std::string dir) : dir_(std::move(dir)) {}

  const std::string dir_;
  std::unique_ptr<store::Database> db_;
};

}  // namespace zhizhi::testkit

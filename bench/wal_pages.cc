// Which tables and indexes the group commits of a write load dirty: reads DB-wal, takes the
// frames of its current generation (those whose salts match the WAL header), splits them into
// commits at each commit frame, and names each frame's page by the B-tree that owns it
// (SQLite's dbstat table). Prints frames per commit by B-tree, busiest first.
//
//   zhizhi_wal_pages /tmp/g/zhizhi.db
//
// Use it on a copy of a data directory taken while a load runs (`kill -9` the server, then copy
// zhizhi.db*): a clean stop folds the WAL back into the database and leaves nothing to read.
// It found the day index that scattered a busy second's passes (docs/benchmarks.md, migration 9).
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

std::uint32_t BigEndian32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATABASE   (reads DATABASE-wal too)\n", argv[0]);
    return 2;
  }
  const std::string db_path = argv[1];
  std::ifstream in(db_path + "-wal", std::ios::binary);
  const std::vector<unsigned char> wal((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
  constexpr size_t kHeader = 32, kFrameHeader = 24;
  if (wal.size() < kHeader) {
    std::fprintf(stderr, "%s-wal: no write-ahead log to read\n", db_path.c_str());
    return 1;
  }
  const std::uint32_t page_size = BigEndian32(&wal[8]);
  std::vector<std::vector<std::uint32_t>> commits;
  std::vector<std::uint32_t> open;
  for (size_t at = kHeader; at + kFrameHeader + page_size <= wal.size();
       at += kFrameHeader + page_size) {
    // A frame of an earlier generation (the WAL started over since) ends the current one.
    if (!std::equal(&wal[16], &wal[24], &wal[at + 8])) break;
    open.push_back(BigEndian32(&wal[at]));
    if (BigEndian32(&wal[at + 4]) != 0) commits.push_back(std::move(open)), open.clear();
  }
  if (commits.size() < 2) {
    std::fprintf(stderr, "%zu commits in the WAL: too few to say anything\n", commits.size());
    return 1;
  }

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", db_path.c_str(), sqlite3_errmsg(db));
    return 1;
  }
  std::unordered_map<std::uint32_t, std::string> owner;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT pageno, name FROM dbstat", -1, &s, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "dbstat: %s (SQLite built without SQLITE_ENABLE_DBSTAT_VTAB?)\n",
                 sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    owner[static_cast<std::uint32_t>(sqlite3_column_int64(s, 0))] =
        reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);

  // The first commit may be cut (the WAL started over inside a group): leave it out.
  std::map<std::string, std::uint64_t> frames;
  std::uint64_t total = 0;
  for (size_t c = 1; c < commits.size(); ++c) {
    for (std::uint32_t page : commits[c]) {
      auto it = owner.find(page);
      ++frames[it == owner.end() ? "(free or new page)" : it->second];
      ++total;
    }
  }
  std::vector<std::pair<std::uint64_t, std::string>> sorted;
  for (const auto& [name, n] : frames)
    sorted.emplace_back(n, name);
  std::sort(sorted.rbegin(), sorted.rend());
  const double n = static_cast<double>(commits.size() - 1);
  std::printf("%zu commits, %.1f frames (%u-byte pages) per commit\n", commits.size() - 1,
              static_cast<double>(total) / n, page_size);
  for (const auto& [count, name] : sorted)
    std::printf("%8.1f  %s\n", static_cast<double>(count) / n, name.c_str());
  return 0;
}

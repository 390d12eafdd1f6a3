// Group commits of gate-pass-shaped writes through SQLite's own unix VFS and through zhizhi's
// `zhizhi-wal` VFS (store/wal_vfs.h), which writes a transaction's WAL frames together instead of
// two pwrite calls per frame. One iteration is one group: N passes (an INSERT into a table with
// gate_events' three indexes, an upsert of the person's on-site row) and a COMMIT under
// synchronous=FULL — 100 as under full load, 5 as at 2,000 events/s. Compare the CPU column
// (thread time, system calls included) and, for the commit's latency, the Time column.
//
//   build/bench/zhizhi_wal_bench            (a scratch database under /tmp, removed after)
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include <benchmark/benchmark.h>

#include "store/wal_vfs.h"

namespace {

constexpr int kPersons = 240;

void Exec(benchmark::State& state, sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    state.SkipWithError(message ? message : "sqlite3_exec failed");
  }
  sqlite3_free(message);
}

void BM_GroupCommit(benchmark::State& state, bool gathered) {
  std::string dir = "/tmp/zhizhi-walbench-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return state.SkipWithError("mkdtemp");
  sqlite3* db = nullptr;
  sqlite3_open_v2((dir + "/bench.db").c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                  gathered ? zhizhi::store::RegisterWalVfs() : nullptr);
  Exec(state, db,
       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-16000;"
       "CREATE TABLE events(seq INTEGER PRIMARY KEY, device_id INTEGER, event_id TEXT NOT NULL,"
       " project_code TEXT NOT NULL, time_ms INTEGER NOT NULL, local_date TEXT NOT NULL,"
       " person_id INTEGER, decision TEXT NOT NULL, reasons TEXT NOT NULL, flags INTEGER NOT NULL,"
       " UNIQUE (device_id, event_id));"
       "CREATE INDEX events_by_person ON events(person_id, time_ms);"
       "CREATE INDEX events_by_day ON events(local_date, project_code, time_ms, seq, decision,"
       " person_id, flags);"
       "CREATE TABLE onsite(project_code TEXT NOT NULL, person_id INTEGER NOT NULL,"
       " inside INTEGER NOT NULL, since_ms INTEGER NOT NULL, last_seq INTEGER,"
       " PRIMARY KEY (project_code, person_id)) WITHOUT ROWID;"
       // A history of 200,000 passes, so the B-trees have the depth of a site in use.
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)"
       " INSERT INTO events(device_id, event_id, project_code, time_ms, local_date, person_id,"
       " decision, reasons, flags) SELECT 1, 'old-' || i, 'QT2025001', 1790000000000 + i * 1000,"
       " '2026-09-01', 1 + i % 240, 'allow', '[]', 0 FROM n;"
       "PRAGMA wal_checkpoint(TRUNCATE);");
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* upsert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO events(device_id, event_id, project_code, time_ms, local_date,"
                     " person_id, decision, reasons, flags) VALUES (?,?,?,?,?,?,?,?,?)"
                     " ON CONFLICT(device_id, event_id) DO NOTHING",
                     -1, &insert, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO onsite VALUES (?,?,?,?,?) ON CONFLICT(project_code, person_id)"
                     " DO UPDATE SET inside = excluded.inside, since_ms = excluded.since_ms,"
                     " last_seq = excluded.last_seq",
                     -1, &upsert, nullptr);
  const int passes_per_group = static_cast<int>(state.range(0));
  std::int64_t k = 0;
  for (auto _ : state) {
    Exec(state, db, "BEGIN IMMEDIATE");
    for (int i = 0; i < passes_per_group; ++i, ++k) {
      const std::string event_id = "bench-" + std::to_string(k);
      const std::int64_t time_ms = 1795000000000 + k;
      const std::int64_t person = 1 + (k * 7) % kPersons;
      sqlite3_bind_int64(insert, 1, 1);
      sqlite3_bind_text(insert, 2, event_id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 3, "QT2025001", -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 4, time_ms);
      sqlite3_bind_text(insert, 5, "2026-11-24", -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 6, person);
      sqlite3_bind_text(insert, 7, "allow", -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 8, "[]", -1, SQLITE_STATIC);
      sqlite3_bind_int(insert, 9, 0);
      if (sqlite3_step(insert) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_reset(insert);
      sqlite3_bind_text(upsert, 1, "QT2025001", -1, SQLITE_STATIC);
      sqlite3_bind_int64(upsert, 2, person);
      sqlite3_bind_int(upsert, 3, static_cast<int>(k % 2));
      sqlite3_bind_int64(upsert, 4, time_ms);
      sqlite3_bind_int64(upsert, 5, sqlite3_last_insert_rowid(db));
      if (sqlite3_step(upsert) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_reset(upsert);
    }
    Exec(state, db, "COMMIT");
    // What zhizhi's checkpointer does off the writer, kept out of the measured time.
    if (k % 20000 < passes_per_group) {
      state.PauseTiming();
      Exec(state, db, "PRAGMA wal_checkpoint(TRUNCATE)");
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * passes_per_group);
  sqlite3_finalize(insert);
  sqlite3_finalize(upsert);
  sqlite3_close(db);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

BENCHMARK_CAPTURE(BM_GroupCommit, unix_vfs, false)->Arg(100)->Arg(5)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_GroupCommit, zhizhi_wal_vfs, true)
    ->Arg(100)
    ->Arg(5)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

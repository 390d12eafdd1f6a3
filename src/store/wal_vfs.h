// A SQLite VFS over the platform's default one that gathers a transaction's appends to its
// write-ahead log in memory and writes them to the file together when the transaction's last
// frame (its commit frame) arrives. Any other write to the log goes straight to the file.
//
// Why: SQLite writes each WAL frame as two pwrite calls, its 24-byte header and its page, so a
// group commit of a hundred gate passes (~110 dirty pages) made ~220 system calls before its one
// fsync; now it makes four or five (the unix VFS takes at most 128 KiB per call). The bytes, their
// order and every sync are unchanged.
//
// Durability: the frames reach the file inside the xWrite of the commit frame, so before SQLite
// syncs the log and before it publishes the commit in the WAL index, whatever the sync setting;
// an error there fails the commit as an error of that write would have. Frames gathered before
// the commit (pages SQLite spills mid-transaction) are read back from memory and counted in the
// log's size; a sync, a truncate, a close or a write elsewhere in the log writes them first. A
// failed write of gathered frames always reaches SQLite as a failed write, sync or I/O error, on
// which it rolls the transaction back — never as an error it may ignore (file controls do not
// write). A crash loses only frames of a transaction that had not committed, as a crash between
// two pwrites would.
//
// Thread-safety: RegisterWalVfs() may be called from any thread, any number of times. Each open
// file belongs to one connection, which SQLite (or zhizhi's one-thread-per-connection rule)
// serialises.
#pragma once

#include <string>

namespace zhizhi::store {

// Registers the VFS over `base` (a registered VFS's name; empty: SQLite's default) once, and
// returns its name for sqlite3_open_v2 — "zhizhi-wal" over the default, "zhizhi-wal+BASE" over
// another (the fault-injection tests put it over a VFS that fails on purpose). Null if there is
// no such base, in which case callers use the base itself.
const char* RegisterWalVfs(const std::string& base = "");

}  // namespace zhizhi::store

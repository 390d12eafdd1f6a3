// ZKTeco's PUSH protocol (ADMS / iClock): the handshake's options, ATTLOG lines (device-local
// time, no zone), the INFO of a command poll, command results, and the commands the server
// queues for a device. Pure parsing and formatting: terminals.h does the rest.
//
// Devices in the field stray from the documents: LF or CRLF, trailing tabs, fields missing at
// the end of a line, empty lines. Every line is judged alone; a bad line is reported with its
// number and never stops the good ones around it.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace zhizhi::terminals {

// A device serial number (SN): 1–32 of [A-Za-z0-9].
bool IsZkSerial(std::string_view sn);

struct AttlogLine {
  int line = 0;            // 1-based, in the body
  std::string pin;         // the user id on the device: the zhizhi person id
  std::string local_time;  // "YYYY-MM-DD HH:MM:SS", the device's clock, no zone
  int status = 255;        // punch state: 0 in, 1 out, 2 break out, 3 break in, 4/5 overtime in/out
  int verify = 0;          // how the user verified (see ZkPassMode)
  std::string workcode;
};

struct AttlogBatch {
  std::vector<AttlogLine> lines;
  std::vector<std::pair<int, Status>> errors;  // line number, why it was skipped
};

// The body of POST /iclock/cdata?table=ATTLOG: one punch per line, tab-separated (some
// firmware separates with spaces): PIN, time, status, verify, workcode, reserved…
// invalid_attlog only for a body of more than `max_lines` lines.
Result<AttlogBatch> ParseAttlog(std::string_view body, size_t max_lines = 20000);

// The direction of a punch state: 0, 3, 4 in; 1, 2, 5 out; nullopt for 255 (undefined) or
// anything else.
std::optional<std::string> ZkDirection(int status);
// The gate's pass mode (domain.md) of a verify code: 1 fingerprint → 3, 15 face → 1, 2/4 card
// → 6, 25 palm → 4, 0/3 password → 11 …
int ZkPassMode(int verify);

// What a command poll (GET /iclock/getrequest?INFO=…) says of the device:
// firmware,users,fingerprints,punches,ip,fp-algorithm,face-algorithm,face-users,faces[,…].
struct ZkInfo {
  std::optional<std::string> firmware;
  std::optional<std::int64_t> users;
  std::optional<std::int64_t> faces;
};
ZkInfo ParseZkInfo(std::string_view info);

// The answer to the handshake (GET /iclock/cdata?options=all): stamps, delays, what to send.
std::string ZkOptions(std::string_view sn, std::int64_t attlog_stamp);

// One command result of POST /iclock/devicecmd: ID=…&Return=…&CMD=… per line.
struct ZkCommandResult {
  std::int64_t id = 0;
  int return_code = 0;  // 0 success; negative: the device's error
  std::string command;
};
Result<std::vector<ZkCommandResult>> ParseZkCommandResults(std::string_view body);

// A command line as GET /iclock/getrequest returns it: "C:<id>:<command>\n".
std::string ZkCommand(std::int64_t id, std::string_view command);

}  // namespace zhizhi::terminals

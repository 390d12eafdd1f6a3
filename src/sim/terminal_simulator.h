// `zhizhi simulate terminal --vendor uface|hikvision|zkteco`: a terminal of another maker, played
// from the vendor's public protocol (docs/terminals.md) against a running server on loopback — what
// the end-to-end tests and the demo use in place of a device on a site.
//
// - uface: serves the device's LAN API on --device-port (person/create, update, delete, find;
//   face/create, update, delete; the password in `pass`), so the server's downlink fills and
//   empties its roster; posts a heartbeat now and then and a recognition (face_0) for people on
//   its roster, a stranger (STRANGERBABY, face_2) every --stranger-every passes.
// - hikvision: serves ISAPI on --device-port with digest authentication (UserInfo Record,
//   Modify, Delete; FaceDataRecord, FDModify), so the downlink fills and empties its users;
//   pushes heartbeats and access events (face, checkIn/checkOut in turn) with a picture as
//   multipart to --callback.
// - zkteco: handshakes (options=all), polls for commands (getrequest with INFO) and applies them
//   to its user table (DATA UPDATE/DELETE USERINFO, BIOPHOTO), answers their results (devicecmd),
//   and uploads punches of its users as ATTLOG lines in China wall time with no zone — the last
//   batch sent twice with --replay, as the devices do after a reboot.
//
// Both write what they hold to --state FILE (JSON: users, faces, counters) after every change.
// They send --passes passes and keep serving the roster until --seconds are over or --stop-file
// exists, then print the counters as one JSON line.
//
// Thread-safety: RunTerminalSimulator runs on the calling thread (plus the LAN API's thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace zhizhi::sim {

struct TerminalSimOptions {
  std::string vendor;  // uface, zkteco
  std::string url = "http://127.0.0.1:8080";
  std::string serial;                 // deviceKey / SN
  std::string callback;               // uface, hikvision: the callback_url path the server gave
  int device_port = 0;                // uface, hikvision: the device API port (0: any free one)
  std::string username = "admin";     // hikvision: the ISAPI user
  std::string password = "12345678";  // uface, hikvision: the device API's password
  std::string state_file;             // where the device's roster is written
  int passes = 10;                    // passes to send, then stop (0: none)
  int stranger_every = 0;             // uface: every Nth pass a stranger (0: never)
  double seconds = 30;                // stop after this long in any case
  int interval_ms = 200;              // between passes
  int poll_ms = 500;                  // zkteco: between command polls
  bool replay = false;                // zkteco: send the last ATTLOG batch twice
  int offline_passes = 0;             // hikvision: the first N passes logged, never pushed
  std::string stop_file;              // stop as soon as this file exists
  const std::atomic<bool>* stop = nullptr;  // … or this turns true (serve --simulate)
  bool quiet = false;                       // no summary line on stdout
};

// Adds the flags to `cmd` (the `terminal` sub-command of `simulate`).
void AddTerminalSimFlags(CLI::App& cmd, TerminalSimOptions& options);
int RunTerminalSimulator(const TerminalSimOptions& options);

}  // namespace zhizhi::sim

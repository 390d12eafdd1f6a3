// What the simulator learns about a site, and registers there, before it plays — all through the
// public HTTP API (api-v1.md), never through the database: gate devices, the roster a terminal
// pulls, the enrolled workers, who is inside, the gate policy, and full ID numbers (pii right).
//
// Thread-safety: free functions; each call uses the client it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sim/loopback_client.h"

namespace zhizhi::sim {

// The administrator token from DATA_DIR/admin.token (surrounding whitespace removed).
Result<std::string> ReadTokenFile(const std::string& path);

// A gate terminal the simulator registered: its token authenticates the passes it sends.
struct SimDevice {
  std::int64_t id = 0;
  std::string serial;
  std::string direction;  // in / out
  std::string token;
};

// POST /api/v1/projects/{code}/devices with serial `<prefix>-<PROJECT>-<IN|OUT>-<random hex>`.
Result<SimDevice> RegisterSimDevice(LoopbackClient& client, const std::string& admin_token,
                                    const std::string& project, const std::string& direction,
                                    const std::string& prefix);

// GET /api/v1/gate/roster?since=0 as the device: the persons it lets through.
Result<std::vector<std::int64_t>> PullRoster(LoopbackClient& client, const SimDevice& device);

struct SimEnrolment {
  std::int64_t person_id = 0;
  bool manager = false;  // work_role 10
};

// GET /api/v1/projects/{code}/workers?status=… following next_cursor; at most `max` rows.
Result<std::vector<SimEnrolment>> ListWorkers(LoopbackClient& client, const std::string& token,
                                              const std::string& project, const std::string& status,
                                              size_t max = 1'000'000);

// GET /api/v1/projects/{code}/onsite: the persons inside now.
Result<std::vector<std::int64_t>> OnsitePersons(LoopbackClient& client, const std::string& token,
                                                const std::string& project);

struct SimPolicy {
  double face_threshold = 0.5;
  int duplicate_window_s = 60;
};
// GET /api/v1/projects/{code}/gate-policy; 404 means there is no such project.
Result<SimPolicy> ReadGatePolicy(LoopbackClient& client, const std::string& token,
                                 const std::string& project);

// GET /api/v1/persons/{id}: the ID number when the token holds the pii right, nullopt when the
// server shows it masked.
Result<std::optional<std::string>> ReadFullIdNumber(LoopbackClient& client,
                                                    const std::string& token,
                                                    std::int64_t person_id);

// GET /api/v1/projects/{code}/attendance?date=: how many persons passed on that day.
Result<std::int64_t> PresentOn(LoopbackClient& client, const std::string& token,
                               const std::string& project, const std::string& date);

// A non-2xx reply or a transport failure as a Status naming what was attempted.
Status ReplyError(const std::string& what, const HttpReply& reply);

}  // namespace zhizhi::sim

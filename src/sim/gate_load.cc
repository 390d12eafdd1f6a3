#include "sim/gate_load.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <latch>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/civil_time.h"
#include "sim/latency.h"
#include "sim/site_setup.h"

namespace zhizhi::sim {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Lane {
  std::vector<std::int64_t> persons;  // owned by this connection alone: passes stay in order
  std::unordered_map<std::int64_t, bool> inside;
  std::unordered_map<std::int64_t, std::int64_t> last_ms;
  // results
  std::vector<std::uint32_t> micros;
  std::map<int, std::int64_t> statuses;  // 0 = transport error
  std::map<std::string, std::int64_t> denials;
  std::int64_t allowed = 0;
  std::int64_t denied = 0;
  std::int64_t duplicates = 0;
  double max_lag_ms = 0;  // paced: how far sending fell behind the schedule
  std::string first_error;
};

void RunLane(const GateLoadOptions& options, const SimDevice& in, const SimDevice& out,
             const std::string& run_id, int index, Lane& lane, std::latch& ready,
             Clock::time_point& start, Clock::time_point& deadline) {
  LoopbackClient client(options.url);
  client.Request("GET", "/healthz", "");  // opens the keep-alive connection before the clock
  ready.arrive_and_wait();
  const double per_second = options.rate / options.connections;
  for (std::int64_t k = 0;; ++k) {
    Clock::time_point due = Clock::now();
    if (per_second > 0) {
      due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                        (k + index / double(options.connections)) / per_second));
      if (due >= deadline) break;
      std::this_thread::sleep_until(due);
    } else if (due >= deadline) {
      break;
    }
    const std::int64_t person = lane.persons[k % lane.persons.size()];
    const bool entering = !lane.inside[person];
    std::int64_t& last = lane.last_ms[person];
    const std::int64_t time_ms =
        std::max(NowUnixMs(), last + (options.vendor == "zkteco" ? 1000 : 1));
    last = time_ms;
    const SimDevice& device = entering ? in : out;
    std::string body;
    if (options.vendor == "uface") {
      body = "deviceKey=" + device.serial + "&personId=" + std::to_string(person) +
             "&time=" + std::to_string(time_ms) + "&type=face_0&searchScore=93.0&ip=127.0.0.1";
    } else if (options.vendor == "zkteco") {
      // Device-local seconds: a person's punches a second apart at least (one per second and
      // person is the protocol's own idempotency key), running ahead of the clock if need be.
      std::string wall = FormatRfc3339(time_ms / 1000 * 1000);
      wall[10] = ' ';
      body = std::to_string(person) + "\t" + wall.substr(0, 19) + "\t" + (entering ? "0" : "1") +
             "\t15\t0\t0\t0\n";
    } else {
      body = json{
          {"event_id", run_id + "-" + std::to_string(index) + "-" + std::to_string(k)},
          {"time", FormatRfc3339(time_ms)},
          {"person_id", person},
          {"score", 0.93},
          {"liveness", true},
          {"pass_mode",
           1}}.dump();
    }
    const Clock::time_point sent = Clock::now();
    if (per_second > 0) {
      lane.max_lag_ms =
          std::max(lane.max_lag_ms, std::chrono::duration<double, std::milli>(sent - due).count());
    }
    HttpReply reply;
    if (options.vendor == "uface") {
      reply = client.PostAs(device.token, "application/x-www-form-urlencoded", std::move(body));
    } else if (options.vendor == "zkteco") {
      reply = client.PostAs(
          "/iclock/cdata?SN=" + device.serial + "&table=ATTLOG&Stamp=" + std::to_string(k),
          "text/plain", std::move(body));
    } else {
      reply = client.Request("POST", "/api/v1/gate/events", device.token, std::move(body));
    }
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count();
    lane.micros.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(micros, UINT32_MAX)));
    ++lane.statuses[reply.status];
    if (reply.status != 200) {
      if (lane.first_error.empty()) lane.first_error = reply.Describe();
      continue;
    }
    if (options.vendor != "zhizhi") {
      // A vendor's answer says only that the pass is stored: the person alternates anyway.
      ++lane.allowed;
      lane.inside[person] = entering;
      continue;
    }
    const json answer = reply.Json();
    if (answer.value("decision", "") == "allow") {
      ++lane.allowed;
      if (answer.value("duplicate", false)) {
        ++lane.duplicates;
      } else {
        lane.inside[person] = entering;
      }
      continue;
    }
    ++lane.denied;
    bool passback = false;
    if (answer.contains("reasons") && answer["reasons"].is_array()) {
      for (const json& reason : answer["reasons"]) {
        if (!reason.is_string()) continue;
        ++lane.denials[reason.get<std::string>()];
        passback = passback || reason == "anti_passback";
      }
    }
    if (passback) lane.inside[person] = true;  // the server has them inside: go out next
  }
}

// A terminal of another maker for the load: `token` holds where it posts (Uface: the callback
// path), `serial` its identity.
Result<SimDevice> RegisterVendorDevice(LoopbackClient& admin, const std::string& admin_token,
                                       const std::string& project, const std::string& direction,
                                       const std::string& vendor) {
  std::random_device random;
  SimDevice device;
  device.direction = direction;
  char serial[32];
  std::snprintf(serial, sizeof serial, "LOAD%s%08X", direction == "in" ? "IN" : "OUT",
                static_cast<unsigned>(random()));
  device.serial = serial;
  const json body = {
      {"serial", device.serial}, {"direction", direction}, {"vendor", vendor}, {"zone", "load"}};
  const HttpReply reply =
      admin.Request("POST", "/api/v1/projects/" + project + "/devices", admin_token, body.dump());
  const json created = reply.Json();
  if (reply.status != 201 || !created.is_object()) {
    return Status::Internal("register " + vendor + " device: " + reply.Describe());
  }
  device.id = created.value("id", std::int64_t{0});
  device.token = created.value("callback_url", "");
  return device;
}

std::string RandomRunId() {
  std::random_device device;
  char text[16];
  std::snprintf(text, sizeof text, "L%08x", static_cast<unsigned>(device()));
  return text;
}

}  // namespace

int RunGateLoad(const GateLoadOptions& options) {
  LoopbackClient admin(options.url);
  auto fail = [](const Status& status) {
    std::fprintf(stderr, "zhizhi simulate --load: %s\n", status.ToString().c_str());
    return 2;
  };
  auto in = RegisterSimDevice(admin, options.admin_token, options.project, "in", "SIM-LOAD");
  if (!in.ok()) return fail(in.status());
  auto out = RegisterSimDevice(admin, options.admin_token, options.project, "out", "SIM-LOAD");
  if (!out.ok()) return fail(out.status());
  auto roster = PullRoster(admin, *in);
  // Terminals of another maker in their place (the zhizhi pair only pulled the roster).
  Result<SimDevice> vendor_in = *in, vendor_out = *out;
  if (options.vendor != "zhizhi") {
    vendor_in =
        RegisterVendorDevice(admin, options.admin_token, options.project, "in", options.vendor);
    if (!vendor_in.ok()) return fail(vendor_in.status());
    vendor_out =
        RegisterVendorDevice(admin, options.admin_token, options.project, "out", options.vendor);
    if (!vendor_out.ok()) return fail(vendor_out.status());
  }
  if (!roster.ok()) return fail(roster.status());
  auto onsite = OnsitePersons(admin, options.admin_token, options.project);
  if (!onsite.ok()) return fail(onsite.status());
  if (roster->empty()) {
    return fail(Status::NotFound("nobody on the roster of " + options.project));
  }
  const std::unordered_set<std::int64_t> inside(onsite->begin(), onsite->end());

  const int connections = std::min<int>(options.connections, static_cast<int>(roster->size()));
  std::vector<Lane> lanes(connections);
  for (size_t i = 0; i < roster->size(); ++i) {
    Lane& lane = lanes[i % connections];
    const std::int64_t person = (*roster)[i];
    lane.persons.push_back(person);
    lane.inside[person] = inside.count(person) > 0;
    lane.last_ms[person] = 0;
  }
  GateLoadOptions effective = options;
  effective.connections = connections;
  const std::string pacing =
      options.rate > 0 ? "paced at " + std::to_string(std::lround(options.rate)) + " events/s"
                       : "unpaced";
  std::printf(
      "gate load: %s, %zu persons on the roster (%zu inside), %d connections, %.0f s, %s, %s "
      "terminals\n",
      options.project.c_str(), roster->size(), inside.size(), connections, options.seconds,
      pacing.c_str(), options.vendor.c_str());
  std::fflush(stdout);

  const std::string run_id = RandomRunId();
  std::latch ready(connections + 1);
  Clock::time_point start, deadline;
  std::vector<std::thread> threads;
  threads.reserve(connections);
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back(RunLane, std::cref(effective), std::cref(*vendor_in),
                         std::cref(*vendor_out), std::cref(run_id), c, std::ref(lanes[c]),
                         std::ref(ready), std::ref(start), std::ref(deadline));
  }
  // Every connection is open; start the clock (the lanes read start/deadline after the latch).
  start = Clock::now() + std::chrono::milliseconds(20);
  deadline = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(options.seconds));
  ready.arrive_and_wait();
  for (auto& thread : threads)
    thread.join();
  const double elapsed =
      std::chrono::duration<double>(std::max(Clock::now(), deadline) - start).count();

  std::vector<std::uint32_t> micros;
  std::map<int, std::int64_t> statuses;
  std::map<std::string, std::int64_t> denials;
  std::int64_t allowed = 0, denied = 0, duplicates = 0;
  double max_lag = 0;
  std::string first_error;
  for (Lane& lane : lanes) {
    micros.insert(micros.end(), lane.micros.begin(), lane.micros.end());
    for (const auto& [code, n] : lane.statuses)
      statuses[code] += n;
    for (const auto& [reason, n] : lane.denials)
      denials[reason] += n;
    allowed += lane.allowed;
    denied += lane.denied;
    duplicates += lane.duplicates;
    max_lag = std::max(max_lag, lane.max_lag_ms);
    if (first_error.empty()) first_error = lane.first_error;
  }
  const LatencySummary latency = SummariseLatencies(micros);
  const double rate = static_cast<double>(latency.count) / elapsed;
  std::printf("events:      %zu in %.2f s = %.0f events/s", latency.count, elapsed, rate);
  if (options.rate > 0) {
    std::printf(" (target %.0f, max send lag %.1f ms)", options.rate, max_lag);
  }
  std::printf("\nlatency:     p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms\n",
              latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.max_ms, latency.mean_ms);
  std::printf("status:     ");
  std::int64_t transport = 0, server_errors = 0;
  for (const auto& [code, n] : statuses) {
    std::printf(" %s %lld", code == 0 ? "transport-error" : std::to_string(code).c_str(),
                static_cast<long long>(n));
    if (code == 0) transport += n;
    if (code >= 500) server_errors += n;
  }
  std::printf("\ndecisions:   allow %lld (duplicates %lld), deny %lld",
              static_cast<long long>(allowed), static_cast<long long>(duplicates),
              static_cast<long long>(denied));
  for (const auto& [reason, n] : denials)
    std::printf(" %s=%lld", reason.c_str(), static_cast<long long>(n));
  std::printf("\n");
  if (!first_error.empty()) std::printf("first error: %s\n", first_error.c_str());
  return transport == 0 && server_errors == 0 ? 0 : 1;
}

}  // namespace zhizhi::sim

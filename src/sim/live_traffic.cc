#include "sim/live_traffic.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/thread_name.h"
#include "sim/loopback_client.h"
#include "sim/shift_plan.h"
#include "sim/site_setup.h"
#include "sim/terminal_simulator.h"

namespace zhizhi::sim {

namespace {

using nlohmann::json;

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kChinaOffsetMs = kChinaUtcOffsetMinutes * 60'000LL;
constexpr std::int64_t kHeartbeatEveryMs = 60'000;
constexpr int kMaxPassesPerTurn = 200;

struct Terminal {
  std::int64_t id = 0;
  std::string serial;
  std::string direction;
  std::string token;
  int gate = 0;
};

struct LiveSite {
  std::string project;
  std::vector<Terminal> in, out;
};

Date ChinaDateOf(std::int64_t unix_ms) {
  return Date::FromDays((unix_ms + kChinaOffsetMs) / kDayMs);
}

Result<std::vector<LiveSite>> ReadDemoDevices(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("no " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto file = json::parse(text.str(), nullptr, false);
  if (!file.is_object() || !file.contains("devices") || !file["devices"].is_array()) {
    return Status::InvalidArgument("", path + " is not a demo device file");
  }
  std::map<std::string, LiveSite> sites;
  for (const json& d : file["devices"]) {
    LiveSite& site = sites[d.value("project_code", "")];
    site.project = d.value("project_code", "");
    Terminal t;
    t.id = d.value("id", 0);
    t.serial = d.value("serial", "");
    t.direction = d.value("direction", "");
    t.token = d.value("token", "");
    const std::string zone = d.value("zone", "1");
    t.gate = std::max(0, std::atoi(zone.c_str()) - 1);
    (t.direction == "out" ? site.out : site.in).push_back(std::move(t));
  }
  std::vector<LiveSite> out;
  for (auto& [code, site] : sites) {
    if (!site.in.empty() && !site.out.empty()) out.push_back(std::move(site));
  }
  return out;
}

}  // namespace

LiveTraffic::LiveTraffic(LiveTrafficOptions options) : options_(std::move(options)) {}

LiveTraffic::~LiveTraffic() {
  Stop();
}

void LiveTraffic::Start() {
  thread_ = std::thread([this] {
    NameThisThread("zz-live-traffic");
    Run();
  });
  StartVendorTerminals();
}

void LiveTraffic::StartVendorTerminals() {
  std::ifstream in(options_.data_dir + "/demo-devices.json");
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  const json file = json::parse(text.str(), nullptr, false);
  if (!file.is_object() || !file.contains("vendor_devices") || !file["vendor_devices"].is_array()) {
    return;
  }
  for (const json& d : file["vendor_devices"]) {
    TerminalSimOptions o;
    o.vendor = d.value("vendor", "");
    if (o.vendor != "uface" && o.vendor != "zkteco") continue;
    o.url = options_.url;
    o.serial = d.value("serial", "");
    o.callback = d.value("callback_url", "");
    o.device_port = d.value("device_port", 0);
    o.password = d.value("password", "");
    o.passes = 1'000'000;
    o.interval_ms = static_cast<int>(std::max(200.0, 6000 / std::clamp(options_.speed, 1.0, 30.0)));
    o.poll_ms = 1000;
    o.seconds = 86'400 * 365;
    o.stop = &stopping_;
    o.quiet = true;
    vendor_threads_.emplace_back([o] {
      NameThisThread("zz-live-" + o.vendor);
      const int code = RunTerminalSimulator(o);
      if (code != 0)
        spdlog::warn("event=vendor_terminal_stopped serial={} code={}", o.serial, code);
    });
    spdlog::info("event=vendor_terminal_started vendor={} serial={}", o.vendor, o.serial);
  }
}

void LiveTraffic::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void LiveTraffic::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
  for (auto& t : vendor_threads_)
    if (t.joinable()) t.join();
  vendor_threads_.clear();
}

bool LiveTraffic::Sleep(std::int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(0, ms)),
               [this] { return stopping_.load(); });
  return !stopping_;
}

void LiveTraffic::Run() {
  auto url = ParseLoopbackUrl(options_.url);
  if (!url.ok()) {
    spdlog::error("event=simulator_failed error=\"{}\"", url.status().message());
    return;
  }
  LoopbackClient client(*url, std::chrono::seconds(5));
  auto admin = ReadTokenFile(options_.data_dir + "/admin.token");
  if (!admin.ok()) {
    spdlog::error("event=simulator_failed error=\"{}\"", admin.status().message());
    return;
  }
  const double speed = std::clamp(options_.speed, 1.0, 3600.0);
  std::mt19937_64 rng(options_.seed ? options_.seed : std::random_device{}());

  // ---- the terminals
  std::vector<LiveSite> sites;
  if (auto demo = ReadDemoDevices(options_.data_dir + "/demo-devices.json"); demo.ok()) {
    sites = std::move(*demo);
  } else {
    spdlog::warn("event=simulator_no_demo_devices action=register_terminals");
    auto projects = client.Request("GET", "/api/v1/projects?status=active&limit=1000", *admin);
    const json list = projects.Json();
    if (projects.status == 200 && list.contains("items")) {
      for (const json& p : list["items"]) {
        LiveSite site;
        site.project = p.value("code", "");
        auto in = RegisterSimDevice(client, *admin, site.project, "in", "LIVE");
        auto out = RegisterSimDevice(client, *admin, site.project, "out", "LIVE");
        if (!in.ok() || !out.ok()) continue;
        site.in.push_back(Terminal{in->id, in->serial, "in", in->token, 0});
        site.out.push_back(Terminal{out->id, out->serial, "out", out->token, 0});
        sites.push_back(std::move(site));
      }
    }
  }
  // Only active projects have people coming (a suspended site's terminals stay quiet).
  {
    std::set<std::string> active;
    auto reply = client.Request("GET", "/api/v1/projects?status=active&limit=1000", *admin);
    const json list = reply.Json();
    if (reply.status == 200 && list.contains("items")) {
      for (const json& p : list["items"])
        active.insert(p.value("code", ""));
      std::erase_if(sites, [&](const LiveSite& s) { return !active.count(s.project); });
    }
  }
  if (sites.empty()) {
    spdlog::warn("event=simulator_idle reason=\"no active project with terminals\"");
    return;
  }
  // One terminal never reports (offline), one has a fast clock (clock skew).
  const std::string silent = sites.back().out.back().serial;
  const std::string skewed = sites.front().in.front().serial;

  const std::int64_t real_start = NowUnixMs();
  auto sim_now = [&] {
    return real_start + static_cast<std::int64_t>((NowUnixMs() - real_start) * speed);
  };

  struct Due {
    std::int64_t sim_ms;
    PlannedPass pass;
  };
  std::vector<Due> queue;  // by time
  size_t next = 0;
  Date planned_day = ChinaDateOf(sim_now()).AddDays(-1);
  std::int64_t last_heartbeat = 0, last_log = NowUnixMs();

  auto plan_day = [&](const Date& day, std::int64_t from_ms, bool first_day) {
    std::vector<SimSite> sims;
    std::vector<std::unordered_set<std::int64_t>> inside(sites.size());
    for (size_t s = 0; s < sites.size(); ++s) {
      SimSite site;
      site.project = sites[s].project;
      Terminal device{sites[s].in.front()};
      SimDevice as_device{device.id, device.serial, "in", device.token};
      auto roster = PullRoster(client, as_device);
      auto workers = ListWorkers(client, *admin, site.project, "active");
      auto exited = ListWorkers(client, *admin, site.project, "exited", 200);
      auto onsite = OnsitePersons(client, *admin, site.project);
      if (!roster.ok() || !workers.ok() || !onsite.ok()) {
        ++errors_;
        continue;
      }
      const std::unordered_set<std::int64_t> allowed(roster->begin(), roster->end());
      inside[s].insert(onsite->begin(), onsite->end());
      for (const SimEnrolment& e : *workers) {
        SimWorker w;
        w.person_id = e.person_id;
        w.manager = e.manager;
        w.may_pass = allowed.count(e.person_id) > 0;
        // On the first day those inside are played from their plan (lunch, leaving); on later
        // days whoever is still inside at midnight is left to the automatic clock-out.
        w.inside_at_start = !first_day && inside[s].count(e.person_id) > 0;
        site.workers.push_back(w);
      }
      if (exited.ok()) {
        for (const SimEnrolment& e : *exited)
          if (KeepsComingAfterExit(e.person_id)) site.exited.push_back(e.person_id);
      }
      sims.push_back(std::move(site));
    }
    // Sites whose set-up failed are left out of the plan; keep the index mapping.
    std::vector<size_t> index;
    for (size_t s = 0, k = 0; s < sites.size() && k < sims.size(); ++s) {
      if (sites[s].project == sims[k].project) {
        index.push_back(s);
        ++k;
      }
    }
    ShiftPlan plan = PlanShiftDay(sims, day, false, rng());
    // Cut at `from_ms`: the passes before it are history. Someone inside now goes on with the
    // plan (lunch, leaving); someone outside whose day began before `from_ms` is not coming.
    std::set<std::pair<size_t, std::int64_t>> begun, leaves;
    for (const PlannedPass& p : plan.passes) {
      if (p.time_ms < from_ms) begun.insert({static_cast<size_t>(p.site), p.person_id});
    }
    std::vector<Due> out;
    for (PlannedPass& p : plan.passes) {
      const size_t k = static_cast<size_t>(p.site);
      if (p.time_ms < from_ms) continue;
      const bool in_now = inside[index[k]].count(p.person_id) > 0;
      if (!in_now && begun.count({k, p.person_id})) continue;
      if (!p.entering) leaves.insert({k, p.person_id});
      p.site = static_cast<int>(index[k]);
      out.push_back({p.time_ms, std::move(p)});
    }
    // Those inside with no exit left in the plan leave around 17:30.
    std::normal_distribution<double> leave(17.5 * 60, 12);
    for (size_t k = 0; k < sims.size() && first_day; ++k) {
      for (const SimWorker& w : sims[k].workers) {
        if (!inside[index[k]].count(w.person_id) || leaves.count({k, w.person_id})) continue;
        const std::int64_t t =
            LocalMinuteToUnixMs(day, std::clamp(leave(rng), 16.5 * 60, 19.0 * 60));
        if (t < from_ms) continue;
        PlannedPass p;
        p.time_ms = t;
        p.site = static_cast<int>(index[k]);
        p.entering = false;
        p.person_id = w.person_id;
        p.score = 0.93;
        p.expect_allow = true;
        out.push_back({t, std::move(p)});
      }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Due& a, const Due& b) { return a.sim_ms < b.sim_ms; });
    spdlog::info("event=simulator_day_planned day={} passes={} sites={} speed={}", day.ToString(),
                 out.size(), sims.size(), speed);
    return out;
  };

  std::int64_t counter = 0;
  bool first = true;
  const std::string run_id = std::to_string(real_start % 100000000);
  while (!stopping_) {
    const std::int64_t now_sim = sim_now();
    const Date today = ChinaDateOf(now_sim);
    if (today != planned_day) {
      // The first day is cut at the start; later days are played whole.
      queue = plan_day(today, first ? now_sim : 0, first);
      first = false;
      next = 0;
      planned_day = today;
      if (stopping_) break;
    }
    // Heartbeats, once a real minute.
    if (NowUnixMs() - last_heartbeat >= kHeartbeatEveryMs) {
      last_heartbeat = NowUnixMs();
      for (const LiveSite& site : sites) {
        for (const auto* list : {&site.in, &site.out}) {
          for (const Terminal& t : *list) {
            if (stopping_) break;
            if (t.serial == silent) continue;
            const std::int64_t clock = NowUnixMs() + (t.serial == skewed ? 8 * 60'000 : 0);
            const json body = {{"firmware", "zhizhi-sim 1.0"},
                               {"device_time", FormatRfc3339(clock)}};
            auto reply = client.Request("POST", "/api/v1/gate/heartbeat", t.token, body.dump());
            if (reply.status != 200) ++errors_;
          }
        }
      }
    }
    // Passes that are due.
    int sent_now = 0;
    while (next < queue.size() && queue[next].sim_ms <= now_sim && sent_now < kMaxPassesPerTurn &&
           !stopping_) {
      const PlannedPass& p = queue[next].pass;
      ++next;
      const LiveSite& site = sites[static_cast<size_t>(p.site)];
      const auto& terminals = p.entering ? site.in : site.out;
      const Terminal& t = terminals[static_cast<size_t>(p.person_id) % terminals.size()];
      json body = {{"event_id", "live-" + run_id + "-" + std::to_string(++counter)},
                   {"time", FormatRfc3339(NowUnixMs() / 1000 * 1000)}};
      if (p.id_number) {
        body["id_number"] = *p.id_number;
      } else {
        body["person_id"] = p.person_id;
        body["score"] = std::round(p.score * 1000) / 1000;
        body["liveness"] = true;
      }
      const HttpReply reply = client.Request("POST", "/api/v1/gate/events", t.token, body.dump());
      ++sent_;
      ++sent_now;
      if (reply.status != 200) {
        ++errors_;
        if (reply.transport_error() && !Sleep(1000)) break;
        continue;
      }
      (reply.Json().value("decision", "") == "allow" ? allowed_ : denied_)++;
    }
    if (NowUnixMs() - last_log >= 60'000) {
      last_log = NowUnixMs();
      spdlog::info("event=simulator sent={} allowed={} denied={} errors={} sim_time={} queued={}",
                   sent_.load(), allowed_.load(), denied_.load(), errors_.load(),
                   FormatRfc3339(sim_now()), queue.size() - next);
    }
    if (sent_now >= kMaxPassesPerTurn) continue;  // behind: no sleep
    std::int64_t wait = 250;
    if (next < queue.size()) {
      wait = std::min<std::int64_t>(
          wait, static_cast<std::int64_t>((queue[next].sim_ms - sim_now()) / speed));
    }
    if (!Sleep(std::max<std::int64_t>(wait, 5))) break;
  }
  spdlog::info("event=simulator_stopped sent={} allowed={} denied={} errors={}", sent_.load(),
               allowed_.load(), denied_.load(), errors_.load());
}

}  // namespace zhizhi::sim

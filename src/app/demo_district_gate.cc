// The demo district's gate (demo_district_seeder.h): terminals on every live site (their tokens
// kept for serve --simulate), and the days of gate history planned by the simulator's shift plan
// and played through gate::Gate day by day.
#include "app/demo_district_seeder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <future>
#include <string_view>

#include "sim/shift_plan.h"

namespace zhizhi::app::demo {

using nlohmann::json;

Status Seeder::MakeDevices() {
  json file = {{"generated_by", "zhizhi demo"},
               {"note", "gate terminal tokens of the demo district, for serve --simulate"},
               {"devices", json::array()}};
  for (Site& site : sites_) {
    if (site.status != "active" && site.status != "suspended") continue;
    for (int g = 0; g < site.gates; ++g) {
      for (const char* direction : {"in", "out"}) {
        gate::DeviceDraft d;
        d.serial = site.code + "-G" + std::to_string(g + 1) + "-" +
                   (std::string_view(direction) == "in" ? "IN" : "OUT");
        d.direction = direction;
        d.zone = std::to_string(g + 1) + "号门";
        ZZ_ASSIGN_OR_RETURN(json device, p_.gate()->RegisterDevice(site.code, d));
        site.devices.push_back(
            Device{device["id"].get<std::int64_t>(), d.serial, direction, *d.zone, g});
        file["devices"].push_back({{"project_code", site.code},
                                   {"id", device["id"]},
                                   {"serial", d.serial},
                                   {"direction", direction},
                                   {"zone", *d.zone},
                                   {"token", device["token"]}});
        ++summary_.devices;
      }
    }
  }
  // Terminals of other makers at the first active site, for serve --simulate to play in their
  // own protocols (docs/terminals.md): a Uface terminal at the way in (its LAN API on a loopback
  // port, for the roster) and a ZKTeco terminal at the way out.
  file["vendor_devices"] = json::array();
  for (Site& site : sites_) {
    if (site.status != "active") continue;
    gate::DeviceDraft uface;
    uface.serial = site.code + "-UFACE-IN";
    uface.direction = "in";
    uface.zone = "宇泛人脸机";
    uface.vendor = "uface";
    uface.address = "127.0.0.1:" + std::to_string(kDemoUfacePort);
    uface.password = "demo-uface";
    ZZ_ASSIGN_OR_RETURN(json u, p_.gate()->RegisterDevice(site.code, uface));
    file["vendor_devices"].push_back({{"vendor", "uface"},
                                      {"project_code", site.code},
                                      {"id", u["id"]},
                                      {"serial", uface.serial},
                                      {"callback_url", u["callback_url"]},
                                      {"device_port", kDemoUfacePort},
                                      {"password", *uface.password}});
    gate::DeviceDraft zk;
    zk.serial = site.code + "ZKOUT";
    zk.direction = "out";
    zk.zone = "中控考勤机";
    zk.vendor = "zkteco";
    ZZ_ASSIGN_OR_RETURN(json z, p_.gate()->RegisterDevice(site.code, zk));
    file["vendor_devices"].push_back({{"vendor", "zkteco"},
                                      {"project_code", site.code},
                                      {"id", z["id"]},
                                      {"serial", zk.serial}});
    summary_.devices += 2;
    break;
  }
  const std::string path = p_.data_dir() + "/" + kDemoDevicesFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + path);
  const std::string text = file.dump(1);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return Status::Internal("cannot write " + path);
  Progress("gate: " + std::to_string(summary_.devices) + " terminals registered");
  return Status::Ok();
}

// 30 days of passes, then today up to now, played through the gate day by day.
Status Seeder::History() {
  std::vector<size_t> playing;
  for (size_t i = 0; i < sites_.size(); ++i) {
    if (sites_[i].status == "active" && !sites_[i].devices.empty()) playing.push_back(i);
  }
  // What the gate thinks of everyone now (the terminals' roster).
  std::vector<std::unordered_set<std::int64_t>> roster(playing.size());
  for (size_t k = 0; k < playing.size(); ++k) {
    security::Principal device;
    device.device_id = sites_[playing[k]].devices.front().id;
    ZZ_ASSIGN_OR_RETURN(json r, p_.gate()->Roster(device, 0));
    for (const json& a : r["allowed"])
      roster[k].insert(a["person_id"].get<std::int64_t>());
  }
  const std::int64_t now = NowUnixMs();
  // Plan the next day while the writer stores the current one.
  std::atomic<double> plan_seconds{0};
  double wait_seconds = 0, store_seconds = 0;
  auto plan = [&](int back) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = PlanDay(playing, roster, today_.AddDays(-back), now);
    plan_seconds = plan_seconds + Seconds(t0);
    return out;
  };
  std::future<std::vector<gate::DevicePass>> next =
      std::async(std::launch::async, plan, o_.history_days);
  for (int back = o_.history_days; back >= 0; --back) {
    const Date day = today_.AddDays(-back);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<gate::DevicePass> passes = next.get();
    wait_seconds += Seconds(t0);
    if (back > 0) next = std::async(std::launch::async, plan, back - 1);
    if (back == 1) AddImpossibleTravel(day, passes);
    const auto t1 = std::chrono::steady_clock::now();
    ZZ_ASSIGN_OR_RETURN(gate::PassTally tally, p_.gate()->RecordPasses(passes));
    store_seconds += Seconds(t1);
    summary_.passes += static_cast<std::int64_t>(passes.size());
    summary_.allowed += tally.allowed;
    summary_.denied += tally.denied;
    summary_.rejected += tally.rejected;
    // Those who stayed past the shift are clocked out at 04:00 the next morning.
    const std::int64_t cutoff = sim::LocalMinuteToUnixMs(day.AddDays(1), 4 * 60);
    if (cutoff <= now) ZZ_RETURN_IF_ERROR(p_.gate()->ClockOutAll(cutoff).status());
    if (back % 5 == 0) {
      char line[160];
      std::snprintf(line, sizeof line,
                    "gate: %s played, %lld passes so far (planning %.1f s, waiting for plans "
                    "%.1f s, storing %.1f s)",
                    day.ToString().c_str(), static_cast<long long>(summary_.passes),
                    plan_seconds.load(), wait_seconds, store_seconds);
      Progress(line);
    }
  }
  return Status::Ok();
}

// The passes of one day at every playing site (only those before `now` today).
std::vector<gate::DevicePass> Seeder::PlanDay(
    const std::vector<size_t>& playing, const std::vector<std::unordered_set<std::int64_t>>& roster,
    const Date day, std::int64_t now) const {
  const bool sunday = (day.DaysSinceEpoch() + 4) % 7 == 0;  // 1970-01-01 was a Thursday
  std::vector<sim::SimSite> sim_sites;
  for (size_t k = 0; k < playing.size(); ++k) {
    const Site& site = sites_[playing[k]];
    sim::SimSite s;
    s.project = site.code;
    for (const Member& m : site.members) {
      if (m.entry > day) continue;
      if (absent_.count(m.person) && day > today_.AddDays(-12)) continue;
      if (m.exit && *m.exit <= day) {
        if (day.DaysSinceEpoch() - m.exit->DaysSinceEpoch() < 14 &&
            sim::KeepsComingAfterExit(m.person)) {
          s.exited.push_back(m.person);
        }
        continue;
      }
      // Sundays: about half the workers rest.
      if (sunday && !m.manager &&
          (static_cast<std::uint64_t>(m.person) * 2654435761u + day.DaysSinceEpoch()) % 100 < 45) {
        continue;
      }
      sim::SimWorker w;
      w.person_id = m.person;
      w.manager = m.manager;
      w.may_pass = roster[k].count(m.person) > 0;
      w.id_number = m.id_number;
      s.workers.push_back(std::move(w));
    }
    sim_sites.push_back(std::move(s));
  }
  const sim::ShiftPlan plan =
      sim::PlanShiftDay(sim_sites, day, /*offline_replay=*/false,
                        o_.seed ^ static_cast<std::uint64_t>(day.DaysSinceEpoch()));
  std::vector<gate::DevicePass> passes;
  passes.reserve(plan.passes.size());
  std::int64_t n = 0;
  for (const sim::PlannedPass& pp : plan.passes) {
    if (pp.time_ms > now - 1000) continue;  // the rest of today is for serve --simulate
    const Site& site = sites_[playing[static_cast<size_t>(pp.site)]];
    const int gate = static_cast<int>(pp.person_id % site.gates);
    const char* direction = pp.entering ? "in" : "out";
    const Device* device = nullptr;
    for (const Device& d : site.devices) {
      if (d.gate == gate && d.direction == direction) device = &d;
    }
    if (device == nullptr) continue;
    gate::DevicePass dp;
    dp.device_id = device->id;
    dp.event.event_id = "h" + day.ToString() + "-" + std::to_string(++n);
    dp.event.time = Timestamp{pp.time_ms, kChinaUtcOffsetMinutes};
    if (pp.id_number) {
      dp.event.id_number = *pp.id_number;
      dp.event.pass_mode = 5;
    } else {
      dp.event.person_id = pp.person_id;
      dp.event.score = std::round(pp.score * 1000) / 1000;
      dp.event.liveness = true;
      dp.event.pass_mode = 1;
    }
    passes.push_back(std::move(dp));
  }
  return passes;
}

}  // namespace zhizhi::app::demo

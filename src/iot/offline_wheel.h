// Offline detection for hundreds of thousands of devices without a timer per device (issue 27):
// a timing wheel of one-second slots. Each device is in at most one slot — the second its
// silence would make it offline — so memory is one entry per device and a message costs O(1):
// Seen() only records the time; when the slot comes round, a device heard from since is moved
// to its new second instead of being reported.
//
//   OfflineWheel wheel(now_ms);
//   wheel.Seen(device, now_ms, /*timeout_ms=*/90'000);   // every message
//   for (auto id : wheel.Advance(now_ms)) …               // every second: the devices gone silent
//
// A device reported offline stays out of the wheel until it is seen again (Seen() then says it
// came back). Times are milliseconds; the wheel's horizon is `slots` seconds (timeouts longer
// than that wait extra turns, still one entry each).
//
// Thread-safety: none; one thread (the IoT module's) owns a wheel.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace zhizhi::iot {

class OfflineWheel {
 public:
  explicit OfflineWheel(std::int64_t now_ms, int slots = 3600);

  // The device sent something at `now_ms`; it is offline once silent for `timeout_ms`. True when
  // it had been reported offline (it came back).
  bool Seen(std::uint64_t device, std::int64_t now_ms, std::int64_t timeout_ms);
  // Forgets a device (deregistered).
  void Remove(std::uint64_t device);
  // Moves the wheel to `now_ms`: the devices whose silence reached their timeout since the last
  // call, each once.
  std::vector<std::uint64_t> Advance(std::int64_t now_ms);

  std::size_t devices() const { return devices_.size(); }
  std::size_t offline() const { return offline_; }

 private:
  struct Device {
    std::int64_t last_seen = 0;
    std::int64_t timeout = 0;
    std::int64_t due_second = -1;  // the slot's second it waits in; -1 when offline
  };
  void Schedule(std::uint64_t id, Device& d);

  std::vector<std::vector<std::uint64_t>> slots_;
  std::unordered_map<std::uint64_t, Device> devices_;
  std::int64_t second_;  // the next second to look at
  std::size_t offline_ = 0;
};

}  // namespace zhizhi::iot

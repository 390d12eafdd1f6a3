#include "iot/offline_wheel.h"

#include <algorithm>

namespace zhizhi::iot {

namespace {

std::int64_t SecondOf(std::int64_t ms) {
  return ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
}

}  // namespace

OfflineWheel::OfflineWheel(std::int64_t now_ms, int slots)
    : slots_(static_cast<std::size_t>(std::max(slots, 2))), second_(SecondOf(now_ms)) {}

void OfflineWheel::Schedule(std::uint64_t id, Device& d) {
  // The first second at which the silence has lasted the timeout; never a second already passed.
  d.due_second = std::max(SecondOf(d.last_seen + d.timeout + 999), second_);
  slots_[static_cast<std::size_t>(d.due_second % static_cast<std::int64_t>(slots_.size()))]
      .push_back(id);
}

bool OfflineWheel::Seen(std::uint64_t id, std::int64_t now_ms, std::int64_t timeout_ms) {
  auto [it, added] = devices_.try_emplace(id);
  Device& d = it->second;
  const bool was_offline = !added && d.due_second < 0;
  d.last_seen = std::max(d.last_seen, now_ms);
  d.timeout = std::max<std::int64_t>(timeout_ms, 1000);
  if (added || was_offline) {
    if (was_offline) --offline_;
    Schedule(id, d);
  }
  // Otherwise it waits in its slot; when the slot comes round it moves on by itself.
  return was_offline;
}

void OfflineWheel::Remove(std::uint64_t id) {
  auto it = devices_.find(id);
  if (it == devices_.end()) return;
  if (it->second.due_second < 0) --offline_;
  devices_.erase(it);  // its slot entry, if any, finds nothing and is dropped
}

std::vector<std::uint64_t> OfflineWheel::Advance(std::int64_t now_ms) {
  std::vector<std::uint64_t> gone;
  const std::int64_t until = SecondOf(now_ms);
  const auto n = static_cast<std::int64_t>(slots_.size());
  for (; second_ <= until; ++second_) {
    std::vector<std::uint64_t> slot;
    slot.swap(slots_[static_cast<std::size_t>(second_ % n)]);
    for (std::uint64_t id : slot) {
      auto it = devices_.find(id);
      if (it == devices_.end()) continue;  // removed
      Device& d = it->second;
      if (d.due_second != second_) {
        // An entry a whole turn early (a timeout longer than the wheel) goes back in its slot;
        // any other is a stale one (the device was removed and added again: it has its own).
        if (d.due_second > second_ && (d.due_second - second_) % n == 0)
          slots_[static_cast<std::size_t>(d.due_second % n)].push_back(id);
        continue;
      }
      if (SecondOf(d.last_seen + d.timeout + 999) > second_) {
        Schedule(id, d);  // heard from since: its new second is a later one
        continue;
      }
      d.due_second = -1;
      ++offline_;
      gone.push_back(id);
    }
  }
  return gone;
}

}  // namespace zhizhi::iot

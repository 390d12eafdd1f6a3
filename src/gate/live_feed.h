// LiveFeed: fan-out of gate decisions to WebSocket subscribers, per project and district-wide,
// for the command screen. Publishing never blocks on a subscriber (peers queue and drop slow
// readers); closed peers are pruned as messages go out.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/router.h"

namespace zhizhi::gate {

class LiveFeed {
 public:
  // An empty project subscribes to every project.
  void Subscribe(const std::string& project, std::shared_ptr<http::WebSocketPeer> peer);
  void Publish(const std::string& project, const std::string& message);
  // To the district-wide subscribers only (what belongs to no project: an IoT alarm at an
  // address).
  void PublishDistrict(const std::string& message);
  size_t subscribers() const;
  // Cheap check before building a message: false when no peer ever subscribed or all left.
  bool has_subscribers() const { return any_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mu_;
  std::atomic<bool> any_{false};
  std::unordered_map<std::string, std::vector<std::weak_ptr<http::WebSocketPeer>>> peers_;
};

}  // namespace zhizhi::gate

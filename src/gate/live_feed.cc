#include "gate/live_feed.h"

#include <algorithm>

namespace zhizhi::gate {

void LiveFeed::Subscribe(const std::string& project, std::shared_ptr<http::WebSocketPeer> peer) {
  std::lock_guard lock(mu_);
  peers_[project].push_back(peer);
  any_ = true;
}

void LiveFeed::Publish(const std::string& project, const std::string& message) {
  std::vector<std::shared_ptr<http::WebSocketPeer>> targets;
  {
    std::lock_guard lock(mu_);
    for (const std::string* key : {&project, static_cast<const std::string*>(nullptr)}) {
      auto it = peers_.find(key ? *key : std::string());
      if (it == peers_.end()) continue;
      auto& list = it->second;
      list.erase(std::remove_if(list.begin(), list.end(),
                                [&](const std::weak_ptr<http::WebSocketPeer>& weak) {
                                  auto peer = weak.lock();
                                  if (!peer || !peer->open()) return true;
                                  targets.push_back(std::move(peer));
                                  return false;
                                }),
                 list.end());
    }
  }
  for (auto& peer : targets)
    peer->Send(message);
}

void LiveFeed::PublishDistrict(const std::string& message) {
  // A key no project has: only the district-wide list is looked at.
  Publish(std::string(1, '\0'), message);
}

size_t LiveFeed::subscribers() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, list] : peers_)
    n += list.size();
  return n;
}

}  // namespace zhizhi::gate

// WaitUntil: how a test waits for something that happens in its own time — a row written by a
// server thread, a subscription taken after a handshake, a line in the log. It polls `condition`
// until it holds or `timeout` has passed and says which, so the test can fail with what it was
// waiting for. A fixed sleep is no substitute: on a slow machine the thing has not happened yet,
// on a fast one the test waits for nothing.
//
//   ASSERT_TRUE(WaitUntil([&] { return server.Count(sql) == 1; }, 10s)) << "no retention run";
//
// Thread-safety: `condition` runs on the calling thread only.
#pragma once

#include <chrono>
#include <thread>

namespace zhizhi::e2e {

template <typename Condition>
bool WaitUntil(Condition condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds every = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace zhizhi::e2e

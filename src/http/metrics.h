// Prometheus metrics for the HTTP server: request counts by route and status, and latency
// histograms by route. Routes are known at start, so counters live in fixed arrays of atomics:
// observing a request takes no lock.
//
// Thread-safety: Observe() and Render() may run concurrently from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace zhizhi::http {

class Metrics {
 public:
  // `labels[i]` is "METHOD pattern" of route i; one extra slot counts unmatched requests.
  explicit Metrics(std::vector<std::pair<std::string, std::string>> routes);

  static constexpr int kUnmatched = -1;
  void Observe(int route, int status, double seconds);

  // Extra gauges/counters appended to the page (e.g. database commits); each returns text lines.
  void AddCollector(std::function<std::string()> collector);

  std::string Render() const;

 private:
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
  struct RouteStats {
    std::array<std::atomic<std::uint64_t>, 600> by_status{};
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_micros{0};
  };

  std::vector<std::pair<std::string, std::string>> routes_;  // method, pattern
  std::vector<std::unique_ptr<RouteStats>> stats_;           // routes + unmatched
  std::vector<std::function<std::string()>> collectors_;
};

}  // namespace zhizhi::http

#include "http/metrics.h"

#include <sstream>

namespace zhizhi::http {

Metrics::Metrics(std::vector<std::pair<std::string, std::string>> routes)
    : routes_(std::move(routes)) {
  routes_.emplace_back("", "unmatched");
  for (size_t i = 0; i < routes_.size(); ++i)
    stats_.push_back(std::make_unique<RouteStats>());
}

void Metrics::Observe(int route, int status, double seconds) {
  const size_t index = route < 0 ? stats_.size() - 1 : static_cast<size_t>(route);
  RouteStats& s = *stats_[index];
  if (status >= 100 && status < 600) s.by_status[status].fetch_add(1, std::memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket])
    ++bucket;
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sum_micros.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::AddCollector(std::function<std::string()> collector) {
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  std::ostringstream out;
  out << "# HELP zhizhi_http_requests_total HTTP requests by route and status.\n"
         "# TYPE zhizhi_http_requests_total counter\n";
  for (size_t r = 0; r < routes_.size(); ++r) {
    for (int status = 100; status < 600; ++status) {
      const auto n = stats_[r]->by_status[status].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out << "zhizhi_http_requests_total{method=\"" << routes_[r].first << "\",route=\""
          << routes_[r].second << "\",status=\"" << status << "\"} " << n << "\n";
    }
  }
  out << "# HELP zhizhi_http_request_duration_seconds Time from request read to response ready.\n"
         "# TYPE zhizhi_http_request_duration_seconds histogram\n";
  for (size_t r = 0; r < routes_.size(); ++r) {
    const RouteStats& s = *stats_[r];
    const auto count = s.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string labels =
        "method=\"" + routes_[r].first + "\",route=\"" + routes_[r].second + "\"";
    std::uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      out << "zhizhi_http_request_duration_seconds_bucket{" << labels << ",le=\"";
      if (b < kBuckets.size()) {
        out << kBuckets[b];
      } else {
        out << "+Inf";
      }
      out << "\"} " << cumulative << "\n";
    }
    out << "zhizhi_http_request_duration_seconds_sum{" << labels << "} "
        << static_cast<double>(s.sum_micros.load(std::memory_order_relaxed)) / 1e6 << "\n";
    out << "zhizhi_http_request_duration_seconds_count{" << labels << "} " << count << "\n";
  }
  for (const auto& collector : collectors_)
    out << collector();
  return out.str();
}

}  // namespace zhizhi::http

#include "sim/latency.h"

#include <algorithm>
#include <cmath>

namespace zhizhi::sim {

LatencySummary SummariseLatencies(std::vector<std::uint32_t>& micros) {
  LatencySummary s;
  s.count = micros.size();
  if (micros.empty()) return s;
  std::sort(micros.begin(), micros.end());
  auto rank = [&](double p) {
    const size_t n = micros.size();
    const size_t index = static_cast<size_t>(std::ceil(p * static_cast<double>(n)));
    return micros[std::clamp<size_t>(index, 1, n) - 1] / 1000.0;
  };
  double total = 0;
  for (std::uint32_t m : micros)
    total += m;
  s.mean_ms = total / static_cast<double>(micros.size()) / 1000.0;
  s.p50_ms = rank(0.50);
  s.p90_ms = rank(0.90);
  s.p99_ms = rank(0.99);
  s.max_ms = micros.back() / 1000.0;
  return s;
}

}  // namespace zhizhi::sim

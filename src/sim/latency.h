// Latency percentiles of a run, from per-request samples in microseconds.
//
// Thread-safety: pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zhizhi::sim {

struct LatencySummary {
  size_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Nearest-rank percentiles; all zero for no samples. Sorts `micros`.
LatencySummary SummariseLatencies(std::vector<std::uint32_t>& micros);

}  // namespace zhizhi::sim

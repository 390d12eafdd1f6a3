// IoT offline detection over the district's 580,000 devices (docs/iot.md, docs/benchmarks.md):
//   - BM_WheelSeen: what a message costs the offline wheel (record its time);
//   - BM_WheelSecond: one second of the wheel in the steady state — every device reporting every
//     60 s with a 180 s timeout, so each second ~9,700 messages come and ~9,700 slot entries move
//     on, and 100 devices fall silent;
//   - BM_ReferenceMapAssign: the least a message can cost, the device's last-seen time written
//     into a hash map, measured in the same run.
#include <random>
#include <unordered_map>

#include <benchmark/benchmark.h>

#include "iot/offline_wheel.h"

namespace zhizhi::iot {
namespace {

constexpr std::uint64_t kDevices = 580'000;

void BM_WheelSeen(benchmark::State& state) {
  OfflineWheel wheel(0);
  for (std::uint64_t id = 0; id < kDevices; ++id)
    wheel.Seen(id, 0, 180'000);
  std::mt19937_64 rng(1);
  std::int64_t now = 0;
  for (auto _ : state) {
    now += 1;
    benchmark::DoNotOptimize(wheel.Seen(rng() % kDevices, now / 100, 180'000));
  }
}
BENCHMARK(BM_WheelSeen);

void BM_ReferenceMapAssign(benchmark::State& state) {
  std::unordered_map<std::uint64_t, std::int64_t> last;
  for (std::uint64_t id = 0; id < kDevices; ++id)
    last[id] = 0;
  std::mt19937_64 rng(1);
  std::int64_t now = 0;
  for (auto _ : state) {
    now += 1;
    last[rng() % kDevices] = now / 100;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_ReferenceMapAssign);

void BM_WheelSecond(benchmark::State& state) {
  OfflineWheel wheel(0);
  // Spread over a minute: device i reports at second i % 60 of every minute; 100 never again.
  for (std::uint64_t id = 0; id < kDevices; ++id)
    wheel.Seen(id, static_cast<std::int64_t>(id % 60) * 1000, 180'000);
  std::int64_t second = 60;
  std::size_t gone = 0;
  for (auto _ : state) {
    for (std::uint64_t id = static_cast<std::uint64_t>(second % 60); id < kDevices; id += 60)
      if (id >= 100) wheel.Seen(id, second * 1000, 180'000);
    gone += wheel.Advance(second * 1000).size();
    ++second;
  }
  state.counters["went_offline"] = static_cast<double>(gone);
}
BENCHMARK(BM_WheelSecond)->Unit(benchmark::kMillisecond)->Iterations(600);

}  // namespace
}  // namespace zhizhi::iot

BENCHMARK_MAIN();

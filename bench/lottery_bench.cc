// The lottery's quality bar (docs/lottery.md): 1,544 households × three pools drawn, and a
// record verified, in under a second. References measured in the same run: SHA-256 of the
// canonical inputs alone, and a bare std::shuffle of the same households and flats (the least a
// draw can cost, without eligibility, tiers or a record).
#include <algorithm>
#include <random>

#include <benchmark/benchmark.h>

#include "lottery/demo_inputs.h"
#include "lottery/draw.h"
#include "lottery/record.h"

namespace zhizhi::lottery {
namespace {

const std::string kSecret(64, '7');

void BM_Draw(benchmark::State& state) {
  auto inputs = Inputs::FromJson(DemoInputs(static_cast<int>(state.range(0))));
  const std::string seed = Sha256Hex("bench");
  for (auto _ : state)
    benchmark::DoNotOptimize(RunDraw(*inputs, seed));
  state.counters["households"] = static_cast<double>(inputs->households.size());
}
BENCHMARK(BM_Draw)->Arg(1544)->Arg(15440)->Unit(benchmark::kMillisecond);

void BM_VerifyRecord(benchmark::State& state) {
  auto record = DrawRecord(DemoInputs(static_cast<int>(state.range(0))), kSecret, "07 23 41");
  for (auto _ : state) {
    const Verdict verdict = VerifyRecord(*record);
    if (!verdict.verified) state.SkipWithError(verdict.difference.c_str());
  }
}
BENCHMARK(BM_VerifyRecord)->Arg(1544)->Arg(15440)->Unit(benchmark::kMillisecond);

void BM_ReferenceHashInputs(benchmark::State& state) {
  const std::string canonical = *CanonicalJson(DemoInputs(static_cast<int>(state.range(0))));
  for (auto _ : state)
    benchmark::DoNotOptimize(Sha256Hex(canonical));
}
BENCHMARK(BM_ReferenceHashInputs)->Arg(1544)->Unit(benchmark::kMillisecond);

void BM_ReferenceShuffle(benchmark::State& state) {
  auto inputs = Inputs::FromJson(DemoInputs(static_cast<int>(state.range(0))));
  std::vector<std::string> households, flats;
  for (const auto& h : inputs->households)
    households.push_back(h.id);
  for (const auto& f : inputs->flats)
    flats.push_back(f.id);
  std::mt19937_64 random(1);
  for (auto _ : state) {
    std::shuffle(households.begin(), households.end(), random);
    std::shuffle(flats.begin(), flats.end(), random);
    benchmark::DoNotOptimize(households.data());
    benchmark::DoNotOptimize(flats.data());
  }
}
BENCHMARK(BM_ReferenceShuffle)->Arg(1544)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zhizhi::lottery

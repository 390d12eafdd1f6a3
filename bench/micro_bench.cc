// Micro-benchmarks of the per-record work behind registration and import: checksums, the field
// cipher, and parsing a person from JSON. Figures only; see docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include "base/field_reader.h"
#include "base/resident_id.h"
#include "base/uscc.h"
#include "gate/gate_event.h"
#include "registry/registry_input.h"
#include "security/field_cipher.h"
#include "security/principal.h"

namespace {

void BM_ResidentIdParse(benchmark::State& state) {
  for (auto _ : state) {
    auto id = zhizhi::ResidentIdNumber::Parse("11010519491231002X");
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_ResidentIdParse);

void BM_UsccParse(benchmark::State& state) {
  for (auto _ : state) {
    auto code = zhizhi::UnifiedSocialCreditCode::Parse("91350100M000100Y43");
    benchmark::DoNotOptimize(code);
  }
}
BENCHMARK(BM_UsccParse);

void BM_SealIdNumber(benchmark::State& state) {
  zhizhi::security::FieldCipher::Key key{};
  key.fill(7);
  auto cipher = zhizhi::security::FieldCipher::FromMasterKey(key);
  for (auto _ : state)
    benchmark::DoNotOptimize(cipher.Seal("11010519491231002X"));
}
BENCHMARK(BM_SealIdNumber);

void BM_LookupHash(benchmark::State& state) {
  zhizhi::security::FieldCipher::Key key{};
  key.fill(7);
  auto cipher = zhizhi::security::FieldCipher::FromMasterKey(key);
  for (auto _ : state)
    benchmark::DoNotOptimize(cipher.LookupHash("01:11010519491231002X"));
}
BENCHMARK(BM_LookupHash);

void BM_ParsePersonJson(benchmark::State& state) {
  const std::string body =
      R"({"id_type":"01","id_number":"11010519491231002X","name":"张三","phone":"13800138000",)"
      R"("nation":"汉族","id_address":"浙江省杭州市钱塘区下沙街道1号"})";
  for (auto _ : state) {
    auto json = zhizhi::ParseJsonObject(body);
    zhizhi::JsonFieldReader reader(*json);
    auto person = zhizhi::registry::ParsePerson(reader);
    benchmark::DoNotOptimize(person);
  }
}
BENCHMARK(BM_ParsePersonJson);

// A gate event as terminals (and bench/gate_events.lua) send it: through a JSON document, and
// through the flat reader the gate's endpoint uses.
const std::string kGateEvent =
    R"({"event_id":"w1764000000123-1-48213","time":"2026-11-24T07:00:01Z","person_id":4211,)"
    R"("score":0.93,"direction":"in"})";

void BM_ParseGateEventDocument(benchmark::State& state) {
  for (auto _ : state) {
    auto json = zhizhi::ParseJsonObject(kGateEvent);
    zhizhi::JsonFieldReader reader(*json);
    auto event = zhizhi::gate::ParseGateEvent(reader);
    benchmark::DoNotOptimize(event);
  }
}
BENCHMARK(BM_ParseGateEventDocument);

void BM_ParseGateEventFlat(benchmark::State& state) {
  for (auto _ : state) {
    zhizhi::FlatJsonFieldReader reader;
    auto status = reader.Parse(kGateEvent);
    auto event = zhizhi::gate::ParseGateEvent(reader);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(event);
  }
}
BENCHMARK(BM_ParseGateEventFlat);

void BM_MaskIdNumber(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(zhizhi::security::MaskIdNumber("11010519491231002X"));
}
BENCHMARK(BM_MaskIdNumber);

}  // namespace

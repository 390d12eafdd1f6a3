// libFuzzer target: what IoT devices publish before any state is touched — GB/T 26875.3 frames of
// fire-safety devices (iot/gbt26875.h) and the JSON telemetry of tower cranes (iot/crane.h) and
// of smoke detectors, electrical-fire monitors and water-pressure sensors (iot/telemetry.h).
//
// Invariants checked beyond "no crash, no sanitizer report": a frame that decodes used no more
// than the input and at most 1,024 bytes of application data, and encodes back to exactly the
// bytes it was read from; application data that decodes has 1–255 objects of one known type,
// every clock reading real, and encodes again; a crane reading that parses has only finite
// measures within their ranges, and judging it never fails.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iot/crane.h"
#include "iot/gbt26875.h"
#include "iot/telemetry.h"

namespace {

using namespace zhizhi::iot::gbt26875;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t consumed = 0;
  auto frame = DecodeFrame(input, &consumed);
  if (frame.ok()) {
    Check(consumed <= size && frame->app_data.size() <= kMaxAppData);
    Check(EncodeFrame(*frame) == input.substr(0, consumed));
    Check(ToRfc3339(frame->time).has_value());
  }
  // The application data alone, as a frame's payload.
  auto app = DecodeAppData(frame.ok() ? std::string_view(frame->app_data) : input);
  if (app.ok()) {
    const std::size_t objects =
        app->systems.size() + app->parts.size() + app->analogs.size() + app->uitd.size();
    Check(objects >= 1 && objects <= 255);
    Check(app->type == 1 || app->type == 2 || app->type == 3 || app->type == 21);
    for (const auto& p : app->parts)
      Check(ToRfc3339(p.time).has_value());
    Check(EncodeAppData(*app).ok());
  }
  auto crane = zhizhi::iot::ParseCraneReading(input);
  if (crane.ok()) {
    Check(!crane->moment_ratio || (*crane->moment_ratio >= 0 && *crane->moment_ratio <= 5));
    Check(!crane->load_t || (*crane->load_t >= 0 && *crane->load_t <= 100));
    const auto findings = zhizhi::iot::JudgeCrane(
        zhizhi::iot::CraneLimits::Default().For("QTZ80 (TC6010-6)"), *crane);
    Check(findings.size() <= 4);
  }
  // The JSON telemetry of the other kinds: a reading that parses has only known, finite measures.
  for (const char* kind : {"smoke_detector", "electrical_fire", "water_pressure"}) {
    auto t = zhizhi::iot::ParseTelemetry(kind, input);
    if (!t.ok()) continue;
    Check(!t->values.empty() && t->values.size() <= 4);
    for (const auto& [name, value] : t->values)
      Check(value == value && value >= -40 && value <= 5000);
  }
  return 0;
}

// libFuzzer target: what a fire-safety device publishes (GB/T 26875.3 frames, iot/gbt26875.h)
// before any state is touched.
//
// Invariants checked beyond "no crash, no sanitizer report": a frame that decodes used no more
// than the input and at most 1,024 bytes of application data, and encodes back to exactly the
// bytes it was read from; application data that decodes has 1–255 objects of one known type,
// every clock reading real, and encodes again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iot/gbt26875.h"

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
  return 0;
}

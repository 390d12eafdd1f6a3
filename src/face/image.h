// Face photos as they arrive: JPEG bytes (base64-decoded by base/base64.h) → a decoded BGR image,
// each step checked, because every photo comes from outside (a terminal, an ID reader, a browser).
//
// JPEG only: the first bytes must be a JPEG start-of-image marker, the frame header is read before
// anything is decoded so that a small file claiming a huge picture (a decompression bomb) is
// refused without allocating it, and the photo is decoded with libjpeg directly so that corrupt
// or truncated data — which libjpeg would only warn about and fill up with grey — is refused.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "base/status.h"

namespace zhizhi::face {

struct ImageLimits {
  size_t max_bytes = 4 << 20;  // JPEG file size
  int max_side = 4096;         // pixels, either dimension
  std::int64_t max_pixels = 12'000'000;
  int min_side = 32;  // nothing smaller can hold a usable face
};

struct JpegInfo {
  int width = 0;
  int height = 0;
  int components = 0;
};

// Checks the JPEG signature and reads the frame header (SOFn). 400 when it is not a JPEG or the
// header is broken; 422 image_too_large past the limits, image_too_small below them.
Result<JpegInfo> ProbeJpeg(std::string_view bytes, const ImageLimits& limits,
                           const std::string& field);

// ProbeJpeg, then decodes to 8-bit BGR. 400 when the data does not decode without a warning.
Result<cv::Mat> DecodeJpeg(std::string_view bytes, const ImageLimits& limits,
                           const std::string& field);

}  // namespace zhizhi::face

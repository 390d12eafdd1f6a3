#include "face/image.h"

#include <array>
#include <vector>

#include <opencv2/imgcodecs.hpp>

namespace zhizhi::face {

Result<JpegInfo> ProbeJpeg(std::string_view bytes, const ImageLimits& limits,
                           const std::string& field) {
  if (bytes.size() > limits.max_bytes) {
    return Status::Rule("image_too_large", field,
                        "the photo is " + std::to_string(bytes.size()) + " bytes; at most " +
                            std::to_string(limits.max_bytes) + " are accepted");
  }
  auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() < 4 || byte(0) != 0xFF || byte(1) != 0xD8 || byte(2) != 0xFF) {
    return Status::InvalidArgument(field, field + " must be a JPEG photo (base64 of a .jpg file)");
  }
  // Walk the marker segments up to the frame header.
  size_t pos = 2;
  while (pos + 4 <= bytes.size()) {
    if (byte(pos) != 0xFF) break;
    const unsigned char marker = byte(pos + 1);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;  // markers without a length
      continue;
    }
    const size_t length = (static_cast<size_t>(byte(pos + 2)) << 8) | byte(pos + 3);
    if (length < 2 || pos + 2 + length > bytes.size()) break;
    const bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (length < 8) break;
      JpegInfo info;
      info.height = (byte(pos + 5) << 8) | byte(pos + 6);
      info.width = (byte(pos + 7) << 8) | byte(pos + 8);
      info.components = byte(pos + 9);
      if (info.width == 0 || info.height == 0) break;
      if (info.width > limits.max_side || info.height > limits.max_side ||
          static_cast<std::int64_t>(info.width) * info.height > limits.max_pixels) {
        return Status::Rule(
            "image_too_large", field,
            "the photo is " + std::to_string(info.width) + "×" + std::to_string(info.height) +
                " pixels; at most " + std::to_string(limits.max_side) + " per side and " +
                std::to_string(limits.max_pixels / 1'000'000) + " megapixels are accepted");
      }
      if (info.width < limits.min_side || info.height < limits.min_side) {
        return Status::Rule("image_too_small", field,
                            "the photo is " + std::to_string(info.width) + "×" +
                                std::to_string(info.height) + " pixels; a face needs at least " +
                                std::to_string(limits.min_side) + " per side");
      }
      return info;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // scan or end before any frame header
    pos += 2 + length;
  }
  return Status::InvalidArgument(field, field + " is not a readable JPEG (no frame header)");
}

Result<cv::Mat> DecodeJpeg(std::string_view bytes, const ImageLimits& limits,
                           const std::string& field) {
  ZZ_ASSIGN_OR_RETURN(JpegInfo info, ProbeJpeg(bytes, limits, field));
  // libjpeg fills a truncated file up with grey instead of failing: require the end-of-image
  // marker (some cameras pad after it, so look at the tail, not the last two bytes).
  const size_t tail = std::min<size_t>(bytes.size(), 4096);
  if (bytes.substr(bytes.size() - tail).find("\xFF\xD9") == std::string_view::npos) {
    return Status::InvalidArgument(field, field + " is a truncated JPEG (no end-of-image marker)");
  }
  cv::Mat image;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    image = cv::imdecode(raw, cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    image.release();
  }
  if (image.empty() || image.cols != info.width || image.rows != info.height) {
    return Status::InvalidArgument(field, field + " is a damaged JPEG that does not decode");
  }
  return image;
}

}  // namespace zhizhi::face

#include "face/image.h"

#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

namespace zhizhi::face {
namespace {

std::string Jpeg(int width, int height, int quality = 90) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(40, 120, 200));
  std::vector<unsigned char> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(buf.begin(), buf.end());
}

TEST(ImageTest, DecodesAJpeg) {
  auto img = DecodeJpeg(Jpeg(200, 120), ImageLimits{}, "image");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->cols, 200);
  EXPECT_EQ(img->rows, 120);
  EXPECT_EQ(img->channels(), 3);
  auto info = ProbeJpeg(Jpeg(640, 480), ImageLimits{}, "image");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 640);
  EXPECT_EQ(info->height, 480);
}

TEST(ImageTest, RejectsWhatIsNotAJpeg) {
  std::vector<unsigned char> png;
  cv::imencode(".png", cv::Mat(50, 50, CV_8UC3, cv::Scalar(0, 0, 0)), png);
  for (const std::string& bad :
       {std::string(png.begin(), png.end()), std::string("GIF89a........"), std::string(),
        std::string("\xFF\xD8", 2), std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10)}) {
    auto r = DecodeJpeg(bad, ImageLimits{}, "image");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), "invalid_argument") << r.status().ToString();
    EXPECT_EQ(r.status().field(), "image");
  }
}

TEST(ImageTest, RejectsDamagedJpegs) {
  const std::string good = Jpeg(300, 200);
  // Truncated: no end-of-image marker (libjpeg would fill the rest with grey).
  auto truncated = DecodeJpeg(good.substr(0, good.size() / 2), ImageLimits{}, "image");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), "invalid_argument");
  // The entropy-coded data replaced by garbage after a valid header.
  std::string garbled = good;
  for (size_t i = good.size() / 2; i + 2 < good.size(); ++i)
    garbled[i] = static_cast<char>(0xFF);
  EXPECT_FALSE(DecodeJpeg(garbled, ImageLimits{}, "image").ok());
}

TEST(ImageTest, RefusesHugeOrTinyPicturesBeforeDecoding) {
  ImageLimits limits;
  limits.max_side = 1000;
  limits.max_pixels = 500'000;
  auto wide = ProbeJpeg(Jpeg(1200, 100), limits, "image");
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.status().code(), "image_too_large");
  auto many = ProbeJpeg(Jpeg(900, 900), limits, "image");
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), "image_too_large");
  auto tiny = ProbeJpeg(Jpeg(20, 20), limits, "image");
  ASSERT_FALSE(tiny.ok());
  EXPECT_EQ(tiny.status().code(), "image_too_small");
  limits.max_bytes = 100;
  auto bytes = ProbeJpeg(Jpeg(300, 300), limits, "image");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), "image_too_large");
  // A header that claims 60000×60000 in a few bytes (a decompression bomb) is refused by size.
  std::string bomb = Jpeg(100, 100);
  const size_t sof = bomb.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  bomb[sof + 5] = bomb[sof + 7] = static_cast<char>(0xEA);
  bomb[sof + 6] = bomb[sof + 8] = static_cast<char>(0x60);
  auto bombed = DecodeJpeg(bomb, ImageLimits{}, "image");
  ASSERT_FALSE(bombed.ok());
  EXPECT_EQ(bombed.status().code(), "image_too_large");
}

}  // namespace
}  // namespace zhizhi::face

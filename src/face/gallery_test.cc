#include "face/gallery.h"

#include <random>

#include <gtest/gtest.h>

namespace zhizhi::face {
namespace {

std::vector<float> RandomUnit(std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(kEmbeddingDim);
  for (float& x : v)
    x = normal(rng);
  Normalise(v);
  return v;
}

// `base` moved towards a random direction so that the cosine with `base` is about `cosine`:
// another photo of the same face.
std::vector<float> Near(const std::vector<float>& base, float cosine, std::mt19937& rng) {
  std::vector<float> noise = RandomUnit(rng);
  const float w = std::sqrt(1 - cosine * cosine) / cosine;
  std::vector<float> v(kEmbeddingDim);
  for (int i = 0; i < kEmbeddingDim; ++i)
    v[i] = base[i] + w * noise[i];
  Normalise(v);
  return v;
}

TEST(GalleryTest, DotIsTheCosineOfUnitVectors) {
  std::mt19937 rng(1);
  const auto a = RandomUnit(rng);
  EXPECT_NEAR(Dot(a.data(), a.data(), kEmbeddingDim), 1.0f, 1e-5);
  std::vector<float> minus(a);
  for (float& x : minus)
    x = -x;
  EXPECT_NEAR(Dot(a.data(), minus.data(), kEmbeddingDim), -1.0f, 1e-5);
  std::vector<float> zero(kEmbeddingDim, 0.0f);
  EXPECT_FALSE(Normalise(zero));
}

TEST(GalleryTest, EveryKindFindsTheSameFaceAndForgetsRemovedOnes) {
  std::mt19937 rng(7);
  std::vector<std::vector<float>> faces;
  for (int i = 0; i < 3000; ++i)
    faces.push_back(RandomUnit(rng));
  for (const std::string kind : {"exact", "int8", "hnsw", "adaptive"}) {
    SCOPED_TRACE(kind);
    auto gallery = MakeGallery(kind);
    EXPECT_EQ(gallery->Search(faces[0], 3).size(), 0u);  // empty gallery
    for (size_t i = 0; i < faces.size(); ++i)
      gallery->Add(static_cast<std::int64_t>(i + 100), faces[i]);
    EXPECT_EQ(gallery->size(), faces.size());
    int found = 0;
    for (int q = 0; q < 200; ++q) {
      const auto probe = Near(faces[static_cast<size_t>(q * 7)], 0.75f, rng);
      const auto hits = gallery->Search(probe, 3);
      ASSERT_EQ(hits.size(), 3u);
      EXPECT_GE(hits[0].score, hits[1].score);
      EXPECT_GE(hits[1].score, hits[2].score);
      if (hits[0].key == q * 7 + 100) {
        ++found;
        EXPECT_NEAR(hits[0].score,
                    Dot(probe.data(), faces[static_cast<size_t>(q * 7)].data(), kEmbeddingDim),
                    1e-4);
      }
    }
    EXPECT_GE(found, 198) << "recall@1 on 200 probes";  // exact kinds find all 200
    // Removal: the face is no longer found; the others still are (rows moved around).
    gallery->Remove(100);
    gallery->Remove(100);  // twice is harmless
    gallery->Remove(999'999);
    EXPECT_EQ(gallery->size(), faces.size() - 1);
    auto hits = gallery->Search(faces[0], 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_NE(hits[0].key, 100);
    hits = gallery->Search(faces.back(), 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].key, static_cast<std::int64_t>(faces.size() - 1 + 100));
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-4);
    // Replacing a key's vector, and re-adding a removed key.
    gallery->Add(101, faces[5]);
    gallery->Add(100, faces[0]);
    EXPECT_EQ(gallery->size(), faces.size());
    hits = gallery->Search(faces[0], 1);
    EXPECT_EQ(hits[0].key, 100);
    hits = gallery->Search(faces[5], 2);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-4);
    EXPECT_NEAR(hits[1].score, 1.0f, 1e-4);  // keys 101 and 105 hold the same vector now
  }
}

TEST(GalleryTest, AdaptiveMovesToInt8PastItsThreshold) {
  std::mt19937 rng(3);
  AdaptiveGallery gallery(50);
  for (int i = 0; i < 49; ++i)
    gallery.Add(i, RandomUnit(rng));
  EXPECT_EQ(gallery.kind(), "exact");
  const auto last = RandomUnit(rng);
  gallery.Add(49, last);
  EXPECT_EQ(gallery.kind(), "int8");
  EXPECT_EQ(gallery.Search(last, 1).at(0).key, 49);
  gallery.Remove(3);
  EXPECT_EQ(gallery.kind(), "exact");
}

TEST(GalleryTest, RejectsVectorsOfAnotherSize) {
  ExactGallery gallery;
  std::vector<float> short_vector(128, 0.1f);
  EXPECT_THROW(gallery.Add(1, short_vector), std::invalid_argument);
}

}  // namespace
}  // namespace zhizhi::face

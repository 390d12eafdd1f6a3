#include "face/gallery.h"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

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

// The int8 kernels (AVX-512 VNNI when the CPU has it, pmaddwd otherwise) against a plain sum,
// codes at the extremes included (the VNNI kernel shifts the query by 128).
TEST(GalleryTest, Int8KernelsComputeExactDotProducts) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> code(-127, 127);
  constexpr size_t kRows = 300;  // more than one scan block, not a multiple of it
  std::vector<std::int8_t> rows(kRows * kEmbeddingDim), query(kEmbeddingDim);
  for (auto& c : rows)
    c = static_cast<std::int8_t>(code(rng));
  for (auto& c : query)
    c = static_cast<std::int8_t>(code(rng));
  std::fill_n(rows.begin(), kEmbeddingDim, std::int8_t{127});                   // row 0: all max
  std::fill_n(rows.begin() + kEmbeddingDim, kEmbeddingDim, std::int8_t{-127});  // row 1: all min
  query[0] = -127;
  query[1] = 127;
  for (bool vnni : {false, true}) {
    SCOPED_TRACE(vnni ? "vnni allowed" : "portable");
    std::vector<std::int32_t> got(kRows), sums(kRows);
    for (size_t r = 0; r < kRows; ++r)
      sums[r] = internal::Int8RowSum(&rows[r * kEmbeddingDim]);
    internal::Int8Dots(query.data(), rows.data(), sums.data(), kRows, got.data(), vnni);
    for (size_t r = 0; r < kRows; ++r) {
      std::int32_t want = 0;
      for (int i = 0; i < kEmbeddingDim; ++i)
        want += query[i] * rows[r * kEmbeddingDim + i];
      ASSERT_EQ(got[r], want) << "row " << r;
    }
  }
  // All-max query against the all-max row: the largest sum there is.
  std::vector<std::int8_t> max_query(kEmbeddingDim, 127);
  std::int32_t top = 0;
  const std::int32_t max_sum = internal::Int8RowSum(rows.data());
  EXPECT_EQ(max_sum, 127 * kEmbeddingDim);
  internal::Int8Dots(max_query.data(), rows.data(), &max_sum, 1, &top, true);
  EXPECT_EQ(top, 127 * 127 * kEmbeddingDim);
}

// int8 search with exact rescoring gives exact search's answer: the same top-1 with the exact
// float score, on a gallery past the adaptive threshold and probes further off than the bench's.
TEST(GalleryTest, Int8FindsExactTopOneAtDistrictScale) {
  std::mt19937 rng(5);
  ExactGallery exact;
  Int8Gallery int8;
  AdaptiveGallery adaptive;
  constexpr int kFaces = 25'000;
  std::vector<std::vector<float>> faces;
  for (int i = 0; i < kFaces; ++i) {
    faces.push_back(RandomUnit(rng));
    exact.Add(i, faces.back());
    int8.Add(i, faces.back());
    adaptive.Add(i, faces.back());
  }
  EXPECT_EQ(adaptive.kind(), "int8");
  int same = 0;
  for (int q = 0; q < 200; ++q) {
    const auto probe = Near(faces[static_cast<size_t>(q * 113)], 0.5f, rng);
    const auto want = exact.Search(probe, 5);
    const auto got = int8.Search(probe, 5);
    ASSERT_EQ(got.size(), 5u);
    if (got[0].key == want[0].key) {
      ++same;
      EXPECT_NEAR(got[0].score, want[0].score, 1e-5);  // rescored in float
    }
    EXPECT_EQ(adaptive.Search(probe, 1).at(0).key, got[0].key);
  }
  EXPECT_EQ(same, 200) << "recall@1 of int8 against exact over 200 probes";
}

// AddMany on two threads builds the same kind of index as Add: recall against exact search,
// updates of keys already there (also twice in one batch), removals (markDelete), re-adding.
TEST(GalleryTest, HnswParallelBuildFindsWhatExactFinds) {
  std::mt19937 rng(9);
  constexpr int kFaces = 4'000;
  std::vector<std::int64_t> keys;
  std::vector<float> vectors;
  ExactGallery exact;
  for (int i = 0; i < kFaces; ++i) {
    const auto v = RandomUnit(rng);
    keys.push_back(1000 + i);
    vectors.insert(vectors.end(), v.begin(), v.end());
    exact.Add(1000 + i, v);
  }
  HnswGallery hnsw(HnswOptions{}, 16);  // grows as it goes
  hnsw.AddMany(keys, vectors, 2);
  EXPECT_EQ(hnsw.size(), static_cast<size_t>(kFaces));
  auto row = [&](int i) {
    return std::span<const float>(&vectors[i * kEmbeddingDim], kEmbeddingDim);
  };
  int same = 0;
  for (int q = 0; q < 200; ++q) {
    const auto base = std::vector<float>(row(q * 19).begin(), row(q * 19).end());
    const auto probe = Near(base, 0.7f, rng);
    const auto hits = hnsw.Search(probe, 1);
    ASSERT_EQ(hits.size(), 1u);
    same += hits[0].key == exact.Search(probe, 1).at(0).key;
  }
  EXPECT_GE(same, 198) << "recall@1 of HNSW (ef 128) against exact over 200 probes";

  // A batch with a new key, an existing key (update) and a key twice (the last vector wins).
  const auto a = RandomUnit(rng), b = RandomUnit(rng), c = RandomUnit(rng);
  std::vector<float> batch;
  for (const auto* v : {&a, &b, &c})
    batch.insert(batch.end(), v->begin(), v->end());
  const std::vector<std::int64_t> batch_keys = {7, 1000, 7};
  hnsw.AddMany(batch_keys, batch, 2);
  EXPECT_EQ(hnsw.size(), static_cast<size_t>(kFaces + 1));
  EXPECT_EQ(hnsw.Search(b, 1).at(0).key, 1000);
  EXPECT_EQ(hnsw.Search(c, 1).at(0).key, 7);
  EXPECT_NEAR(hnsw.Search(c, 1).at(0).score, 1.0f, 1e-4);

  // Removed keys are never answered, whatever the probe; re-added ones are again.
  std::set<std::int64_t> removed;
  for (int i = 0; i < kFaces; i += 3) {
    hnsw.Remove(1000 + i);
    removed.insert(1000 + i);
  }
  EXPECT_EQ(hnsw.size(), static_cast<size_t>(kFaces + 1) - removed.size());
  for (int i = 0; i < kFaces; i += 50) {
    for (const Hit& h : hnsw.Search(row(i), 5))
      EXPECT_EQ(removed.count(h.key), 0u) << h.key;
  }
  hnsw.Add(1003, row(3));
  EXPECT_EQ(hnsw.Search(row(3), 1).at(0).key, 1003);
  EXPECT_THROW(hnsw.AddMany(batch_keys, std::span<const float>(batch).first(512)),
               std::invalid_argument);
}

// Search() is const and runs concurrently with other searches (the shared lock of face/faces.h):
// two threads searching at once get what one thread gets.
TEST(GalleryTest, ConcurrentSearchesAgreeWithSerialOnes) {
  std::mt19937 rng(13);
  std::vector<std::vector<float>> faces, probes;
  for (int i = 0; i < 3'000; ++i)
    faces.push_back(RandomUnit(rng));
  for (int q = 0; q < 100; ++q)
    probes.push_back(Near(faces[static_cast<size_t>(q * 29)], 0.7f, rng));
  for (const std::string kind : {"exact", "int8", "hnsw"}) {
    SCOPED_TRACE(kind);
    auto gallery = MakeGallery(kind);
    for (size_t i = 0; i < faces.size(); ++i)
      gallery->Add(static_cast<std::int64_t>(i), faces[i]);
    std::vector<std::int64_t> serial;
    for (const auto& p : probes)
      serial.push_back(gallery->Search(p, 1).at(0).key);
    std::vector<std::int64_t> got[2];
    std::thread threads[2];
    for (int t = 0; t < 2; ++t) {
      threads[t] = std::thread([&, t] {
        for (int round = 0; round < 5; ++round) {
          for (const auto& p : probes)
            got[t].push_back(gallery->Search(p, 1).at(0).key);
        }
      });
    }
    for (auto& t : threads)
      t.join();
    for (int t = 0; t < 2; ++t) {
      for (size_t i = 0; i < got[t].size(); ++i)
        ASSERT_EQ(got[t][i], serial[i % probes.size()]);
    }
  }
}

TEST(GalleryTest, RejectsVectorsOfAnotherSize) {
  ExactGallery gallery;
  std::vector<float> short_vector(128, 0.1f);
  EXPECT_THROW(gallery.Add(1, short_vector), std::invalid_argument);
}

}  // namespace
}  // namespace zhizhi::face

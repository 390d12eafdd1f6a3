// Gallery: 1:N search of a face embedding among enrolled ones, behind one interface.
//
// Embeddings are 512-d float vectors, L2-normalised, compared by cosine (= inner product). Keys are
// face-template ids; the caller maps them to persons. Three implementations, chosen by size
// (MakeGallery):
//   - ExactGallery: every vector in one contiguous row-major float matrix, scanned with a
//     SIMD-friendly dot product (compiled for AVX-512, AVX2 and baseline x86-64, picked at run
//     time). Exact; a site's roster (≤ 20,000 faces) answers in well under a millisecond.
//   - Int8Gallery: the same scan over int8-quantised rows (4× less memory traffic; AVX-512 VNNI
//     when the CPU has it, else pmaddwd, picked at run time), then the best candidates rescored
//     exactly in float. Exact top-1 in practice: 100,000 faces in ~2.5 ms with recall@1 1.00
//     (docs/benchmarks.md); no index to build, so adds and removals stay O(1).
//   - HnswGallery: hnswlib's graph index (inner product, with this file's dispatched dot
//     kernel). Approximate: on uniform random 512-d vectors recall@1 falls to 0.91 at 100,000
//     faces even at ef 256, and the build costs ~0.9 ms per face on 2 cores (AddMany inserts on
//     every core). Removal marks the node deleted.
// AdaptiveGallery keeps exact search while the gallery is small and moves to int8 once it passes
// a size threshold (district-wide duplicate checks): both change in O(1) per face, so enrolment
// never waits for an index build. `serve --face-index hnsw` puts the district gallery on HNSW
// instead (built at start).
//
// Thread-safety: Search() is const and may run concurrently with other Search() calls; Add(),
// AddMany() and Remove() need exclusive access (the caller holds a lock, see face/faces.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace zhizhi::face {

inline constexpr int kEmbeddingDim = 512;

struct Hit {
  std::int64_t key = 0;
  float score = 0;  // cosine similarity
};

class Gallery {
 public:
  virtual ~Gallery() = default;
  // Adds (or replaces) the vector of `key`. `vector` has kEmbeddingDim L2-normalised floats.
  virtual void Add(std::int64_t key, std::span<const float> vector) = 0;
  // Adds many at once: keys[i] gets vectors[i × kEmbeddingDim, (i + 1) × kEmbeddingDim). The same
  // as Add() for each in turn; HnswGallery inserts on every core (a start-up load).
  virtual void AddMany(std::span<const std::int64_t> keys, std::span<const float> vectors);
  // Removes `key`; unknown keys are ignored.
  virtual void Remove(std::int64_t key) = 0;
  // The `k` best keys by cosine, best first.
  virtual std::vector<Hit> Search(std::span<const float> query, int k) const = 0;
  virtual size_t size() const = 0;
  // "exact", "int8", "hnsw" — what answers searches now.
  virtual std::string kind() const = 0;
};

// Cosine of two L2-normalised vectors (a dot product), dispatched to the best SIMD the CPU has.
float Dot(const float* a, const float* b, int dim);

class ExactGallery : public Gallery {
 public:
  void Add(std::int64_t key, std::span<const float> vector) override;
  void Remove(std::int64_t key) override;
  std::vector<Hit> Search(std::span<const float> query, int k) const override;
  size_t size() const override { return keys_.size(); }
  std::string kind() const override { return "exact"; }

  // The row of `key`, or -1. Remove() moves the last row into the freed one.
  std::int64_t RowOf(std::int64_t key) const;
  const float* row(size_t i) const { return rows_.data() + i * kEmbeddingDim; }
  // Exact scores of the rows in `rows` (for rescoring candidates).
  float Score(std::span<const float> query, size_t row) const;
  std::int64_t key(size_t row) const { return keys_[row]; }

 private:
  std::vector<float> rows_;  // size() × kEmbeddingDim, row-major, contiguous
  std::vector<std::int64_t> keys_;
  std::unordered_map<std::int64_t, size_t> index_;  // key → row
};

class Int8Gallery : public Gallery {
 public:
  // `rescore`: how many int8 candidates are rescored in float.
  explicit Int8Gallery(int rescore = 32) : rescore_(rescore) {}
  void Add(std::int64_t key, std::span<const float> vector) override;
  void Remove(std::int64_t key) override;
  std::vector<Hit> Search(std::span<const float> query, int k) const override;
  size_t size() const override { return exact_.size(); }
  std::string kind() const override { return "int8"; }
  // Exact float search over the same rows.
  std::vector<Hit> SearchExact(std::span<const float> query, int k) const {
    return exact_.Search(query, k);
  }

 private:
  int rescore_;
  ExactGallery exact_;                  // float rows for rescoring, same row order as codes_
  std::vector<std::int8_t> codes_;      // size() × kEmbeddingDim
  std::vector<float> scales_;           // per row: float ≈ code × scale
  std::vector<std::int32_t> row_sums_;  // per row: Σ codes (the VNNI kernel's correction)
};

namespace internal {
// Whether the int8 scan uses AVX-512 VNNI on this CPU (else pmaddwd, compiled for AVX-512BW,
// AVX2 and baseline x86-64).
bool HasVnni();
// Σ codes of one row of kEmbeddingDim codes (what Int8Gallery keeps per row).
std::int32_t Int8RowSum(const std::int8_t* codes);
// int8 dot products of `query` with `n` rows of codes (all in −127..127) whose sums are
// `row_sums`, as Int8Gallery computes them; `allow_vnni` false forces the portable kernel.
void Int8Dots(const std::int8_t* query, const std::int8_t* rows, const std::int32_t* row_sums,
              size_t n, std::int32_t* out, bool allow_vnni);
}  // namespace internal

struct HnswOptions {
  int m = 16;                 // graph degree
  int ef_construction = 100;  // build-time beam
  int ef_search = 128;        // query-time beam (≥ k); 64 gave recall@1 0.98 at 10,000
};

class HnswGallery : public Gallery {
 public:
  explicit HnswGallery(HnswOptions options = {}, size_t initial_capacity = 1024);
  ~HnswGallery() override;
  void Add(std::int64_t key, std::span<const float> vector) override;
  // New keys are inserted by `threads` threads at once (hnswlib's addPoint is thread-safe for
  // distinct labels); 0 = one per core.
  void AddMany(std::span<const std::int64_t> keys, std::span<const float> vectors) override;
  void AddMany(std::span<const std::int64_t> keys, std::span<const float> vectors,
               unsigned threads);
  void Remove(std::int64_t key) override;
  std::vector<Hit> Search(std::span<const float> query, int k) const override;
  size_t size() const override { return live_; }
  std::string kind() const override { return "hnsw"; }
  void set_ef_search(int ef);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t live_ = 0;
};

// Exact search below `threshold` vectors, int8 with exact rescoring from there on.
class AdaptiveGallery : public Gallery {
 public:
  explicit AdaptiveGallery(size_t threshold = 20'000) : threshold_(threshold) {}
  void Add(std::int64_t key, std::span<const float> vector) override;
  void Remove(std::int64_t key) override;
  std::vector<Hit> Search(std::span<const float> query, int k) const override;
  size_t size() const override { return int8_.size(); }
  std::string kind() const override { return int8_.size() >= threshold_ ? "int8" : "exact"; }

 private:
  size_t threshold_;
  Int8Gallery int8_;  // keeps the float rows too: exact search reads them below the threshold
};

// "exact", "int8", "hnsw" or "adaptive" (exact, then int8 past 20,000).
std::unique_ptr<Gallery> MakeGallery(const std::string& kind);

// Scales `v` to unit length in place; false when it is (near) zero.
bool Normalise(std::span<float> v);

}  // namespace zhizhi::face

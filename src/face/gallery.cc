#include "face/gallery.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>

// hnswlib defines non-inline functions in its header: include it in this one file only.
#include <hnswlib/hnswlib.h>

namespace zhizhi::face {

namespace {

// The kernels are compiled for AVX-512, AVX2+FMA and baseline x86-64; the loader picks the best
// the CPU has (GCC function multi-versioning). Plain loops the compiler vectorises: no intrinsics.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ZZ_SIMD_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define ZZ_SIMD_CLONES
#endif

ZZ_SIMD_CLONES float DotKernel(const float* __restrict a, const float* __restrict b, int dim) {
  // Eight independent partial sums let the compiler keep several vector accumulators.
  float sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= dim; i += 8) {
    for (int j = 0; j < 8; ++j)
      sum[j] += a[i + j] * b[i + j];
  }
  float total = 0;
  for (; i < dim; ++i)
    total += a[i] * b[i];
  for (float s : sum)
    total += s;
  return total;
}

// Scores of `n` contiguous rows against `query`.
ZZ_SIMD_CLONES void ScanKernel(const float* __restrict query, const float* __restrict rows,
                               size_t n, float* __restrict out) {
  for (size_t r = 0; r < n; ++r) {
    const float* row = rows + r * kEmbeddingDim;
    float sum[16] = {0};
    for (int i = 0; i < kEmbeddingDim; i += 16) {
      for (int j = 0; j < 16; ++j)
        sum[j] += query[i + j] * row[i + j];
    }
    float total = 0;
    for (float s : sum)
      total += s;
    out[r] = total;
  }
}

ZZ_SIMD_CLONES void ScanInt8Kernel(const std::int8_t* __restrict query,
                                   const std::int8_t* __restrict rows, size_t n,
                                   std::int32_t* __restrict out) {
  for (size_t r = 0; r < n; ++r) {
    const std::int8_t* row = rows + r * kEmbeddingDim;
    std::int32_t sum[32] = {0};
    for (int i = 0; i < kEmbeddingDim; i += 32) {
      for (int j = 0; j < 32; ++j)
        sum[j] += static_cast<std::int16_t>(query[i + j]) * static_cast<std::int16_t>(row[i + j]);
    }
    std::int32_t total = 0;
    for (std::int32_t s : sum)
      total += s;
    out[r] = total;
  }
}

// Keeps the k best (key, score) pairs seen, best first.
class TopK {
 public:
  explicit TopK(int k) : k_(std::max(k, 0)) { hits_.reserve(static_cast<size_t>(k_) + 1); }
  void Offer(std::int64_t key, float score) {
    if (k_ == 0) return;
    if (static_cast<int>(hits_.size()) == k_ && score <= hits_.back().score) return;
    auto at = std::upper_bound(hits_.begin(), hits_.end(), score,
                               [](float s, const Hit& h) { return s > h.score; });
    hits_.insert(at, Hit{key, score});
    if (static_cast<int>(hits_.size()) > k_) hits_.pop_back();
  }
  float worst() const { return hits_.empty() ? -2.0f : hits_.back().score; }
  bool full() const { return static_cast<int>(hits_.size()) == k_; }
  std::vector<Hit> Take() { return std::move(hits_); }

 private:
  int k_;
  std::vector<Hit> hits_;
};

constexpr size_t kScanBlock = 256;  // rows scored per kernel call (scores stay in L1)

}  // namespace

float Dot(const float* a, const float* b, int dim) {
  return DotKernel(a, b, dim);
}

bool Normalise(std::span<float> v) {
  double sum = 0;
  for (float x : v)
    sum += static_cast<double>(x) * x;
  if (!(sum > 1e-12) || !std::isfinite(sum)) return false;
  const float inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v)
    x *= inv;
  return true;
}

// ------------------------------------------------------------------------------------ exact

void ExactGallery::Add(std::int64_t key, std::span<const float> vector) {
  if (vector.size() != static_cast<size_t>(kEmbeddingDim)) {
    throw std::invalid_argument("embedding must have 512 dimensions");
  }
  auto it = index_.find(key);
  if (it != index_.end()) {
    std::copy(vector.begin(), vector.end(), rows_.begin() + it->second * kEmbeddingDim);
    return;
  }
  index_[key] = keys_.size();
  keys_.push_back(key);
  rows_.insert(rows_.end(), vector.begin(), vector.end());
}

void ExactGallery::Remove(std::int64_t key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  const size_t row = it->second;
  const size_t last = keys_.size() - 1;
  if (row != last) {
    std::copy(rows_.begin() + last * kEmbeddingDim, rows_.begin() + (last + 1) * kEmbeddingDim,
              rows_.begin() + row * kEmbeddingDim);
    keys_[row] = keys_[last];
    index_[keys_[row]] = row;
  }
  keys_.pop_back();
  rows_.resize(last * kEmbeddingDim);
  index_.erase(it);
}

std::int64_t ExactGallery::RowOf(std::int64_t key) const {
  auto it = index_.find(key);
  return it == index_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

float ExactGallery::Score(std::span<const float> query, size_t row) const {
  return DotKernel(query.data(), rows_.data() + row * kEmbeddingDim, kEmbeddingDim);
}

std::vector<Hit> ExactGallery::Search(std::span<const float> query, int k) const {
  TopK top(k);
  float scores[kScanBlock];
  const size_t n = keys_.size();
  for (size_t start = 0; start < n; start += kScanBlock) {
    const size_t count = std::min(kScanBlock, n - start);
    ScanKernel(query.data(), rows_.data() + start * kEmbeddingDim, count, scores);
    for (size_t i = 0; i < count; ++i) {
      if (!top.full() || scores[i] > top.worst()) top.Offer(keys_[start + i], scores[i]);
    }
  }
  return top.Take();
}

// ------------------------------------------------------------------------------------ int8

namespace {

// Symmetric per-vector quantisation: code = round(x × 127 / max|x|).
float Quantise(std::span<const float> v, std::int8_t* out) {
  float max_abs = 0;
  for (float x : v)
    max_abs = std::max(max_abs, std::fabs(x));
  const float scale = max_abs > 0 ? max_abs / 127.0f : 1.0f;
  const float inv = 1.0f / scale;
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = static_cast<std::int8_t>(std::lrintf(std::clamp(v[i] * inv, -127.0f, 127.0f)));
  }
  return scale;
}

}  // namespace

void Int8Gallery::Add(std::int64_t key, std::span<const float> vector) {
  exact_.Add(key, vector);
  const auto row = static_cast<size_t>(exact_.RowOf(key));
  if (row == scales_.size()) {
    codes_.resize((row + 1) * kEmbeddingDim);
    scales_.push_back(0);
  }
  scales_[row] = Quantise(vector, codes_.data() + row * kEmbeddingDim);
}

void Int8Gallery::Remove(std::int64_t key) {
  const std::int64_t row = exact_.RowOf(key);
  if (row < 0) return;
  const size_t last = scales_.size() - 1;
  exact_.Remove(key);  // moves the last row into `row`: mirror that
  if (static_cast<size_t>(row) != last) {
    std::copy(codes_.begin() + last * kEmbeddingDim, codes_.begin() + (last + 1) * kEmbeddingDim,
              codes_.begin() + row * kEmbeddingDim);
    scales_[row] = scales_[last];
  }
  codes_.resize(last * kEmbeddingDim);
  scales_.pop_back();
}

std::vector<Hit> Int8Gallery::Search(std::span<const float> query, int k) const {
  const size_t n = scales_.size();
  if (n == 0 || k <= 0) return {};
  std::int8_t q[kEmbeddingDim];
  const float q_scale = Quantise(query, q);
  // Candidates by approximate score (row numbers as keys), then exact rescoring.
  TopK candidates(std::max(k, rescore_));
  std::int32_t dots[kScanBlock];
  for (size_t start = 0; start < n; start += kScanBlock) {
    const size_t count = std::min(kScanBlock, n - start);
    ScanInt8Kernel(q, codes_.data() + start * kEmbeddingDim, count, dots);
    for (size_t i = 0; i < count; ++i) {
      const float approx = static_cast<float>(dots[i]) * q_scale * scales_[start + i];
      if (!candidates.full() || approx > candidates.worst()) {
        candidates.Offer(static_cast<std::int64_t>(start + i), approx);
      }
    }
  }
  TopK top(k);
  for (const Hit& c : candidates.Take()) {
    const auto row = static_cast<size_t>(c.key);
    top.Offer(exact_.key(row), exact_.Score(query, row));
  }
  return top.Take();
}

// ------------------------------------------------------------------------------------ hnsw

struct HnswGallery::Impl {
  Impl(HnswOptions o, size_t capacity)
      : options(o),
        space(kEmbeddingDim),
        index(&space, std::max<size_t>(capacity, 16), static_cast<size_t>(o.m),
              static_cast<size_t>(o.ef_construction)) {
    index.setEf(static_cast<size_t>(o.ef_search));
  }
  HnswOptions options;
  hnswlib::InnerProductSpace space;
  hnswlib::HierarchicalNSW<float> index;
  std::unordered_map<std::int64_t, bool> present;  // key → live (false: marked deleted)
};

HnswGallery::HnswGallery(HnswOptions options, size_t initial_capacity)
    : impl_(std::make_unique<Impl>(options, initial_capacity)) {}

HnswGallery::~HnswGallery() = default;

void HnswGallery::set_ef_search(int ef) {
  impl_->options.ef_search = ef;
  impl_->index.setEf(static_cast<size_t>(ef));
}

void HnswGallery::Add(std::int64_t key, std::span<const float> vector) {
  if (vector.size() != static_cast<size_t>(kEmbeddingDim)) {
    throw std::invalid_argument("embedding must have 512 dimensions");
  }
  auto& index = impl_->index;
  auto [it, inserted] = impl_->present.try_emplace(key, true);
  if (inserted && index.cur_element_count >= index.max_elements_) {
    index.resizeIndex(index.max_elements_ * 2);
  }
  // A known label is updated in place (and undeleted) by hnswlib.
  index.addPoint(vector.data(), static_cast<hnswlib::labeltype>(key));
  if (inserted || !it->second) ++live_;
  it->second = true;
}

void HnswGallery::Remove(std::int64_t key) {
  auto it = impl_->present.find(key);
  if (it == impl_->present.end() || !it->second) return;
  impl_->index.markDelete(static_cast<hnswlib::labeltype>(key));
  it->second = false;
  --live_;
}

std::vector<Hit> HnswGallery::Search(std::span<const float> query, int k) const {
  if (live_ == 0 || k <= 0) return {};
  auto result = impl_->index.searchKnn(query.data(), static_cast<size_t>(k));
  std::vector<Hit> hits(result.size());
  // The queue pops the worst first; inner-product distance is 1 − cosine.
  for (size_t i = hits.size(); i-- > 0;) {
    hits[i] = Hit{static_cast<std::int64_t>(result.top().second), 1.0f - result.top().first};
    result.pop();
  }
  return hits;
}

// ------------------------------------------------------------------------------------ adaptive

void AdaptiveGallery::Add(std::int64_t key, std::span<const float> vector) {
  int8_.Add(key, vector);
}

void AdaptiveGallery::Remove(std::int64_t key) {
  int8_.Remove(key);
}

std::vector<Hit> AdaptiveGallery::Search(std::span<const float> query, int k) const {
  return int8_.size() >= threshold_ ? int8_.Search(query, k) : int8_.SearchExact(query, k);
}

std::unique_ptr<Gallery> MakeGallery(const std::string& kind) {
  if (kind == "exact") return std::make_unique<ExactGallery>();
  if (kind == "int8") return std::make_unique<Int8Gallery>();
  if (kind == "hnsw") return std::make_unique<HnswGallery>();
  return std::make_unique<AdaptiveGallery>();
}

}  // namespace zhizhi::face

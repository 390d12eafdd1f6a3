#include "face/gallery.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <thread>

// hnswlib defines non-inline functions in its header: include it in this one file only.
#include <hnswlib/hnswlib.h>

namespace zhizhi::face {

namespace {

// The kernels are compiled for AVX-512, AVX2+FMA and baseline x86-64; the loader picks the best
// the CPU has (GCC function multi-versioning). Plain loops the compiler vectorises: no intrinsics.
// Not under ThreadSanitizer: the loader runs the clones' resolvers before TSan's runtime is up,
// and an instrumented resolver crashes the process at start.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define ZZ_SIMD_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define ZZ_SIMD_CLONES
#endif

ZZ_SIMD_CLONES float DotKernel(const float* __restrict a, const float* __restrict b, int dim) {
  // Sixteen independent partial sums: one AVX-512 register (two AVX2 ones) of accumulators.
  float sum[16] = {0};
  int i = 0;
  for (; i + 16 <= dim; i += 16) {
    for (int j = 0; j < 16; ++j)
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

// int8 rows against a query widened to int16: g++ turns the int16 × int8 products summed into
// one int32 into pmaddwd (16 products per instruction with AVX-512BW, 8 with AVX2).
ZZ_SIMD_CLONES void ScanInt8Kernel(const std::int16_t* __restrict query,
                                   const std::int8_t* __restrict rows, size_t n,
                                   std::int32_t* __restrict out) {
  for (size_t r = 0; r < n; ++r) {
    const std::int8_t* row = rows + r * kEmbeddingDim;
    std::int32_t sum = 0;
    for (int i = 0; i < kEmbeddingDim; ++i)
      sum += query[i] * static_cast<std::int16_t>(row[i]);
    out[r] = sum;
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ZZ_HAVE_VNNI_KERNEL 1
// With AVX-512 VNNI one vpdpbusd multiplies 64 unsigned × signed bytes and adds them in fours
// to int32 (g++ recognises the loop below as that). The query is shifted to unsigned
// (q + 128); Σ (q + 128)·r = Σ q·r + 128·Σ r, so the row sums (kept per row) take the shift out.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void ScanInt8VnniKernel(
    const std::uint8_t* __restrict query, const std::int8_t* __restrict rows,
    const std::int32_t* __restrict row_sums, size_t n, std::int32_t* __restrict out) {
  for (size_t r = 0; r < n; ++r) {
    const std::int8_t* row = rows + r * kEmbeddingDim;
    std::int32_t sum = 0;
    for (int i = 0; i < kEmbeddingDim; ++i)
      sum += query[i] * row[i];
    out[r] = sum - 128 * row_sums[r];
  }
}

bool CpuHasVnni() {
  static const bool vnni = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
  }();
  return vnni;
}
#else
bool CpuHasVnni() {
  return false;
}
#endif

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

void Gallery::AddMany(std::span<const std::int64_t> keys, std::span<const float> vectors) {
  if (vectors.size() != keys.size() * kEmbeddingDim) {
    throw std::invalid_argument("embedding must have 512 dimensions");
  }
  for (size_t i = 0; i < keys.size(); ++i)
    Add(keys[i], vectors.subspan(i * kEmbeddingDim, kEmbeddingDim));
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

// A quantised query in the forms the kernels read.
struct Int8Query {
  float scale = 1;
  alignas(64) std::int16_t wide[kEmbeddingDim];
  alignas(64) std::uint8_t shifted[kEmbeddingDim];  // code + 128
  bool vnni = false;

  Int8Query(const std::int8_t* codes, float s, bool allow_vnni)
      : scale(s), vnni(allow_vnni && CpuHasVnni()) {
    for (int i = 0; i < kEmbeddingDim; ++i) {
      wide[i] = codes[i];
      shifted[i] = static_cast<std::uint8_t>(codes[i] + 128);
    }
  }

  void Dots(const std::int8_t* rows, const std::int32_t* row_sums, size_t n,
            std::int32_t* out) const {
#ifdef ZZ_HAVE_VNNI_KERNEL
    if (vnni) {
      ScanInt8VnniKernel(shifted, rows, row_sums, n, out);
      return;
    }
#endif
    ScanInt8Kernel(wide, rows, n, out);
  }
};

std::int32_t CodeSum(const std::int8_t* codes) {
  std::int32_t sum = 0;
  for (int i = 0; i < kEmbeddingDim; ++i)
    sum += codes[i];
  return sum;
}

}  // namespace

void Int8Gallery::Add(std::int64_t key, std::span<const float> vector) {
  exact_.Add(key, vector);
  const auto row = static_cast<size_t>(exact_.RowOf(key));
  if (row == scales_.size()) {
    codes_.resize((row + 1) * kEmbeddingDim);
    scales_.push_back(0);
    row_sums_.push_back(0);
  }
  std::int8_t* codes = codes_.data() + row * kEmbeddingDim;
  scales_[row] = Quantise(vector, codes);
  row_sums_[row] = CodeSum(codes);
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
    row_sums_[row] = row_sums_[last];
  }
  codes_.resize(last * kEmbeddingDim);
  scales_.pop_back();
  row_sums_.pop_back();
}

namespace internal {

bool HasVnni() {
  return CpuHasVnni();
}

std::int32_t Int8RowSum(const std::int8_t* codes) {
  return CodeSum(codes);
}

void Int8Dots(const std::int8_t* query, const std::int8_t* rows, const std::int32_t* row_sums,
              size_t n, std::int32_t* out, bool allow_vnni) {
  const Int8Query q(query, 1, allow_vnni);
  q.Dots(rows, row_sums, n, out);
}

}  // namespace internal

std::vector<Hit> Int8Gallery::Search(std::span<const float> query, int k) const {
  const size_t n = scales_.size();
  if (n == 0 || k <= 0) return {};
  std::int8_t codes[kEmbeddingDim];
  const float q_scale = Quantise(query, codes);
  const Int8Query q(codes, q_scale, true);
  // Candidates by approximate score (row numbers as keys), then exact rescoring.
  TopK candidates(std::max(k, rescore_));
  std::int32_t dots[kScanBlock];
  for (size_t start = 0; start < n; start += kScanBlock) {
    const size_t count = std::min(kScanBlock, n - start);
    q.Dots(codes_.data() + start * kEmbeddingDim, row_sums_.data() + start, count, dots);
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

namespace {

// Inner-product distance (1 − cosine) with this file's dispatched kernel: hnswlib's own SIMD is
// chosen at compile time (__AVX__ …), which a baseline x86-64 build leaves at SSE.
class DotSpace final : public hnswlib::SpaceInterface<float> {
 public:
  size_t get_data_size() override { return kEmbeddingDim * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &Distance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  static float Distance(const void* a, const void* b, const void*) {
    return 1.0f -
           DotKernel(static_cast<const float*>(a), static_cast<const float*>(b), kEmbeddingDim);
  }
  size_t dim_ = kEmbeddingDim;
};

}  // namespace

struct HnswGallery::Impl {
  Impl(HnswOptions o, size_t capacity)
      : options(o),
        index(&space, std::max<size_t>(capacity, 16), static_cast<size_t>(o.m),
              static_cast<size_t>(o.ef_construction)) {
    index.setEf(static_cast<size_t>(o.ef_search));
  }
  void Reserve(size_t more) {
    size_t capacity = index.max_elements_;
    while (index.cur_element_count + more > capacity)
      capacity *= 2;
    if (capacity != index.max_elements_) index.resizeIndex(capacity);
  }
  HnswOptions options;
  DotSpace space;
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
  auto [it, inserted] = impl_->present.try_emplace(key, true);
  if (inserted) impl_->Reserve(1);
  // A known label is updated in place (and undeleted) by hnswlib.
  impl_->index.addPoint(vector.data(), static_cast<hnswlib::labeltype>(key));
  if (inserted || !it->second) ++live_;
  it->second = true;
}

void HnswGallery::AddMany(std::span<const std::int64_t> keys, std::span<const float> vectors) {
  AddMany(keys, vectors, 0);
}

void HnswGallery::AddMany(std::span<const std::int64_t> keys, std::span<const float> vectors,
                          unsigned threads) {
  if (vectors.size() != keys.size() * kEmbeddingDim) {
    throw std::invalid_argument("embedding must have 512 dimensions");
  }
  // Keys new to the index go in parallel; a key already there (or twice in `keys`) is an update,
  // done afterwards one at a time (hnswlib serialises nothing between two writers of one label).
  std::vector<size_t> fresh, again;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [it, inserted] = impl_->present.try_emplace(keys[i], true);
    (inserted ? fresh : again).push_back(i);
  }
  impl_->Reserve(fresh.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, fresh.size() / 64 + 1));
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mu;
  auto work = [&] {
    try {
      for (size_t j = next++; j < fresh.size(); j = next++) {
        const size_t i = fresh[j];
        impl_->index.addPoint(vectors.data() + i * kEmbeddingDim,
                              static_cast<hnswlib::labeltype>(keys[i]));
      }
    } catch (...) {
      std::lock_guard lock(failure_mu);
      failure = std::current_exception();
      next = fresh.size();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread& t : pool)
    t.join();
  if (failure) std::rethrow_exception(failure);
  live_ += fresh.size();
  for (size_t i : again)
    Add(keys[i], vectors.subspan(i * kEmbeddingDim, kEmbeddingDim));
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

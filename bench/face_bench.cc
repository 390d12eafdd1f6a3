// Face benchmarks (docs/benchmarks.md):
//   1. per-stage milliseconds per face on the sample photos, with OpenCV on 1 and 2 threads:
//      JPEG decode, detection (per photo), 68 landmarks, alignment + quality, embedding, liveness;
//   2. 1:N search over N synthetic 512-d unit vectors (N = 5,000, 10,000, 100,000 and, with
//      --faces_1m, 1,000,000; HNSW's only with --hnsw_1m too): exact float scan, int8 scan +
//      exact rescoring, the adaptive district gallery, HNSW at ef_search 64/128/256, and FAISS's
//      flat inner-product index when libfaiss-dev is there — same data, same queries, with
//      recall@1 against the exact answer as a counter.
// Queries are other "captures" of enrolled faces: a gallery vector moved to cosine ≈ 0.7 with
// its original (what the sample photos show for a re-capture of a face is 0.77–0.99).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/analyzer.h"
#include "face/gallery.h"
#include "face/image.h"

#ifdef ZHIZHI_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <omp.h>
#endif

namespace zhizhi::face {
namespace {

const std::string kData = ZHIZHI_FACE_DATA;
bool g_million = false;       // --faces_1m: the 1,000,000 rows
bool g_hnsw_million = false;  // --hnsw_1m: also HNSW's (a build of ~20 minutes on 2 cores)

// ------------------------------------------------------------------------------------ stages

struct Photos {
  std::vector<std::string> jpegs;
  std::vector<cv::Mat> images;
};

const Photos& SamplePhotos() {
  static const Photos photos = [] {
    Photos p;
    for (int i = 1; i <= 6; ++i) {
      const cv::Mat img = cv::imread(kData + "/samples/sample" + std::to_string(i) + ".jpg");
      std::vector<unsigned char> buf;
      cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
      p.jpegs.emplace_back(buf.begin(), buf.end());
      p.images.push_back(img);
    }
    return p;
  }();
  return photos;
}

FaceAnalyzer& Analyzer() {
  static std::unique_ptr<FaceAnalyzer> analyzer = [] {
    auto models = LocateModels(kData + "/models");
    if (!models.ok()) {
      std::fprintf(stderr, "%s\n", models.status().ToString().c_str());
      std::exit(1);
    }
    return std::move(FaceAnalyzer::Load(*models)).value();
  }();
  return *analyzer;
}

struct FaceCase {
  const cv::Mat* image;
  DetectedFace face;
  Landmarks68 landmarks;
  cv::Mat aligned;
};

const std::vector<FaceCase>& AllFaces() {
  static const std::vector<FaceCase> faces = [] {
    std::vector<FaceCase> out;
    for (const cv::Mat& img : SamplePhotos().images) {
      for (const auto& d : Analyzer().Detect(img)) {
        FaceCase c{&img, d, Analyzer().Landmarks(img, d.box), {}};
        c.aligned = FaceAnalyzer::Align(img, FivePoints(c.landmarks));
        out.push_back(std::move(c));
      }
    }
    return out;
  }();
  return faces;
}

void SetThreads(benchmark::State& state) {
  cv::setNumThreads(static_cast<int>(state.range(0)));
  state.counters["cv_threads"] = static_cast<double>(state.range(0));
}

void BM_Decode(benchmark::State& state) {  // 1920×1280–1920×1537 JPEG
  SetThreads(state);
  size_t i = 0;
  for (auto _ : state) {
    const auto& jpeg = SamplePhotos().jpegs[i++ % 6];
    benchmark::DoNotOptimize(DecodeJpeg(jpeg, ImageLimits{}, "image"));
  }
}
void BM_Detect(benchmark::State& state) {  // per photo (3–5 faces each)
  SetThreads(state);
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(Analyzer().Detect(SamplePhotos().images[i++ % 6]));
}
void BM_Landmarks(benchmark::State& state) {
  SetThreads(state);
  const auto& faces = AllFaces();
  size_t i = 0;
  for (auto _ : state) {
    const FaceCase& c = faces[i++ % faces.size()];
    benchmark::DoNotOptimize(Analyzer().Landmarks(*c.image, c.face.box));
  }
}
void BM_AlignAndQuality(benchmark::State& state) {
  SetThreads(state);
  const auto& faces = AllFaces();
  size_t i = 0;
  for (auto _ : state) {
    const FaceCase& c = faces[i++ % faces.size()];
    const cv::Mat aligned = FaceAnalyzer::Align(*c.image, FivePoints(c.landmarks));
    benchmark::DoNotOptimize(
        AssessQuality(c.face.box.height, c.landmarks, aligned, QualityLimits::Live()));
  }
}
void BM_Embed(benchmark::State& state) {
  SetThreads(state);
  const auto& faces = AllFaces();
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(Analyzer().Embed(faces[i++ % faces.size()].aligned));
}
void BM_Liveness(benchmark::State& state) {
  SetThreads(state);
  const auto& faces = AllFaces();
  size_t i = 0;
  for (auto _ : state) {
    const FaceCase& c = faces[i++ % faces.size()];
    benchmark::DoNotOptimize(Analyzer().Liveness(*c.image, c.face.box));
  }
}
void BM_WholePipeline(benchmark::State& state) {  // decode + Analyze (largest face)
  SetThreads(state);
  size_t i = 0;
  for (auto _ : state) {
    auto img = DecodeJpeg(SamplePhotos().jpegs[i++ % 6], ImageLimits{}, "image");
    benchmark::DoNotOptimize(Analyzer().Analyze(*img, AnalyzeOptions{}));
  }
}
#define STAGE(fn) BENCHMARK(fn)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(1.0)
STAGE(BM_Decode);
STAGE(BM_Detect);
STAGE(BM_Landmarks);
STAGE(BM_AlignAndQuality);
STAGE(BM_Embed);
STAGE(BM_Liveness);
STAGE(BM_WholePipeline);

// ------------------------------------------------------------------------------------ 1:N

struct Dataset {
  std::vector<float> base;  // n × 512
  std::vector<float> queries;
  std::vector<std::int64_t> truth;  // exact top-1 key per query
  size_t n = 0;
};
constexpr int kQueries = 200;

void RandomUnit(std::mt19937& rng, float* out) {
  std::normal_distribution<float> normal;
  for (int i = 0; i < kEmbeddingDim; ++i)
    out[i] = normal(rng);
  Normalise(std::span<float>(out, kEmbeddingDim));
}

const Dataset& Data(size_t n) {
  static std::map<size_t, std::unique_ptr<Dataset>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<Dataset>();
  Dataset& d = *slot;
  d.n = n;
  d.base.resize(n * kEmbeddingDim);
  std::mt19937 rng(42);
  for (size_t i = 0; i < n; ++i)
    RandomUnit(rng, &d.base[i * kEmbeddingDim]);
  d.queries.resize(kQueries * kEmbeddingDim);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  std::vector<float> noise(kEmbeddingDim);
  for (int q = 0; q < kQueries; ++q) {
    const float* src = &d.base[pick(rng) * kEmbeddingDim];
    RandomUnit(rng, noise.data());
    float* dst = &d.queries[q * kEmbeddingDim];
    for (int i = 0; i < kEmbeddingDim; ++i)
      dst[i] = src[i] + 1.0f * noise[i];  // cosine with the source ≈ 0.71
    Normalise(std::span<float>(dst, kEmbeddingDim));
  }
  ExactGallery exact;
  for (size_t i = 0; i < n; ++i)
    exact.Add(static_cast<std::int64_t>(i),
              std::span<const float>(&d.base[i * kEmbeddingDim], kEmbeddingDim));
  for (int q = 0; q < kQueries; ++q) {
    d.truth.push_back(
        exact.Search(std::span<const float>(&d.queries[q * kEmbeddingDim], kEmbeddingDim), 1)
            .at(0)
            .key);
  }
  return d;
}

std::unique_ptr<Gallery> Build(const std::string& kind, const Dataset& d, double* build_s) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Gallery> g = MakeGallery(kind);
  for (size_t i = 0; i < d.n; ++i)
    g->Add(static_cast<std::int64_t>(i),
           std::span<const float>(&d.base[i * kEmbeddingDim], kEmbeddingDim));
  *build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return g;
}

// One HNSW index per size, built once with AddMany (every core) and searched at several ef.
struct BuiltHnsw {
  std::unique_ptr<HnswGallery> gallery;
  double build_s = 0;
};
BuiltHnsw& Hnsw(const Dataset& d) {
  static std::map<size_t, BuiltHnsw> cache;
  BuiltHnsw& built = cache[d.n];
  if (built.gallery) return built;
  std::vector<std::int64_t> keys(d.n);
  for (size_t i = 0; i < d.n; ++i)
    keys[i] = static_cast<std::int64_t>(i);
  const auto start = std::chrono::steady_clock::now();
  built.gallery = std::make_unique<HnswGallery>(HnswOptions{}, d.n);
  built.gallery->AddMany(keys, d.base);
  built.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return built;
}

// Times one-query searches; recall@1 over all 200 queries, whatever the iteration count was.
void Measure(benchmark::State& state, const Dataset& d, const Gallery& g) {
  size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(g.Search(
        std::span<const float>(&d.queries[(q % kQueries) * kEmbeddingDim], kEmbeddingDim), 1));
    ++q;
  }
  int hits = 0;
  for (size_t i = 0; i < kQueries; ++i) {
    const auto result =
        g.Search(std::span<const float>(&d.queries[i * kEmbeddingDim], kEmbeddingDim), 1);
    hits += !result.empty() && result[0].key == d.truth[i];
  }
  state.counters["recall@1"] = static_cast<double>(hits) / kQueries;
}

bool TooBig(benchmark::State& state, size_t n) {
  if (n >= 1'000'000 && !g_million) {
    state.SkipWithError("1,000,000 only with --faces_1m");
    return true;
  }
  return false;
}

void Search(benchmark::State& state, const std::string& kind) {
  cv::setNumThreads(1);
  const size_t n = static_cast<size_t>(state.range(0));
  if (TooBig(state, n)) return;
  const Dataset& d = Data(n);
  double build_s = 0;
  auto g = Build(kind, d, &build_s);
  Measure(state, d, *g);
  state.counters["build_s"] = build_s;
  if (kind == "int8") state.SetLabel(internal::HasVnni() ? "AVX-512 VNNI" : "pmaddwd");
}

void BM_SearchExact(benchmark::State& s) {
  Search(s, "exact");
}
void BM_SearchInt8(benchmark::State& s) {
  Search(s, "int8");
}
void BM_SearchAdaptive(benchmark::State& s) {
  Search(s, "adaptive");
}
// Arguments: N, ef_search. build_s is the parallel build (AddMany) of the shared index;
// insert_ms the wall milliseconds per inserted face on all cores.
void BM_SearchHnsw(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  if (TooBig(state, n)) return;
  if (n >= 1'000'000 && !g_hnsw_million) {
    state.SkipWithError("HNSW over 1,000,000 only with --hnsw_1m");
    return;
  }
  const Dataset& d = Data(n);
  BuiltHnsw& built = Hnsw(d);
  built.gallery->set_ef_search(static_cast<int>(state.range(1)));
  Measure(state, d, *built.gallery);
  state.counters["build_s"] = built.build_s;
  state.counters["insert_ms"] = built.build_s * 1000 / static_cast<double>(n);
  state.counters["threads"] = std::max(1u, std::thread::hardware_concurrency());
}
#define SIZES ->Arg(5'000)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_SearchExact) SIZES;
BENCHMARK(BM_SearchInt8) SIZES;
BENCHMARK(BM_SearchAdaptive) SIZES;
BENCHMARK(BM_SearchHnsw)
    ->ArgsProduct({{5'000, 10'000, 100'000, 1'000'000}, {64, 128, 256}})
    ->Unit(benchmark::kMicrosecond);

// The int8 scan kernel alone over N rows, AVX-512 VNNI (arg 1, when the CPU has it) against the
// portable pmaddwd kernel (arg 0: what a CPU without VNNI runs).
void BM_Int8Kernel(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool vnni = state.range(1) != 0;
  if (vnni && !internal::HasVnni()) {
    state.SkipWithError("this CPU has no AVX-512 VNNI");
    return;
  }
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<std::int8_t> rows(n * kEmbeddingDim), query(kEmbeddingDim);
  for (auto& c : rows)
    c = static_cast<std::int8_t>(code(rng));
  for (auto& c : query)
    c = static_cast<std::int8_t>(code(rng));
  std::vector<std::int32_t> sums(n);
  for (size_t r = 0; r < n; ++r)
    sums[r] = internal::Int8RowSum(&rows[r * kEmbeddingDim]);
  // In blocks of 256 rows, as Int8Gallery::Search calls it (the dot products stay in L1).
  constexpr size_t kBlock = 256;
  std::int32_t out[kBlock];
  for (auto _ : state) {
    for (size_t start = 0; start < n; start += kBlock) {
      internal::Int8Dots(query.data(), &rows[start * kEmbeddingDim], &sums[start],
                         std::min(kBlock, n - start), out, vnni);
      benchmark::DoNotOptimize(out);
    }
  }
  state.SetLabel(vnni ? "AVX-512 VNNI" : "pmaddwd");
}
BENCHMARK(BM_Int8Kernel)->ArgsProduct({{100'000}, {0, 1}})->Unit(benchmark::kMicrosecond);

#ifdef ZHIZHI_HAVE_FAISS
void BM_SearchFaissFlat(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  if (n >= 1'000'000 && !g_million) {
    state.SkipWithError("1,000,000 only with --faces_1m");
    return;
  }
  const Dataset& d = Data(n);
  faiss::IndexFlatIP index(kEmbeddingDim);
  index.add(static_cast<faiss::Index::idx_t>(n), d.base.data());
  std::vector<float> distance(1);
  std::vector<faiss::Index::idx_t> label(1);
  size_t q = 0;
  for (auto _ : state) {
    index.search(1, &d.queries[(q % kQueries) * kEmbeddingDim], 1, distance.data(), label.data());
    ++q;
  }
  int hits = 0;
  for (size_t i = 0; i < kQueries; ++i) {
    index.search(1, &d.queries[i * kEmbeddingDim], 1, distance.data(), label.data());
    hits += label[0] == d.truth[i];
  }
  state.counters["recall@1"] = static_cast<double>(hits) / kQueries;
  state.counters["omp_threads"] = omp_get_max_threads();
}
BENCHMARK(BM_SearchFaissFlat) SIZES;
#endif

}  // namespace
}  // namespace zhizhi::face

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--faces_1m") == 0) {
      zhizhi::face::g_million = true;
    } else if (std::strcmp(argv[i], "--hnsw_1m") == 0) {
      zhizhi::face::g_hnsw_million = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

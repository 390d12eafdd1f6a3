// FaceEngine: the loaded models and the threads that run them.
//
// The models are loaded once, at start, into one FaceAnalyzer per worker thread (each ~13 MB);
// a missing or broken model fails Start() with a message that names it. Photos are analysed on
// these workers — never on the HTTP threads and never on the database writer — through a
// bounded queue: past `queue_limit` waiting photos Submit() answers 503 instead of letting
// latency grow without bound.
//
// OpenCV's own thread pool is set to `cv_threads` (default 1): with one analyzer per core,
// parallelism comes from analysing photos side by side, not from splitting one inference.
//
// Thread-safety: all public methods are thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "face/analyzer.h"

namespace zhizhi::face {

struct FaceEngineOptions {
  std::string models_dir;
  int workers = 0;  // 0: one per core
  int queue_limit = 64;
  int cv_threads = 1;
};

class FaceEngine {
 public:
  static Result<std::unique_ptr<FaceEngine>> Start(const FaceEngineOptions& options);
  ~FaceEngine();  // Stop()
  // Finishes queued work, then stops the workers; later Submit()s are refused. Idempotent.
  void Stop();

  using Task = std::function<void(FaceAnalyzer&)>;
  // Runs `task` on a worker with that worker's analyzer. 503 when the queue is full or stopping.
  Status Submit(Task task);
  // Runs `task` on the calling thread with an analyzer of its own (tools, tests, benchmarks).
  Result<std::unique_ptr<FaceAnalyzer>> NewAnalyzer() const { return FaceAnalyzer::Load(models_); }

  const ModelFiles& models() const { return models_; }
  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  FaceEngine() = default;
  void WorkerLoop(FaceAnalyzer* analyzer);

  ModelFiles models_;
  int queue_limit_ = 64;
  std::vector<std::unique_ptr<FaceAnalyzer>> analyzers_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
};

}  // namespace zhizhi::face

#include "face/face_engine.h"

#include <spdlog/spdlog.h>
#include <opencv2/core.hpp>

#include "base/thread_name.h"

namespace zhizhi::face {

Result<std::unique_ptr<FaceEngine>> FaceEngine::Start(const FaceEngineOptions& options) {
  std::unique_ptr<FaceEngine> engine(new FaceEngine());
  ZZ_ASSIGN_OR_RETURN(engine->models_, LocateModels(options.models_dir));
  cv::setNumThreads(std::max(1, options.cv_threads));
  int workers = options.workers;
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  engine->queue_limit_ = std::max(1, options.queue_limit);
  for (int i = 0; i < workers; ++i) {
    ZZ_ASSIGN_OR_RETURN(auto analyzer, FaceAnalyzer::Load(engine->models_));
    engine->analyzers_.push_back(std::move(analyzer));
  }
  for (auto& analyzer : engine->analyzers_) {
    FaceAnalyzer* a = analyzer.get();
    FaceEngine* e = engine.get();
    engine->threads_.emplace_back([e, a] {
      NameThisThread("zz-face");
      e->WorkerLoop(a);
    });
  }
  spdlog::info("event=face_models_loaded dir={} model={} workers={}", engine->models_.dir,
               engine->models_.feature_id, workers);
  return engine;
}

FaceEngine::~FaceEngine() {
  Stop();
}

void FaceEngine::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

Status FaceEngine::Submit(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("face recognition is shutting down");
    if (static_cast<int>(queue_.size()) >= queue_limit_) {
      return Status::Unavailable("face recognition is busy (" + std::to_string(queue_.size()) +
                                 " photos waiting); retry shortly");
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return Status::Ok();
}

void FaceEngine::WorkerLoop(FaceAnalyzer* analyzer) {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task(*analyzer);
    } catch (const std::exception& e) {
      // A task must answer its caller itself; this only keeps the worker alive.
      spdlog::error("event=face_task_failed error=\"{}\"", e.what());
    }
  }
}

}  // namespace zhizhi::face

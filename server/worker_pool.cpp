#include "server/worker_pool.h"

#include <spdlog/spdlog.h>

namespace parhelia::server {

WorkerPool::WorkerPool(std::size_t max_workers)
    : max_workers_(max_workers == 0 ? 1 : max_workers) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

bool WorkerPool::submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  queue_.push_back(std::move(job));
  if (idle_workers_ < queue_.size() && workers_.size() < max_workers_) {
    workers_.emplace_back([this] { work(); });
  } else {
    wake_.notify_one();
  }
  return true;
}

bool WorkerPool::drain(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  wake_.notify_all();
  return idle_.wait_for(lock, deadline, [this] { return queue_.empty() && running_jobs_ == 0; });
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ++idle_workers_;
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    --idle_workers_;
    if (queue_.empty()) return;  // stopping, nothing left
    auto job = std::move(queue_.front());
    queue_.pop_front();
    ++running_jobs_;
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {
      // Jobs report their own failures; one escaping here is a bug, logged, never fatal.
      spdlog::error("a request job threw: {}", e.what());
    }
    lock.lock();
    --running_jobs_;
    if (queue_.empty() && running_jobs_ == 0) idle_.notify_all();
  }
}

}  // namespace parhelia::server

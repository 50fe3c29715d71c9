// A small pool that runs requests off the reader thread. It grows while every worker is busy
// (up to a cap), so one long-running tool never starves ping or a quick list call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace parhelia::server {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Returns false (and drops the job) once draining has begun.
  bool submit(std::function<void()> job);

  // Stops taking jobs and waits until every queued and running job has finished. Returns false
  // if some job was still running at the deadline; the caller must then not destroy the pool
  // (the process is expected to exit).
  bool drain(std::chrono::milliseconds deadline);

 private:
  void work();

  const std::size_t max_workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  std::size_t idle_workers_ = 0;
  std::size_t running_jobs_ = 0;
  bool stopping_ = false;
};

}  // namespace parhelia::server

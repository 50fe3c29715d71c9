// Waits for short-lived helper processes (a `tmux new-session` client) off the caller's
// thread, so that launching never blocks a request; reports each one's exit status and output.
#pragma once

#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "core/base/process.h"

namespace parhelia::core {

class ChildReaper {
 public:
  using OnExit = std::function<void(int exit_status, const std::string& output)>;
  ChildReaper() = default;
  ~ChildReaper();  // waits for every watched child
  ChildReaper(const ChildReaper&) = delete;
  ChildReaper& operator=(const ChildReaper&) = delete;

  // The child's stdout (with stderr merged into it) is read to its end, then it is reaped.
  void watch(ChildProcess child, OnExit on_exit);

 private:
  struct Watch {
    std::thread thread;
    bool finished = false;
  };
  std::mutex mutex_;
  std::list<Watch> watches_;
};

}  // namespace parhelia::core

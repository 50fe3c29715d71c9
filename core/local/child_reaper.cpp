#include "core/local/child_reaper.h"

#include <unistd.h>

namespace parhelia::core {

ChildReaper::~ChildReaper() {
  // Joined outside the lock, which each watcher takes one last time to mark itself finished.
  std::list<Watch> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(watches_);
  }
  for (auto& watch : pending) watch.thread.join();
}

void ChildReaper::watch(ChildProcess child, OnExit on_exit) {
  std::lock_guard lock(mutex_);
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (it->finished) {
      it->thread.join();
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  Watch& watch = watches_.emplace_back();
  watch.thread =
      std::thread([this, &watch, child = std::move(child), on_exit = std::move(on_exit)]() mutable {
        std::string output;
        char buffer[4096];
        for (ssize_t n; child.stdout_fd() >= 0 &&
                        (n = ::read(child.stdout_fd(), buffer, sizeof buffer)) != 0;) {
          if (n > 0) output.append(buffer, static_cast<std::size_t>(n));
          if (n < 0 && errno != EINTR) break;
        }
        const int status = child.wait_for(std::chrono::seconds(30)).value_or(-1);
        on_exit(status, output);
        std::lock_guard lock(mutex_);
        watch.finished = true;
      });
}

}  // namespace parhelia::core

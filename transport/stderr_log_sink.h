// Parhelia's log lines on stderr, written so that logging can never hold the process up. An MCP
// client may never read our stderr: once its pipe is full (64 KB) a plain write would block
// every thread that logs, the request reader among them. So this sink writes without blocking,
// drops a line that does not fit, admits lines at a bounded rate, and says how many it left
// out in the next line that gets through.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string_view>

namespace parhelia::transport {

class StderrLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Options {
    int fd = 2;
    double burst_lines = 200;      // lines that may come at once…
    double lines_per_second = 50;  // …and the rate after that
  };

  StderrLogSink() : StderrLogSink(Options{}) {}
  explicit StderrLogSink(Options options);
  ~StderrLogSink() override;
  StderrLogSink(const StderrLogSink&) = delete;
  StderrLogSink& operator=(const StderrLogSink&) = delete;

  // Lines left out so far (the descriptor was full, or too many came at once).
  std::size_t left_out() {
    std::lock_guard lock(mutex_);
    return left_out_total_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override {}

 private:
  // How the bytes get out without blocking, by what kind of file stderr is.
  enum class Route {
    own_nonblocking_fd,  // a pipe, FIFO or terminal: a description of our own, O_NONBLOCK
    socket_send,         // a socket: send() with MSG_DONTWAIT
    plain_write,         // a regular file (never blocks for long) or what could not be reopened
  };

  bool admit(std::chrono::steady_clock::time_point now);
  bool write_whole(std::string_view bytes);

  Options options_;
  Route route_ = Route::plain_write;
  int fd_ = -1;  // where lines go: our own descriptor, or options_.fd
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_at_;
  std::size_t left_out_pending_ = 0;  // not yet reported
  std::size_t left_out_total_ = 0;
};

}  // namespace parhelia::transport

#include "transport/stderr_log_sink.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace parhelia::transport {
namespace {

// A pipe takes a write of up to PIPE_BUF bytes whole or not at all, so a line (with the
// notice about left-out lines in front) is cut to fit: no reader ever sees half a line.
constexpr std::size_t kMaxWriteBytes = PIPE_BUF;
constexpr std::string_view kCut = "…\n";

}  // namespace

StderrLogSink::StderrLogSink(Options options)
    : options_(options),
      fd_(options.fd),
      tokens_(options.burst_lines),
      refilled_at_(std::chrono::steady_clock::now()) {
  struct stat info {};
  if (::fstat(options_.fd, &info) != 0) return;
  if (S_ISSOCK(info.st_mode)) {
    route_ = Route::socket_send;
  } else if (S_ISFIFO(info.st_mode) || S_ISCHR(info.st_mode)) {
    // Opening /proc/self/fd/N makes a new open file description of the same pipe or terminal,
    // so O_NONBLOCK stays ours: the client and our children share fd 2's description and keep
    // blocking writes. (fcntl on fd 2 itself would change it under all of them.)
    const int own = ::open(("/proc/self/fd/" + std::to_string(options_.fd)).c_str(),
                           O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (own >= 0) {
      fd_ = own;
      route_ = Route::own_nonblocking_fd;
    }
  }
  // A regular file stays on fd 2 itself: a second description would write at its own offset,
  // over what others write through fd 2.
}

StderrLogSink::~StderrLogSink() {
  if (route_ == Route::own_nonblocking_fd) ::close(fd_);
}

bool StderrLogSink::admit(std::chrono::steady_clock::time_point now) {
  const std::chrono::duration<double> elapsed = now - refilled_at_;
  refilled_at_ = now;
  tokens_ = std::min(options_.burst_lines, tokens_ + elapsed.count() * options_.lines_per_second);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool StderrLogSink::write_whole(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = -1;
    if (route_ == Route::socket_send) {
      n = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
      n = ::write(fd_, bytes.data(), bytes.size());
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // full (EAGAIN), or the reader is gone
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void StderrLogSink::sink_it_(const spdlog::details::log_msg& message) {
  if (!admit(std::chrono::steady_clock::now())) {
    ++left_out_pending_;
    ++left_out_total_;
    return;
  }
  std::string out;
  if (left_out_pending_ > 0) {
    out = "parhelia: " + std::to_string(left_out_pending_) +
          " log lines were left out (stderr was full, or too many came at once)\n";
  }
  spdlog::memory_buf_t line;
  formatter_->format(message, line);
  out.append(line.data(), line.size());
  if (out.size() > kMaxWriteBytes) {
    out.resize(kMaxWriteBytes - kCut.size());
    out.append(kCut);
  }
  if (write_whole(out)) {
    left_out_pending_ = 0;
  } else {
    ++left_out_pending_;
    ++left_out_total_;
  }
}

}  // namespace parhelia::transport

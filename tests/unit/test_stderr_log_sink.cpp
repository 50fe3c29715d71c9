// The stderr log never blocks: a full pipe drops lines (counted, and the count told in the next
// line that gets through), a flood is cut to a rate, and fd 2's own description stays blocking.
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <climits>
#include <memory>
#include <string>

#include "transport/stderr_log_sink.h"

using parhelia::transport::StderrLogSink;

namespace {

struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_fd = fds[0];
    write_fd = fds[1];
  }
  ~Pipe() {
    ::close(read_fd);
    ::close(write_fd);
  }
  std::string drain() const {
    std::string text;
    char chunk[65536];
    pollfd waiting{read_fd, POLLIN, 0};
    while (::poll(&waiting, 1, 0) > 0) {
      const ssize_t n = ::read(read_fd, chunk, sizeof chunk);
      if (n <= 0) break;
      text.append(chunk, static_cast<std::size_t>(n));
    }
    return text;
  }
};

std::shared_ptr<spdlog::logger> logger_on(std::shared_ptr<StderrLogSink> sink) {
  auto logger = std::make_shared<spdlog::logger>("test", std::move(sink));
  logger->set_pattern("%l %v");
  return logger;
}

}  // namespace

TEST_CASE("stderr log: a pipe nobody reads never blocks a log call", "[unit][stderr_log]") {
  Pipe pipe;
  ::fcntl(pipe.write_fd, F_SETPIPE_SZ, 4096);  // the smallest pipe: full after a few lines
  auto sink = std::make_shared<StderrLogSink>(
      StderrLogSink::Options{.fd = pipe.write_fd, .burst_lines = 1e9, .lines_per_second = 1e9});
  auto logger = logger_on(sink);
  const std::string payload(200, 'x');
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) logger->warn("line {} {}", i, payload);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(sink->left_out() > 9000);
  // fd 2's description (here: the pipe's write end) was never made non-blocking.
  CHECK((::fcntl(pipe.write_fd, F_GETFL) & O_NONBLOCK) == 0);

  const std::string written = pipe.drain();
  CHECK(written.find("warning line 0 ") == 0);
  CHECK(written.back() == '\n');  // whole lines only
  logger->warn("after the drain");
  const std::string next = pipe.drain();
  CHECK(next.rfind("parhelia: " + std::to_string(sink->left_out()) + " log lines were left out",
                   0) == 0);
  CHECK(next.find("warning after the drain\n") != std::string::npos);
  logger->warn("and the next");
  CHECK(pipe.drain() == "warning and the next\n");  // the count is told once
}

TEST_CASE("stderr log: beyond the burst, lines come at the set rate", "[unit][stderr_log]") {
  Pipe pipe;
  auto sink = std::make_shared<StderrLogSink>(
      StderrLogSink::Options{.fd = pipe.write_fd, .burst_lines = 5, .lines_per_second = 0});
  auto logger = logger_on(sink);
  for (int i = 0; i < 100; ++i) logger->warn("same warning");
  CHECK(sink->left_out() == 95);
  std::string written = pipe.drain();
  std::size_t lines = 0;
  for (char c : written) lines += c == '\n';
  CHECK(lines == 5);
}

TEST_CASE("stderr log: a line longer than a pipe's atomic write is cut, not split",
          "[unit][stderr_log]") {
  Pipe pipe;
  auto sink = std::make_shared<StderrLogSink>(StderrLogSink::Options{.fd = pipe.write_fd});
  auto logger = logger_on(sink);
  logger->warn("{}", std::string(100000, 'y'));
  const std::string written = pipe.drain();
  CHECK(written.size() <= PIPE_BUF);
  CHECK(written.substr(written.size() - 4) == "…\n");
}

TEST_CASE("stderr log: a socket gets lines without blocking too", "[unit][stderr_log]") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  {
    auto sink = std::make_shared<StderrLogSink>(
        StderrLogSink::Options{.fd = fds[1], .burst_lines = 1e9, .lines_per_second = 1e9});
    auto logger = logger_on(sink);
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 20000; ++i) logger->warn("{}", std::string(300, 'z'));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    CHECK(sink->left_out() > 0);
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

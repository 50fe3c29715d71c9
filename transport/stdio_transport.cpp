#include "transport/stdio_transport.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "transport/line_splitter.h"
#include "transport/message_reader.h"

namespace parhelia::transport {
namespace {

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

StdioTransport::StdioTransport(Options options) : options_(options) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot create the transport's wake pipe: ") +
                             std::strerror(errno));
  }
  wake_read_fd_ = fds[0];
  wake_write_fd_ = fds[1];
}

StdioTransport::~StdioTransport() {
  ::close(wake_read_fd_);
  ::close(wake_write_fd_);
}

bool StdioTransport::send(const nlohmann::json& message) {
  return send_serialized(serialize(message));
}

bool StdioTransport::send_serialized(std::string line) {
  line.push_back('\n');
  std::lock_guard lock(write_mutex_);
  if (output_closed_) return false;
  if (!write_all(options_.output_fd, line.data(), line.size())) {
    spdlog::warn("stdout is closed ({}); stopping", std::strerror(errno));
    output_closed_ = true;
    stop();
    return false;
  }
  return true;
}

void StdioTransport::stop() noexcept {
  stop_requested_ = 1;
  const char byte = 1;
  [[maybe_unused]] const ssize_t ignored = ::write(wake_write_fd_, &byte, 1);
}

void StdioTransport::run(MessageHandler& handler) {
  // poll() + read() on raw descriptors rather than iostreams: a signal (SIGTERM, or a debugger
  // attaching) interrupts the wait with EINTR, which is simply retried, and stop() can wake
  // the loop through the pipe without closing stdin under another thread's feet.
  MessageReader reader(handler, options_.max_message_bytes);
  LineSplitter splitter(options_.max_message_bytes);
  std::string buffer(64 * 1024, '\0');
  pollfd fds[2] = {{options_.input_fd, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("poll on stdin failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    const ssize_t n = ::read(options_.input_fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      spdlog::error("reading stdin failed: {}", std::strerror(errno));
      return;
    }
    if (n == 0) {
      splitter.finish(reader);
      return;
    }
    splitter.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)), reader);
  }
}

}  // namespace parhelia::transport

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

namespace parhelia::transport {
namespace {

// Turns lines into messages. nlohmann rejects ill-formed UTF-8 while parsing, so a line that
// passes here is a well-formed JSON text.
class MessageParser final : public LineSink {
 public:
  MessageParser(MessageHandler& handler, std::size_t cap) : handler_(handler), cap_(cap) {}

  void on_line(std::string_view line) override {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank line
    nlohmann::json message;
    try {
      message = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      // The detail names the byte, never the content: a bad line may still hold a secret.
      std::string detail =
          "the line is not valid JSON (error at byte " + std::to_string(e.byte) + ")";
      if (std::string_view(e.what()).find("UTF-8") != std::string_view::npos) {
        detail = "the line is not valid UTF-8 (error at byte " + std::to_string(e.byte) + ")";
      }
      handler_.on_unreadable(ReadFailure::malformed_json, detail);
      return;
    }
    handler_.on_message(std::move(message));
  }

  void on_overflow(std::size_t length) override {
    handler_.on_unreadable(ReadFailure::too_large, "a message of " + std::to_string(length) +
                                                       " bytes is over the limit of " +
                                                       std::to_string(cap_) + " bytes");
  }

 private:
  MessageHandler& handler_;
  std::size_t cap_;
};

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
  // `replace` keeps a stray invalid byte in some string from turning into an exception here.
  std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
  MessageParser parser(handler, options_.max_message_bytes);
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
      splitter.finish(parser);
      return;
    }
    splitter.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)), parser);
  }
}

}  // namespace parhelia::transport

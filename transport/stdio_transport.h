// The stdio transport of MCP: one JSON-RPC message per line on stdin and stdout. Nothing but
// protocol is ever written to stdout; logs go to stderr.
#pragma once

#include <atomic>
#include <csignal>
#include <cstddef>
#include <mutex>

#include "transport/transport.h"

namespace parhelia::transport {

inline constexpr std::size_t kDefaultMaxMessageBytes = 16u << 20;  // 16 MiB

class StdioTransport final : public Transport {
 public:
  struct Options {
    int input_fd = 0;
    int output_fd = 1;
    std::size_t max_message_bytes = kDefaultMaxMessageBytes;
  };

  explicit StdioTransport(Options options);
  ~StdioTransport() override;
  StdioTransport(const StdioTransport&) = delete;
  StdioTransport& operator=(const StdioTransport&) = delete;

  bool send(const nlohmann::json& message) override;
  bool send_serialized(std::string json_text) override;
  void run(MessageHandler& handler) override;

  // Makes run() return soon. Async-signal-safe: a SIGTERM handler may call it.
  void stop() noexcept;
  // Whether run() returned because of stop() rather than the end of input.
  bool stopped() const noexcept { return stop_requested_; }

 private:
  Options options_;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  std::mutex write_mutex_;
  std::atomic<bool> output_closed_{false};
  volatile std::sig_atomic_t stop_requested_ = 0;
};

}  // namespace parhelia::transport

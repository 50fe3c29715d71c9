// A small HTTP/1.1 server over POSIX sockets, for the Streamable HTTP transport: requests with
// a bounded head and body, whole or streamed (chunked) responses, keep-alive, and a thread per
// connection so that a stream open for minutes holds nothing else up.
//
// Ours rather than cpp-httplib's: Debian ships that one only as a shared library linked with
// libssl and libcrypto, and `parhelia` links libcrypto statically for a fast start (two copies
// of libcrypto must not meet in one process, and seven more libraries to load would cost every
// start, stdio or not, 2.5 ms).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parhelia::transport::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;  // the target without its query
  Headers headers;
  std::string body;
  std::size_t head_bytes = 0;  // the request line and headers as they came
  // The first header of that name (names compare without case).
  std::optional<std::string> header(std::string_view name) const;
};

struct Limits {
  std::size_t max_head_bytes = 32 << 10;  // request line and headers: 431 beyond
  std::size_t max_body_bytes = 4 << 20;   // 413 beyond
  std::size_t max_connections = 128;      // 503 beyond
  std::chrono::seconds read_timeout{30};  // for a request's head and body once it began
  std::chrono::seconds keep_alive{75};    // an idle connection is closed after this
};

// One response on one connection: either send() once, or start_stream(), chunk()s and
// end_stream(). Every call returns false once the peer is gone.
class ResponseWriter {
 public:
  explicit ResponseWriter(int fd) : fd_(fd) {}
  bool send(int status, const Headers& headers, std::string_view body);
  bool start_stream(int status, const Headers& headers);
  bool chunk(std::string_view data);
  bool end_stream();
  // Whether the peer has closed its side (checked without waiting): a stream that has nothing
  // to write asks this, so that a client that left frees its stream at once.
  bool peer_closed() const;
  bool responded() const { return state_ != State::none; }
  bool reusable() const { return state_ == State::done && !failed_; }

 private:
  bool write_bytes(std::string_view data);
  enum class State { none, streaming, done };
  int fd_;
  State state_ = State::none;
  bool failed_ = false;
};

using Handler = std::function<void(const Request&, ResponseWriter&)>;

class Server {
 public:
  explicit Server(Limits limits) : limits_(limits) {}
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on host:port (port 0: any free one); with `loopback_only`, an address
  // that is not 127.0.0.0/8 or ::1 is refused before anything is bound. On failure, a
  // sentence in `error`.
  bool listen(const std::string& host, int port, bool loopback_only, std::string& error);
  int port() const { return port_; }
  // Whether the bound address is 127.0.0.0/8 or ::1.
  bool loopback() const { return loopback_; }

  // Accepts and serves connections until stop(); returns when every connection has ended or
  // `drain` has passed after the stop.
  void run(const Handler& handler, std::chrono::milliseconds drain = std::chrono::seconds(2));
  // Makes run() return soon. Async-signal-safe.
  void stop() noexcept;
  bool stopping() const { return stopping_.load(); }

 private:
  void serve_connection(int fd, const Handler& handler);
  Limits limits_;
  int listen_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  int port_ = 0;
  bool loopback_ = false;
  std::atomic<bool> stopping_{false};
  std::mutex connections_mutex_;
  std::condition_variable connections_ended_;
  std::size_t connections_ = 0;
};

const char* status_text(int status);

}  // namespace parhelia::transport::http

#include "transport/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace parhelia::transport::http {
namespace {

using Clock = std::chrono::steady_clock;

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// Reads what the peer sent into `buffer` until `enough` says it holds what is wanted. False at
// the peer's end, the deadline or the server's stop.
enum class ReadOutcome { ok, closed, timed_out, stopped };

class ConnectionReader {
 public:
  ConnectionReader(int fd, const std::atomic<bool>& stopping) : fd_(fd), stopping_(stopping) {}

  // Appends at least one byte to buffer_ before `deadline`.
  ReadOutcome more(Clock::time_point deadline) {
    while (true) {
      if (stopping_.load()) return ReadOutcome::stopped;
      const auto now = Clock::now();
      if (now >= deadline) return ReadOutcome::timed_out;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 250)));
      if (ready < 0 && errno != EINTR) return ReadOutcome::closed;
      if (ready <= 0) continue;
      char chunk[16384];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return ReadOutcome::closed;
      buffer.append(chunk, static_cast<std::size_t>(n));
      return ReadOutcome::ok;
    }
  }

  std::string buffer;

 private:
  int fd_;
  const std::atomic<bool>& stopping_;
};

bool write_to_socket(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;  // EAGAIN: a peer that read nothing for the send timeout
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string response_head(int status, const Headers& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  return head;
}

void refuse_connection(int fd, int status, std::string_view why) {
  ResponseWriter writer(fd);
  writer.send(status, {{"Content-Type", "text/plain"}, {"Connection", "close"}},
              std::string(why) + "\n");
}

bool is_loopback(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
  }
  return false;
}

}  // namespace

std::optional<std::string> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (same_name(key, name)) return value;
  return std::nullopt;
}

const char* status_text(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool ResponseWriter::write_bytes(std::string_view data) {
  if (failed_) return false;
  if (!write_to_socket(fd_, data)) failed_ = true;
  return !failed_;
}

bool ResponseWriter::send(int status, const Headers& headers, std::string_view body) {
  if (state_ != State::none) return false;
  state_ = State::done;
  std::string text = response_head(status, headers);
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  text += body;
  return write_bytes(text);
}

bool ResponseWriter::start_stream(int status, const Headers& headers) {
  if (state_ != State::none) return false;
  state_ = State::streaming;
  return write_bytes(response_head(status, headers) + "Transfer-Encoding: chunked\r\n\r\n");
}

bool ResponseWriter::chunk(std::string_view data) {
  if (state_ != State::streaming) return false;
  if (data.empty()) return !failed_;
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string text(size);
  text += data;
  text += "\r\n";
  return write_bytes(text);
}

bool ResponseWriter::end_stream() {
  if (state_ != State::streaming) return false;
  state_ = State::done;
  return write_bytes("0\r\n\r\n");
}

bool ResponseWriter::peer_closed() const {
  if (failed_) return true;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
  char byte;
  // A client that pipelines its next request is still there.
  return ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

Server::~Server() {
  for (int fd : {listen_fd_, wake_read_fd_, wake_write_fd_})
    if (fd >= 0) ::close(fd);
}

bool Server::listen(const std::string& host, int port, bool loopback_only, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return false;
  }
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (loopback_only && !is_loopback(a->ai_addr)) {
      last_error = "not a loopback address";
      continue;
    }
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      sockaddr_storage bound{};
      socklen_t size = sizeof bound;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size);
      port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      loopback_ = is_loopback(reinterpret_cast<sockaddr*>(&bound));
      listen_fd_ = fd;
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) {
    error = "cannot listen on " + host + ":" + service + ": " + last_error;
    if (last_error == "not a loopback address")
      error = host +
              " is not a loopback address: serving MCP there needs a bearer token "
              "(--token or PARHELIA_MCP_TOKEN), or serve on 127.0.0.1";
    return false;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    error = std::string("cannot create a pipe: ") + std::strerror(errno);
    return false;
  }
  wake_read_fd_ = fds[0];
  wake_write_fd_ = fds[1];
  return true;
}

void Server::stop() noexcept {
  stopping_.store(true);
  if (wake_write_fd_ >= 0) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(wake_write_fd_, &byte, 1);
  }
}

void Server::run(const Handler& handler, std::chrono::milliseconds drain) {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (stopping_.load() || (fds[1].revents & POLLIN)) break;
    if (!(fds[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    // A peer that stops reading cannot hold a connection's thread in send() for ever.
    const timeval send_timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    {
      std::lock_guard lock(connections_mutex_);
      if (connections_ >= limits_.max_connections) {
        refuse_connection(fd, 503, "Too many connections; try again shortly.");
        ::close(fd);
        continue;
      }
      ++connections_;
    }
    std::thread([this, fd, &handler] {
      serve_connection(fd, handler);
      ::close(fd);
      std::lock_guard lock(connections_mutex_);
      --connections_;
      connections_ended_.notify_all();
    }).detach();
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::unique_lock lock(connections_mutex_);
  connections_ended_.wait_for(lock, drain, [this] { return connections_ == 0; });
}

void Server::serve_connection(int fd, const Handler& handler) {
  ConnectionReader reader(fd, stopping_);
  while (!stopping_.load()) {
    // The head: up to the blank line, within the head's cap. The wait for a next request on a
    // kept-alive connection is the keep-alive time; once a byte came, the read timeout.
    std::size_t head_end = std::string::npos;
    auto deadline = Clock::now() + limits_.keep_alive;
    while ((head_end = reader.buffer.find("\r\n\r\n")) == std::string::npos) {
      if (reader.buffer.size() > limits_.max_head_bytes) {
        refuse_connection(
            fd, 431,
            "The request's headers are over " + std::to_string(limits_.max_head_bytes) + " bytes.");
        return;
      }
      if (!reader.buffer.empty())
        deadline = std::min(deadline, Clock::now() + limits_.read_timeout);
      if (reader.more(deadline) != ReadOutcome::ok) return;
    }
    if (head_end > limits_.max_head_bytes) {
      refuse_connection(
          fd, 431,
          "The request's headers are over " + std::to_string(limits_.max_head_bytes) + " bytes.");
      return;
    }
    Request request;
    request.head_bytes = head_end + 4;
    const std::string head = reader.buffer.substr(0, head_end);
    reader.buffer.erase(0, head_end + 4);

    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const auto first_space = request_line.find(' ');
    const auto second_space = request_line.rfind(' ');
    if (first_space == std::string::npos || second_space == first_space ||
        request_line.compare(second_space + 1, 7, "HTTP/1.") != 0) {
      refuse_connection(fd, 400, "Not an HTTP/1.1 request line.");
      return;
    }
    request.method = request_line.substr(0, first_space);
    const std::string target = request_line.substr(first_space + 1, second_space - first_space - 1);
    request.path = target.substr(0, target.find('?'));
    const bool http10 = request_line.compare(second_space + 1, 8, "HTTP/1.0") == 0;
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string_view line(head.data() + start,
                                  (line_end == std::string::npos ? head.size() : line_end) - start);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        refuse_connection(fd, 400, "A header line without a name.");
        return;
      }
      request.headers.emplace_back(std::string(trimmed(line.substr(0, colon))),
                                   std::string(trimmed(line.substr(colon + 1))));
    }

    // The body: by Content-Length or chunked, within the body's cap.
    ResponseWriter writer(fd);
    const auto too_large = [&] {
      writer.send(
          413, {{"Content-Type", "text/plain"}, {"Connection", "close"}},
          "The request's body is over " + std::to_string(limits_.max_body_bytes) + " bytes.\n");
    };
    if (const auto expect = request.header("Expect"); expect && same_name(*expect, "100-continue"))
      write_to_socket(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    deadline = Clock::now() + limits_.read_timeout;
    const auto encoding = request.header("Transfer-Encoding");
    if (encoding && same_name(trimmed(*encoding), "chunked")) {
      while (true) {
        std::size_t size_end;
        while ((size_end = reader.buffer.find("\r\n")) == std::string::npos) {
          if (reader.buffer.size() > 64 || reader.more(deadline) != ReadOutcome::ok) return;
        }
        char* size_stop = nullptr;
        const unsigned long long size = std::strtoull(reader.buffer.c_str(), &size_stop, 16);
        if (size_stop == reader.buffer.c_str() || (*size_stop != '\r' && *size_stop != ';')) {
          refuse_connection(fd, 400, "A chunk size that is not hexadecimal.");
          return;
        }
        // Compared so that no sum can wrap around.
        if (size > limits_.max_body_bytes - request.body.size()) return too_large();
        while (reader.buffer.size() < size_end + 2 + size + 2) {
          if (reader.more(deadline) != ReadOutcome::ok) return;
        }
        if (reader.buffer.compare(size_end + 2 + size, 2, "\r\n") != 0) {
          refuse_connection(fd, 400, "A chunk that does not end where its size says.");
          return;
        }
        request.body.append(reader.buffer, size_end + 2, size);
        reader.buffer.erase(0, size_end + 2 + size + 2);
        if (size == 0) break;  // (trailers are not used by any MCP client)
      }
    } else if (encoding) {
      refuse_connection(fd, 501, "Transfer-Encoding " + *encoding + " is not supported.");
      return;
    } else if (const auto length = request.header("Content-Length")) {
      char* end = nullptr;
      const unsigned long long size = std::strtoull(length->c_str(), &end, 10);
      if (length->empty() || *end != '\0') {
        refuse_connection(fd, 400, "Content-Length is not a number.");
        return;
      }
      if (size > limits_.max_body_bytes) return too_large();
      while (reader.buffer.size() < size) {
        if (reader.more(deadline) != ReadOutcome::ok) return;
      }
      request.body = reader.buffer.substr(0, size);
      reader.buffer.erase(0, size);
    }

    handler(request, writer);
    if (!writer.responded()) writer.send(500, {{"Content-Type", "text/plain"}}, "No response.\n");
    const auto connection = request.header("Connection");
    if (!writer.reusable() || http10 || (connection && same_name(*connection, "close"))) return;
  }
}

}  // namespace parhelia::transport::http

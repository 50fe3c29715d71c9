#include "core/terminal/ssh_client.h"

#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace parhelia::core {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxOutput = 1 << 20;

std::string where(const SshEndpoint& endpoint) {
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

std::int64_t left_ms(Clock::time_point deadline) {
  return std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
}

// getaddrinfo has no timeout of its own: it runs on a thread of its own that is left behind
// (to finish and free what it found) when the deadline passes first.
struct Lookup {
  std::mutex mutex;
  std::condition_variable done_changed;
  bool done = false;
  addrinfo* found = nullptr;
  int status = 0;
  ~Lookup() {
    if (found) ::freeaddrinfo(found);
  }
};

std::shared_ptr<Lookup> resolve(const SshEndpoint& endpoint, Clock::time_point deadline) {
  auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, host = endpoint.host, port = std::to_string(endpoint.port)] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    std::lock_guard lock(lookup->mutex);
    lookup->found = found;
    lookup->status = status;
    lookup->done = true;
    lookup->done_changed.notify_all();
  }).detach();
  std::unique_lock lock(lookup->mutex);
  lookup->done_changed.wait_until(lock, deadline, [&] { return lookup->done; });
  return lookup;
}

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// A non-blocking connect to the first address that takes it before the deadline.
Result<Socket> connect_tcp(const SshEndpoint& endpoint, Clock::time_point deadline) {
  auto lookup = resolve(endpoint, deadline);
  std::lock_guard lock(lookup->mutex);
  if (!lookup->done)
    return Error{ErrorCode::unavailable, "The name " + endpoint.host + " did not resolve in time.",
                 ""};
  if (lookup->status != 0)
    return Error{
        ErrorCode::unavailable,
        "The name " + endpoint.host + " does not resolve (" + ::gai_strerror(lookup->status) + ").",
        ""};
  std::string last = "no address";
  for (addrinfo* a = lookup->found; a; a = a->ai_next) {
    Socket socket(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket.fd() < 0) continue;
    if (::connect(socket.fd(), a->ai_addr, a->ai_addrlen) == 0) return socket;
    if (errno != EINPROGRESS) {
      last = std::strerror(errno);
      continue;
    }
    pollfd p{socket.fd(), POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left_ms(deadline))) <= 0) {
      last = "no answer in time";
      break;
    }
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error == 0) return socket;
    last = std::strerror(error);
  }
  return Error{ErrorCode::unavailable, "Nothing answers at " + where(endpoint) + " (" + last + ").",
               ""};
}

void initialise_libssh2() {
  static std::once_flag once;
  std::call_once(once, [] { libssh2_init(0); });
}

// One libssh2 session on a connected socket, in non-blocking mode, every call retried until
// it completes or the deadline passes.
class Connection {
 public:
  Connection(Socket socket, Clock::time_point deadline)
      : socket_(std::move(socket)), deadline_(deadline), session_(libssh2_session_init()) {
    libssh2_session_set_blocking(session_, 0);
  }
  ~Connection() {
    if (channel_) libssh2_channel_free(channel_);
    // A short courtesy: the server is told goodbye if it listens at once.
    deadline_ = std::min(deadline_, Clock::now() + std::chrono::milliseconds(200));
    again([&] { return libssh2_session_disconnect(session_, "parhelia: done"); });
    libssh2_session_free(session_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  LIBSSH2_SESSION* session() { return session_; }
  LIBSSH2_CHANNEL*& channel() { return channel_; }
  bool expired() const { return Clock::now() >= deadline_; }

  // Calls `step` until it stops answering EAGAIN; LIBSSH2_ERROR_TIMEOUT at the deadline.
  template <class Step>
  int again(Step&& step) {
    for (;;) {
      const int rc = static_cast<int>(step());
      if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
      if (!wait()) return LIBSSH2_ERROR_TIMEOUT;
    }
  }

  // Waits for the socket in the direction libssh2 is blocked on; false at the deadline.
  bool wait() {
    const int directions = libssh2_session_block_directions(session_);
    pollfd p{socket_.fd(), 0, 0};
    if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
    if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
    if (p.events == 0) p.events = POLLIN;
    const auto left = left_ms(deadline_);
    if (left == 0) return false;
    ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 100)));
    return true;
  }

  std::string last_error() {
    char* message = nullptr;
    int length = 0;
    libssh2_session_last_error(session_, &message, &length, 0);
    return message ? std::string(message, static_cast<std::size_t>(length)) : "unknown";
  }

  int handshake() {
    return again([&] { return libssh2_session_handshake(session_, socket_.fd()); });
  }

 private:
  Socket socket_;
  Clock::time_point deadline_;
  LIBSSH2_SESSION* session_;
  LIBSSH2_CHANNEL* channel_ = nullptr;
};

// Connects and proves the server holds the pinned key. On success `connection` is ready to
// sign in; `facts` says what was found either way.
std::unique_ptr<Connection> open_checked(const SshEndpoint& endpoint, Clock::time_point deadline,
                                         SshReachability& facts) {
  initialise_libssh2();
  auto socket = connect_tcp(endpoint, deadline);
  if (!socket) {
    facts.detail = socket.error().message;
    return nullptr;
  }
  auto connection = std::make_unique<Connection>(std::move(socket).value(), deadline);
  // Ask for the pinned key's type, so a server holding several presents that one.
  libssh2_session_method_pref(connection->session(), LIBSSH2_METHOD_HOSTKEY,
                              endpoint.host_key.type.c_str());
  if (const int rc = connection->handshake(); rc != 0) {
    facts.detail =
        rc == LIBSSH2_ERROR_TIMEOUT
            ? "The server at " + where(endpoint) + " did not finish an SSH handshake in time."
            : "The server at " + where(endpoint) + " did not finish an SSH handshake (" +
                  connection->last_error() + ").";
    return nullptr;
  }
  std::size_t length = 0;
  int type = 0;
  const char* key = libssh2_session_hostkey(connection->session(), &length, &type);
  if (!key) {
    facts.detail = "The server at " + where(endpoint) + " presented no host key.";
    return nullptr;
  }
  const auto presented = SshPublicKey::from_blob(std::string_view(key, length));
  facts.presented_fingerprint = presented.fingerprint();
  if (presented.blob() != endpoint.host_key.blob()) {
    facts.host_key_mismatch = true;
    facts.detail = "REFUSED: the server at " + where(endpoint) + " presented host key " +
                   facts.presented_fingerprint + " (" + presented.type +
                   "), not the key pinned for this session, " + endpoint.host_key.fingerprint() +
                   ". Nothing was sent to it: someone may be intercepting the connection, or it "
                   "is not this session's container.";
    return nullptr;
  }
  facts.reachable = true;
  facts.detail = "The server at " + where(endpoint) + " answered with the pinned host key " +
                 facts.presented_fingerprint + ".";
  return connection;
}

// Takes what one stream of the channel holds now; returns libssh2's last answer (EAGAIN:
// nothing more yet; 0: the stream has ended; below 0: an error).
ssize_t drain(LIBSSH2_CHANNEL* channel, int stream, std::string& into) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = libssh2_channel_read_ex(channel, stream, buffer, sizeof buffer);
    if (n <= 0) return n;
    if (into.size() < kMaxOutput)
      into.append(buffer,
                  std::min<std::size_t>(static_cast<std::size_t>(n), kMaxOutput - into.size()));
  }
}

}  // namespace

SshReachability check_ssh(const SshEndpoint& endpoint, std::chrono::milliseconds timeout) {
  const auto started = Clock::now();
  SshReachability facts;
  open_checked(endpoint, started + timeout, facts);
  facts.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return facts;
}

Result<CapturedRun> run_over_ssh(const SshEndpoint& endpoint,
                                 const std::filesystem::path& private_key,
                                 const std::string& command, std::chrono::milliseconds timeout) {
  SshReachability facts;
  auto connection = open_checked(endpoint, Clock::now() + timeout, facts);
  if (!connection) {
    return Error{facts.host_key_mismatch ? ErrorCode::conflict : ErrorCode::unavailable,
                 facts.detail,
                 facts.host_key_mismatch
                     ? "Do not connect to it; stop the session and resume it from a checkpoint."
                     : "Check that the session is still running (status), then try again."};
  }
  LIBSSH2_SESSION* session = connection->session();
  const std::string key = private_key.string();
  const int signed_in = connection->again([&] {
    return libssh2_userauth_publickey_fromfile_ex(session, endpoint.user.c_str(),
                                                  static_cast<unsigned>(endpoint.user.size()),
                                                  nullptr, key.c_str(), "");
  });
  if (signed_in != 0) {
    return Error{ErrorCode::unavailable,
                 "The server at " + where(endpoint) + " did not accept Parhelia's key for " +
                     endpoint.user + " (" + connection->last_error() + ").",
                 "The container must hold Parhelia's public key in authorized_keys; `parhelia "
                 "doctor` shows which key that is."};
  }
  LIBSSH2_CHANNEL*& channel = connection->channel();
  while (!(channel = libssh2_channel_open_session(session))) {
    if (libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN || !connection->wait())
      return Error{ErrorCode::unavailable,
                   "The server at " + where(endpoint) + " opened no channel (" +
                       connection->last_error() + ").",
                   ""};
  }
  if (connection->again([&] { return libssh2_channel_exec(channel, command.c_str()); }) != 0)
    return Error{ErrorCode::unavailable,
                 "The server at " + where(endpoint) + " would not run the command (" +
                     connection->last_error() + ").",
                 ""};
  CapturedRun run;
  for (;;) {
    const ssize_t out = drain(channel, 0, run.out);
    const ssize_t err = drain(channel, SSH_EXTENDED_DATA_STDERR, run.err);
    if (libssh2_channel_eof(channel)) break;
    if ((out < 0 && out != LIBSSH2_ERROR_EAGAIN) || (err < 0 && err != LIBSSH2_ERROR_EAGAIN))
      return Error{
          ErrorCode::unavailable,
          "The connection to " + where(endpoint) + " broke (" + connection->last_error() + ").",
          ""};
    if (!connection->wait())
      return Error{ErrorCode::unavailable,
                   "The command at " + where(endpoint) + " did not finish within " +
                       std::to_string(timeout.count()) + " ms.",
                   ""};
  }
  // What came between the last reads and the end.
  drain(channel, 0, run.out);
  drain(channel, SSH_EXTENDED_DATA_STDERR, run.err);
  connection->again([&] { return libssh2_channel_close(channel); });
  connection->again([&] { return libssh2_channel_wait_closed(channel); });
  run.exit_status = libssh2_channel_get_exit_status(channel);
  return run;
}

}  // namespace parhelia::core

#include "tests/support/terminal_fixtures.h"

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace parhelia::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

core::CapturedRun run(std::vector<std::string> argv) {
  core::ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.pipe_stdout = true;
  spec.pipe_stderr = true;
  auto result = core::run_captured(spec, 10s);
  if (!result) throw std::runtime_error(result.error().sentence());
  return result.value();
}

std::vector<std::string> tmux(const core::TmuxTarget& target, std::vector<std::string> args) {
  std::vector<std::string> argv = {"tmux", "-S", target.socket};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

int bound_socket(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot bind 127.0.0.1");
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  return fd;
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

TmuxServer::TmuxServer(const std::string& name, const std::vector<std::string>& argv,
                       const std::vector<std::string>& environment)
    : target_{(dir_.path() / "tmux.sock").string(), name} {
  core::ProcessSpec spec;
  spec.argv = tmux(
      target_, {"-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", "--"});
  spec.argv.insert(spec.argv.end(), argv.begin(), argv.end());
  if (!environment.empty()) spec.environment = environment;
  spec.pipe_stdout = true;
  spec.merge_stderr = true;
  auto started = core::run_captured(spec, 10s);
  if (!started || started->exit_status != 0)
    throw std::runtime_error("tmux did not start: " + (started ? started->out : ""));
}

TmuxServer::~TmuxServer() {
  try {
    run(tmux(target_, {"kill-server"}));
  } catch (...) {
  }
}

std::string TmuxServer::capture() const {
  return run(tmux(target_, {"capture-pane", "-p", "-t", target_.session})).out;
}

void TmuxServer::send(const std::vector<std::string>& keys) const {
  auto argv = tmux(target_, {"send-keys", "-t", target_.session});
  argv.insert(argv.end(), keys.begin(), keys.end());
  run(argv);
}

bool TmuxServer::wait_for(const std::string& text, int seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (capture().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

bool TmuxServer::wait_closed(int seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (run(tmux(target_, {"has-session", "-t", target_.session})).exit_status != 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

int free_port() {
  int port = 0;
  ::close(bound_socket(port));
  return port;
}

SilentListener::SilentListener() {
  fd_ = bound_socket(port_);
  ::listen(fd_, 8);
}

SilentListener::~SilentListener() {
  ::close(fd_);
}

std::string SshServer::user() {
  const passwd* entry = ::getpwuid(::getuid());
  return entry ? entry->pw_name : "root";
}

std::optional<SshServer> SshServer::start(const core::SshPublicKey& authorized_key,
                                          std::string& why) {
  SshServer server;
  server.dir_ = std::make_unique<TempDir>();
  const fs::path dir = server.dir_->path();
  const auto keygen = run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-host", "-f",
                           (dir / "host_key").string()});
  if (keygen.exit_status != 0) {
    why = "ssh-keygen: " + keygen.err;
    return std::nullopt;
  }
  std::ifstream host_pub(dir / "host_key.pub");
  std::string line;
  std::getline(host_pub, line);
  server.host_key_ = core::SshPublicKey::parse(line).value();
  std::ofstream(dir / "authorized_keys") << authorized_key.line() << "\n";
  // As root, sshd wants its privilege separation directory (the Debian service makes it).
  if (::getuid() == 0) ::mkdir("/run/sshd", 0755);
  for (int attempt = 0; attempt < 5; ++attempt) {
    server.port_ = free_port();
    std::ofstream(dir / "sshd_config", std::ios::trunc)
        << "ListenAddress 127.0.0.1\nPort " << server.port_ << "\nHostKey "
        << (dir / "host_key").string() << "\nAuthorizedKeysFile "
        << (dir / "authorized_keys").string() << "\nPidFile " << (dir / "sshd.pid").string()
        << "\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
           "PubkeyAuthentication yes\nUsePAM no\nStrictModes no\nPermitRootLogin "
           "prohibit-password\nLogLevel ERROR\n";
    core::ProcessSpec spec;
    spec.argv = {"/usr/sbin/sshd", "-D", "-e", "-f", (dir / "sshd_config").string()};
    spec.pipe_stdout = true;
    spec.merge_stderr = true;
    auto sshd = core::ChildProcess::start(spec);
    if (!sshd) {
      why = sshd.error().sentence();
      return std::nullopt;
    }
    server.sshd_.emplace(std::move(sshd).value());
    for (int i = 0; i < 100 && !accepts(server.port_); ++i) {
      if (server.sshd_->wait_for(std::chrono::milliseconds(50))) break;  // it gave up
    }
    if (accepts(server.port_)) return server;
    // Ended first, so the read below finds what it said and then the end of the pipe.
    server.sshd_->send_signal(SIGKILL);
    server.sshd_->wait_for(std::chrono::seconds(2));
    std::string said(4096, '\0');
    const auto n = ::read(server.sshd_->stdout_fd(), said.data(), said.size());
    why = "sshd did not start: " + said.substr(0, n > 0 ? static_cast<std::size_t>(n) : 0);
    server.sshd_.reset();
  }
  return std::nullopt;
}

SshServer::~SshServer() {
  if (sshd_) sshd_->send_signal(SIGTERM);
}

}  // namespace parhelia::testing

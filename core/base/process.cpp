#include "core/base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace parhelia::core {
namespace {

Error os_error(const std::string& what) {
  return Error{ErrorCode::io_failure, what + ": " + std::strerror(errno), ""};
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Pipes created close-on-exec: only the dup2'ed copies survive into the child.
struct Pipe {
  int read = -1;
  int write = -1;
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  ~Pipe() {
    close_fd(read);
    close_fd(write);
  }
};

}  // namespace

Result<ChildProcess> ChildProcess::start(const ProcessSpec& spec) {
  if (spec.argv.empty()) return Error{ErrorCode::invalid_input, "no program to start", ""};
  Pipe in, out, err;
  if ((spec.pipe_stdin && !in.open()) || (spec.pipe_stdout && !out.open()) ||
      (spec.pipe_stderr && !err.open())) {
    return os_error("cannot create a pipe");
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (spec.pipe_stdin) {
    posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  } else if (!spec.inherit_stdin) {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (spec.pipe_stdout) posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  if (spec.pipe_stderr) posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  if (spec.merge_stderr) posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Whatever else this process has open (a database, a socket) stays out of the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_directory.c_str());
  }

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (spec.new_session) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attributes, flags);
  sigset_t no_signals, all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &all_signals);  // undo our ignored SIGPIPE

  std::vector<char*> argv;
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (spec.environment) {
    for (const auto& entry : *spec.environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
  }

  ChildProcess child;
  const int rc = ::posix_spawnp(&child.pid_, argv[0], &actions, &attributes, argv.data(),
                                spec.environment ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    child.pid_ = -1;
    return Error{ErrorCode::unavailable, "cannot start " + spec.argv[0] + ": " + std::strerror(rc),
                 ""};
  }
  std::swap(child.stdin_fd_, in.write);
  std::swap(child.stdout_fd_, out.read);
  std::swap(child.stderr_fd_, err.read);
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept {
  *this = std::move(other);
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    stdin_fd_ = std::exchange(other.stdin_fd_, -1);
    stdout_fd_ = std::exchange(other.stdout_fd_, -1);
    stderr_fd_ = std::exchange(other.stderr_fd_, -1);
    exit_status_ = std::exchange(other.exit_status_, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  release();
}

void ChildProcess::release() {
  if (pid_ > 0 && !exit_status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

void ChildProcess::close_stdin() {
  close_fd(stdin_fd_);
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(200);
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_status_ = decode_status(status);
      return exit_status_;
    }
    if (done < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
}

void ChildProcess::send_signal(int signal) {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, signal);
}

std::string process_start_time(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    // A zombie has ended (only its exit status waits for a parent, which may be slow to reap
    // it in a container whose init is not a shell): it is no process any more.
    if (i == 3 && (field == "Z" || field == "X")) return {};
    if (i == 22) return field;
  }
  return {};
}

Result<CapturedRun> run_captured(const ProcessSpec& base, std::chrono::milliseconds timeout,
                                 const std::string& input) {
  ProcessSpec spec = base;
  spec.pipe_stdin = !input.empty();
  spec.pipe_stdout = true;
  spec.pipe_stderr = true;
  auto started = ChildProcess::start(spec);
  if (!started) return started.error();
  ChildProcess& child = started.value();

  CapturedRun run;
  std::size_t written = 0;
  if (input.empty()) child.close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int out_fd = child.stdout_fd(), err_fd = child.stderr_fd(), in_fd = child.stdin_fd();
  char buffer[16384];
  while (out_fd >= 0 || err_fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      break;
    }
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    if (::poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR)
      return os_error("poll failed");
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? run.out : run.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out_fd : err_fd) = -1;
      }
    }
    if (in_fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = ::write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EINTR) written = input.size();
      if (written == input.size()) {
        child.close_stdin();
        in_fd = -1;
      }
    }
  }
  if (run.timed_out) {
    child.send_signal(SIGKILL);
    run.exit_status = child.wait_for(std::chrono::seconds(5)).value_or(-1);
    return run;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  const auto status = child.wait_for(std::max(left, std::chrono::milliseconds(0)));
  if (!status) {
    run.timed_out = true;
    child.send_signal(SIGKILL);
    run.exit_status = child.wait_for(std::chrono::seconds(5)).value_or(-1);
  } else {
    run.exit_status = *status;
  }
  return run;
}

}  // namespace parhelia::core

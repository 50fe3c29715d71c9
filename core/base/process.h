// The one way Parhelia starts a program: from an argument vector (never through a shell), with
// every descriptor but the ones asked for closed in the child, and the child always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"

namespace parhelia::core {

struct ProcessSpec {
  std::vector<std::string> argv;
  std::optional<std::vector<std::string>> environment;  // "K=V" entries; inherit when absent
  std::string working_directory;                        // inherit when empty
  bool pipe_stdin = false;                              // else /dev/null...
  bool inherit_stdin = false;                           // ...or ours, with this set
  bool pipe_stdout = false;                             // else inherited
  bool pipe_stderr = false;                             // else inherited
  bool merge_stderr = false;  // stderr goes where stdout goes (with pipe_stdout: the same pipe)
  bool new_session = false;   // setsid: not killed with our process group
};

class ChildProcess {
 public:
  static Result<ChildProcess> start(const ProcessSpec& spec);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // A child still running is killed (SIGKILL) and reaped.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  void close_stdin();

  // The exit status (128 + signal for a signalled child), or nothing if still running at the
  // deadline.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  void send_signal(int signal);

 private:
  ChildProcess() = default;
  void release();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::optional<int> exit_status_;
};

struct CapturedRun {
  int exit_status = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
};

// A process's start time (clock ticks since boot, from /proc), so that a pid recorded earlier
// is recognised as the same process and not a later one that reused the number. Empty when
// no such process exists, or it has ended and not been reaped yet (a zombie).
std::string process_start_time(pid_t pid);

// Runs to completion (or the timeout, then kills it), feeding `input` and collecting output.
Result<CapturedRun> run_captured(const ProcessSpec& spec, std::chrono::milliseconds timeout,
                                 const std::string& input = {});

}  // namespace parhelia::core

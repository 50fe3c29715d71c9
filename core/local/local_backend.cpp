#include "core/local/local_backend.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "core/checkpoints/checkpoint_request.h"
#include "core/base/environment.h"
#include "core/local/sandbox.h"
#include "core/local/session_environment.h"

namespace parhelia::core {
namespace {

// A unix socket path has room for about 107 bytes.
constexpr std::size_t kMaxSocketPath = 100;

}  // namespace

LocalBackend::LocalBackend(std::filesystem::path home, std::string parhelia,
                           LaunchFailure on_launch_failure)
    : home_(std::move(home)),
      parhelia_(std::move(parhelia)),
      on_launch_failure_(std::move(on_launch_failure)) {}

Result<Done> LocalBackend::launch(const Session& session) {
  const auto files = SessionFiles::of(home_, session.id);
  if (files.tmux_socket.string().size() > kMaxSocketPath) {
    return Error{
        ErrorCode::invalid_input,
        "The session directory " + files.dir.string() + " is too long a path for tmux's socket.",
        "Set PARHELIA_HOME to a shorter path."};
  }
  std::error_code ec;
  std::filesystem::create_directories(files.dir, ec);
  if (ec)
    return Error{ErrorCode::io_failure, "cannot create " + files.dir.string() + ": " + ec.message(),
                 ""};
  ::chmod(files.dir.c_str(), 0700);

  ProcessSpec spec;
  spec.argv = {"tmux",        "-S",        files.tmux_socket.string(),
               "-f",          "/dev/null", "new-session",
               "-d",          "-s",        session.id,
               "-x",          "200",       "-y",
               "50",          "--",        parhelia_,
               "__supervise", session.id};
  auto settings = SandboxSettings::load(home_);
  if (!settings) return settings.error();
  auto environment = supervisor_environment(session, settings->environment);
  std::erase_if(environment,
                [](const std::string& e) { return e.rfind("PARHELIA_HOME=", 0) == 0; });
  environment.push_back("PARHELIA_HOME=" + home_.string());
  spec.environment = std::move(environment);
  spec.pipe_stdout = true;  // tmux's complaints must not reach an MCP client's stdout
  spec.merge_stderr = true;
  auto child = ChildProcess::start(spec);
  if (!child) {
    return Error{ErrorCode::unavailable, "tmux could not be started: " + child.error().message,
                 "Install tmux (`apt-get install tmux`)."};
  }
  reaper_.watch(std::move(child).value(),
                [this, id = session.id](int status, const std::string& output) {
                  if (status != 0)
                    on_launch_failure_(id, "tmux could not start the session: " + output);
                });
  return Done{};
}

BackendView LocalBackend::inspect(const Session& session) {
  BackendView view;
  // Not claimed by a supervisor yet: its files may not exist yet either (another process can
  // look between the submit's record and its launch); the caller gives it a start grace.
  if (!session.supervisor_pid) {
    view.presence = BackendView::Presence::starting;
    return view;
  }
  const auto files = SessionFiles::of(home_, session.id);
  std::error_code ec;
  if (!std::filesystem::exists(files.dir, ec)) {
    view.presence = BackendView::Presence::gone;
    view.files_missing = true;
    return view;
  }
  if (std::ifstream exit_file(files.exit_code); exit_file) {
    int code = 0;
    if (exit_file >> code) view.exit_code = code;
  }
  const bool same_process =
      process_start_time(static_cast<pid_t>(*session.supervisor_pid)) == session.supervisor_start;
  view.presence = same_process ? BackendView::Presence::alive : BackendView::Presence::gone;
  return view;
}

Result<Done> LocalBackend::stop(const Session& session, int grace_s) {
  const auto files = SessionFiles::of(home_, session.id);
  // The file marks the stop as Parhelia's own (any other signal is a failure) and carries
  // the grace period to the supervisor.
  std::ofstream(files.stop_grace, std::ios::trunc) << grace_s << "\n";
  if (inspect(session).presence != BackendView::Presence::alive) return Done{};
  if (::kill(static_cast<pid_t>(*session.supervisor_pid), SIGTERM) != 0 && errno != ESRCH) {
    return Error{ErrorCode::io_failure,
                 "cannot signal the session's supervisor: " + std::string(std::strerror(errno)),
                 ""};
  }
  return Done{};
}

Result<Done> LocalBackend::request_checkpoint(const Session& session, const std::string& token) {
  const auto files = SessionFiles::of(home_, session.id);
  std::error_code ec;
  if (!std::filesystem::exists(files.git_dir, ec)) {
    return Error{ErrorCode::conflict,
                 "Session " + session.id +
                     " has no files to checkpoint (it has not started, or "
                     "its files are gone).",
                 "Checkpoint it once it runs, or resume from an earlier checkpoint."};
  }
  if (session.state == SessionState::running &&
      inspect(session).presence == BackendView::Presence::alive) {
    write_checkpoint_request(files, token);
    return Done{};
  }
  ProcessSpec spec;
  spec.argv = {parhelia_, "__checkpoint", session.id, token};
  spec.environment = environment_with({"PARHELIA_HOME=" + home_.string()});
  spec.pipe_stdout = true;
  spec.merge_stderr = true;
  auto child = ChildProcess::start(spec);
  if (!child) return child.error();
  reaper_.watch(std::move(child).value(), [files, token](int status, const std::string& output) {
    // A helper that died before answering still answers, with what it said.
    if (status != 0 && !read_checkpoint_answer(files, token))
      write_checkpoint_answer(files, {token, "", false, "The checkpoint failed: " + output});
  });
  return Done{};
}

TmuxTarget LocalBackend::terminal(const Session& session) const {
  return {SessionFiles::of(home_, session.id).tmux_socket.string(), session.id};
}

bool LocalBackend::terminal_answers(const Session& session) const {
  const auto socket_path = SessionFiles::of(home_, session.id).tmux_socket.string();
  sockaddr_un address{};
  if (socket_path.size() >= sizeof address.sun_path) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answers =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return answers;
}

}  // namespace parhelia::core

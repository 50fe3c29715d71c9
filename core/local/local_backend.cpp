#include "core/local/local_backend.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "core/checkpoints/checkpoint_request.h"
#include "core/local/supervised_session.h"
#include "core/local/supervisor.h"

namespace parhelia::core {
namespace {

// A unix socket path has room for about 107 bytes.
constexpr std::size_t kMaxSocketPath = 100;

// Whether something takes connections on the unix socket at `path` now (a connect; no child).
bool socket_answers(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answers =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return answers;
}

}  // namespace

LocalBackend::LocalBackend(std::filesystem::path home, std::string parhelia)
    : home_(std::move(home)), parhelia_(std::move(parhelia)) {}

Result<WorkCommand> LocalBackend::plan(const Session& session) {
  return plan_local_work(home_, session);
}

Result<Done> LocalBackend::launch(const Session& session, LaunchFailure on_failure) {
  const auto files = SessionFiles::of(home_, session.id);
  if (files.tmux_socket.string().size() > kMaxSocketPath) {
    return Error{
        ErrorCode::invalid_input,
        "The session directory " + files.dir.string() + " is too long a path for tmux's socket.",
        "Set PARHELIA_HOME to a shorter path."};
  }
  if (auto created = create_session_dir(home_, session); !created) return created.error();

  ProcessSpec spec;
  spec.argv = {"tmux",        "-S",        files.tmux_socket.string(),
               "-f",          "/dev/null", "new-session",
               "-d",          "-s",        session.id,
               "-x",          "200",       "-y",
               "50",          "--",        parhelia_,
               "__supervise", session.id};
  auto environment = supervisor_launch_environment(home_, session);
  if (!environment) return environment.error();
  spec.environment = std::move(environment).value();
  spec.pipe_stdout = true;  // tmux's complaints must not reach an MCP client's stdout
  spec.merge_stderr = true;
  auto child = ChildProcess::start(spec);
  if (!child) {
    return Error{ErrorCode::unavailable, "tmux could not be started: " + child.error().message,
                 "Install tmux (`apt-get install tmux`)."};
  }
  reaper_.watch(std::move(child).value(), [on_failure = std::move(on_failure), id = session.id](
                                              int status, const std::string& output) {
    if (status != 0 && on_failure) on_failure(id, "tmux could not start the session: " + output);
  });
  return Done{};
}

int LocalBackend::supervise(Store& store, const Session& session, const RateTable& rates) {
  return supervise_here(home_, store, session, rates, *this);
}

BackendView LocalBackend::inspect(const Session& session) {
  return inspect_supervised(home_, session);
}

Result<Done> LocalBackend::stop(const Session& session, int grace_s) {
  return stop_supervised(home_, session, grace_s);
}

Result<Done> LocalBackend::request_checkpoint(const Session& session, const std::string& token) {
  return checkpoint_supervised(home_, parhelia_, session, token, reaper_);
}

std::optional<CheckpointAnswer> LocalBackend::checkpoint_answer(const Session& session,
                                                                const std::string& token) {
  return read_checkpoint_answer(SessionFiles::of(home_, session.id), token);
}

TerminalPlace LocalBackend::terminal(const Session& session) const {
  TerminalPlace place;
  place.kind = TerminalPlace::Kind::here;
  place.tmux = {SessionFiles::of(home_, session.id).tmux_socket.string(), session.id};
  return place;
}

bool LocalBackend::terminal_answers(const Session& session) const {
  return socket_answers(SessionFiles::of(home_, session.id).tmux_socket.string());
}

Result<std::vector<BackendListing>> LocalBackend::list() {
  std::vector<BackendListing> listed;
  for (const std::string& id : session_ids_on_disk(home_)) {
    listed.push_back({id, socket_answers(SessionFiles::of(home_, id).tmux_socket.string())});
  }
  return listed;
}

Backends local_backends(const std::filesystem::path& home, const std::string& parhelia) {
  Backends backends;
  backends.add(std::make_unique<LocalBackend>(home, parhelia));
  return backends;
}

}  // namespace parhelia::core

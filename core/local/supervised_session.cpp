#include "core/local/supervised_session.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/agent/agent_command.h"
#include "core/base/environment.h"
#include "core/local/host_probe.h"
#include "core/local/sandbox.h"
#include "core/local/session_environment.h"
#include "core/session/gpu_request.h"
#include "core/session/session_files.h"

namespace parhelia::core {

Result<WorkCommand> local_work_command(const std::filesystem::path& home, const Session& session) {
  auto settings = SandboxSettings::load(home);
  if (!settings) return settings.error();
  const HostCapabilities& host = host_capabilities();
  const auto files = SessionFiles::of(home, session.id);
  WorkCommand command;
  std::string agent;
  if (session.kind == SessionKind::task) {
    auto located = locate_agent();
    if (!located) return located.error();
    agent = located.value();
  }
  auto gpu = parse_gpu_request(session.gpu);
  if (!gpu) return gpu.error();
  auto devices = local_cuda_devices(gpu.value(), host);
  if (!devices) return devices.error();
  command.cuda_visible_devices = devices.value();
  command.environment =
      work_environment(session, files, command.cuda_visible_devices, settings->environment);
  if (!session.sandboxed) {
    command.argv = work_argv(session, {agent});
    return command;
  }
  SandboxSpec spec;
  spec.files = &files;
  spec.parhelia_home = home;
  const bool is_task = session.kind == SessionKind::task;
  Installation installation = installation_of(is_task ? agent : "/bin/sh");
  spec.programs = std::move(installation.dirs);
  spec.gpu = !command.cuda_visible_devices.empty();
  spec.network = session.network;
  spec.limits = sandbox_limits(session);
  spec.read_only_paths = settings->read_only_paths;
  auto wrapped = sandboxed_argv(work_argv(session, installation.argv), spec);
  if (!wrapped) return wrapped.error();
  command.argv = std::move(wrapped).value();
  return command;
}

Result<WorkCommand> plan_local_work(const std::filesystem::path& home, const Session& session) {
  if (session.keep_alive_s > 0) {
    return Error{ErrorCode::invalid_input,
                 "Keep-alive keeps a Modal sandbox after its work; a session on this machine "
                 "keeps its files here when it ends anyway.",
                 "Drop keep_alive (--keep-alive), or run it on Modal (--backend modal)."};
  }
  const HostCapabilities& host = host_capabilities();
  if (session.sandboxed && !host.sandbox_works) {
    return Error{ErrorCode::unavailable,
                 "The session cannot be sandboxed: " + host.sandbox_problem + ".",
                 "Fix that, or pass no_sandbox (--no-sandbox) to run it unsandboxed with your own "
                 "permissions."};
  }
  return local_work_command(home, session);
}

std::vector<std::string> session_ids_on_disk(const std::filesystem::path& home) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(home / "sessions", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string id = it->path().filename().string();
    if (is_session_id(id)) ids.push_back(std::move(id));
  }
  return ids;
}

Result<Done> create_session_dir(const std::filesystem::path& home, const Session& session) {
  const auto dir = SessionFiles::of(home, session.id).dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error{ErrorCode::io_failure, "cannot create " + dir.string() + ": " + ec.message(), ""};
  ::chmod(dir.c_str(), 0700);
  return Done{};
}

Result<std::vector<std::string>> supervisor_launch_environment(const std::filesystem::path& home,
                                                               const Session& session) {
  auto settings = SandboxSettings::load(home);
  if (!settings) return settings.error();
  auto environment = supervisor_environment(session, settings->environment);
  std::erase_if(environment,
                [](const std::string& e) { return e.rfind("PARHELIA_HOME=", 0) == 0; });
  environment.push_back("PARHELIA_HOME=" + home.string());
  return environment;
}

Result<Done> launch_detached_supervisor(const std::filesystem::path& home,
                                        const std::string& parhelia, const Session& session,
                                        std::vector<std::string> environment,
                                        const std::string& output, ChildReaper& reaper,
                                        Backend::LaunchFailure on_failure) {
  const auto out = SessionFiles::of(home, session.id).dir / output;
  // setsid -f: the supervisor leads a session of its own and outlives whoever launched it;
  // the shell only points its output at a file (the arguments are never parsed by it).
  ProcessSpec spec;
  spec.argv = {
      "/bin/sh", "-c",       R"(exec setsid -f "$0" __supervise "$1" >>"$2" 2>&1 </dev/null)",
      parhelia,  session.id, out.string()};
  spec.environment = std::move(environment);
  spec.pipe_stdout = true;
  spec.merge_stderr = true;
  auto child = ChildProcess::start(spec);
  if (!child) return child.error();
  reaper.watch(std::move(child).value(), [on_failure = std::move(on_failure), id = session.id](
                                             int status, const std::string& output) {
    if (status != 0 && on_failure) on_failure(id, "the supervisor could not be started: " + output);
  });
  return Done{};
}

BackendView inspect_supervised(const std::filesystem::path& home, const Session& session) {
  BackendView view;
  // Not claimed by a supervisor yet: its files may not exist yet either (another process can
  // look between the submit's record and its launch); the caller gives it a start grace.
  if (!session.supervisor_pid) {
    view.presence = BackendView::Presence::starting;
    return view;
  }
  const auto files = SessionFiles::of(home, session.id);
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

Result<Done> stop_supervised(const std::filesystem::path& home, const Session& session,
                             int grace_s) {
  const auto files = SessionFiles::of(home, session.id);
  // The file marks the stop as Parhelia's own (any other signal is a failure) and carries
  // the grace period to the supervisor.
  std::ofstream(files.stop_grace, std::ios::trunc) << grace_s << "\n";
  if (inspect_supervised(home, session).presence != BackendView::Presence::alive) return Done{};
  if (::kill(static_cast<pid_t>(*session.supervisor_pid), SIGTERM) != 0 && errno != ESRCH) {
    return Error{ErrorCode::io_failure,
                 "cannot signal the session's supervisor: " + std::string(std::strerror(errno)),
                 ""};
  }
  return Done{};
}

Result<Done> checkpoint_supervised(const std::filesystem::path& home, const std::string& parhelia,
                                   const Session& session, const std::string& token,
                                   ChildReaper& reaper) {
  const auto files = SessionFiles::of(home, session.id);
  std::error_code ec;
  if (!std::filesystem::exists(files.git_dir, ec)) {
    return Error{ErrorCode::conflict,
                 "Session " + session.id +
                     " has no files to checkpoint (it has not started, or "
                     "its files are gone).",
                 "Checkpoint it once it runs, or resume from an earlier checkpoint."};
  }
  if (session.state == SessionState::running &&
      inspect_supervised(home, session).presence == BackendView::Presence::alive) {
    write_checkpoint_request(files, token);
    return Done{};
  }
  ProcessSpec spec;
  spec.argv = {parhelia, "__checkpoint", session.id, token};
  spec.environment = environment_with({"PARHELIA_HOME=" + home.string()});
  spec.pipe_stdout = true;
  spec.merge_stderr = true;
  auto child = ChildProcess::start(spec);
  if (!child) return child.error();
  reaper.watch(std::move(child).value(), [files, token](int status, const std::string& output) {
    // A helper that died before answering still answers, with what it said.
    if (status != 0 && !read_checkpoint_answer(files, token))
      write_checkpoint_answer(files, {token, "", false, "The checkpoint failed: " + output});
  });
  return Done{};
}

}  // namespace parhelia::core

#include "core/agent_command.h"

#include <unistd.h>

#include <filesystem>

#include "core/environment.h"
#include "core/gpu_request.h"
#include "core/host_probe.h"

namespace parhelia::core {

std::string agent_program() {
  return env_value("PARHELIA_AGENT").value_or("claude");
}

Result<std::string> locate_agent() {
  const std::string program = agent_program();
  if (auto path = find_executable(program)) return path->string();
  return Error{ErrorCode::unavailable,
               "Claude Code (`" + program + "`) is not installed on this machine.",
               "Install it with `npm install -g @anthropic-ai/claude-code`, set PARHELIA_AGENT to "
               "its path, or "
               "run a plain command instead (command / --cmd)."};
}

std::vector<std::string> work_argv(const Session& session, const std::string& agent) {
  if (session.kind == SessionKind::command) return {"/bin/sh", "-c", session.task};
  // Permissions are bypassed because the sandbox, not a person at a prompt, is the boundary.
  std::vector<std::string> argv = {agent,
                                   "-p",
                                   session.task,
                                   "--output-format",
                                   "stream-json",
                                   "--verbose",
                                   "--dangerously-skip-permissions"};
  // A resumed session continues Claude Code's conversation, restored under its working copy.
  if (!session.resume_agent_session.empty()) {
    argv.push_back("--resume");
    argv.push_back(session.resume_agent_session);
  }
  return argv;
}

Result<WorkCommand> work_command(const Session& session, const SessionFiles& files) {
  WorkCommand command;
  std::string agent;
  if (session.kind == SessionKind::task) {
    auto located = locate_agent();
    if (!located) return located.error();
    agent = located.value();
  }
  auto gpu = parse_gpu_request(session.gpu);
  if (!gpu) return gpu.error();
  auto devices = local_cuda_devices(gpu.value(), host_capabilities());
  if (!devices) return devices.error();
  command.cuda_visible_devices = devices.value();
  command.argv = work_argv(session, agent);
  if (session.sandboxed) command.argv = sandboxed_argv(command.argv, files);
  return command;
}

std::vector<std::string> work_environment(const SessionFiles& files,
                                          const std::string& cuda_devices,
                                          const std::string& session_id) {
  std::vector<std::string> entries = {"HOME=" + files.home.string(),
                                      "PARHELIA_SESSION_ID=" + session_id, "TERM=xterm-256color"};
  // Claude Code refuses --dangerously-skip-permissions as root unless told it is sandboxed.
  if (::geteuid() == 0) entries.push_back("IS_SANDBOX=1");
  if (!cuda_devices.empty()) entries.push_back("CUDA_VISIBLE_DEVICES=" + cuda_devices);
  return entries;
}

std::vector<std::string> sandboxed_argv(const std::vector<std::string>& argv,
                                        const SessionFiles& files) {
  // Order matters: the tmpfs on /tmp comes before the binds below it, the session directory
  // and the program, which may themselves lie under /tmp and would otherwise be hidden.
  std::vector<std::string> wrapped = {"bwrap", "--ro-bind", "/",     "/",       "--dev",
                                      "/dev",  "--proc",    "/proc", "--tmpfs", "/tmp"};
  const std::filesystem::path program = argv.empty() ? "" : argv.front();
  if (program.is_absolute() && program.string().rfind("/tmp/", 0) == 0) {
    wrapped.insert(wrapped.end(),
                   {"--ro-bind", program.parent_path().string(), program.parent_path().string()});
  }
  wrapped.insert(wrapped.end(),
                 {"--bind", files.dir.string(), files.dir.string(), "--chdir",
                  files.workspace.string(), "--unshare-pid", "--die-with-parent", "--"});
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

}  // namespace parhelia::core

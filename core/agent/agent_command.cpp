#include "core/agent/agent_command.h"

#include <filesystem>

#include "core/base/environment.h"
#include "core/session/gpu_request.h"
#include "core/local/host_probe.h"
#include "core/local/sandbox.h"
#include "core/local/session_environment.h"

namespace parhelia::core {

std::string agent_program() {
  return env_value("PARHELIA_AGENT").value_or("claude");
}

Result<std::string> locate_agent() {
  const std::string program = agent_program();
  if (auto path = find_executable(program)) return path->string();
  if (env_value("PARHELIA_AGENT")) {
    return Error{ErrorCode::unavailable,
                 "PARHELIA_AGENT names `" + program +
                     "`, which is not an executable file here (nor a program on PATH).",
                 "Point PARHELIA_AGENT at Claude Code's `claude` (installed with `npm install -g "
                 "@anthropic-ai/claude-code`, or node_modules/.bin/claude of an npm install), "
                 "or unset it to use `claude` from PATH."};
  }
  return Error{ErrorCode::unavailable,
               "Claude Code (`" + program + "`) is not installed on this machine.",
               "Install it with `npm install -g @anthropic-ai/claude-code`, set PARHELIA_AGENT to "
               "its path, or "
               "run a plain command instead (command / --cmd)."};
}

std::vector<std::string> work_argv(const Session& session, const std::vector<std::string>& agent) {
  if (session.kind == SessionKind::command) return {"/bin/sh", "-c", session.task};
  // Permissions are bypassed because the sandbox, not a person at a prompt, is the boundary.
  std::vector<std::string> argv = agent;
  argv.insert(argv.end(), {"-p", session.task, "--output-format", "stream-json", "--verbose",
                           "--dangerously-skip-permissions"});
  // A resumed session continues Claude Code's conversation, restored under its working copy.
  if (!session.resume_agent_session.empty()) {
    argv.push_back("--resume");
    argv.push_back(session.resume_agent_session);
  }
  return argv;
}

Result<WorkCommand> work_command(const Session& session, const SessionFiles& files,
                                 const std::filesystem::path& parhelia_home,
                                 const SandboxSettings& settings) {
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
  command.environment =
      work_environment(session, files, command.cuda_visible_devices, settings.environment);
  if (!session.sandboxed) {
    command.argv = work_argv(session, {agent});
    return command;
  }
  SandboxSpec spec;
  spec.files = &files;
  spec.parhelia_home = parhelia_home;
  const bool is_task = session.kind == SessionKind::task;
  Installation installation = installation_of(is_task ? agent : "/bin/sh");
  spec.programs = std::move(installation.dirs);
  spec.gpu = !command.cuda_visible_devices.empty();
  spec.network = session.network;
  spec.limits = sandbox_limits(session);
  spec.read_only_paths = settings.read_only_paths;
  auto wrapped = sandboxed_argv(work_argv(session, installation.argv), spec);
  if (!wrapped) return wrapped.error();
  command.argv = std::move(wrapped).value();
  return command;
}

}  // namespace parhelia::core

// What a session runs: Claude Code headless for a task, or the user's shell command, inside its
// sandbox (sandbox.h), with the environment it is allowed (session_environment.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/local/sandbox.h"
#include "core/session/session.h"
#include "core/session/session_files.h"

namespace parhelia::core {

// The agent program: $PARHELIA_AGENT when set (a path or a name on PATH), else `claude`.
std::string agent_program();
// Found on PATH, or a refusal naming the fix.
Result<std::string> locate_agent();

// The argv of the work itself, before sandboxing; `agent` is what starts Claude Code (its path,
// or in the sandbox what installation_of says). The task text is one argument: no shell.
std::vector<std::string> work_argv(const Session& session, const std::vector<std::string>& agent);

// What a session runs on this machine: the agent found (for a task), the requested GPUs
// matched against this machine's, and the sandbox wrapped around it. The one place this is
// decided, for the dry run and the supervisor alike.
struct WorkCommand {
  std::vector<std::string> argv;
  std::vector<std::string> environment;  // the work's whole environment, "K=V"
  std::string cuda_visible_devices;
};
Result<WorkCommand> work_command(const Session& session, const SessionFiles& files,
                                 const std::filesystem::path& parhelia_home,
                                 const SandboxSettings& settings);

}  // namespace parhelia::core

// What a session runs: Claude Code headless for a task, or the user's shell command, inside a
// bubblewrap sandbox where only the session's own directory (and a private /tmp) is writable.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/session.h"
#include "core/session_files.h"

namespace parhelia::core {

// The agent program: $PARHELIA_AGENT when set (a path or a name on PATH), else `claude`.
std::string agent_program();
// Found on PATH, or a refusal naming the fix.
Result<std::string> locate_agent();

// The argv of the work itself, before sandboxing. The task text is one argument: no shell.
std::vector<std::string> work_argv(const Session& session, const std::string& agent);

// What a session runs on this machine: the agent found (for a task), the requested GPUs
// matched against this machine's, and the sandbox wrapped around it. The one place this is
// decided, for the dry run and the supervisor alike.
struct WorkCommand {
  std::vector<std::string> argv;
  std::string cuda_visible_devices;
};
Result<WorkCommand> work_command(const Session& session, const SessionFiles& files);

// Environment entries the work gets on top of what the session was started with.
std::vector<std::string> work_environment(const SessionFiles& files,
                                          const std::string& cuda_devices,
                                          const std::string& session_id);

// Wraps argv in bubblewrap: the system read-only, the session directory writable at the same
// path (so Claude Code's transcripts name the same working directory on resume), a private
// /tmp, its own PID namespace, and the sandbox dies with its supervisor.
std::vector<std::string> sandboxed_argv(const std::vector<std::string>& argv,
                                        const SessionFiles& files);

}  // namespace parhelia::core

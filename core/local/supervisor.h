// The supervisor of one session that runs on this machine: `parhelia __supervise ID`, which
// the local backend's tmux runs (a test's process backend starts it with setsid). It prepares
// the working copy, runs the work (sandboxed) as a child process and drives the session's run
// policy (core/service/run_policy.h) with it: the log, Claude Code's stream, the meter, the
// timeout, stop requests, checkpoints and the outcome with the patch. Because it records
// everything itself, a session needs no MCP server to finish.
#pragma once

#include <filesystem>
#include <string>

#include "core/service/backends.h"

namespace parhelia::core {

// Returns the supervisor's exit status (0 once the outcome is recorded). The session's backend
// (one of `backends`) says what its work is.
int supervise(const std::filesystem::path& home, const std::string& session_id,
              const Backends& backends);

}  // namespace parhelia::core

// The supervisor of one local session: the process tmux runs (`parhelia __supervise ID`). It
// prepares the working copy, runs the work (sandboxed), keeps the log, reads Claude Code's
// stream as it arrives, enforces the timeout and stop requests, and records the outcome and
// the patch. Because it records everything itself, a session needs no MCP server to finish.
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

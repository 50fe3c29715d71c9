// What a session runs: Claude Code headless for a task, or the user's shell command. Where and
// how it runs (a sandbox, a container) is its backend's plan (core/service/backend.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/session/session.h"

namespace parhelia::core {

// The agent program: $PARHELIA_AGENT when set (a path or a name on PATH), else `claude`.
std::string agent_program();
// Found on PATH, or a refusal naming the fix.
Result<std::string> locate_agent();

// The argv of the work itself, before sandboxing; `agent` is what starts Claude Code (its path,
// or in the sandbox what installation_of says). The task text is one argument: no shell.
std::vector<std::string> work_argv(const Session& session, const std::vector<std::string>& agent);

}  // namespace parhelia::core

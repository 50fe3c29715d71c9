// The supervisor of one session that runs on this machine: what `parhelia __supervise ID`
// (core/service/supervision.h) runs for the local backend, in its tmux (and for a test's
// process backend, started with setsid). It prepares
// the working copy, runs the work (sandboxed) as a child process and drives the session's run
// policy (core/service/run_policy.h) with it: the log, Claude Code's stream, the meter, the
// timeout, stop requests, checkpoints and the outcome with the patch. Because it records
// everything itself, a session needs no MCP server to finish.
#pragma once

#include <filesystem>
#include <string>

#include "core/budget/rates.h"
#include "core/service/backend.h"
#include "core/store/store.h"

namespace parhelia::core {

// The supervisor of `session`, queued on `backend` (local, or a test's process backend):
// backend.h's supervise(). Returns its exit status (0 once the outcome is recorded).
int supervise_here(const std::filesystem::path& home, Store& store, const Session& session,
                   const RateTable& rates, const Backend& backend);

}  // namespace parhelia::core

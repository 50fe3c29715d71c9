// What the backends that run a session on this machine share (the local backend's tmux, and a
// test's plain child process): the session is run by its supervisor (`parhelia __supervise ID`,
// supervisor.h), which records its pid and start time in the store, keeps its files under
// $PARHELIA_HOME/sessions/<id>/ and takes stop and checkpoint requests there.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/local/child_reaper.h"
#include "core/service/backend.h"
#include "core/session/session.h"

namespace parhelia::core {

// What a session runs here: the agent found (for a task), the GPUs asked for matched against
// this machine's, and the sandbox (bubblewrap) wrapped around it unless it is unsandboxed.
Result<WorkCommand> local_work_command(const std::filesystem::path& home, const Session& session);
// The same, once the preconditions a submit is refused for hold: a sandbox that works here.
Result<WorkCommand> plan_local_work(const std::filesystem::path& home, const Session& session);
// The ids of the sessions whose directories are under $PARHELIA_HOME/sessions.
std::vector<std::string> session_ids_on_disk(const std::filesystem::path& home);
// Its directory, made private (0700) before anything of it is written.
Result<Done> create_session_dir(const std::filesystem::path& home, const Session& session);
// The environment its supervisor starts with: what session_environment.h allows of ours, and
// PARHELIA_HOME naming `home`.
Result<std::vector<std::string>> supervisor_launch_environment(const std::filesystem::path& home,
                                                               const Session& session);
// Starts its supervisor (`parhelia __supervise ID`) as a process of its own session (setsid),
// outliving whoever launched it, with `environment`; its output goes to `output` in the session's
// directory. A start that fails is told to `on_failure`.
Result<Done> launch_detached_supervisor(const std::filesystem::path& home,
                                        const std::string& parhelia, const Session& session,
                                        std::vector<std::string> environment,
                                        const std::string& output, ChildReaper& reaper,
                                        Backend::LaunchFailure on_failure);
// Whether its supervisor lives (the same process: pid and start time), from the store's record
// and its files.
BackendView inspect_supervised(const std::filesystem::path& home, const Session& session);
// SIGTERM to its supervisor, which stops the work (SIGKILL after `grace_s`).
Result<Done> stop_supervised(const std::filesystem::path& home, const Session& session,
                             int grace_s);
// A running session's supervisor takes the request; for one that has ended, a helper process
// (`parhelia __checkpoint ID TOKEN`, watched by `reaper`) does. Both answer in its files.
Result<Done> checkpoint_supervised(const std::filesystem::path& home, const std::string& parhelia,
                                   const Session& session, const std::string& token,
                                   ChildReaper& reaper);

}  // namespace parhelia::core

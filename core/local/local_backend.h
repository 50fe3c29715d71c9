// The local backend: each session runs on this machine in a detached tmux session on its own
// tmux server (socket in the session directory), so it outlives the MCP server and the CLI
// that started it. tmux runs `parhelia __supervise ID`, which does the work (supervisor.h).
// A per-session server also means the session starts with what it may have of the submitter's
// environment (session_environment.h: the agent's key for a task, never the rest) without the
// key ever being written anywhere. The socket sits beside the session's files, out of its
// sandbox's sight.
#pragma once

#include <filesystem>

#include "core/local/child_reaper.h"
#include "core/service/backend.h"
#include "core/service/backends.h"
#include "core/session/session_files.h"
#include "core/terminal/terminal.h"

namespace parhelia::core {

class LocalBackend final : public Backend {
 public:
  // `parhelia` is the program tmux runs as `parhelia __supervise ID`.
  LocalBackend(std::filesystem::path home, std::string parhelia);

  std::string_view name() const override { return "local"; }
  // The work sandboxed with bubblewrap (unless the session is not), the GPUs asked for
  // matched against this machine's.
  Result<WorkCommand> plan(const Session& session) override;
  Result<Done> launch(const Session& session, LaunchFailure on_failure) override;
  // The local supervisor (supervisor.h), in the session's tmux.
  int supervise(Store& store, const Session& session, const RateTable& rates) override;
  BackendView inspect(const Session& session) override;
  Result<Done> stop(const Session& session, int grace_s) override;
  // A running session's supervisor takes it; for one that has ended, a helper process
  // (`parhelia __checkpoint ID TOKEN`) does. Both answer in the session's files.
  Result<Done> request_checkpoint(const Session& session, const std::string& token) override;
  std::optional<CheckpointAnswer> checkpoint_answer(const Session& session,
                                                    const std::string& token) override;
  // The session's tmux session on its own server.
  TerminalPlace terminal(const Session& session) const override;
  // Whether that tmux server takes connections now (a connect to its socket; no child).
  bool terminal_answers(const Session& session) const override;
  // The session directories under $PARHELIA_HOME/sessions; alive when their tmux answers.
  Result<std::vector<BackendListing>> list() override;

 private:
  std::filesystem::path home_;
  std::string parhelia_;
  ChildReaper reaper_;
};

// The backends of a program that runs sessions on this machine only (a benchmark, a test).
Backends local_backends(const std::filesystem::path& home, const std::string& parhelia);

}  // namespace parhelia::core

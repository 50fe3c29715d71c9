// The local backend: each session runs on this machine in a detached tmux session on its own
// tmux server (socket in the session directory), so it outlives the MCP server and the CLI
// that started it. tmux runs `parhelia __supervise ID`, which does the work (supervisor.h).
// A per-session server also means the session starts with what it may have of the submitter's
// environment (session_environment.h: the agent's key for a task, never the rest) without the
// key ever being written anywhere. The socket sits beside the session's files, out of its
// sandbox's sight.
#pragma once

#include <filesystem>
#include <functional>

#include "core/session/backend.h"
#include "core/local/child_reaper.h"
#include "core/session/session_files.h"
#include "core/terminal/terminal.h"

namespace parhelia::core {

class LocalBackend final : public Backend {
 public:
  // on_launch_failure records a session whose tmux never started (with tmux's own words).
  using LaunchFailure = std::function<void(const std::string& session_id, const std::string& why)>;
  // `parhelia` is the program tmux runs as `parhelia __supervise ID`.
  LocalBackend(std::filesystem::path home, std::string parhelia, LaunchFailure on_launch_failure);

  std::string_view name() const override { return "local"; }
  Result<Done> launch(const Session& session) override;
  BackendView inspect(const Session& session) override;
  Result<Done> stop(const Session& session, int grace_s) override;
  // A running session's supervisor takes it; for one that has ended, a helper process
  // (`parhelia __checkpoint ID TOKEN`) does.
  Result<Done> request_checkpoint(const Session& session, const std::string& token) override;

  // The session's terminal: its tmux session on its own server.
  TmuxTarget terminal(const Session& session) const;
  // Whether that tmux server takes connections now (a connect to its socket; no child).
  bool terminal_answers(const Session& session) const;

 private:
  std::filesystem::path home_;
  std::string parhelia_;
  LaunchFailure on_launch_failure_;
  ChildReaper reaper_;
};

}  // namespace parhelia::core

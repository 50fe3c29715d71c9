// Where a session's files live on this machine: $PARHELIA_HOME/sessions/<id>/. Only `workspace`
// and `home` are the session's: the sandbox sees those two and nothing else of the directory,
// so everything Parhelia keeps for itself beside them (the log, the control files, the tmux
// socket, its own repository of the working copy) is out of the session's reach.
#pragma once

#include <filesystem>
#include <string>

#include "core/git.h"

namespace parhelia::core {

struct SessionFiles {
  std::filesystem::path dir;
  std::filesystem::path workspace;    // the working copy the agent works in
  std::filesystem::path home;         // the agent's HOME (Claude Code keeps its transcript there)
  std::filesystem::path log;          // stdout and stderr of the agent, as it ran
  std::filesystem::path exit_code;    // written by the supervisor when the agent ends
  std::filesystem::path patch;        // the changes against the starting copy
  std::filesystem::path stop_grace;   // seconds to wait after SIGTERM, written by `stop`
  std::filesystem::path tmux_socket;  // the session's own tmux server
  std::filesystem::path checkpoint_index;    // git's index for checkpoints (a stat cache)
  std::filesystem::path checkpoint_request;  // present: take a checkpoint now (supervisor)
  std::filesystem::path checkpoint_answer;   // what became of the last request
  std::filesystem::path checkpoint_staging;  // what a checkpoint is assembled from
  std::filesystem::path checkpoint_lock;     // one checkpoint of a session at a time
  std::filesystem::path known_hosts;         // the pinned host key of a remote session, for ssh
  std::filesystem::path git_dir;             // Parhelia's own repository of the working copy

  WorkingCopy working_copy() const { return {workspace, git_dir}; }

  static SessionFiles of(const std::filesystem::path& parhelia_home, const std::string& id);
};

}  // namespace parhelia::core

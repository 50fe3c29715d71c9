// Where a session's files live on this machine: $PARHELIA_HOME/sessions/<id>/. Only `workspace`
// and `home` are the session's: the sandbox sees those two and nothing else of the directory,
// so everything Parhelia keeps for itself beside them (the log, the control files, the tmux
// socket, its own repository of the working copy) is out of the session's reach.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/workspace/git.h"
#include "core/base/result.h"

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

// Where the work sees its workspace and its home. The sandbox shows every session's at the same
// two paths, as a container does (and a Modal sandbox will): a resumed session's conversation
// names absolute paths from its earlier turns, and they stay true. Claude Code's transcript is
// kept under the key of the working directory it sees (agent_transcript.h), so that key is the
// same for a whole line of resumed sessions too. Unsandboxed, the work sees the real folders
// (a line of such sessions is kept in place by continue_line_in_place).
inline constexpr std::string_view kSandboxWorkspace = "/workspace";
inline constexpr std::string_view kSandboxHome = "/home/agent";

struct WorkPaths {
  std::filesystem::path workspace;  // its working directory
  std::filesystem::path home;       // its HOME
};
WorkPaths work_paths(const SessionFiles& files, bool sandboxed);

// Unsandboxed, a resumed session's agent works in its own folder at a path of its own, while
// the conversation it carries on names its parent's. So a line of such sessions is kept in
// place: the parent's workspace path leads to the resumed session's workspace from then on (a
// link Parhelia makes in the parent's folder; the parent's own last files are kept beside it as
// `workspace.ended`), and an earlier path the agent reuses writes into the work it continues,
// not into an ended session's copy. Links of a longer line lead on, to the newest session.
Result<Done> continue_line_in_place(const std::filesystem::path& parhelia_home,
                                    const std::string& parent_id, const std::string& id);
// The session whose workspace the workspace path of session `id` now leads to, when a resume
// has continued its line in place; none otherwise.
std::optional<std::string> line_continued_by(const std::filesystem::path& parhelia_home,
                                             const std::string& id);

}  // namespace parhelia::core

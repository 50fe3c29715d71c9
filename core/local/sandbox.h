// The sandbox a local session runs in (bubblewrap). What it sees: the system's programs and
// libraries (/usr, /etc, /opt and the merged-/usr links), the installation of the agent it runs,
// its own workspace and home (the only places it may write, shown at /workspace and
// /home/agent whatever the session: session_files.h work_paths), a private /tmp, and whatever the
// user lists in config.json; nothing else of the user's (their HOME, PARHELIA_HOME with the
// store, the keys and the other sessions, the session's own control files and tmux socket).
// What it may do: nothing as root. It runs in a user namespace of its own with no
// capabilities: as the user themselves when Parhelia runs as a user, and as root inside but
// `nobody` (65534) outside when Parhelia runs as root (then a first bubblewrap, as root, lays
// out the mounts and hands over to `nobody`, who starts the user namespace). The network stays open
// unless the session asks for none (Claude Code needs its API). Memory and the number of processes
// are held by resource limits set inside the sandbox, per session.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/session/sandbox_settings.h"
#include "core/session/session.h"
#include "core/session/session_files.h"

namespace parhelia::core {

// The limits a session's sandbox holds it to, and how.
struct SandboxLimits {
  std::optional<std::uint64_t> memory_bytes;  // RLIMIT_DATA, from --memory
  std::uint64_t processes = 0;                // RLIMIT_NPROC inside its user namespace
  // One line a person reads in `status`: what is enforced, and what is only priced.
  std::string summary() const;
};
SandboxLimits sandbox_limits(const Session& session);

struct SandboxSpec {
  const SessionFiles* files = nullptr;
  std::filesystem::path parhelia_home;
  std::vector<std::filesystem::path> programs;  // whose installations the sandbox must see
  bool gpu = false;                             // bind the NVIDIA devices
  bool network = true;
  SandboxLimits limits;
  std::vector<std::filesystem::path> read_only_paths;
};

// The uid a sandbox runs as outside when Parhelia is root; the session's files are handed to
// it before the work starts.
constexpr unsigned kSandboxUserAsRoot = 65534;

// Wraps argv (whose first element is a program the sandbox can see) in the sandbox.
Result<std::vector<std::string>> sandboxed_argv(const std::vector<std::string>& argv,
                                                const SandboxSpec& spec);

// Makes the workspace and home the sandbox user's (a no-op unless Parhelia is root), without
// following any link in them.
Result<Done> hand_files_to_sandbox(const SessionFiles& files);

// How a program installed on this machine runs in the sandbox: started by its real file (a
// link to it, such as npm's node_modules/.bin/claude, may lie where the sandbox shows nothing),
// a script by the real file of the interpreter its `#!` line finds here, and the folders those
// need shown: each one's package (an npm package's top node_modules folder, else its folder),
// none that the sandbox shows anyway.
struct Installation {
  std::vector<std::string> argv;  // what starts it, before its own arguments
  std::vector<std::filesystem::path> dirs;
};
Installation installation_of(const std::filesystem::path& program);

}  // namespace parhelia::core

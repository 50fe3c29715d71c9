#include "core/service/health.h"

#include <filesystem>

#include "core/agent/agent_command.h"
#include "core/agent/agent_credential.h"
#include "core/base/environment.h"
#include "core/version.h"

namespace parhelia::core {

SystemHealth check_health() {
  SystemHealth health;
  health.version = kVersion;
  const auto home = parhelia_home();
  health.home = home.string();
  std::error_code ec;
  health.home_exists = std::filesystem::is_directory(home, ec);

  const struct {
    const char* program;
    const char* needed_for;
    const char* install_hint;
    bool required;
  } wanted[] = {
      {"tmux", "running sessions on this machine and attaching to them", "apt-get install tmux",
       true},
      {"bwrap", "sandboxing local sessions", "apt-get install bubblewrap", true},
      {"prlimit", "holding sandboxed sessions to their memory and process limits",
       "apt-get install util-linux", true},
      {"setpriv", "handing a sandbox to an unprivileged user when Parhelia runs as root",
       "apt-get install util-linux", true},
      {"git", "packing the workspace and returning results as a patch", "apt-get install git",
       true},
      {"claude", "running Claude Code tasks (plain --cmd tasks do without)",
       "npm install -g @anthropic-ai/claude-code", false},
      {"ssh", "attaching to remote sessions", "apt-get install openssh-client", false},
      {"nvidia-smi", "GPU sessions on this machine", "install the NVIDIA driver", false},
  };
  for (const auto& w : wanted) {
    DependencyCheck check{w.program, w.needed_for, std::nullopt, w.install_hint, w.required};
    if (check.program == "claude") {
      // Found the way submit finds it, so that what doctor says is what a submit meets.
      if (auto agent = locate_agent()) {
        check.path = agent.value();
      } else if (env_value("PARHELIA_AGENT")) {
        check.install_hint = agent.error().sentence();
      }
    } else if (auto path = find_executable(w.program)) {
      check.path = path->string();
    }
    health.dependencies.push_back(std::move(check));
  }

  health.agent_credential = agent_credential();
  health.agent_credential_summary = agent_credential_summary();
  const bool modal_env = env_value("MODAL_TOKEN_ID") && env_value("MODAL_TOKEN_SECRET");
  const auto modal_toml =
      std::filesystem::path(env_value("HOME").value_or("/nonexistent")) / ".modal.toml";
  health.modal_credentials_found = modal_env || std::filesystem::exists(modal_toml, ec);
  return health;
}

}  // namespace parhelia::core

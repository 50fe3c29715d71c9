// The health of this installation: which programs Parhelia relies on are present, whether the
// credentials it needs are configured (never their values), and where its state lives. Cheap:
// file-system checks only, no child process and no network, so status can answer at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace parhelia::core {

struct DependencyCheck {
  std::string program;  // as looked up on PATH (the agent: as submit finds it, agent_command.h)
  std::string needed_for;
  std::optional<std::string> path;  // where it was found
  std::string install_hint;         // how to get it when missing
  bool required = false;            // local sessions cannot run without it
};

struct SystemHealth {
  std::string version;
  std::string home;  // $PARHELIA_HOME
  bool home_exists = false;
  std::vector<DependencyCheck> dependencies;
  // The variable Claude Code tasks sign in with (agent_credential.h), never its value, and a
  // line saying so.
  std::optional<std::string> agent_credential;
  std::string agent_credential_summary;
  bool modal_credentials_found = false;
};

SystemHealth check_health();

}  // namespace parhelia::core

#include "core/agent/agent_credential.h"

#include <algorithm>

#include "core/base/environment.h"

namespace parhelia::core {

bool is_agent_credential(std::string_view name) {
  return std::find(std::begin(kAgentCredentials), std::end(kAgentCredentials), name) !=
         std::end(kAgentCredentials);
}

std::optional<std::string> agent_credential() {
  for (const auto name : kAgentCredentials) {
    const std::string variable(name);
    if (env_value(variable.c_str())) return variable;
  }
  return std::nullopt;
}

Result<std::string> require_agent_credential() {
  if (auto used = agent_credential()) return *used;
  return Error{ErrorCode::unavailable,
               "Neither ANTHROPIC_API_KEY nor CLAUDE_CODE_OAUTH_TOKEN is set, so Claude Code "
               "cannot sign in.",
               "Set one in the environment Parhelia runs in (an API key, or a Claude "
               "subscription's token from `claude setup-token`; for Claude Code: claude mcp add "
               "parhelia --env ANTHROPIC_API_KEY=... -- parhelia mcp), or run a plain command "
               "instead."};
}

std::string agent_credential_summary() {
  const auto used = agent_credential();
  if (!used) {
    return "no Claude Code credential is set (ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN; "
           "needed for Claude Code tasks)";
  }
  std::string text = *used + " is set; Claude Code tasks sign in with it";
  for (const auto name : kAgentCredentials) {
    const std::string variable(name);
    if (variable != *used && env_value(variable.c_str()))
      text += " (" + variable +
              " is set too: Claude Code would ignore it, so sessions are not given it)";
  }
  return text;
}

}  // namespace parhelia::core

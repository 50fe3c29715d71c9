// Which credential Claude Code signs in with: an API key (ANTHROPIC_API_KEY) or a Claude
// subscription's token (CLAUDE_CODE_OAUTH_TOKEN, from `claude setup-token`). Claude Code
// prefers the API key when both are set (2.1.197 and 2.1.332 send it as x-api-key and send no
// OAuth token at all), so a session is given that one alone: no secret it does not use. Only
// names leave this file, never values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::core {

// Claude Code's credential variables, the one it prefers first.
inline constexpr std::string_view kAgentCredentials[] = {"ANTHROPIC_API_KEY",
                                                         "CLAUDE_CODE_OAUTH_TOKEN"};

bool is_agent_credential(std::string_view name);

// The variable a Claude Code session started from this process's environment signs in with;
// none when neither is set (an empty value counts as unset).
std::optional<std::string> agent_credential();

// The same, or a refusal naming both ways to sign in.
Result<std::string> require_agent_credential();

// One line for doctor and status: which one is used, and whether another is set and unused.
std::string agent_credential_summary();

}  // namespace parhelia::core

// Reads Claude Code's headless output (`claude -p … --output-format stream-json --verbose`) as
// it arrives: one JSON object per line. Lines that are not JSON (a plain command's output)
// carry nothing to read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parhelia::core {

struct AgentResult {
  bool is_error = false;
  std::string subtype;  // success, error_max_turns, error_during_execution, error_max_budget_usd
  std::string text;     // the final answer (or the error Claude Code reported)
  std::string json;     // the whole result line: turns, duration, total_cost_usd, usage, modelUsage
};

struct AgentUpdate {
  std::optional<std::string> claude_session_id;  // from system/init
  std::optional<std::string> activity;           // what the agent is doing, in a short line
  std::optional<AgentResult> result;             // from the result line
};

std::optional<AgentUpdate> read_agent_line(std::string_view line);

}  // namespace parhelia::core

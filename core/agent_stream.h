// Reads Claude Code's headless output (`claude -p … --output-format stream-json --verbose`) as
// it arrives: one JSON object per line. Lines that are not JSON (a plain command's output)
// carry nothing to read. Every line is the session's to write: a line of any bytes yields an
// update or nothing, never an exception; fields of the wrong type are ignored.
#pragma once

#include <cstdint>
#include <map>
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

// Tokens of the four kinds the API bills.
struct TokenCounts {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_read = 0;
  std::int64_t cache_write = 0;
};

// The usage an assistant message reports. Claude Code prints one API response as several
// lines (a content block each) carrying the same message id: the last one seen counts.
struct MessageUsage {
  std::string message_id;
  std::string model;
  TokenCounts tokens;
};

struct AgentUpdate {
  std::optional<std::string> claude_session_id;  // from system/init
  std::optional<std::string> activity;           // what the agent is doing, in a short line
  std::optional<AgentResult> result;             // from the result line
  std::optional<MessageUsage> usage;             // from an assistant message
  // From the result line's modelUsage: cumulative per model, subagents included.
  std::map<std::string, TokenCounts> model_totals;
};

// Longer lines are not read (Claude Code's longest, a result with a long answer, is far less).
inline constexpr std::size_t kMaxAgentLineBytes = 8 << 20;

std::optional<AgentUpdate> read_agent_line(std::string_view line);

}  // namespace parhelia::core

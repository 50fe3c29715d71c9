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
  std::string session_id;  // the conversation it ends (its modelUsage may cover earlier runs)
};

// The one name a model is charged under: without the context-window suffix ("[1m]") and the
// date ("-20250929") Claude Code may add.
std::string canonical_model(std::string_view model);

// Tokens of the four kinds the API bills.
struct TokenCounts {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_read = 0;
  std::int64_t cache_write = 0;
};

// The usage an assistant message reports. Claude Code prints one API response as several
// lines (a content block each) carrying the same message id. The stream's lines carry the usage
// of the response's start (output_tokens 1); the transcript's, its final usage: per field, the
// largest seen counts. `model` is the ledger's name of it (canonical_model).
struct MessageUsage {
  std::string message_id;
  std::string model;
  TokenCounts tokens;
};

// Per model (the ledger's name of it), as a result line's or a cost-state line's modelUsage.
using ModelTotals = std::map<std::string, TokenCounts>;

struct AgentUpdate {
  std::optional<std::string> claude_session_id;  // from system/init
  std::optional<std::string> activity;           // what the agent is doing, in a short line
  std::optional<AgentResult> result;             // from the result line
  std::optional<MessageUsage> usage;             // from an assistant message
  // From the result line's modelUsage: per model, subagents and side calls (the session's
  // title) included; after `--resume`, Claude Code 2.1.332 counts the restored runs too.
  ModelTotals model_totals;
};

// Longer lines are not read (Claude Code's longest, a result with a long answer, is far less).
inline constexpr std::size_t kMaxAgentLineBytes = 8 << 20;

std::optional<AgentUpdate> read_agent_line(std::string_view line);

// What a line of Claude Code's transcript ($HOME/.claude/projects/<key>/<session>.jsonl) says
// about the bill: an assistant message with its final usage, or (2.1.332) a cost-state line,
// the totals of the conversation so far that a `--resume` starts counting from.
struct CostState {
  std::string session_id;
  ModelTotals model_totals;
};
struct TranscriptEntry {
  std::optional<MessageUsage> usage;
  std::optional<CostState> cost_state;
};

// Whether a line can be one read_transcript_line reads, without parsing it: most of a
// transcript (prompts, tool results, attachments) is not, and much of it is large.
bool may_bear_usage(std::string_view line);
// Like read_agent_line, any bytes yield an entry or nothing, never an exception.
std::optional<TranscriptEntry> read_transcript_line(std::string_view line);

}  // namespace parhelia::core

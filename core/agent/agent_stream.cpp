#include "core/agent/agent_stream.h"

#include <nlohmann/json.hpp>

#include "core/base/untrusted_json.h"
#include "core/session/session.h"

namespace parhelia::core {
namespace {

using json = nlohmann::json;

// What the agent prints is the session's to choose: a line longer or deeper than any Claude
// Code writes is not read (its bytes are still in the log).
constexpr JsonLimits kLineLimits{.max_bytes = kMaxAgentLineBytes, .max_depth = 64};
// Far above any real count, far below where the meter's arithmetic could overflow.
constexpr std::int64_t kMostTokens = std::int64_t{1} << 40;
// Models named in one result line; Claude Code names a handful.
constexpr std::size_t kMostModels = 32;

// An activity is one line: whitespace breaks become spaces before the text is shortened.
std::string one_line_of(std::string text, std::size_t limit = 160) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return shorten(text, limit);
}

// Claude Code's session ids are UUIDs. The id becomes an argument (--resume) and the name of
// the transcript file, so only a plain token is taken.
bool is_agent_session_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       c == '-' || c == '_';
    if (!plain) return false;
  }
  return true;
}

std::string describe_tool_use(const json& block) {
  const std::string name = one_line_of(string_field(block, "name").value_or("a tool"), 60);
  const json& input = object_field(block, "input");
  for (const char* key : {"command", "file_path", "pattern", "url", "description", "prompt"}) {
    if (auto value = string_field(input, key))
      return "uses " + name + ": " + one_line_of(*value, 120);
  }
  return "uses " + name;
}

std::optional<std::string> assistant_activity(const json& line) {
  if (auto error = string_field(line, "error")) return "error: " + one_line_of(*error, 120);
  std::optional<std::string> activity;
  for (const auto& block : array_field(object_field(line, "message"), "content")) {
    const std::string type = string_field(block, "type").value_or("");
    if (type == "tool_use") activity = describe_tool_use(block);
    if (type == "text" && !activity)
      activity = "says: " + one_line_of(string_field(block, "text").value_or(""));
  }
  return activity;
}

std::int64_t count(const json& object, const char* key) {
  return count_field(object, key, kMostTokens).value_or(0);
}

std::optional<MessageUsage> message_usage(const json& line) {
  const json& message = object_field(line, "message");
  const json* usage = message.contains("usage") ? &message["usage"] : nullptr;
  if (!usage || !usage->is_object()) return std::nullopt;
  MessageUsage result;
  result.message_id = shorten(string_field(message, "id").value_or(""), 128);
  result.model = canonical_model(shorten(string_field(message, "model").value_or(""), 128));
  result.tokens = {count(*usage, "input_tokens"), count(*usage, "output_tokens"),
                   count(*usage, "cache_read_input_tokens"),
                   count(*usage, "cache_creation_input_tokens")};
  return result;
}

// Keyed by the ledger's name of each model: 2.1.332 says it as canonicalModel, 2.1.197 only in
// the key ("claude-opus-4-8[1m]"). Entries that name one model are calls of it: they add up.
ModelTotals model_totals(const json& line) {
  ModelTotals totals;
  std::size_t entries = 0;
  for (const auto& [key, usage] : object_field(line, "modelUsage").items()) {
    if (!usage.is_object() || key.size() > 128) continue;
    if (++entries > kMostModels) break;
    const auto canonical = string_field(usage, "canonicalModel");
    const std::string model = canonical_model(
        canonical && !canonical->empty() && canonical->size() <= 128 ? *canonical : key);
    TokenCounts& total = totals[model];
    total.input += count(usage, "inputTokens");
    total.output += count(usage, "outputTokens");
    total.cache_read += count(usage, "cacheReadInputTokens");
    total.cache_write += count(usage, "cacheCreationInputTokens");
  }
  return totals;
}

std::string attempt_of(const json& line, const char* key) {
  return std::to_string(count_field(line, key, 1'000'000).value_or(0));
}

}  // namespace

std::string canonical_model(std::string_view model) {
  if (model.size() > 2 && model.back() == ']') {
    if (const auto open = model.rfind('['); open != std::string_view::npos && open > 0)
      model = model.substr(0, open);
  }
  constexpr std::size_t kDate = 9;  // "-20250929"
  if (model.size() > kDate && model[model.size() - kDate] == '-') {
    const auto date = model.substr(model.size() - kDate + 1);
    if (std::all_of(date.begin(), date.end(), [](char c) { return c >= '0' && c <= '9'; }))
      model = model.substr(0, model.size() - kDate);
  }
  return std::string(model);
}

std::optional<AgentUpdate> read_agent_line(std::string_view line) {
  const auto parsed = parse_untrusted_json(line, kLineLimits);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const json& message = *parsed;
  const auto type = string_field(message, "type");
  if (!type) return std::nullopt;
  const std::string subtype = string_field(message, "subtype").value_or("");
  AgentUpdate update;
  if (*type == "system" && subtype == "init") {
    if (auto id = string_field(message, "session_id"); id && is_agent_session_id(*id))
      update.claude_session_id = *id;
    update.activity =
        "started (model " + one_line_of(string_field(message, "model").value_or("?"), 60) + ")";
  } else if (*type == "system" && subtype == "api_retry") {
    update.activity = "waiting for the API (attempt " + attempt_of(message, "attempt") + "/" +
                      attempt_of(message, "max_retries") + ")";
  } else if (*type == "assistant") {
    update.activity = assistant_activity(message);
    update.usage = message_usage(message);
  } else if (*type == "user") {
    update.activity = "got a tool result";
  } else if (*type == "result") {
    AgentResult result;
    result.subtype = shorten(subtype, 64);
    // Claude Code can say "success" and still fail (not logged in): is_error decides, when it
    // is a boolean; otherwise the subtype does.
    result.is_error = bool_field(message, "is_error").value_or(subtype != "success");
    result.text = string_field(message, "result").value_or("");
    // The parser took only well-formed UTF-8, so the dump cannot meet a byte it rejects.
    result.json = message.dump();
    if (auto id = string_field(message, "session_id"); id && is_agent_session_id(*id))
      result.session_id = *id;
    update.activity = (result.is_error ? "failed: " : "finished: ") + one_line_of(result.text);
    update.result = std::move(result);
    update.model_totals = model_totals(message);
  } else {
    return std::nullopt;
  }
  if (!update.activity && !update.claude_session_id && !update.result && !update.usage)
    return std::nullopt;
  return update;
}

bool may_bear_usage(std::string_view line) {
  return line.find("\"assistant\"") != std::string_view::npos ||
         line.find("\"cost-state\"") != std::string_view::npos;
}

std::optional<TranscriptEntry> read_transcript_line(std::string_view line) {
  if (!may_bear_usage(line)) return std::nullopt;
  const auto parsed = parse_untrusted_json(line, kLineLimits);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const auto type = string_field(*parsed, "type");
  TranscriptEntry entry;
  if (type == "assistant") {
    entry.usage = message_usage(*parsed);
    if (!entry.usage || entry.usage->message_id.empty()) return std::nullopt;
  } else if (type == "cost-state") {
    const auto id = string_field(*parsed, "sessionId");
    if (!id || !is_agent_session_id(*id)) return std::nullopt;
    entry.cost_state = CostState{*id, model_totals(*parsed)};
  } else {
    return std::nullopt;
  }
  return entry;
}

}  // namespace parhelia::core

#include "core/agent_stream.h"

#include <nlohmann/json.hpp>

#include "core/session.h"

namespace parhelia::core {
namespace {

using json = nlohmann::json;

// An activity is one line: whitespace breaks become spaces before the text is shortened.
std::string one_line_of(std::string text, std::size_t limit = 160) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return shorten(text, limit);
}

std::string describe_tool_use(const json& block) {
  const std::string name = block.value("name", "a tool");
  const json input = block.value("input", json::object());
  for (const char* key : {"command", "file_path", "pattern", "url", "description", "prompt"}) {
    if (input.contains(key) && input[key].is_string())
      return "uses " + name + ": " + one_line_of(input[key], 120);
  }
  return "uses " + name;
}

std::optional<std::string> assistant_activity(const json& message) {
  if (message.contains("error") && message["error"].is_string()) {
    return "error: " + message["error"].get<std::string>();
  }
  const json content = message.value("message", json::object()).value("content", json::array());
  std::optional<std::string> activity;
  for (const auto& block : content) {
    const std::string type = block.value("type", "");
    if (type == "tool_use") activity = describe_tool_use(block);
    if (type == "text" && !activity) activity = "says: " + one_line_of(block.value("text", ""));
  }
  return activity;
}

std::int64_t count(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_integer() ? found->get<std::int64_t>() : 0;
}

std::optional<MessageUsage> message_usage(const json& line) {
  const json message = line.value("message", json::object());
  if (!message.is_object() || !message.contains("usage") || !message["usage"].is_object())
    return std::nullopt;
  const json& usage = message["usage"];
  MessageUsage result;
  result.message_id = message.value("id", "");
  result.model = message.value("model", "");
  result.tokens = {count(usage, "input_tokens"), count(usage, "output_tokens"),
                   count(usage, "cache_read_input_tokens"),
                   count(usage, "cache_creation_input_tokens")};
  return result;
}

std::map<std::string, TokenCounts> model_totals(const json& line) {
  std::map<std::string, TokenCounts> totals;
  const json models = line.value("modelUsage", json::object());
  if (!models.is_object()) return totals;
  for (const auto& [model, usage] : models.items()) {
    if (!usage.is_object()) continue;
    totals[model] = {count(usage, "inputTokens"), count(usage, "outputTokens"),
                     count(usage, "cacheReadInputTokens"),
                     count(usage, "cacheCreationInputTokens")};
  }
  return totals;
}

}  // namespace

std::optional<AgentUpdate> read_agent_line(std::string_view line) {
  const json message = json::parse(line, nullptr, false);
  if (!message.is_object() || !message.contains("type")) return std::nullopt;
  const std::string type = message.value("type", "");
  const std::string subtype = message.value("subtype", "");
  AgentUpdate update;
  if (type == "system" && subtype == "init") {
    update.claude_session_id = message.value("session_id", "");
    update.activity = "started (model " + message.value("model", std::string("?")) + ")";
  } else if (type == "system" && subtype == "api_retry") {
    update.activity = "waiting for the API (attempt " +
                      std::to_string(message.value("attempt", 0)) + "/" +
                      std::to_string(message.value("max_retries", 0)) + ")";
  } else if (type == "assistant") {
    update.activity = assistant_activity(message);
    update.usage = message_usage(message);
  } else if (type == "user") {
    update.activity = "got a tool result";
  } else if (type == "result") {
    AgentResult result;
    result.subtype = subtype;
    // Claude Code can say "success" and still fail (not logged in): is_error decides.
    result.is_error = message.value("is_error", subtype != "success");
    result.text = message.value("result", "");
    result.json = message.dump();
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

}  // namespace parhelia::core

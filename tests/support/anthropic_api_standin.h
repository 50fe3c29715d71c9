// A stand-in for Anthropic's Messages API on 127.0.0.1, for tests that run the real Claude Code
// offline (ANTHROPIC_BASE_URL). It answers POST /v1/messages as the API does, streamed
// (server-sent events: message_start, content blocks, message_delta with the final usage,
// message_stop) or whole, echoing the model asked for; POST /v1/messages/count_tokens; and a
// JSON 404 to anything else. Replies come from the test's script. Every request is recorded
// with the usage the stand-in reported for it, so a test can price what "the API" billed and
// compare it with Parhelia's ledger to the micro-dollar.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/process.h"

namespace parhelia::testing {

// Tokens as the API reports them in `usage`.
struct ApiUsage {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_read = 0;
  std::int64_t cache_write = 0;
};

// One reply the script gives. Content blocks are the API's: {"type":"text","text":…} or
// {"type":"tool_use","name":…,"input":{…}} (an id is made when it has none).
struct ScriptedReply {
  std::vector<nlohmann::json> content;
  std::string stop_reason;  // derived from the content when empty: tool_use or end_turn
  // The final usage; unset fields are derived from the request's and the reply's size, with
  // the prompt cache behaving as the API's does (written once, read after).
  std::optional<std::int64_t> output_tokens;
  std::optional<ApiUsage> usage;
  // Streams every block but the last, then holds the stream open without a message_delta, as a
  // long response cut off part-way looks to the client (ends when the client goes away).
  bool cut_off = false;
  std::chrono::milliseconds delay{0};  // before the first byte
};

// What the stand-in was asked and what it answered.
struct ApiExchange {
  std::string path;
  nlohmann::json request;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string message_id;
  std::string model;       // as echoed back
  ApiUsage reported;       // the usage the client was told: message_start's, then message_delta's
  bool finished = false;   // the reply reached message_stop (or was sent whole)
  bool side_call = false;  // a request without tools (Claude Code's title request, say)
};

// Which step of the current prompt a request of the main loop is: the number of assistant
// messages after the last user message that is a prompt (not tool results).
int turn_of(const nlohmann::json& request);
// A request with no tools: Claude Code's side calls (the session title).
bool is_side_call(const nlohmann::json& request);

class AnthropicApiStandIn {
 public:
  using Script = std::function<ScriptedReply(const nlohmann::json& request)>;

  // Side calls are answered with a short JSON title; the main loop by `script`.
  explicit AnthropicApiStandIn(Script script);
  ~AnthropicApiStandIn();
  AnthropicApiStandIn(const AnthropicApiStandIn&) = delete;
  AnthropicApiStandIn& operator=(const AnthropicApiStandIn&) = delete;

  std::string base_url() const;  // http://127.0.0.1:PORT
  std::vector<ApiExchange> exchanges() const;
  // Waits until `count` requests have been answered at least in part (message_start sent).
  bool wait_for_exchanges(std::size_t count, std::chrono::milliseconds timeout) const;

  struct Server;

 private:
  std::unique_ptr<Server> server_;
};

// The real Claude Code the tests drive (scripts/setup --test-clients), or "" when it is not
// installed (then the test says so and skips).
std::string real_claude_binary();
// Runs that Claude Code with `args` in `cwd`, the environment being this process's with `env`
// (K=V) over it, for at most two minutes. A process that could not start reads as exit -1
// with the reason in err.
core::CapturedRun run_real_claude(const std::string& claude, const std::vector<std::string>& env,
                                  const std::filesystem::path& cwd,
                                  const std::vector<std::string>& args);

// The usual scripts: one tool call after another, then a final text.
ScriptedReply tool_call(const std::string& tool, nlohmann::json input,
                        std::optional<std::int64_t> output_tokens = std::nullopt);
ScriptedReply final_text(const std::string& text,
                         std::optional<std::int64_t> output_tokens = std::nullopt);
AnthropicApiStandIn::Script in_turns(std::vector<ScriptedReply> replies);

}  // namespace parhelia::testing

// An MCP client for tests and benchmarks: starts the real `parhelia mcp` over pipes, writes
// raw bytes or messages, and reads what comes back line by line. Every line on the server's
// stdout must be a JSON object; anything else fails the read (stdout is for protocol only).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/base/process.h"
#include "tests/support/temp_dir.h"

namespace parhelia::testing {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct ClientOptions {
  std::vector<std::string> environment;  // extra "K=V" entries (PARHELIA_HOME=… to share a home)
  bool debug_tools = true;               // PARHELIA_ENABLE_DEBUG_TOOLS=1
  bool pipe_stderr = false;  // stderr into a pipe the test reads only when it wants (else ours)
  std::string binary = PARHELIA_BINARY;  // or PARHELIA_TEST_BACKENDS_BINARY
};

// The fake Claude Code of tests/support/fake-claude, with a key it never checks.
std::vector<std::string> fake_agent_environment();

class McpClient {
 public:
  explicit McpClient(ClientOptions options = {});

  void send_raw(const std::string& bytes);
  void send(const json& message);
  // The next line as JSON, or nothing when none came in time or the stream ended.
  std::optional<json> next(std::chrono::milliseconds timeout = 5s);

  // Sends a request and waits for its answer; whatever else arrives meanwhile is kept in
  // `others`. Returns the whole response message.
  json request(const std::string& method, json params = json::object(),
               std::chrono::milliseconds timeout = 10s);
  json request_with_id(const json& id, const std::string& method, json params,
                       std::chrono::milliseconds timeout = 10s);
  // Waits for the response with this id.
  std::optional<json> response_to(const json& id, std::chrono::milliseconds timeout = 10s);

  // initialize + notifications/initialized; returns the initialize result.
  json initialize(const std::string& version = "2025-11-25", json capabilities = json::object());

  // A tools/call result (the "result" member), failing the test on a JSON-RPC error or on
  // structuredContent that does not match the tool's output schema.
  json call_tool(const std::string& name, json arguments = json::object(), json meta = nullptr);
  // Polls the status tool until the session ends; returns its last structured session view.
  json wait_for_end(const std::string& session_id, std::chrono::milliseconds timeout = 30s);

  void close_input();
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  void signal(int signal_number);
  const std::filesystem::path& home() const { return home_.path(); }
  int stderr_fd() const { return child_->stderr_fd(); }  // with pipe_stderr; else -1

  std::deque<json> others;  // notifications, requests and stray responses seen while waiting

 private:
  ParheliaHome home_;
  std::optional<core::ChildProcess> child_;
  // The tool's outputSchema, from tools/list (read once); {} for a tool without one.
  const json& output_schema(const std::string& tool);

  std::string buffer_;
  long long next_id_ = 1;
  std::map<std::string, json> output_schemas_;
};

}  // namespace parhelia::testing

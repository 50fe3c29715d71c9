#include "tests/support/mcp_client.h"

#include <poll.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <thread>

#include "core/base/environment.h"
#include "server/json_schema.h"

namespace parhelia::testing {

McpClient::McpClient(ClientOptions options) {
  core::ProcessSpec spec;
  spec.argv = {options.binary, "mcp"};
  std::vector<std::string> overrides = {"PARHELIA_HOME=" + home_.path().string(),
                                        "PARHELIA_LOG_LEVEL=error"};
  if (options.debug_tools) overrides.push_back("PARHELIA_ENABLE_DEBUG_TOOLS=1");
  overrides.insert(overrides.end(), options.environment.begin(),
                   options.environment.end());  // the test's win
  spec.environment = core::environment_with(overrides);
  spec.pipe_stdin = true;
  spec.pipe_stdout = true;
  spec.pipe_stderr = options.pipe_stderr;
  auto started = core::ChildProcess::start(spec);
  if (!started) throw std::runtime_error(started.error().sentence());
  child_.emplace(std::move(started).value());
}

void McpClient::send_raw(const std::string& bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(child_->stdin_fd(), bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("the server's stdin is closed");
    }
    written += static_cast<std::size_t>(n);
  }
}

void McpClient::send(const json& message) {
  send_raw(message.dump() + "\n");
}

std::optional<json> McpClient::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
      const std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      json message = json::parse(line);  // throws, failing the test, on anything but JSON
      if (!message.is_object() && !message.is_array())
        throw std::runtime_error("stdout carried: " + line);
      return message;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fd{child_->stdout_fd(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[65536];
    const ssize_t n = ::read(child_->stdout_fd(), chunk, sizeof chunk);
    if (n == 0) return std::nullopt;
    if (n > 0) buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<json> McpClient::response_to(const json& id, std::chrono::milliseconds timeout) {
  for (auto it = others.begin(); it != others.end(); ++it) {
    if (it->is_object() && !it->contains("method") && it->value("id", json()) == id) {
      json found = *it;
      others.erase(it);
      return found;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto message = next(left);
    if (!message) return std::nullopt;
    if (message->is_object() && !message->contains("method") && message->value("id", json()) == id)
      return message;
    others.push_back(std::move(*message));
  }
}

json McpClient::request_with_id(const json& id, const std::string& method, json params,
                                std::chrono::milliseconds timeout) {
  json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  send(message);
  auto response = response_to(id, timeout);
  if (!response) throw std::runtime_error("no answer to " + method + " within the timeout");
  return *response;
}

json McpClient::request(const std::string& method, json params, std::chrono::milliseconds timeout) {
  return request_with_id(next_id_++, method, std::move(params), timeout);
}

json McpClient::initialize(const std::string& version, json capabilities) {
  json response =
      request("initialize", {{"protocolVersion", version},
                             {"capabilities", std::move(capabilities)},
                             {"clientInfo", {{"name", "parhelia-tests"}, {"version", "1"}}}});
  if (!response.contains("result"))
    throw std::runtime_error("initialize failed: " + response.dump());
  send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  return response["result"];
}

json McpClient::call_tool(const std::string& name, json arguments, json meta) {
  json params = {{"name", name}, {"arguments", std::move(arguments)}};
  if (!meta.is_null()) params["_meta"] = std::move(meta);
  json response = request("tools/call", std::move(params), 30s);
  if (!response.contains("result"))
    throw std::runtime_error("tools/call failed: " + response.dump());
  const json& result = response["result"];
  // Claude Code refuses a result whose structuredContent does not match the tool's output
  // schema, so every call a test makes checks it too.
  if (result.contains("structuredContent")) {
    const json& schema = output_schema(name);
    if (auto violation = server::validate_against_schema(schema, result["structuredContent"]))
      throw std::runtime_error("the " + name + " result does not match its output schema: " +
                               *violation + "\n" + result["structuredContent"].dump());
  }
  return result;
}

const json& McpClient::output_schema(const std::string& tool) {
  if (output_schemas_.empty()) {
    json cursor;
    do {
      json params = json::object();
      if (!cursor.is_null()) params["cursor"] = cursor;
      const json page = request("tools/list", std::move(params));
      for (const auto& listed : page["result"]["tools"])
        output_schemas_[listed["name"]] = listed.value("outputSchema", json::object());
      cursor = page["result"].value("nextCursor", json());
    } while (!cursor.is_null());
  }
  static const json none = json::object();
  const auto found = output_schemas_.find(tool);
  return found == output_schemas_.end() ? none : found->second;
}

json McpClient::wait_for_end(const std::string& session_id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::set<std::string> ended = {"succeeded", "failed",      "cancelled",
                                       "timed_out", "over_budget", "lost"};
  while (true) {
    const json result = call_tool("status", {{"session_id", session_id}});
    if (result.value("isError", false)) throw std::runtime_error("status failed: " + result.dump());
    const json session = result["structuredContent"]["session"];
    if (ended.count(session["state"].get<std::string>()) > 0) return session;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("still running: " + session.dump());
    std::this_thread::sleep_for(100ms);
  }
}

std::vector<std::string> fake_agent_environment() {
  return {std::string("PARHELIA_AGENT=") + PARHELIA_SOURCE_DIR + "/tests/support/fake-claude",
          "ANTHROPIC_API_KEY=sk-ant-test-not-a-real-key"};
}

void McpClient::close_input() {
  child_->close_stdin();
}

std::optional<int> McpClient::wait_exit(std::chrono::milliseconds timeout) {
  return child_->wait_for(timeout);
}

void McpClient::signal(int signal_number) {
  child_->send_signal(signal_number);
}

}  // namespace parhelia::testing

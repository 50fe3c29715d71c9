// The real Claude Code as Parhelia's MCP client: registered with `claude mcp add`, it runs a
// scripted conversation (the stand-in API plays the model) that calls submit, status, session
// and budget. What matters is what the model was sent back: Claude Code gives it only each
// result's structuredContent, so that JSON must be short, self-explaining, and say what to do
// next.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "tests/support/anthropic_api_standin.h"
#include "tests/support/temp_dir.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia;
using namespace parhelia::testing;
using nlohmann::json;

namespace {

std::string block_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const json& block : content) {
      if (block.is_object() && block.value("type", "") == "text") text += block.value("text", "");
    }
  }
  return text;
}

// What the model was given for each tool call of the conversation, in order: the tool's name
// and the text of its result.
std::vector<std::pair<std::string, std::string>> tool_results(const json& request) {
  std::map<std::string, std::string> names;
  std::vector<std::pair<std::string, std::string>> results;
  for (const json& message : request.value("messages", json::array())) {
    const json content = message.value("content", json());
    if (!content.is_array()) continue;
    for (const json& block : content) {
      if (!block.is_object()) continue;
      if (block.value("type", "") == "tool_use") {
        names[block.value("id", "")] = block.value("name", "");
      } else if (block.value("type", "") == "tool_result") {
        results.emplace_back(names[block.value("tool_use_id", "")],
                             block_text(block.value("content", json())));
      }
    }
  }
  return results;
}

std::string session_id_in(const json& request) {
  const auto results = tool_results(request);
  for (const auto& [tool, text] : results) {
    const json value = json::parse(text, nullptr, false);
    if (value.is_object() && value.contains("session") && value["session"].is_object()) {
      return value["session"].value("session_id", "");
    }
    if (value.is_object() && value.contains("session_id")) return value.value("session_id", "");
  }
  return "";
}

}  // namespace

TEST_CASE(
    "Claude Code as the MCP client: submit, status, session and budget as the model reads "
    "them",
    "[real-claude][mcp]") {
  const std::string claude = real_claude_binary();
  if (claude.empty()) {
    WARN("SKIPPED: Claude Code is not installed; run scripts/setup --test-clients");
    return;
  }
  GitWorkspace project;
  ParheliaHome parhelia_home;
  TempDir home;

  AnthropicApiStandIn api([&](const json& request) -> ScriptedReply {
    const std::string id = session_id_in(request);
    switch (turn_of(request)) {
      case 0:
        return tool_call("mcp__parhelia__submit", {{"command", "echo from-claude-code"},
                                                   {"workspace", project.path().string()},
                                                   {"sync", true}});
      case 1:
        return tool_call("mcp__parhelia__status", {{"session_id", id}});
      case 2:
        return tool_call("mcp__parhelia__session", {{"action", "logs"}, {"session_id", id}});
      case 3:
        return tool_call("mcp__parhelia__session", {{"action", "list"}});
      case 4:
        return tool_call("mcp__parhelia__budget", {{"action", "show"}});
      default:
        return final_text("All done.");
    }
  });
  const std::vector<std::string> env = {"HOME=" + home.path().string(),
                                        "ANTHROPIC_BASE_URL=" + api.base_url(),
                                        "ANTHROPIC_API_KEY=sk-ant-standin", "IS_SANDBOX=1",
                                        "PARHELIA_HOME=" + parhelia_home.path().string()};

  auto added = run_real_claude(claude, env, project.path(),
                               {"mcp", "add", "parhelia", "--", PARHELIA_BINARY, "mcp"});
  INFO(added.out << added.err);
  REQUIRE(added.exit_status == 0);

  auto run = run_real_claude(claude, env, project.path(),
                             {"-p", "run echo on parhelia and report", "--output-format",
                              "stream-json", "--verbose", "--dangerously-skip-permissions"});
  INFO(run.err);
  REQUIRE(run.exit_status == 0);

  // The last request of the main loop holds every tool result the model was given.
  json last;
  for (const auto& e : api.exchanges()) {
    if (!e.side_call) last = e.request;
  }
  const auto results = tool_results(last);
  REQUIRE(results.size() == 5);
  const std::vector<std::string> tools = {"mcp__parhelia__submit", "mcp__parhelia__status",
                                          "mcp__parhelia__session", "mcp__parhelia__session",
                                          "mcp__parhelia__budget"};
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& [tool, text] = results[i];
    INFO(tool << ": " << text);
    CHECK(tool == tools[i]);
    // The structured result, whole and alone: JSON the model can read, small, with the next step.
    const json value = json::parse(text, nullptr, false);
    REQUIRE(value.is_object());
    CHECK(text.size() < 2500);
    CHECK(value.contains("next"));
    WARN(tool << " result: " << text.size() << " characters");
  }
  const json submitted = json::parse(results[0].second);
  CHECK(submitted["session"].value("state", "") == "succeeded");
  CHECK(results[2].second.find("from-claude-code") != std::string::npos);
  // A finished session holds nothing of the budget, in status as in budget show.
  const json status = json::parse(results[1].second);
  CHECK(status["cost"].value("reserved_usd", -1.0) == 0);
  const json listed = json::parse(results[3].second);
  REQUIRE(listed["sessions"].size() == 1);
}

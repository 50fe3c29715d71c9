// Parhelia at home in the real Claude Code: the /parhelia-* commands installed by `parhelia
// skills install`, the MCP prompts (/mcp__parhelia__…), and the repository as a plugin. The
// stand-in API plays the model: it reads what Claude Code made of the slash command and calls
// the tool the text asks for, with the user's words taken from that text.
#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "skills/catalog.h"
#include "tests/support/anthropic_api_standin.h"
#include "tests/support/expect.h"
#include "tests/support/temp_dir.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia;
using namespace parhelia::testing;
using nlohmann::json;

namespace {

// Every text the user side of the conversation holds (the expanded slash command among them).
std::string user_texts(const json& request) {
  std::string text;
  for (const json& message : request.value("messages", json::array())) {
    if (message.value("role", "") != "user") continue;
    const json content = message.value("content", json());
    if (content.is_string()) text += content.get<std::string>() + "\n";
    if (!content.is_array()) continue;
    for (const json& block : content) {
      if (block.is_object() && block.value("type", "") == "text") {
        text += block.value("text", "") + "\n";
      }
    }
  }
  return text;
}

// The tool results the model was given, by tool name.
std::map<std::string, std::string> results_by_tool(const json& request) {
  std::map<std::string, std::string> names, results;
  for (const json& message : request.value("messages", json::array())) {
    const json content = message.value("content", json());
    if (!content.is_array()) continue;
    for (const json& block : content) {
      if (!block.is_object()) continue;
      if (block.value("type", "") == "tool_use")
        names[block.value("id", "")] = block.value("name", "");
      if (block.value("type", "") == "tool_result") {
        const json inner = block.value("content", json());
        std::string text = inner.is_string() ? inner.get<std::string>() : inner.dump();
        results[names[block.value("tool_use_id", "")]] += text;
      }
    }
  }
  return results;
}

struct SlashRun {
  std::string prompt_seen;  // what the model was given for the slash command
  json submit_input;        // what the scripted model passed to submit
  std::map<std::string, std::string> results;
  std::string stderr_text;
  int exit_status = -1;
};

// Runs `claude -p SLASH` with a model that, reading "Run this with Parhelia: WORDS", submits
// WORDS as a dry-run task through `tool`; no --dangerously-skip-permissions: a command's
// allowed-tools is what lets the call through.
SlashRun run_slash(const std::string& claude, std::vector<std::string> env,
                   const std::filesystem::path& project, const std::string& slash,
                   const std::string& tool, const std::regex& words,
                   std::vector<std::string> extra_args = {}) {
  SlashRun out;
  std::mutex mutex;
  AnthropicApiStandIn api([&](const json& request) -> ScriptedReply {
    if (turn_of(request) > 0) return final_text("Done.");
    const std::string text = user_texts(request);
    std::smatch found;
    std::lock_guard lock(mutex);
    out.prompt_seen = text;
    if (!std::regex_search(text, found, words)) return final_text("I did not find the work.");
    out.submit_input = {
        {"task", found[1].str()}, {"dry_run", true}, {"workspace", project.string()}};
    return tool_call(tool, out.submit_input);
  });
  env.push_back("ANTHROPIC_BASE_URL=" + api.base_url());
  std::vector<std::string> args = {"-p", slash, "--output-format", "stream-json", "--verbose"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const auto run = run_real_claude(claude, env, project, args);
  out.stderr_text = run.err;
  out.exit_status = run.exit_status;
  json last;
  for (const auto& e : api.exchanges()) {
    if (!e.side_call) last = e.request;
  }
  out.results = results_by_tool(last);
  return out;
}

}  // namespace

TEST_CASE(
    "Claude Code runs /parhelia-submit (installed) and the submit prompt with the user's "
    "words intact",
    "[real-claude][commands]") {
  const std::string claude = real_claude_binary();
  if (claude.empty()) {
    WARN("SKIPPED: Claude Code is not installed; run scripts/setup --test-clients");
    return;
  }
  GitWorkspace project;
  ParheliaHome parhelia_home;
  TempDir home;
  const std::vector<std::string> env = {"HOME=" + home.path().string(),
                                        "ANTHROPIC_API_KEY=sk-ant-standin",
                                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
                                        "DISABLE_TELEMETRY=1",
                                        "PARHELIA_HOME=" + parhelia_home.path().string(),
                                        "PARHELIA_AGENT=" + claude,
                                        "IS_SANDBOX=1"};
  core::ProcessSpec install;
  install.argv = {PARHELIA_BINARY, "skills", "install"};
  install.environment = core::environment_with(env);
  const auto installed = core::run_captured(install, std::chrono::seconds(20));
  REQUIRE(installed);
  REQUIRE(installed->exit_status == 0);
  const auto added = run_real_claude(claude, env, project.path(),
                                     {"mcp", "add", "parhelia", "--", PARHELIA_BINARY, "mcp"});
  INFO(added.out << added.err);
  REQUIRE(added.exit_status == 0);

  SECTION("the installed command") {
    const auto run =
        run_slash(claude, env, project.path(), "/parhelia-submit fix the flaky test",
                  "mcp__parhelia__submit", std::regex("Run this with Parhelia: ([^\\n]*)"));
    INFO(run.prompt_seen << "\n" << run.stderr_text);
    CHECK(run.exit_status == 0);
    CHECK(contains(run.prompt_seen, "Call Parhelia's `submit` tool"));
    CHECK(run.submit_input.value("task", "") == "fix the flaky test");
    // The call went through (allowed-tools) and was answered by submit's dry run.
    REQUIRE(run.results.count("mcp__parhelia__submit") == 1);
    const std::string& result = run.results.at("mcp__parhelia__submit");
    INFO(result);
    CHECK(contains(result, "would_run"));
    CHECK(!contains(result, "haven't granted"));
  }
  SECTION("the MCP prompt") {
    const auto run =
        run_slash(claude, env, project.path(), "/mcp__parhelia__parhelia-submit fix the flaky test",
                  "mcp__parhelia__submit", std::regex("<command-args>([^<]*)</command-args>"),
                  // A prompt grants no tools, as a command file's allowed-tools does; the
                  // user lets the call through (here: skip permission prompts, as root).
                  {"--dangerously-skip-permissions"});
    INFO(run.prompt_seen << "\n" << run.stderr_text);
    CHECK(run.exit_status == 0);
    // Claude Code hands the prompt only the first word, and the model the whole typed text;
    // the prompt's message points the model from the one to the other.
    CHECK(contains(run.prompt_seen, "Run this with Parhelia: \"fix\""));
    CHECK(contains(run.prompt_seen, "all of them are meant"));
    CHECK(run.submit_input.value("task", "") == "fix the flaky test");
    REQUIRE(run.results.count("mcp__parhelia__submit") == 1);
    INFO(run.results.at("mcp__parhelia__submit"));
    CHECK(contains(run.results.at("mcp__parhelia__submit"), "would_run"));
  }
}

TEST_CASE(
    "the checkout is a Claude Code plugin: it validates, installs in a new HOME with its "
    "commands and skills, and its server connects",
    "[real-claude][plugin]") {
  const std::string claude = real_claude_binary();
  if (claude.empty()) {
    WARN("SKIPPED: Claude Code is not installed; run scripts/setup --test-clients");
    return;
  }
  TempDir home;
  TempDir elsewhere;
  ParheliaHome parhelia_home;
  const std::vector<std::string> env = {
      "HOME=" + home.path().string(), "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
      "DISABLE_TELEMETRY=1", "PARHELIA_HOME=" + parhelia_home.path().string()};
  const auto run = [&](std::vector<std::string> args) {
    auto done = run_real_claude(claude, env, elsewhere.path(), std::move(args));
    INFO(done.out << done.err);
    CHECK(done.exit_status == 0);
    return done.out + done.err;
  };
  CHECK(
      contains(run({"plugin", "validate", PARHELIA_SOURCE_DIR, "--strict"}), "Validation passed"));
  CHECK(
      contains(run({"plugin", "validate",
                    std::string(PARHELIA_SOURCE_DIR) + "/.claude-plugin/plugin.json", "--strict"}),
               "Validation passed"));
  run({"plugin", "marketplace", "add", PARHELIA_SOURCE_DIR});
  run({"plugin", "install", "parhelia@parhelia"});
  const std::string details = run({"plugin", "details", "parhelia"});
  for (const auto& command : parhelia::skills::all_commands()) {
    INFO(command.name);
    CHECK(contains(details, command.name));
  }
  for (const auto& skill : parhelia::skills::all_skills()) CHECK(contains(details, skill.name));
  const std::string servers = run({"mcp", "list"});
  INFO(servers);
  CHECK(contains(servers, "plugin:parhelia:parhelia"));
  CHECK(contains(servers, "Connected"));
}

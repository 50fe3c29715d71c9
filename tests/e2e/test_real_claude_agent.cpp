// The real Claude Code as a session's agent, set up as users have it, against the stand-in
// API: installed by `npm install --prefix` under /tmp (node_modules/.bin/claude a link into the
// package) and run in the sandbox, natively or through the package's `#!/usr/bin/env node`
// launcher with node behind a PATH folder of links; signed in with an API key or a
// subscription's token; and resumed, where an absolute path from the earlier turns must still
// lead into the session's own files.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "tests/support/anthropic_api_standin.h"
#include "tests/support/cli_runner.h"
#include "tests/support/expect.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

#define REQUIRE_REAL_CLAUDE(claude)                                                  \
  const std::string claude = real_claude_binary();                                   \
  if (claude.empty()) {                                                              \
    WARN("SKIPPED: Claude Code is not installed; run scripts/setup --test-clients"); \
    return;                                                                          \
  }

// `npm install --prefix DIR @anthropic-ai/claude-code` without the network: the installed
// packages copied (hard links where they can be: 200 MB otherwise), .bin/claude linked into the
// package as npm links it.
class NpmPrefix {
 public:
  explicit NpmPrefix(const std::string& installed_claude) {
    root_ = fs::canonical(dir_.path());
    const fs::path modules = fs::path(installed_claude).parent_path().parent_path();
    fs::create_directories(root_ / "node_modules" / ".bin");
    parhelia::core::ProcessSpec copy;
    copy.argv = {"cp", "-al", (modules / "@anthropic-ai").string(),
                 (root_ / "node_modules").string()};
    auto copied = parhelia::core::run_captured(copy, 60s);
    if (!copied || copied->exit_status != 0) {
      copy.argv[1] = "-a";
      copied = parhelia::core::run_captured(copy, 120s);
    }
    REQUIRE(copied);
    REQUIRE(copied->exit_status == 0);
    link_bin(fs::read_symlink(installed_claude));
  }
  // .bin/claude -> TARGET (relative to .bin, as npm writes it).
  void link_bin(const fs::path& target) {
    std::error_code ec;
    fs::remove(claude(), ec);
    fs::create_symlink(target, claude());
  }
  fs::path claude() const { return root_ / "node_modules" / ".bin" / "claude"; }
  fs::path package() const { return root_ / "node_modules" / "@anthropic-ai" / "claude-code"; }
  const fs::path& root() const { return root_; }

 private:
  TempDir dir_;
  fs::path root_;
};

std::vector<std::string> agent_environment(const fs::path& claude, const AnthropicApiStandIn& api,
                                           std::vector<std::string> more = {}) {
  std::vector<std::string> env = {"PARHELIA_AGENT=" + claude.string(),
                                  "ANTHROPIC_BASE_URL=" + api.base_url(),
                                  "ANTHROPIC_MODEL=claude-sonnet-4-5"};
  env.insert(env.end(), more.begin(), more.end());
  return env;
}

AnthropicApiStandIn::Script edit_notes() {
  return in_turns(
      {tool_call("Bash", {{"command", "echo edited > notes.txt"}, {"description", "Edit notes"}}),
       final_text("Edited notes.txt.")});
}

// Runs "edit notes.txt" in the sandbox and checks that Claude Code did it there.
void edits_in_the_sandbox(const std::vector<std::string>& environment) {
  GitWorkspace workspace;
  workspace.write("notes.txt", "before\n");
  Cli cli(environment);
  const auto run =
      cli.run({"submit", "edit notes.txt", "--sync", "--json", "--yes"}, workspace.path().string());
  INFO(run.out << run.err);
  const json session = json::parse(run.out, nullptr, false);
  REQUIRE(session.is_object());
  const std::string id = session.value("session_id", "");
  INFO(cli.run({"session", "logs", id}).out);
  CHECK(session["state"] == "succeeded");
  CHECK(session["sandboxed"] == true);
  CHECK((has(session["changed_files"], "M notes.txt") ||
         has(session["changed_files"], "A notes.txt")));
  CHECK(read_file(cli.home() / "sessions" / id / "workspace" / "notes.txt") == "edited\n");
}

// The text of the first tool result in the conversation a request carries.
std::string first_tool_result(const json& request) {
  for (const auto& message : request.value("messages", json::array())) {
    if (!message["content"].is_array()) continue;
    for (const auto& block : message["content"]) {
      if (block.value("type", "") != "tool_result") continue;
      const json& content = block["content"];
      std::string text = content.is_string() ? content.get<std::string>() : "";
      if (content.is_array())
        for (const auto& part : content) text += part.value("text", "");
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      return text;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("real Claude Code installed by npm under /tmp runs in the sandbox",
          "[e2e][real-claude][sandbox][agent]") {
  REQUIRE_REAL_CLAUDE(installed);
  AnthropicApiStandIn api(edit_notes());
  NpmPrefix npm(installed);
  SECTION("as npm links it: .bin/claude into the package") {
    edits_in_the_sandbox(agent_environment(npm.claude(), api, {"ANTHROPIC_API_KEY=sk-ant-si"}));
  }
  SECTION("through its `#!/usr/bin/env node` launcher, node behind a PATH folder of links") {
    // The launcher npm leaves in use where the native binary was not put in place
    // (--ignore-scripts); node reached as nvm or volta leave it, through a folder of links
    // that the sandbox does not show.
    const auto node = parhelia::core::find_executable("node");
    REQUIRE(node);
    const fs::path wrapper = npm.package() / "cli-wrapper.cjs";
    fs::remove(wrapper);  // a copy of its own, not a link to the installed one, to make runnable
    fs::copy_file(fs::path(installed).parent_path().parent_path() / "@anthropic-ai" /
                      "claude-code" / "cli-wrapper.cjs",
                  wrapper);
    fs::permissions(wrapper, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
    npm.link_bin("../@anthropic-ai/claude-code/cli-wrapper.cjs");
    const fs::path links = npm.root() / "node-links";
    fs::create_directories(links);
    fs::create_symlink(fs::canonical(*node), links / "node");
    edits_in_the_sandbox(agent_environment(
        npm.claude(), api,
        {"ANTHROPIC_API_KEY=sk-ant-si",
         "PATH=" + links.string() + ":" + parhelia::core::env_value("PATH").value_or("")}));
  }
}

TEST_CASE("real Claude Code signs in with the credential Parhelia names",
          "[e2e][real-claude][credentials][agent]") {
  REQUIRE_REAL_CLAUDE(claude);
  const std::string key = "sk-ant-api-standin-5e1f";
  const std::string token = "sk-ant-oat-standin-9d3c";
  for (const bool with_key : {false, true}) {
    INFO((with_key ? "API key and token" : "token alone"));
    AnthropicApiStandIn api(edit_notes());
    std::vector<std::string> extra = {"CLAUDE_CODE_OAUTH_TOKEN=" + token,
                                      "ANTHROPIC_API_KEY=" + std::string(with_key ? key : "")};
    GitWorkspace workspace;
    workspace.write("notes.txt", "before\n");
    Cli cli(agent_environment(claude, api, extra));
    const json doctor = run_json(cli, {"doctor", "--json"});
    CHECK(doctor["agent_credential"] ==
          (with_key ? "ANTHROPIC_API_KEY" : "CLAUDE_CODE_OAUTH_TOKEN"));
    const auto run = cli.run({"submit", "edit notes.txt", "--sync", "--json", "--yes"},
                             workspace.path().string());
    INFO(run.out << run.err);
    const json session = json::parse(run.out, nullptr, false);
    REQUIRE(session.is_object());
    CHECK(session["state"] == "succeeded");
    // What reached the API: the one credential named, as Claude Code sends it.
    const auto exchanges = api.exchanges();
    REQUIRE_FALSE(exchanges.empty());
    for (const auto& e : exchanges) {
      const auto header = [&](const std::string& name) {
        const auto it = e.headers.find(name);
        return it == e.headers.end() ? std::string() : it->second;
      };
      if (with_key) {
        CHECK(header("x-api-key") == key);
        CHECK(header("authorization").empty());
      } else {
        CHECK(header("authorization") == "Bearer " + token);
        CHECK(header("x-api-key").empty());
      }
    }
  }
}

TEST_CASE("real Claude Code resumed reuses an absolute path from its earlier turns, in its files",
          "[e2e][real-claude][checkpoints][resume]") {
  REQUIRE_REAL_CLAUDE(claude);
  // First: `pwd`. Resumed: the model writes later.txt into the directory that pwd printed, as
  // a model that reuses a path from the conversation does.
  AnthropicApiStandIn api([](const json& request) {
    const int turn = turn_of(request);
    if (request["messages"].dump().find("write later.txt") == std::string::npos) {
      return turn == 0 ? tool_call("Bash", {{"command", "pwd"}, {"description", "Where"}})
                       : final_text("Noted where we are.");
    }
    return turn == 0 ? tool_call("Write", {{"file_path", first_tool_result(request) + "/later.txt"},
                                           {"content", "later\n"}})
                     : final_text("Wrote later.txt.");
  });
  for (const bool sandboxed : {true, false}) {
    INFO((sandboxed ? "sandboxed" : "--no-sandbox"));
    GitWorkspace workspace;
    Cli cli(agent_environment(claude, api, {"ANTHROPIC_API_KEY=sk-ant-si"}));
    std::vector<std::string> args = {"submit", "where are we", "--sync", "--json", "--yes"};
    if (!sandboxed) args.push_back("--no-sandbox");
    const json first = run_json(cli, args, workspace.path().string());
    REQUIRE(first["state"] == "succeeded");
    const std::string parent = first["session_id"];
    const json resumed = run_json(cli, {"session", "resume", parent, "--prompt",
                                        "now write later.txt there", "--yes", "--json"});
    const std::string child = resumed["session_id"];
    const json ended = wait_for_end(cli, child);
    INFO(ended.dump() << cli.run({"session", "logs", child}).out);
    CHECK(ended["state"] == "succeeded");
    CHECK(has(ended["changed_files"], "A later.txt"));
    CHECK(read_file(cli.home() / "sessions" / child / "workspace" / "later.txt") == "later\n");
    CHECK_FALSE(fs::exists(cli.home() / "sessions" / parent / "workspace.ended" / "later.txt"));
  }
}

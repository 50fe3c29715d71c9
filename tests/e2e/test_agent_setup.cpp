// How a session finds and starts its agent, and signs it in, through the real binary: an agent
// installed by npm under /tmp whose interpreter lies behind a PATH folder the sandbox does not
// show; doctor and status finding the agent the way submit does; a Claude subscription's token
// accepted beside an API key, and the session given only the one Claude Code uses; the prompts
// shaped for Claude Code's way of passing their arguments; and the working directory a line of
// resumed sessions sees.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/base/environment.h"
#include "tests/support/cli_runner.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "sk-ant-api-test-4b1d9e";
const std::string kToken = "sk-ant-oat-test-7c2a5f";

std::string fake_agent() {
  return std::string(PARHELIA_SOURCE_DIR) + "/tests/support/fake-claude";
}

}  // namespace

TEST_CASE("sandbox: an npm agent script runs by the interpreter PATH finds, behind links",
          "[e2e][sandbox][agent]") {
  // `npm install --prefix /tmp/x` of a JS agent: node_modules/.bin/agent -> ../agent/cli.js with
  // `#!/usr/bin/env NAME`, NAME found through a PATH folder of links (as nvm, volta or another
  // node_modules/.bin leave them) that the sandbox does not show. Here the interpreter is the
  // system's sh under a name of its own, so that nothing else on PATH can stand in for it.
  TempDir prefix;
  const fs::path root = fs::canonical(prefix.path());
  const fs::path package = root / "node_modules" / "agent";
  const fs::path links = root / "links";
  fs::create_directories(package);
  fs::create_directories(root / "node_modules" / ".bin");
  fs::create_directories(links);
  fs::create_symlink(fs::canonical("/bin/sh"), links / "parhelia-test-runtime");
  {
    std::ofstream cli(package / "cli.js");
    cli << "#!/usr/bin/env parhelia-test-runtime\n"
           "echo 'ran by its runtime' > ran.txt\n"
           "echo '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
           "\"result\":\"done\",\"session_id\":\"s-1\",\"total_cost_usd\":0}'\n";
  }
  fs::permissions(package / "cli.js", fs::perms::owner_all | fs::perms::group_read |
                                          fs::perms::group_exec | fs::perms::others_read |
                                          fs::perms::others_exec);
  fs::create_symlink("../agent/cli.js", root / "node_modules" / ".bin" / "agent");
  GitWorkspace workspace;
  Cli cli({"PARHELIA_AGENT=" + (root / "node_modules" / ".bin" / "agent").string(),
           "ANTHROPIC_API_KEY=" + kKey,
           "PATH=" + links.string() + ":" + parhelia::core::env_value("PATH").value_or("")});
  const auto submitted =
      cli.run({"submit", "do it", "--sync", "--json", "--timeout", "60", "--yes"},
              workspace.path().string());
  INFO(submitted.out << submitted.err << cli.run({"session", "logs", "--help"}).out);
  const json session = json::parse(submitted.out, nullptr, false);
  REQUIRE(session.is_object());
  INFO(cli.run({"session", "logs", session.value("session_id", "")}).out);
  CHECK(session["state"] == "succeeded");
  CHECK(has(session["changed_files"], "A ran.txt"));
}

TEST_CASE("doctor and status find the agent PARHELIA_AGENT names, as submit does",
          "[e2e][health][agent]") {
  // No `claude` on this PATH: only PARHELIA_AGENT leads to one.
  const std::vector<std::string> environment = {"PARHELIA_AGENT=" + fake_agent(),
                                                "PATH=/usr/bin:/bin"};
  Cli cli(environment);
  const json doctor = run_json(cli, {"doctor", "--json"});
  const auto agent = std::find_if(doctor["dependencies"].begin(), doctor["dependencies"].end(),
                                  [](const json& d) { return d["program"] == "claude"; });
  REQUIRE(agent != doctor["dependencies"].end());
  CHECK((*agent)["found"] == true);
  CHECK((*agent)["path"] == fake_agent());
  const auto human = cli.run({"doctor"});
  CHECK(contains(human.out, "ok       claude  " + fake_agent()));

  McpClient client({.environment = environment});
  client.initialize();
  const json status = client.call_tool("status")["structuredContent"]["system"];
  bool found = false;
  for (const auto& d : status["dependencies"])
    if (d["program"] == "claude") found = d["found"] == true && d["path"] == fake_agent();
  CHECK(found);
  for (const auto& missing : status["missing"]) CHECK_FALSE(contains(missing, "claude"));

  // One that is not there is named as what PARHELIA_AGENT says, with the fix.
  Cli wrong({"PARHELIA_AGENT=/nonexistent/claude", "PATH=/usr/bin:/bin"});
  const json broken = run_json(wrong, {"doctor", "--json"});
  for (const auto& d : broken["dependencies"]) {
    if (d["program"] != "claude") continue;
    CHECK(d["found"] == false);
    CHECK(contains(d["install_hint"], "PARHELIA_AGENT names `/nonexistent/claude`"));
  }
}

TEST_CASE("a Claude subscription's token is accepted, a session gets the credential it uses",
          "[e2e][credentials][agent]") {
  GitWorkspace workspace;
  SECTION("the token alone") {
    Cli cli({"PARHELIA_AGENT=" + fake_agent(),
             "ANTHROPIC_API_KEY=", "CLAUDE_CODE_OAUTH_TOKEN=" + kToken});
    const json doctor = run_json(cli, {"doctor", "--json"});
    CHECK(doctor["agent_credential"] == "CLAUDE_CODE_OAUTH_TOKEN");
    const auto submitted =
        cli.run({"submit", "write seen.txt: hello", "--sync", "--json"}, workspace.path().string());
    INFO(submitted.out << submitted.err);
    const json session = json::parse(submitted.out, nullptr, false);
    REQUIRE(session.is_object());
    CHECK(session["state"] == "succeeded");
    const std::string id = session["session_id"];
    const auto names =
        read_file(cli.home() / "sessions" / id / "home" / ".fake-claude-environment");
    CHECK(contains(names, "\nCLAUDE_CODE_OAUTH_TOKEN\n"));
    CHECK_FALSE(contains(names, "\nANTHROPIC_API_KEY\n"));
    // Which one, by name, among its events; the value nowhere Parhelia writes or says.
    const auto shown = cli.run({"status", id});
    CHECK(contains(shown.out, "Claude Code signs in with CLAUDE_CODE_OAUTH_TOKEN"));
    const auto log = cli.run({"session", "logs", id}).out;
    CHECK_FALSE(contains(shown.out + log + doctor.dump(), kToken));
  }
  SECTION("both: Claude Code prefers the API key, so the token stays out of the session") {
    const std::vector<std::string> environment = {"PARHELIA_AGENT=" + fake_agent(),
                                                  "ANTHROPIC_API_KEY=" + kKey,
                                                  "CLAUDE_CODE_OAUTH_TOKEN=" + kToken};
    McpClient client({.environment = environment});
    client.initialize();
    const json system = client.call_tool("status")["structuredContent"]["system"];
    CHECK(system["agent_credential"] == "ANTHROPIC_API_KEY");
    const json dry = client.call_tool(
        "submit",
        {{"task", "write a.txt: x"}, {"workspace", workspace.path().string()}, {"dry_run", true}});
    CHECK(dry["structuredContent"]["credential"] == "ANTHROPIC_API_KEY");
    const json started = client.call_tool(
        "submit", {{"task", "write seen.txt: hello"}, {"workspace", workspace.path().string()}});
    INFO(started.dump());
    CHECK(started["structuredContent"]["credential"] == "ANTHROPIC_API_KEY");
    const std::string id = started["structuredContent"]["session"]["session_id"];
    CHECK(client.wait_for_end(id)["state"] == "succeeded");
    const auto names =
        read_file(client.home() / "sessions" / id / "home" / ".fake-claude-environment");
    CHECK(contains(names, "\nANTHROPIC_API_KEY\n"));
    CHECK_FALSE(contains(names, "CLAUDE_CODE_OAUTH_TOKEN"));
    Cli cli(environment);
    CHECK(contains(cli.run({"doctor"}).out,
                   "ANTHROPIC_API_KEY is set; Claude Code tasks sign in with it "
                   "(CLAUDE_CODE_OAUTH_TOKEN is set too"));
  }
  SECTION("neither: refused, naming both") {
    Cli cli({"PARHELIA_AGENT=" + fake_agent(), "ANTHROPIC_API_KEY=", "CLAUDE_CODE_OAUTH_TOKEN="});
    const auto refused = cli.run({"submit", "write a.txt: x"}, workspace.path().string());
    CHECK(refused.exit_status != 0);
    CHECK(contains(refused.err, "Neither ANTHROPIC_API_KEY nor CLAUDE_CODE_OAUTH_TOKEN is set"));
  }
}

TEST_CASE(
    "prompts take one word per argument, free text only last, for Claude Code's "
    "word-by-word split",
    "[e2e][prompts]") {
  McpClient client;
  client.initialize();
  const json prompts = client.request("prompts/list")["result"]["prompts"];
  REQUIRE(prompts.size() >= 4);
  for (const auto& prompt : prompts) {
    INFO(prompt.dump());
    // Claude Code gives each argument one word in order: ids, an action or a GPU come
    // first, and only the last may be free text (of which it passes the first word).
    const json arguments = prompt.value("arguments", json::array());
    for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
      CHECK(!contains(arguments[i]["description"].get<std::string>(), "free text"));
      CHECK(arguments[i].contains("name"));
    }
  }
  // `/mcp__parhelia__parhelia-submit fix the flaky test` reaches the server as {"work": "fix"}
  // (Claude Code 2.1.197), the whole text reaching the model beside it: the message says so.
  const json got = client.request("prompts/get",
                                  {{"name", "parhelia-submit"}, {"arguments", {{"work", "fix"}}}});
  const std::string text = got["result"]["messages"][0]["content"]["text"];
  CHECK(contains(text, "\"fix\""));
  CHECK(contains(text, "all of them are meant"));
  const json none = client.request("prompts/get", {{"name", "parhelia-submit"}});
  CHECK(contains(none["result"]["messages"][0]["content"]["text"], "what I typed after"));
}

TEST_CASE("a resumed session works where its parent did: earlier absolute paths stay true",
          "[e2e][checkpoints][resume]") {
  // The first run notes its working directory and is stopped by its timeout (a checkpoint is
  // taken); the resumed one runs the command again in the restored files and writes through
  // the absolute path the first one noted, as a model reusing a path from earlier turns does.
  const std::string command =
      "if [ -f where.txt ]; then echo again > \"$(cat where.txt)/again.txt\" && exit 0; "
      "exit 3; fi; pwd > where.txt; sleep 60";
  for (const bool sandboxed : {true, false}) {
    INFO((sandboxed ? "sandboxed" : "--no-sandbox"));
    GitWorkspace workspace;
    Cli cli;
    std::vector<std::string> args = {"submit", "--cmd", command, "--timeout",
                                     "2",      "--yes", "--json"};
    if (!sandboxed) args.push_back("--no-sandbox");
    const json first = run_json(cli, args, workspace.path().string());
    const std::string parent = first["session_id"];
    CHECK(wait_for_end(cli, parent)["state"] == "timed_out");
    const fs::path parent_dir = cli.home() / "sessions" / parent;
    const json resumed =
        run_json(cli, {"session", "resume", parent, "--timeout", "30", "--yes", "--json"});
    const std::string child = resumed["session_id"];
    const json ended = wait_for_end(cli, child);
    INFO(ended.dump() << cli.run({"session", "logs", child}).out);
    CHECK(ended["state"] == "succeeded");
    CHECK(has(ended["changed_files"], "A again.txt"));
    const fs::path child_dir = cli.home() / "sessions" / child;
    CHECK(read_file(child_dir / "workspace" / "again.txt") == "again\n");
    const std::string where = read_file(child_dir / "workspace" / "where.txt");
    if (sandboxed) {
      CHECK(where == "/workspace\n");
    } else {
      // The parent's path leads on to the resumed session's files; its own are kept beside.
      CHECK(where == parent_dir.string() + "/workspace\n");
      CHECK(fs::is_symlink(parent_dir / "workspace"));
      CHECK_FALSE(fs::exists(parent_dir / "workspace.ended" / "again.txt"));
      CHECK(fs::exists(parent_dir / "workspace.ended" / "where.txt"));
      // The ended parent's files are no longer its own to checkpoint.
      const auto checkpoint = cli.run({"checkpoint", "create", parent});
      CHECK(checkpoint.exit_status != 0);
      CHECK(contains(checkpoint.err, "carries on in " + child));
    }
  }
}

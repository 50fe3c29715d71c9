// The terminal front end through the real binary.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "skills/catalog.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"

using namespace parhelia::testing;
using parhelia::core::CapturedRun;

namespace {

CapturedRun parhelia_cli(std::vector<std::string> args, std::vector<std::string> environment = {}) {
  parhelia::core::ProcessSpec spec;
  spec.argv = {PARHELIA_BINARY};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  if (!environment.empty()) spec.environment = parhelia::core::environment_with(environment);
  auto run = parhelia::core::run_captured(spec, 20s);
  REQUIRE(run);
  return run.value();
}

}  // namespace

TEST_CASE("parhelia --version prints the version", "[e2e][cli]") {
  const auto run = parhelia_cli({"--version"});
  CHECK(run.exit_status == 0);
  CHECK(run.out == "0.1.0\n");
}

TEST_CASE("usage errors exit 2 with a message", "[e2e][cli]") {
  CHECK(parhelia_cli({}).exit_status == 2);
  const auto unknown = parhelia_cli({"teleport"});
  CHECK(unknown.exit_status == 2);
  // It names the commands there are, not the hidden ones.
  CHECK(unknown.err.find("unknown command 'teleport'; the commands are submit, status,") !=
        std::string::npos);
  CHECK(unknown.err.find("__supervise") == std::string::npos);
  CHECK(parhelia_cli({"skills", "show"}).exit_status == 2);
  CHECK(parhelia_cli({"mcp", "--log-level", "loud"}).exit_status == 2);
}

TEST_CASE("doctor reports dependencies and credentials, never their values", "[e2e][cli]") {
  TempDir home;
  const auto run = parhelia_cli({"doctor", "--json"}, {"PARHELIA_HOME=" + home.path().string(),
                                                       "ANTHROPIC_API_KEY=sk-ant-do-not-print"});
  CHECK(run.exit_status == 0);  // the setup script installs every required program
  const json report = json::parse(run.out);
  CHECK(report["parhelia_home"] == home.path().string());
  CHECK(report["agent_credential"] == "ANTHROPIC_API_KEY");
  CHECK(report["ok"] == true);
  CHECK(run.out.find("sk-ant") == std::string::npos);
  const auto human = parhelia_cli({"doctor"}, {"PATH=/nonexistent"});
  CHECK(human.exit_status == 1);
  CHECK(human.out.find("MISSING  tmux") != std::string::npos);
  CHECK(human.out.find("apt-get install tmux") != std::string::npos);
  CHECK(human.out.find("MISSING  prlimit") != std::string::npos);  // the sandbox's limits
  CHECK(human.out.find("apt-get install util-linux") != std::string::npos);
}

TEST_CASE("skills list, show and install work from the binary alone", "[e2e][cli]") {
  const auto list = parhelia_cli({"skills", "list", "--json"});
  CHECK(list.exit_status == 0);
  CHECK(json::parse(list.out).size() == 8);

  const auto show = parhelia_cli({"skills", "show", "troubleshooting"});
  CHECK(show.exit_status == 0);
  CHECK(show.out == std::string(parhelia::skills::find_skill("troubleshooting")->markdown));
  const auto missing = parhelia_cli({"skills", "show", "nope"});
  CHECK(missing.exit_status == 1);
  CHECK(missing.err.find("parhelia skills list") != std::string::npos);

  TempDir target;
  const auto install =
      parhelia_cli({"skills", "install", "--dir", target.path().string(), "--json"});
  CHECK(install.exit_status == 0);
  CHECK(json::parse(install.out)["create"].size() == 8 + 6);  // the skills and the commands
  std::ifstream installed(target.path() / "skills" / "discover-parhelia" / "SKILL.md");
  const std::string text((std::istreambuf_iterator<char>(installed)),
                         std::istreambuf_iterator<char>());
  CHECK(text == std::string(parhelia::skills::find_skill("discover-parhelia")->markdown));
  CHECK(std::filesystem::exists(target.path() / "commands" / "parhelia-submit.md"));

  TempDir config;
  CHECK(parhelia_cli({"skills", "install"}, {"CLAUDE_CONFIG_DIR=" + config.path().string()})
            .exit_status == 0);
  CHECK(std::filesystem::exists(config.path() / "skills" / "gpu-configuration" / "SKILL.md"));
  CHECK(std::filesystem::exists(config.path() / "commands" / "parhelia-attach.md"));

  const auto refused = parhelia_cli({"skills", "install", "--dir", "/proc/parhelia-cannot-write"});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err.find("cannot write") != std::string::npos);
}

namespace {
// Every path under root with its content (folders as "<dir>/"), to compare a tree before and
// after.
std::map<std::string, std::string> tree_of(const std::filesystem::path& root) {
  std::map<std::string, std::string> tree;
  if (!std::filesystem::exists(root)) return tree;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string relative = std::filesystem::relative(entry.path(), root).generic_string();
    if (entry.is_directory()) {
      tree[relative + "/"] = "";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      tree[relative] = std::string((std::istreambuf_iterator<char>(in)), {});
    }
  }
  return tree;
}
}  // namespace

TEST_CASE(
    "skills install keeps a user's own command, --force replaces it, and --uninstall "
    "leaves the folders as they were",
    "[e2e][cli]") {
  TempDir home;
  const auto claude = home.path() / ".claude";
  std::filesystem::create_directories(claude / "commands");
  std::filesystem::create_directories(claude / "skills" / "my-skill");
  { std::ofstream(claude / "commands" / "parhelia-budget.md") << "my own budget command\n"; }
  { std::ofstream(claude / "commands" / "review.md") << "another command of mine\n"; }
  { std::ofstream(claude / "skills" / "my-skill" / "SKILL.md") << "mine\n"; }
  const auto before = tree_of(home.path());
  const std::vector<std::string> env = {"HOME=" + home.path().string()};

  const auto print = parhelia_cli({"skills", "install", "--print"}, env);
  CHECK(print.exit_status == 0);
  CHECK(contains(print.out, "== create " + (claude / "commands" / "parhelia-submit.md").string()));
  CHECK(contains(print.out, "== keep " + (claude / "commands" / "parhelia-budget.md").string()));
  CHECK(contains(print.out, "allowed-tools: mcp__parhelia__submit"));
  CHECK(tree_of(home.path()) == before);  // --print writes nothing

  const auto install = parhelia_cli({"skills", "install", "--json"}, env);
  REQUIRE(install.exit_status == 0);
  const json installed = json::parse(install.out);
  CHECK(installed["create"].size() == 8 + 5);
  CHECK(installed["keep"].size() == 1);
  std::ifstream kept(claude / "commands" / "parhelia-budget.md");
  CHECK(std::string((std::istreambuf_iterator<char>(kept)), {}) == "my own budget command\n");
  // A second install finds its own files current.
  const json again = json::parse(parhelia_cli({"skills", "install", "--json"}, env).out);
  CHECK(again["unchanged"].size() == 8 + 5);
  CHECK(again["keep"].size() == 1);

  const auto human = parhelia_cli({"skills", "install"}, env);
  CHECK(contains(human.out, "--force replaces them"));

  // Uninstall removes what was installed, not the user's file of the same name.
  const auto uninstall = parhelia_cli({"skills", "install", "--uninstall", "--json"}, env);
  REQUIRE(uninstall.exit_status == 0);
  CHECK(json::parse(uninstall.out)["remove"].size() == 8 + 5);
  CHECK(tree_of(home.path()) == before);

  // With --force the user's file is replaced, and is then Parhelia's to remove.
  const json forced =
      json::parse(parhelia_cli({"skills", "install", "--force", "--json"}, env).out);
  CHECK(forced["replace"].size() == 1);
  CHECK(parhelia_cli({"skills", "install", "--uninstall"}, env).exit_status == 0);
  CHECK(!std::filesystem::exists(claude / "commands" / "parhelia-budget.md"));
  CHECK(std::filesystem::exists(claude / "commands" / "review.md"));

  // Into a HOME without ~/.claude, and out again: nothing is left behind.
  TempDir bare;
  const std::vector<std::string> bare_env = {"HOME=" + bare.path().string()};
  CHECK(parhelia_cli({"skills", "install"}, bare_env).exit_status == 0);
  CHECK(std::filesystem::exists(bare.path() / ".claude" / "commands" / "parhelia-session.md"));
  CHECK(parhelia_cli({"skills", "install", "--uninstall"}, bare_env).exit_status == 0);
  CHECK(tree_of(bare.path()).empty());
}

TEST_CASE(
    "skill docs and slash commands name only commands and tools that exist, outside their "
    "Planned sections",
    "[e2e][cli]") {
  McpClient client({.debug_tools = false});
  client.initialize();
  std::set<std::string> tools;
  const json listed = client.request("tools/list");
  for (const auto& tool : listed["result"]["tools"]) tools.insert(tool["name"].get<std::string>());

  const std::regex command("`parhelia ([a-z][a-z-]*)( [a-z][a-z-]*)?");
  const std::regex tool("`([a-z_]+)` tool");
  int commands_checked = 0, tools_checked = 0;
  struct Doc {
    std::string name;
    std::string_view markdown;
    const parhelia::skills::Command* command;
  };
  std::vector<Doc> docs;
  for (const auto& skill : parhelia::skills::all_skills()) {
    docs.push_back({skill.name, skill.markdown, nullptr});
  }
  for (const auto& command : parhelia::skills::all_commands()) {
    docs.push_back({"commands/" + command.name + ".md", command.markdown, &command});
  }
  for (const auto& skill : docs) {
    std::string text(skill.markdown);
    // Sections whose heading says "Planned" describe what is not built yet.
    std::string current;
    std::istringstream lines(text);
    bool planned = false;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("## ", 0) == 0) planned = line.find("Planned") != std::string::npos;
      if (!planned) current += line + "\n";
    }
    for (std::sregex_iterator it(current.begin(), current.end(), command), end; it != end; ++it) {
      std::vector<std::string> args = {(*it)[1]};
      if ((*it)[2].matched) args.push_back((*it)[2].str().substr(1));
      args.push_back("--help");
      INFO(skill.name << ": parhelia " << (*it)[0]);
      CHECK(parhelia_cli(args).exit_status == 0);
      ++commands_checked;
    }
    for (std::sregex_iterator it(current.begin(), current.end(), tool), end; it != end; ++it) {
      INFO(skill.name << ": tool " << (*it)[1]);
      CHECK(tools.count((*it)[1]) == 1);
      ++tools_checked;
      if (skill.command != nullptr) {
        // A command may call each tool it names without a permission prompt, as a user
        // command (mcp__parhelia__X) and as the plugin's (mcp__plugin_parhelia_parhelia__X).
        const auto& allowed = skill.command->allowed_tools;
        for (const std::string prefix : {"mcp__parhelia__", "mcp__plugin_parhelia_parhelia__"}) {
          CHECK(std::count(allowed.begin(), allowed.end(), prefix + (*it)[1].str()) == 1);
        }
      }
    }
    if (skill.command != nullptr) {
      INFO(skill.name);
      CHECK(contains(std::string(skill.markdown), "$ARGUMENTS"));
      CHECK(!skill.command->argument_hint.empty());
      CHECK(!skill.command->allowed_tools.empty());
      for (const auto& allowed : skill.command->allowed_tools) {  // only Parhelia's, and real
        const auto cut = allowed.rfind("__");
        CHECK((allowed.rfind("mcp__parhelia__", 0) == 0 ||
               allowed.rfind("mcp__plugin_parhelia_parhelia__", 0) == 0));
        CHECK(tools.count(allowed.substr(cut + 2)) == 1);
        // and named in the body, so nothing is allowed that it does not ask for
        CHECK(contains(text, "`" + allowed.substr(cut + 2) + "` tool"));
      }
    }
  }
  CHECK(parhelia::skills::all_commands().size() == 6);
  CHECK(commands_checked > 5);
  CHECK(tools_checked > 3);
  // The check above fails on a command that does not exist, at either level.
  for (const std::vector<std::string>& made_up :
       {std::vector<std::string>{"teleport", "--help"}, {"session", "teleport", "--help"}}) {
    const auto run = parhelia_cli(made_up);
    INFO("parhelia " << made_up[0] << " " << made_up[1]);
    CHECK(run.exit_status == 2);
    CHECK(run.err.find("unknown command 'teleport'") != std::string::npos);
  }
}

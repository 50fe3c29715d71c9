// The terminal front end through the real binary.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "skills/catalog.h"
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
  CHECK(json::parse(install.out)["written"].size() == 8);
  std::ifstream installed(target.path() / "discover-parhelia" / "SKILL.md");
  const std::string text((std::istreambuf_iterator<char>(installed)),
                         std::istreambuf_iterator<char>());
  CHECK(text == std::string(parhelia::skills::find_skill("discover-parhelia")->markdown));

  TempDir config;
  CHECK(parhelia_cli({"skills", "install"}, {"CLAUDE_CONFIG_DIR=" + config.path().string()})
            .exit_status == 0);
  CHECK(std::filesystem::exists(config.path() / "skills" / "gpu-configuration" / "SKILL.md"));

  const auto refused = parhelia_cli({"skills", "install", "--dir", "/proc/parhelia-cannot-write"});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err.find("cannot write") != std::string::npos);
}

TEST_CASE("skill docs name only commands and tools that exist, outside their Planned sections",
          "[e2e][cli]") {
  McpClient client({.debug_tools = false});
  client.initialize();
  std::set<std::string> tools;
  const json listed = client.request("tools/list");
  for (const auto& tool : listed["result"]["tools"]) tools.insert(tool["name"].get<std::string>());

  const std::regex command("`parhelia ([a-z][a-z-]*)( [a-z][a-z-]*)?");
  const std::regex tool("`([a-z_]+)` tool");
  int commands_checked = 0, tools_checked = 0;
  for (const auto& skill : parhelia::skills::all_skills()) {
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
    }
  }
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

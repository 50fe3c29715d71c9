// The session commands of the terminal front end, through the real binary.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <thread>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "tests/support/cli_runner.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using parhelia::core::CapturedRun;

namespace {

std::string session_id_in(const std::string& text) {
  std::smatch match;
  REQUIRE(std::regex_search(text, match, std::regex("task-[0-9a-f]{8}")));
  return match[0];
}

}  // namespace

TEST_CASE("cli: submit --sync shows the log, then results and apply bring the changes home",
          "[e2e][cli][sessions]") {
  GitWorkspace workspace;
  Cli cli;
  const auto submitted =
      cli.run({"submit", "--cmd", "echo from-the-session; echo added > added.txt", "--sync",
               "--name", "cli test"},
              workspace.path().string());
  INFO(submitted.out << submitted.err);
  CHECK(submitted.exit_status == 0);
  CHECK(submitted.out.find("from-the-session") != std::string::npos);
  CHECK(submitted.out.find("succeeded") != std::string::npos);
  const std::string id = session_id_in(submitted.out);

  const auto list = cli.run({"session", "list", "--json"});
  CHECK(json::parse(list.out)[0]["session_id"] == id);
  CHECK(cli.run({"session", "list", "--state", "failed", "--json"}).out == "[]\n");
  CHECK(cli.run({"session", "list", "--state", "weird"}).exit_status == 2);

  const auto show = json::parse(cli.run({"session", "show", id, "--json"}).out);
  CHECK(show["state"] == "succeeded");
  CHECK(show["name"] == "cli test");
  CHECK(cli.run({"status", id}).out.find("running -> succeeded") != std::string::npos);

  const auto logs = cli.run({"session", "logs", id, "--tail", "1"});
  CHECK(logs.out == "from-the-session\n");
  const auto patch = cli.run({"session", "results", id, "--patch"});
  CHECK(patch.out.find("+added") != std::string::npos);

  CHECK_FALSE(std::filesystem::exists(workspace.path() / "added.txt"));
  const auto applied = cli.run({"session", "apply", id});
  CHECK(applied.exit_status == 0);
  CHECK(workspace.read("added.txt") == "added\n");
  const auto again = cli.run({"session", "apply", id});
  CHECK(again.exit_status == 1);
  CHECK(again.err.find("does not apply cleanly") != std::string::npos);
}

TEST_CASE("cli: a failing command exits 1 with --sync, and logs -f follows to the end",
          "[e2e][cli][sessions]") {
  GitWorkspace workspace;
  Cli cli;
  const auto failed = cli.run({"submit", "--cmd", "echo oops; exit 3", "--sync", "--json"},
                              workspace.path().string());
  CHECK(failed.exit_status == 1);
  const json session = json::parse(failed.out);
  CHECK(session["state"] == "failed");
  CHECK(session["exit_code"] == 3);

  const auto started =
      cli.run({"submit", "--cmd", "for i in 1 2 3; do echo tick $i; sleep 0.3; done"},
              workspace.path().string());
  CHECK(started.exit_status == 0);
  const auto followed = cli.run({"session", "logs", session_id_in(started.out), "-f"});
  CHECK(followed.out.find("tick 1\ntick 2\ntick 3\n") != std::string::npos);
  CHECK(followed.out.find("succeeded") != std::string::npos);
}

TEST_CASE("cli: stop, unknown ids and bad input have the documented exit codes",
          "[e2e][cli][sessions]") {
  GitWorkspace workspace;
  Cli cli;
  const auto started =
      cli.run({"submit", "--cmd", "sleep 60", "--timeout", "2m"}, workspace.path().string());
  const std::string id = session_id_in(started.out);
  CHECK(cli.run({"session", "stop", id, "--grace", "1"}).exit_status == 0);
  json session;
  for (int i = 0; i < 50; ++i) {
    session = json::parse(cli.run({"session", "show", id, "--json"}).out);
    if (session["state"] == "cancelled") break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(session["state"] == "cancelled");

  const auto unknown = cli.run({"session", "show", "task-00000000"});
  CHECK(unknown.exit_status == 1);
  CHECK(unknown.err.find("There is no session task-00000000") != std::string::npos);
  CHECK(cli.run({"session", "show", "bogus"}).exit_status == 2);
  CHECK(cli.run({"submit", "--cmd", "true", "--timeout", "soon"}).exit_status == 2);
  CHECK(cli.run({"submit"}).exit_status == 2);
  CHECK(cli.run({"submit", "--cmd", "true", "--workspace", "/nonexistent"}).exit_status == 2);
}

TEST_CASE("no secret reaches the database, the session log or the output", "[e2e][cli][sessions]") {
  GitWorkspace workspace;
  const std::string secret = "sk-ant-api03-very-secret-value";
  std::vector<std::string> environment = fake_agent_environment();
  environment[1] = "ANTHROPIC_API_KEY=" + secret;
  Cli cli(environment);
  const auto run =
      cli.run({"submit", "write out.txt: done", "--sync", "--json"}, workspace.path().string());
  CHECK(run.exit_status == 0);
  CHECK(run.out.find(secret) == std::string::npos);
  const json session = json::parse(run.out);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(cli.home())) {
    if (!entry.is_regular_file() || entry.path().filename() == "tmux.sock") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(entry.path());
    CHECK(bytes.find(secret) == std::string::npos);
  }
  CHECK(session["state"] == "succeeded");
}

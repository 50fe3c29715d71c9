// What a session or its submitter chooses reaches Parhelia's own processes and the user's
// terminal: malformed agent output must not end the supervisor, names that are not UTF-8
// must survive a checkpoint, control characters must not reach the terminal raw, text that
// cannot be one argument is refused at submit, and every bad id is a usage error.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/cli_runner.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

bool has_line_starting(const std::string& text, const std::string& start) {
  std::size_t at = 0;
  while (at <= text.size()) {
    if (text.compare(at, start.size(), start) == 0) return true;
    const auto newline = text.find('\n', at);
    if (newline == std::string::npos) break;
    at = newline + 1;
  }
  return false;
}

void wait_for(const std::function<bool()>& ready, const char* what) {
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > give_up) FAIL("never happened: " << what);
    std::this_thread::sleep_for(100ms);
  }
}

}  // namespace

TEST_CASE("cli: malformed stream-json from the agent leaves the session to succeed with its patch",
          "[e2e][cli][agent]") {
  GitWorkspace workspace;
  Cli cli(fake_agent_environment());
  const auto run =
      cli.run({"submit", "write out.txt: hello; emit hostile lines", "--sync", "--json", "--yes"},
              workspace.path().string());
  INFO(run.out << run.err);
  REQUIRE(run.exit_status == 0);
  const json session = json::parse(run.out);
  CHECK(session["state"] == "succeeded");
  CHECK_FALSE(session.contains("error"));
  CHECK(contains(session["final_answer"], "Done: write out.txt: hello"));
  // The real init line's id stands; the one that was a number was not taken.
  CHECK(session["claude_session_id"].get<std::string>().size() == 36);
  const auto& changed = session["changed_files"];
  CHECK(std::find(changed.begin(), changed.end(), "A out.txt") != changed.end());
  // The end of the work was recorded as such, with its final checkpoint.
  CHECK(session["latest_checkpoint"].is_string());
  const std::string id = session["session_id"];
  CHECK(contains(cli.run({"session", "results", id, "--patch"}).out, "+hello"));
}

TEST_CASE("cli: a workspace file whose name is not UTF-8 comes back from a checkpoint exactly",
          "[e2e][cli][checkpoints]") {
  GitWorkspace workspace;
  Cli cli;
  const std::string name = "caf\xe9.txt";
  // Run again from the checkpoint, the same command finds the file and ends.
  const std::string command =
      R"(f=$(printf 'caf\351.txt'); if [ -e "$f" ]; then echo found; cat "$f"; exit 0; fi; )"
      R"(printf 'from the parent\n' > "$f"; sleep 30)";
  const json submitted =
      run_json(cli, {"submit", "--cmd", command, "--checkpoint-every", "0", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const fs::path parent_copy = cli.home() / "sessions" / id / "workspace";
  wait_for([&] { return fs::exists(parent_copy / name); }, "the file in the parent");
  const json checkpoint = run_json(cli, {"checkpoint", "create", id});
  CHECK(checkpoint["changed_files"] == 1);
  CHECK(run_json(cli, {"session", "show", id})["state"] == "running");  // the supervisor lives
  cli.run({"session", "stop", id, "--grace", "1"});
  CHECK(wait_for_end(cli, id)["state"] == "cancelled");

  const json resumed =
      run_json(cli, {"checkpoint", "restore", checkpoint["checkpoint_id"], "--yes"});
  const std::string child = resumed["session_id"];
  const json ended = wait_for_end(cli, child);
  INFO(ended.dump());
  CHECK(ended["state"] == "succeeded");
  CHECK(read_file(cli.home() / "sessions" / child / "workspace" / name) == "from the parent\n");
  CHECK(contains(cli.run({"session", "logs", child}).out, "found\nfrom the parent\n"));
}

TEST_CASE("cli: control characters in commands, activity and file names are escaped for people",
          "[e2e][cli]") {
  GitWorkspace workspace;
  Cli cli;
  // The command itself carries a retitle (OSC), a bell and a forged row; its output a colour
  // (CSI) as its last line; a file name carries a forged line of `checkpoint diff`.
  const std::string command =
      "echo a > first.txt; : '\x1b]0;pwned\x07\nFAKE ROW'; while [ ! -e go ]; do sleep 0.1; "
      "done; printf x > \"$(printf 'evil\\n  M forged\\033[2J')\"; touch done; "
      "printf 'activity \\033[31mred\\n'; sleep 30";
  const json submitted = run_json(
      cli, {"submit", "--cmd", command, "--checkpoint-every", "0", "--name", "plain", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  const fs::path copy = cli.home() / "sessions" / id / "workspace";
  wait_for([&] { return fs::exists(copy / "first.txt"); }, "first.txt");
  const std::string first = run_json(cli, {"checkpoint", "create", id})["checkpoint_id"];
  { std::ofstream(copy / "go") << ""; }
  wait_for([&] { return fs::exists(copy / "done"); }, "the forged name");
  wait_for(
      [&] {
        return contains(run_json(cli, {"session", "show", id})["last_activity"].get<std::string>(),
                        "red");
      },
      "the activity");
  const std::string second = run_json(cli, {"checkpoint", "create", id})["checkpoint_id"];

  const auto no_raw_controls = [](const std::string& out) {
    INFO(out);
    CHECK_FALSE(contains(out, "\x1b"));
    CHECK_FALSE(contains(out, "\x07"));
  };
  const std::string list = cli.run({"session", "list"}).out;
  no_raw_controls(list);
  CHECK_FALSE(has_line_starting(list, "FAKE ROW"));
  CHECK(contains(list, "\\e]0;pwned\\x07\\nFAKE ROW"));
  const std::string show = cli.run({"session", "show", id}).out;
  no_raw_controls(show);
  CHECK_FALSE(has_line_starting(show, "FAKE ROW"));
  CHECK(contains(show, "activity \\e[31mred"));
  const std::string status = cli.run({"status"}).out;
  no_raw_controls(status);

  const std::string diff = cli.run({"checkpoint", "diff", first, second}).out;
  no_raw_controls(diff);
  CHECK_FALSE(has_line_starting(diff, "  M forged"));
  CHECK(contains(diff, "evil\\n  M forged\\e[2J"));
  // JSON stays exact.
  const json diff_json = run_json(cli, {"checkpoint", "diff", first, second});
  bool exact = false;
  for (const auto& file : diff_json["files"])
    exact = exact || file["path"] == "evil\n  M forged\x1b[2J";
  CHECK(exact);
  CHECK(run_json(cli, {"session", "list"})[0]["task"] == submitted["task"]);
  cli.run({"session", "stop", id, "--grace", "1"});

  // A name is a label in those lists: one with a control character is refused.
  const auto named = cli.run({"submit", "--cmd", "true", "--name", "a\nb", "--dry-run"},
                             workspace.path().string());
  CHECK(named.exit_status == 2);
  CHECK(contains(named.err, "control character"));
}

TEST_CASE("cli: every invalid session or checkpoint id is a usage error (exit 2)", "[e2e][cli]") {
  Cli cli;
  const std::vector<std::vector<std::string>> commands = {
      {"session", "show", "../x"},
      {"session", "logs", "../x"},
      {"session", "stop", "../x"},
      {"session", "results", "../x"},
      {"session", "apply", "../x"},
      {"session", "screen", "../x"},
      {"session", "send", "../x", "hi"},
      {"session", "resume", "../x"},
      {std::string("status"), "../x"},  // (two char pointers would read as an iterator pair)
      {"attach", "../x", "--info"},
      {"checkpoint", "create", "../x"},
      {"checkpoint", "list", "../x"},
      {"checkpoint", "restore", "../x"},
      {"checkpoint", "diff", "../x", "ck-00000000"},
      {"checkpoint", "diff", "ck-00000000", "../x"},
      {"checkpoint", "delete", "../x"},
      {"session", "apply", "task-0000000g"},
      {"session", "resume", "task-00000000", "--from", "../x"}};
  for (const auto& args : commands) {
    for (const bool as_json : {false, true}) {
      auto with = args;
      if (as_json && args[1] != "send" && args[1] != "screen") with.push_back("--json");
      const auto run = cli.run(with);
      std::string line;
      for (const auto& word : with) line += word + " ";
      INFO(line);
      INFO(run.out << run.err);
      CHECK(run.exit_status == 2);
      CHECK(contains(run.err, "is not a"));
    }
  }
}

TEST_CASE("submit refuses a NUL byte or an over-long command at the dry run and at submit",
          "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const std::string path = workspace.path().string();
  const auto refusal = [&](json arguments) {
    const json result = client.call_tool("submit", std::move(arguments));
    INFO(result.dump());
    CHECK(result["isError"] == true);
    return result["content"][0]["text"].get<std::string>();
  };
  for (const bool dry_run : {true, false}) {
    const std::string nul = refusal({{"command", std::string("echo ok\0rm -rf ~", 16)},
                                     {"workspace", path},
                                     {"dry_run", dry_run}});
    CHECK(contains(nul, "The command holds a NUL byte (at byte 7)"));
    CHECK(contains(refusal({{"command", "true"},
                            {"workspace", path + std::string("\0/elsewhere", 11)},
                            {"dry_run", dry_run}}),
                   "The workspace path holds a NUL byte"));
    CHECK(contains(
        refusal(
            {{"command", std::string(200 * 1024, 'x')}, {"workspace", path}, {"dry_run", dry_run}}),
        "The command is 204800 bytes, more than the 102400"));
    CHECK(contains(
        refusal(
            {{"task", std::string(200 * 1024, 'x')}, {"workspace", path}, {"dry_run", dry_run}}),
        "The task is 204800 bytes"));
  }
  CHECK(client.call_tool("session", {{"action", "list"}})["structuredContent"]["sessions"].empty());

  // The terminal face: one argument of 110 KB reaches parhelia, but is refused there.
  Cli cli;
  for (const char* mode : {"--dry-run", "--yes"}) {
    const auto run =
        cli.run({"submit", "--cmd", "echo " + std::string(110 * 1024, 'x'), mode}, path);
    CHECK(run.exit_status == 2);
    CHECK(contains(run.err, "more than the 102400 one argument of a process may be"));
  }
}

TEST_CASE("mcp: a session whose output is not UTF-8 is still shown by status and its resource",
          "[e2e][mcp][agent]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const json submitted = client.call_tool("submit", {{"command", "printf 'caf\\351 au lait\\n'"},
                                                     {"workspace", workspace.path().string()}});
  INFO(submitted.dump());
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  client.wait_for_end(id);
  const json status = client.call_tool("status", {{"session_id", id}});
  INFO(status.dump(-1, ' ', false, json::error_handler_t::replace));
  REQUIRE(status.contains("structuredContent"));
  CHECK(status["isError"] == false);
  CHECK(contains(status["structuredContent"]["session"]["last_activity"].get<std::string>(),
                 "caf\xEF\xBF\xBD au lait"));
  const json resource = client.request("resources/read", {{"uri", "parhelia://sessions/" + id}});
  REQUIRE(resource.contains("result"));
  CHECK(contains(resource["result"]["contents"][0]["text"].get<std::string>(), "au lait"));
}

// Checkpoints and resume through the real binary: periodic checkpoints of a running session,
// a supervisor killed and its work resumed, the stops that checkpoint first, retention, diff.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/agent/agent_transcript.h"
#include "tests/support/cli_runner.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

json checkpoints_of(const Cli& cli, const std::string& id) {
  return run_json(cli, {"checkpoint", "list", id});
}

// Polls until `ready` holds of the session's checkpoints (newest first), or fails.
json wait_for_checkpoints(const Cli& cli, const std::string& id,
                          const std::function<bool(const json&)>& ready) {
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  json list;
  while (std::chrono::steady_clock::now() < give_up) {
    list = checkpoints_of(cli, id);
    if (ready(list)) return list;
    std::this_thread::sleep_for(200ms);
  }
  FAIL("checkpoints never came: " << list.dump());
  return list;
}

}  // namespace

TEST_CASE("cli: a killed session resumes from its checkpoint with its files and conversation",
          "[e2e][cli][checkpoints]") {
  GitWorkspace workspace;
  Cli cli(fake_agent_environment());
  const json submitted = run_json(
      cli,
      {"submit", "write draft.txt: first draft; sleep 30", "--checkpoint-every", "1s", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  CHECK(submitted["checkpoint_every_s"] == 1);
  // Periodic checkpoints while it runs (the transcript grows, so each one differs).
  const json list = wait_for_checkpoints(cli, id, [](const json& l) { return l.size() >= 2; });
  CHECK(list[0]["trigger"] == "periodic");
  CHECK(list[0]["changed_files"] == 1);
  const std::string claude_id = list[0]["claude_session_id"];
  CHECK_FALSE(claude_id.empty());

  // The container dies: its supervisor and work are killed outright.
  parhelia::core::ProcessSpec kill;
  kill.argv = {"pkill", "-KILL", "-f", "__supervise " + id};
  REQUIRE(parhelia::core::run_captured(kill, 10s));
  json shown;
  for (int i = 0; i < 50; ++i) {
    shown = run_json(cli, {"session", "show", id});
    if (shown["state"] != "running") break;
    std::this_thread::sleep_for(200ms);
  }
  INFO(shown.dump());
  CHECK(shown["state"] == "failed");
  const std::string latest = shown["latest_checkpoint"];
  CHECK(contains(shown["resume_hint"], "parhelia session resume " + id));

  const json resumed =
      run_json(cli, {"session", "resume", id, "--prompt", "write more.txt: second", "--yes"});
  const std::string child = resumed["session_id"];
  CHECK(resumed["parent_id"] == id);
  CHECK(resumed["restored_from"] == latest);
  const json ended = wait_for_end(cli, child);
  INFO(ended.dump());
  CHECK(ended["state"] == "succeeded");
  // Both files: the restored one and the new one; the result patch is against the original.
  const auto& changed = ended["changed_files"];
  CHECK(std::find(changed.begin(), changed.end(), "A draft.txt") != changed.end());
  CHECK(std::find(changed.begin(), changed.end(), "A more.txt") != changed.end());
  const fs::path child_dir = cli.home() / "sessions" / child;
  CHECK(read_file(child_dir / "workspace" / "draft.txt") == "first draft\n");
  // Claude Code was told to resume its conversation, and found it under the key of the
  // directory it sees, /workspace in the sandbox as in its parent's.
  const std::string argv = read_file(child_dir / "home" / ".fake-claude-argv");
  CHECK(contains(argv, "--resume\n" + claude_id + "\n"));
  const fs::path transcript =
      parhelia::core::transcript_dir(child_dir / "home", "/workspace") / (claude_id + ".jsonl");
  CHECK(contains(read_file(transcript), "first draft"));
  const std::string log = cli.run({"session", "logs", child}).out;
  CHECK(contains(log, "restored checkpoint " + latest + " of " + id));
  CHECK_FALSE(contains(log, "(after 0 earlier transcript lines)"));
  CHECK(contains(log, "earlier transcript lines"));
  // Between the parent's checkpoint and the child's last, the child's file and more talk.
  const std::string child_last = run_json(cli, {"session", "show", child})["latest_checkpoint"];
  const json diff = run_json(cli, {"checkpoint", "diff", latest, child_last});
  REQUIRE(diff["files"].size() == 1);
  CHECK(diff["files"][0]["path"] == "more.txt");
  CHECK(diff["files"][0]["change"] == "added");
  CHECK(diff["transcript_bytes_added"].get<int>() > 0);
  CHECK(contains(cli.run({"checkpoint", "diff", latest, child_last}).out, "  A more.txt"));
  // The lineage shows both ways.
  CHECK(run_json(cli, {"session", "show", id})["resumed_as"][0] == child);
}

TEST_CASE("cli: timeout and budget stops take a checkpoint first", "[e2e][cli][checkpoints]") {
  GitWorkspace workspace;
  Cli cli;
  std::ofstream(cli.home() / "config.json") << R"({"rates": {"local.cpu": 0.01}})";
  const json timed = run_json(
      cli, {"submit", "--cmd", "echo late > late.txt; sleep 60", "--timeout", "2", "--yes"},
      workspace.path().string());
  const json capped = run_json(cli,
                               {"submit", "--cmd", "echo spent > spent.txt; sleep 60", "--timeout",
                                "120", "--max-cost", "0.06", "--yes"},
                               workspace.path().string());
  CHECK(wait_for_end(cli, timed["session_id"])["state"] == "timed_out");
  CHECK(wait_for_end(cli, capped["session_id"])["state"] == "over_budget");
  const json timed_list = checkpoints_of(cli, timed["session_id"]);
  REQUIRE(timed_list.size() == 1);
  CHECK(timed_list[0]["trigger"] == "timeout");
  CHECK(timed_list[0]["changed_files"] == 1);
  const json capped_list = checkpoints_of(cli, capped["session_id"]);
  REQUIRE(capped_list.size() == 1);
  CHECK(capped_list[0]["trigger"] == "budget");
  CHECK(capped_list[0]["spent_usd"].get<double>() > 0);

  // A command session re-runs its command in the restored files; a prompt is refused.
  const auto prompt = cli.run({"session", "resume", timed["session_id"], "--prompt", "go on"});
  CHECK(prompt.exit_status == 2);
  CHECK(contains(prompt.err, "a follow-up prompt is for Claude Code tasks"));
  const json again =
      run_json(cli, {"session", "resume", timed["session_id"], "--timeout", "1", "--yes"});
  wait_for_end(cli, again["session_id"]);
  CHECK(read_file(cli.home() / "sessions" / again["session_id"].get<std::string>() / "workspace" /
                  "late.txt") == "late\n");
}

TEST_CASE("cli: retention keeps the newest checkpoints, create on request, delete",
          "[e2e][cli][checkpoints]") {
  GitWorkspace workspace;
  Cli cli;
  std::ofstream(cli.home() / "config.json") << R"({"checkpoints": {"keep": 2}})";
  const json submitted = run_json(
      cli,
      {"submit", "--cmd",
       "echo one > first.txt; for i in $(seq 1 100); do echo $i > counter.txt; sleep 0.3; done",
       "--checkpoint-every", "1s", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  std::this_thread::sleep_for(3500ms);
  // Taken on request while it runs.
  const json created = run_json(cli, {"checkpoint", "create", id});
  CHECK(created["trigger"] == "manual");
  CHECK(created["session_id"] == id);
  CHECK(created["unchanged"] == false);
  std::this_thread::sleep_for(1500ms);
  cli.run({"session", "stop", id, "--grace", "1"});
  CHECK(wait_for_end(cli, id)["state"] == "cancelled");

  // Several checkpoints were taken; only the newest two are kept, on disk too.
  json list = checkpoints_of(cli, id);
  CHECK(list.size() == 2);
  CHECK(list[0]["trigger"] == "stop");
  const auto files_on_disk = [&] {
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(cli.home() / "checkpoints"))
      files += entry.path().extension() == ".ckpt";
    return files;
  };
  CHECK(files_on_disk() == 2);
  // An ended session is checkpointed by a helper; with nothing changed the latest stands.
  const json again = run_json(cli, {"checkpoint", "create", id});
  CHECK(again["unchanged"] == true);
  CHECK(again["checkpoint_id"] == list[0]["checkpoint_id"]);

  const std::string doomed = list[1]["checkpoint_id"];
  CHECK(cli.run({"checkpoint", "delete", doomed}).exit_status == 0);
  CHECK(checkpoints_of(cli, id).size() == 1);
  CHECK(files_on_disk() == 1);
  const auto gone = cli.run({"checkpoint", "restore", doomed});
  CHECK(gone.exit_status == 1);
  CHECK(contains(gone.err, "There is no checkpoint " + doomed));
  CHECK(cli.run({"checkpoint", "diff", "bogus", doomed}).exit_status == 2);
}

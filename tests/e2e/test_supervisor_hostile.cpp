// A supervisor a session cannot turn against its user: its checkpoints copy no link and no
// more than their caps, its limits hold however slow the session makes its checkpoints, and
// what the session detaches ends with it. Each case is a session doing the harm itself.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/store/store.h"
#include "tests/support/cli_runner.h"
#include "tests/support/expect.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void wait_for_file(const fs::path& file) {
  for (int i = 0; i < 300 && !fs::exists(file); ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(fs::exists(file));
}

// Every event of the session, one a line.
std::string events_of(const Cli& cli, const std::string& id) {
  auto store = parhelia::core::Store::open(cli.home());
  REQUIRE(store);
  std::string text;
  for (const auto& event : store.value()->events(id).value_or({})) text += event.detail + "\n";
  return text;
}

// The processes whose command line is exactly `words` (NUL-separated in /proc).
std::vector<pid_t> processes_running(const std::vector<std::string>& words) {
  std::string wanted;
  for (const auto& word : words) wanted += word + '\0';
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (read_file(entry.path() / "cmdline") == wanted) found.push_back(std::stoi(name));
  }
  return found;
}

// The session's working directory as Claude Code keys its transcripts (see
// core/agent/agent_transcript.h), computed by the session itself.
constexpr const char* kTranscriptDir =
    "d=\"$HOME/.claude/projects/$(pwd | sed 's/[^A-Za-z0-9]/-/g')\"; ";

}  // namespace

TEST_CASE("a checkpoint copies no transcript link and nothing over its caps, and says so",
          "[e2e][checkpoints][hostile]") {
  GitWorkspace workspace;
  TempDir outside;
  std::ofstream(outside.path() / "secret.txt") << "TOP-SECRET-7f3a\n";
  fs::create_directories(outside.path() / "dir");
  std::ofstream(outside.path() / "dir" / "stolen.jsonl") << "{\"stolen\":\"OTHER-SECRET-91c2\"}\n";
  Cli cli;
  const std::string wait_then_clean =
      "touch planted; while [ ! -e go ]; do sleep 0.1; done; rm -f big.bin \"$d/huge.jsonl\"";
  // One session links transcript files out and writes huge sparse ones; another links its
  // whole transcript directory out. (The event names the first few in name order, so the link
  // to a secret is named "a-...".)
  const json files = run_json(
      cli,
      {"submit", "--cmd",
       std::string(kTranscriptDir) + "mkdir -p \"$d\"; echo '{\"a\":1}' > \"$d/real.jsonl\"; " +
           "ln -s " + (outside.path() / "secret.txt").string() + " \"$d/a-leak.jsonl\"; " +
           "for i in 0 1 2 3 4 5 6 7 8 9; do ln -s /usr/include \"$d/include$i\"; done; " +
           "truncate -s 300M \"$d/huge.jsonl\"; truncate -s 5G big.bin; " + wait_then_clean,
       "--yes"},
      workspace.path().string());
  const json directory = run_json(
      cli,
      {"submit", "--cmd",
       std::string(kTranscriptDir) + "mkdir -p \"$(dirname \"$d\")\"; echo keep > kept.txt; " +
           "ln -s " + (outside.path() / "dir").string() + " \"$d\"; " + wait_then_clean,
       "--yes"},
      workspace.path().string());
  for (const json& submitted : {files, directory}) {
    const std::string id = submitted["session_id"];
    const fs::path work = cli.home() / "sessions" / id / "workspace";
    wait_for_file(work / "planted");
    const json created = run_json(cli, {"checkpoint", "create", id});
    INFO(created.dump());
    CHECK(created["size_bytes"].get<std::int64_t>() < (1 << 20));
    std::ofstream(work / "go");
    CHECK(wait_for_end(cli, id)["state"] == "succeeded");
  }
  // Nothing linked, nothing huge, in any checkpoint file.
  for (const auto& entry : fs::directory_iterator(cli.home() / "checkpoints")) {
    if (entry.path().extension() != ".ckpt") continue;
    const std::string bytes = read_file(entry.path());
    CHECK(bytes.size() < (1 << 20));
    CHECK_FALSE(contains(bytes, "TOP-SECRET-7f3a"));
    CHECK_FALSE(contains(bytes, "OTHER-SECRET-91c2"));
  }
  const std::string files_events = events_of(cli, files["session_id"]);
  INFO(files_events);
  CHECK(contains(files_events, "a-leak.jsonl (a link, not a file)"));
  CHECK(
      contains(files_events, "huge.jsonl (300 MiB, over the 256 MiB a transcript file may have)"));
  CHECK(contains(files_events, "big.bin (5 GiB, over the 512 MiB a checkpoint keeps of a file)"));
  const std::string directory_events = events_of(cli, directory["session_id"]);
  INFO(directory_events);
  CHECK(contains(directory_events, "(a link, not a directory)"));
}

TEST_CASE("a session whose checkpoints are slow still stops at its timeout",
          "[e2e][checkpoints][hostile]") {
  GitWorkspace workspace;
  Cli cli;
  // 800 MB that does not compress, in two files under the cap of one: git hashes and stores
  // all of it for the checkpoint, which takes far longer than the stop may wait. The work
  // cleans up after itself when it is stopped.
  const json submitted =
      run_json(cli,
               {"submit", "--cmd",
                "trap 'rm -f a.bin b.bin; exit 0' TERM; head -c 400M /dev/urandom > a.bin & "
                "head -c 400M /dev/urandom > b.bin & wait; sleep 300 & wait",
                "--timeout", "10", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  INFO(ended.dump() << "\n" << events_of(cli, id));
  CHECK(ended["state"] == "timed_out");
  CHECK(contains(events_of(cli, id), "the checkpoint before the stop took longer than 3 s"));
  // The checkpoint before the stop gets 3 s of a 10 s session; then the work is asked to stop.
  // Measured between the supervisor's own events, so that how long 800 MB on a busy disk take
  // to go away once the work is told to end does not count.
  const auto at_ms = [&](const std::string& detail) -> std::int64_t {
    auto store = parhelia::core::Store::open(cli.home());
    REQUIRE(store);
    for (const auto& event : store.value()->events(id).value_or({}))
      if (contains(event.detail, detail)) return event.at;
    FAIL("no event says " << detail);
    return 0;
  };
  const std::int64_t started = at_ms("work started");
  const std::int64_t timed_out = at_ms("timeout reached; stopping");
  const std::int64_t asked = at_ms("asked the work to stop (SIGTERM)");
  CHECK(timed_out - started >= 9'900);
  CHECK(timed_out - started < 10'000 + 2'000);
  CHECK(asked - timed_out >= 2'900);
  CHECK(asked - timed_out < 3'000 + 2'000);
  // Ended by SIGTERM or, at the latest, by SIGKILL at the end of its 10 s grace.
  CHECK(ended["elapsed_s"].get<double>() < 10 + 3 + 10 + 5);
}

TEST_CASE("an unsandboxed session's detached processes end with it", "[e2e][sessions][hostile]") {
  GitWorkspace workspace;
  Cli cli;
  // Durations no other test uses, so that what is found is this session's.
  const auto ran = cli.run(
      {"submit", "--no-sandbox", "--cmd",
       "setsid sleep 300.4711 & (sleep 301.4711 &) ; echo started", "--sync", "--timeout", "60"},
      workspace.path().string());
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(contains(ran.out, "started"));
  std::vector<pid_t> left;
  for (int i = 0; i < 20; ++i) {
    left = processes_running({"sleep", "300.4711"});
    const auto more = processes_running({"sleep", "301.4711"});
    left.insert(left.end(), more.begin(), more.end());
    if (left.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  for (pid_t pid : left) ::kill(pid, SIGKILL);  // not left behind by the test either
  CHECK(left.empty());
}

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "core/agent/agent_command.h"
#include "core/agent/agent_stream.h"
#include "core/base/process.h"
#include "core/local/host_probe.h"
#include "core/local/sandbox.h"
#include "core/session/gpu_request.h"
#include "core/session/session.h"
#include "core/session/session_log.h"
#include "core/store/store.h"
#include "tests/support/temp_dir.h"

using namespace parhelia::core;
using parhelia::testing::TempDir;

TEST_CASE("the session state machine allows only forward moves", "[unit][sessions]") {
  using S = SessionState;
  CHECK(can_transition(S::queued, S::provisioning));
  CHECK(can_transition(S::provisioning, S::running));
  CHECK(can_transition(S::running, S::succeeded));
  CHECK(can_transition(S::running, S::timed_out));
  CHECK(can_transition(S::running, S::over_budget));
  CHECK_FALSE(can_transition(S::queued, S::over_budget));
  for (S live : {S::queued, S::provisioning, S::running}) {
    CHECK(can_transition(live, S::failed));
    CHECK(can_transition(live, S::cancelled));
    CHECK(can_transition(live, S::lost));
  }
  CHECK_FALSE(can_transition(S::queued, S::running));
  CHECK_FALSE(can_transition(S::queued, S::succeeded));
  CHECK_FALSE(can_transition(S::running, S::queued));
  for (S ended : {S::succeeded, S::failed, S::cancelled, S::timed_out, S::over_budget, S::lost}) {
    for (S any : all_session_states()) CHECK_FALSE(can_transition(ended, any));
  }
}

TEST_CASE("session ids are task- and 8 hex characters", "[unit][sessions]") {
  for (int i = 0; i < 100; ++i) CHECK(is_session_id(new_session_id()));
  CHECK_FALSE(is_session_id("task-0123ABCD"));
  CHECK_FALSE(is_session_id("task-0123abc"));
  CHECK_FALSE(is_session_id("job-01234567"));
}

TEST_CASE("Claude Code's real transcripts are read: not logged in, API unreachable",
          "[unit][agent]") {
  std::ifstream not_logged_in(std::string(PARHELIA_SOURCE_DIR) +
                              "/tests/fixtures/claude-2.1-stream-json-not-logged-in.jsonl");
  std::vector<AgentUpdate> updates;
  for (std::string line; std::getline(not_logged_in, line);) {
    if (auto update = read_agent_line(line)) updates.push_back(*update);
  }
  REQUIRE(updates.size() == 3);
  CHECK(updates[0].claude_session_id == "ec072e27-aec6-45d4-b90f-5d231f42aa5c");
  CHECK(updates[1].activity == "error: authentication_failed");
  REQUIRE(updates[2].result);
  CHECK(updates[2].result->is_error);  // though its subtype says "success"
  CHECK(updates[2].result->subtype == "success");
  CHECK(updates[2].result->text == "Not logged in · Please run /login");

  std::ifstream unreachable(std::string(PARHELIA_SOURCE_DIR) +
                            "/tests/fixtures/claude-2.1-stream-json-api-unreachable.jsonl");
  std::vector<std::string> activities;
  for (std::string line; std::getline(unreachable, line);) {
    if (auto update = read_agent_line(line); update && update->activity)
      activities.push_back(*update->activity);
  }
  REQUIRE(activities.size() >= 3);
  CHECK(activities[1] == "waiting for the API (attempt 1/10)");
}

TEST_CASE("agent lines describe tool use and ignore what is not stream-json", "[unit][agent]") {
  const auto bash = read_agent_line(
      R"({"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"pytest -x"}}]}})");
  REQUIRE(bash);
  CHECK(bash->activity == "uses Bash: pytest -x");
  CHECK_FALSE(read_agent_line("plain output from make"));
  CHECK_FALSE(read_agent_line(R"({"no":"type"})"));
  const auto ok = read_agent_line(
      R"({"type":"result","subtype":"success","is_error":false,"result":"All green"})");
  REQUIRE(ok);
  CHECK_FALSE(ok->result->is_error);
  CHECK(ok->activity == "finished: All green");
}

TEST_CASE("GPU requests parse as Modal spells them", "[unit][gpu]") {
  CHECK(parse_gpu_request("")->count == 0);
  CHECK(parse_gpu_request("h100")->type == "H100");
  CHECK(parse_gpu_request("H100:2")->count == 2);
  CHECK(parse_gpu_request("2")->type.empty());
  CHECK(parse_gpu_request("2")->count == 2);
  CHECK_FALSE(parse_gpu_request("H100:9"));
  CHECK_FALSE(parse_gpu_request("A10:5"));
  CHECK_FALSE(parse_gpu_request("H100:x"));
  CHECK_FALSE(parse_gpu_request("GTX1080"));
}

TEST_CASE("GPU requests are matched against what nvidia-smi lists", "[unit][gpu]") {
  HostCapabilities host;
  host.gpus = parse_nvidia_smi(
      "0, NVIDIA A100-SXM4-80GB, 81920\n1, NVIDIA A10G, 23028\nWARNING: something\n");
  REQUIRE(host.gpus.size() == 2);
  CHECK(host.gpus[0].memory_mib == 81920);
  CHECK(local_cuda_devices(parse_gpu_request("A100-80GB").value(), host).value() == "0");
  CHECK(local_cuda_devices(parse_gpu_request("A10G").value(), host).value() == "1");
  CHECK(local_cuda_devices(parse_gpu_request("A10").value(), host).value() == "1");  // not the A100
  CHECK(local_cuda_devices(parse_gpu_request("2").value(), host).value() == "0,1");
  CHECK_FALSE(local_cuda_devices(parse_gpu_request("H100").value(), host));
  CHECK_FALSE(local_cuda_devices(parse_gpu_request("A10G:2").value(), host));
}

TEST_CASE("log pieces follow offsets, take the last lines and never cut a character",
          "[unit][logs]") {
  TempDir dir;
  const auto log = dir.path() / "session.log";
  std::ofstream(log) << "one\ntwo\nthree\nfour\n";
  CHECK(read_log_tail(log, 2, 1000).text == "three\nfour\n");
  CHECK(read_log_tail(log, 10, 1000).text == "one\ntwo\nthree\nfour\n");
  CHECK(read_log_tail(log, 2, 7).text == "four\n");  // the window starts mid-line
  const auto first = read_log_from(log, 0, 6);
  CHECK(first.text == "one\ntw");
  CHECK(read_log_from(log, first.next_offset, 100).text == "o\nthree\nfour\n");
  std::ofstream(log) << "ab\xC3\xA9";  // "abé"
  CHECK(read_log_from(log, 0, 3).text == "ab");
  CHECK(read_log_tail(dir.path() / "missing.log", 5, 100).text.empty());
}

TEST_CASE("the store: 0600 file, migrations once, guarded transitions, events", "[unit][store]") {
  TempDir home;
  Session s;
  s.id = new_session_id();
  s.task = "echo";
  s.workspace = "/tmp";
  s.created_at = now_ms();
  {
    auto store = Store::open(home.path());
    REQUIRE(store);
    REQUIRE(store.value()->insert(s));
    CHECK(store.value()
              ->transition(s.id, SessionState::queued, SessionState::provisioning, {}, "x")
              .value());
    // A second mover from the same state loses, changing nothing.
    CHECK_FALSE(store.value()
                    ->transition(s.id, SessionState::queued, SessionState::cancelled, {}, "late")
                    .value());
    CHECK_FALSE(store.value()->transition(s.id, SessionState::provisioning, SessionState::queued,
                                          {}, "back"));
  }
  struct stat st {};
  REQUIRE(::stat((home.path() / "parhelia.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto reopened = Store::open(home.path());  // migrations are not run twice
  REQUIRE(reopened);
  CHECK(reopened.value()->get(s.id)->state == SessionState::provisioning);
  CHECK(reopened.value()->events(s.id)->size() == 2);
  CHECK(reopened.value()->get("task-ffffffff").error().code == ErrorCode::not_found);
}

TEST_CASE("the store takes concurrent writers from several connections", "[unit][store]") {
  TempDir home;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};  // Catch's assertions are not for other threads
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&home, &failures] {
      auto store = Store::open(home.path());  // each thread its own connection, as processes have
      if (!store) {
        ++failures;
        return;
      }
      for (int i = 0; i < 25; ++i) {
        Session s;
        s.id = new_session_id();
        s.task = "t";
        s.workspace = "/";
        s.created_at = now_ms();
        if (!store.value()->insert(s)) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  CHECK(failures == 0);
  auto store = Store::open(home.path());
  SessionQuery all;
  all.limit = 1000;
  CHECK(store.value()->list(all)->size() == 100);
  CHECK(store.value()->count_by_state()->at(SessionState::queued) == 100);
}

TEST_CASE("a second connection in a process keeps the first's locks: no write goes unseen",
          "[unit][store]") {
  TempDir home;
  auto first = Store::open(home.path());
  REQUIRE(first);
  // Another connection in the same process (a tool's, a checkpointer's) must not drop the
  // locks the first holds, or another process closing its own connection deletes the
  // write-ahead log the first writes to, and its writes are seen by no one else.
  auto second = Store::open(home.path());
  REQUIRE(second);
  const auto count_elsewhere = [&] {
    ProcessSpec spec;
    spec.argv = {"sqlite3", (home.path() / "parhelia.db").string(),
                 "SELECT count(*) FROM sessions"};
    spec.pipe_stdout = true;
    auto run = run_captured(spec, std::chrono::seconds(10));
    REQUIRE(run);
    return run->out;
  };
  CHECK(count_elsewhere() == "0\n");  // a process that opens and closes the database
  Session s;
  s.id = new_session_id();
  s.task = "echo";
  s.workspace = "/tmp";
  s.created_at = now_ms();
  REQUIRE(first.value()->insert(s));
  CHECK(count_elsewhere() == "1\n");
}

TEST_CASE(
    "the sandbox shows the program's installation and the session's two folders, not the rest",
    "[unit][sandbox]") {
  const auto files = SessionFiles::of("/tmp/home", "task-01234567");
  SandboxSpec spec;
  spec.files = &files;
  spec.parhelia_home = "/tmp/home";
  spec.programs = {"/tmp/tools"};
  spec.limits.processes = 64;
  auto built = sandboxed_argv({"/tmp/tools/claude", "-p", "x"}, spec);
  REQUIRE(built);
  const auto& wrapped = built.value();
  const auto at = [&](const std::string& arg) {
    return std::find(wrapped.begin(), wrapped.end(), arg) - wrapped.begin();
  };
  REQUIRE(at("/tmp/tools") < static_cast<long>(wrapped.size()));
  CHECK(wrapped[at("/tmp/tools") - 1] == "--ro-bind");
  CHECK(at("/tmp") < at("/tmp/tools"));  // bound after the tmpfs hides /tmp
  // Parhelia's state is hidden; the workspace and home are bound, the session folder is not.
  CHECK(wrapped[at("/tmp/home") - 1] == "--tmpfs");
  CHECK(wrapped[at(files.workspace.string()) - 1] == "--bind");
  CHECK(wrapped[at(files.home.string()) - 1] == "--bind");
  // Shown where every session sees them, the work starting in its workspace there.
  CHECK(wrapped[at(files.workspace.string()) + 1] == "/workspace");
  CHECK(wrapped[at(files.home.string()) + 1] == "/home/agent");
  CHECK(wrapped[at("--chdir") + 1] == "/workspace");
  for (std::size_t i = 0; i + 1 < wrapped.size(); ++i) {
    if (wrapped[i] == "--bind") CHECK(wrapped[i + 1] != files.dir.string());
  }
  // Never the whole machine, and no capabilities kept.
  CHECK(std::find(wrapped.begin(), wrapped.end(), "--cap-drop") != wrapped.end());
  for (std::size_t i = 0; i + 1 < wrapped.size(); ++i) {
    if (wrapped[i] == "--ro-bind" && wrapped[i + 1] == "/") FAIL("the whole file system is shown");
  }
  CHECK(std::vector<std::string>(wrapped.end() - 3, wrapped.end()) ==
        std::vector<std::string>{"/tmp/tools/claude", "-p", "x"});
  CHECK(std::find(wrapped.begin(), wrapped.end(), "--nproc=64") != wrapped.end());
}

TEST_CASE("a program's installation is its npm package folder, or its folder", "[unit][sandbox]") {
  TempDir dir;
  const auto package = dir.path() / "node_modules" / "@scope" / "tool";
  std::filesystem::create_directories(package);
  std::filesystem::create_directories(dir.path() / "node_modules" / ".bin");
  { std::ofstream(package / "cli.js") << "#!/bin/sh\n"; }
  std::filesystem::create_symlink("../@scope/tool/cli.js",
                                  dir.path() / "node_modules" / ".bin" / "tool");
  const auto installed = installation_of(dir.path() / "node_modules" / ".bin" / "tool");
  REQUIRE(installed.dirs.size() == 1);  // /bin/sh is shown anyway
  CHECK(installed.dirs[0] == std::filesystem::canonical(dir.path()) / "node_modules");
  CHECK(installation_of("/bin/sh").dirs.empty());
}

TEST_CASE("a script whose #! line says env NAME runs by the interpreter PATH finds, shown",
          "[unit][sandbox]") {
  // What `npm install --prefix` leaves for a JS agent with `#!/usr/bin/env node`, where node is
  // reached through a PATH folder of links (nvm, volta, a node_modules/.bin) the sandbox does
  // not show: inside, env would not find it there, or would find another one.
  TempDir dir;
  const auto root = std::filesystem::canonical(dir.path());
  const auto package = root / "node_modules" / "agent";
  const auto runtime = root / "runtime" / "bin";
  const auto links = root / "links";
  for (const auto& d : {package, runtime, links, root / "node_modules" / ".bin"})
    std::filesystem::create_directories(d);
  { std::ofstream(runtime / "runner") << "#!/bin/sh\nexec /bin/sh \"$@\"\n"; }
  std::filesystem::permissions(runtime / "runner", std::filesystem::perms::owner_all);
  std::filesystem::create_symlink(runtime / "runner", links / "runner");
  { std::ofstream(package / "cli.js") << "#!/usr/bin/env runner\necho hi\n"; }
  std::filesystem::create_symlink("../agent/cli.js", root / "node_modules" / ".bin" / "agent");
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path ? old_path : "";
  ::setenv("PATH", (links.string() + ":" + saved).c_str(), 1);
  const auto installed = installation_of(root / "node_modules" / ".bin" / "agent");
  ::setenv("PATH", saved.c_str(), 1);
  CHECK(installed.argv ==
        std::vector<std::string>{(runtime / "runner").string(), (package / "cli.js").string()});
  CHECK(std::find(installed.dirs.begin(), installed.dirs.end(), root / "node_modules") !=
        installed.dirs.end());
  CHECK(std::find(installed.dirs.begin(), installed.dirs.end(), runtime) != installed.dirs.end());
  // `env -S` splits its words; a direct interpreter keeps the rest of the line as one argument.
  { std::ofstream(package / "cli.js") << "#!/usr/bin/env -S runner --flag  two\n"; }
  ::setenv("PATH", (links.string() + ":" + saved).c_str(), 1);
  const auto split = installation_of(package / "cli.js");
  ::setenv("PATH", saved.c_str(), 1);
  CHECK(split.argv == std::vector<std::string>{(runtime / "runner").string(), "--flag", "two",
                                               (package / "cli.js").string()});
  { std::ofstream(package / "cli.js") << "#!" << (runtime / "runner").string() << " -a b\n"; }
  CHECK(installation_of(package / "cli.js").argv ==
        std::vector<std::string>{(runtime / "runner").string(), "-a b",
                                 (package / "cli.js").string()});
}

TEST_CASE("shorten cuts between UTF-8 characters and marks the cut", "[unit][sessions]") {
  CHECK(shorten("short", 10) == "short");
  CHECK(shorten("abcdef", 3) == "abc…");
  CHECK(shorten("ab\xC3\xA9z", 3) == "ab…");  // "é" is two bytes: not cut in half
}

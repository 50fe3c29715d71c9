// The session behaviour every backend must show, written once and run for each: submit,
// status, logs, a checkpoint of a running session, stop, results, and a resume that carries
// on from the checkpoint, over MCP and over the CLI. `local` runs in the product's binary;
// `process` (tests/support/test_backends.h: a plain child process, no tmux) in the tests' own,
// which proves that the service and both faces need the backend port alone; `modal` in the
// product's binary against the stand-in Modal API (tests/support/modal_standin.h), its
// sandboxes real processes.
#include <catch2/catch.hpp>
#include <thread>

#include "core/local/local_backend.h"
#include "core/service/sessions.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/modal_standin.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using namespace std::chrono_literals;

namespace {

// The parhelia that has the backend.
std::string binary_for(const std::string& backend) {
  return backend == "process" ? PARHELIA_TEST_BACKENDS_BINARY : PARHELIA_BINARY;
}

// The stand-in Modal API, for the modal backend alone, and the environment that reaches it.
struct BackendPlace {
  explicit BackendPlace(const std::string& backend) {
    if (backend == "modal") environment = standin.emplace().user_environment();
  }
  std::optional<ModalStandin> standin;
  std::vector<std::string> environment;
};

// What `attach` says of a running session: `ask` gives whether it was refused and what it
// said. The local backend's tmux answers at once; a Modal sandbox's sshd and tunnel come up
// beside the work (reachable within seconds); the process backend has no terminal.
template <class Ask>
void check_attach(const std::string& backend, Ask ask) {
  if (backend == "process") {
    const auto [refused, said] = ask();
    CHECK(refused);
    CHECK(contains(said, "gives it no terminal"));
    return;
  }
  CHECK(eventually([&] {
    const auto [refused, said] = ask();
    return !refused && contains(said, "\"reachable\":true");
  }));
}

// Leaves a file the first time; run again from a checkpoint it finds the file and ends.
constexpr const char* kCommand =
    "if [ -e made.txt ]; then echo carried-on; cat made.txt; exit 0; fi; "
    "echo started; echo from-the-parent > made.txt; sleep 60";

json tool(McpClient& client, const std::string& name, json arguments) {
  const json result = client.call_tool(name, std::move(arguments));
  INFO(result.dump());
  REQUIRE(result["isError"] == false);
  return result["structuredContent"];
}

}  // namespace

TEST_CASE("every backend: a session over MCP runs, logs, checkpoints, stops and resumes",
          "[e2e][sessions][backends]") {
  const std::string backend = GENERATE("local", "process", "modal");
  INFO("backend " << backend);
  BackendPlace place(backend);
  GitWorkspace workspace;
  McpClient client({.environment = place.environment, .binary = binary_for(backend)});
  client.initialize();

  const json submitted =
      tool(client, "submit",
           {{"command", kCommand}, {"backend", backend}, {"workspace", workspace.path().string()}});
  const std::string id = submitted["session"]["session_id"];
  CHECK(submitted["session"]["backend"] == backend);

  json session;
  REQUIRE(eventually([&] {
    session = tool(client, "status", {{"session_id", id}})["session"];
    return session["state"] == "running";
  }));
  CHECK(session["backend"] == backend);
  CHECK(eventually([&] {
    const json logs = tool(client, "session", {{"action", "logs"}, {"session_id", id}});
    return contains(logs["log"]["text"], "started");
  }));

  const json taken = tool(client, "checkpoint", {{"action", "create"}, {"session_id", id}});
  CHECK(taken["checkpoint"]["changed_files"] == 1);
  const std::string checkpoint_id = taken["checkpoint"]["checkpoint_id"];

  check_attach(backend, [&] {
    const json attach = client.call_tool("attach_info", {{"session_id", id}});
    return std::pair{attach["isError"] == true, attach["isError"] == true
                                                    ? text_of(attach)
                                                    : attach["structuredContent"].dump()};
  });

  tool(client, "session", {{"action", "stop"}, {"session_id", id}, {"grace_s", 1}});
  const json stopped = client.wait_for_end(id);
  CHECK(stopped["state"] == "cancelled");
  CHECK(stopped["changed_files"] == json::array({"A made.txt"}));
  const json results = tool(client, "session", {{"action", "results"}, {"session_id", id}});
  CHECK(contains(results["results"]["patch"], "+from-the-parent"));

  const json restored =
      tool(client, "checkpoint", {{"action", "restore"}, {"checkpoint_id", checkpoint_id}});
  const std::string child = restored["session"]["session_id"];
  CHECK(restored["session"]["parent_id"] == id);
  CHECK(restored["session"]["backend"] == backend);
  const json child_end = client.wait_for_end(child);
  CHECK(child_end["state"] == "succeeded");
  const json child_log = tool(client, "session", {{"action", "logs"}, {"session_id", child}});
  CHECK(contains(child_log["log"]["text"], "carried-on\nfrom-the-parent"));
  CHECK(workspace.read("made.txt").empty());  // the user's files are untouched until applied
}

TEST_CASE("every backend: a session from the CLI runs, logs, checkpoints, stops and resumes",
          "[e2e][cli][backends]") {
  const std::string backend = GENERATE("local", "process", "modal");
  INFO("backend " << backend);
  BackendPlace place(backend);
  GitWorkspace workspace;
  Cli cli(place.environment, binary_for(backend));

  const json submitted = run_json(
      cli, {"submit", "--cmd", kCommand, "--backend", backend, "--checkpoint-every", "0", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  CHECK(submitted["backend"] == backend);
  wait_for_state(cli, id, "running");
  CHECK(eventually([&] { return contains(cli.run({"session", "logs", id}).out, "started"); }));

  const json taken = run_json(cli, {"checkpoint", "create", id});
  CHECK(taken["changed_files"] == 1);
  const std::string checkpoint_id = taken["checkpoint_id"];

  check_attach(backend, [&] {
    const auto attach = cli.run({"attach", id, "--info", "--json"});
    return std::pair{attach.exit_status != 0,
                     attach.exit_status != 0 ? attach.err : json::parse(attach.out).dump()};
  });

  CHECK(cli.run({"session", "stop", id, "--grace", "1"}).exit_status == 0);
  const json stopped = wait_for_end(cli, id);
  CHECK(stopped["state"] == "cancelled");
  const auto results = cli.run({"session", "results", id});
  CHECK(contains(results.out, "+from-the-parent"));

  const json resumed = run_json(cli, {"checkpoint", "restore", checkpoint_id, "--yes"});
  const std::string child = resumed["session_id"];
  CHECK(resumed["parent_id"] == id);
  CHECK(resumed["backend"] == backend);
  CHECK(wait_for_end(cli, child)["state"] == "succeeded");
  CHECK(contains(cli.run({"session", "logs", child}).out, "carried-on\nfrom-the-parent"));
}

TEST_CASE("a session the local backend runs but the store does not know is named as a stray",
          "[e2e][sessions][backends]") {
  ParheliaHome home;
  auto service = parhelia::core::SessionService::open(
      home.path(), parhelia::core::local_backends(home.path(), PARHELIA_BINARY));
  REQUIRE(service);
  const auto dir = home.path() / "sessions" / "task-0000abcd";
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(home.path() / "sessions" / "task-0000dead");  // nothing runs
  parhelia::core::ProcessSpec tmux;
  tmux.argv = {"tmux", "-S",      (dir / "tmux.sock").string(), "-f", "/dev/null", "new-session",
               "-d",   "sleep 60"};
  REQUIRE(parhelia::core::run_captured(tmux, 10s).value().exit_status == 0);
  const auto strays = service.value()->strays();
  tmux.argv = {"tmux", "-S", (dir / "tmux.sock").string(), "kill-server"};
  CHECK(parhelia::core::run_captured(tmux, 10s));
  REQUIRE(strays);
  REQUIRE(strays->size() == 1);
  CHECK(strays->at(0).backend == "local");
  CHECK(strays->at(0).session_id == "task-0000abcd");
}

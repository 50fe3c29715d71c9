// Sessions that really run, driven through the real binary over MCP: real tmux, real
// bubblewrap, a real SQLite file, and the fake Claude Code of tests/support.
#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "core/base/environment.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;

namespace {

json submit(McpClient& client, json arguments) {
  const json result = client.call_tool("submit", std::move(arguments));
  INFO(result.dump());
  REQUIRE(result["isError"] == false);
  return result["structuredContent"]["session"];
}

std::string error_text(McpClient& client, const std::string& tool, json arguments) {
  const json result = client.call_tool(tool, std::move(arguments));
  INFO(result.dump());
  CHECK(result["isError"] == true);
  return result["content"][0]["text"].get<std::string>();
}

}  // namespace

TEST_CASE("a command session runs, logs, and returns its changes as a patch", "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const json submitted =
      submit(client, {{"command",
                       "echo building; echo new > made.txt; sed -i s/hello/bye/ README.md; "
                       "rm notes.txt; test ! -e build.log && echo no-ignored-files"},
                      {"workspace", workspace.path().string()},
                      {"name", "patch test"}});
  const std::string id = submitted["session_id"];
  CHECK(submitted["state"] == "queued");
  CHECK(submitted["name"] == "patch test");

  const json done = client.wait_for_end(id);
  CHECK(done["state"] == "succeeded");
  CHECK(done["exit_code"] == 0);
  CHECK(done["changed_files"] == json::array({"M README.md", "A made.txt", "D notes.txt"}));

  const json logs = client.call_tool("session", {{"action", "logs"}, {"session_id", id}});
  const std::string text = logs["structuredContent"]["log"]["text"];
  CHECK(contains(text, "building"));
  CHECK(contains(text, "no-ignored-files"));  // .gitignore'd files stay home
  CHECK(logs["structuredContent"]["log"]["session_ended"] == true);

  const json results = client.call_tool("session", {{"action", "results"}, {"session_id", id}});
  const std::string patch = results["structuredContent"]["results"]["patch"];
  CHECK(contains(patch, "+bye"));
  CHECK(contains(patch, "new file mode"));
  CHECK(contains(patch, "deleted file mode"));
  CHECK(workspace.read("README.md") == "hello\n");  // the user's files are untouched until applied

  const json history =
      client.call_tool("status", {{"session_id", id}})["structuredContent"]["events"];
  std::vector<std::string> steps;
  for (const auto& event : history)
    steps.push_back(
        event["what"].get<std::string>().substr(0, event["what"].get<std::string>().find(':')));
  CHECK(steps == std::vector<std::string>{"queued", "queued -> provisioning",
                                          "provisioning -> running", "running -> succeeded"});
}

TEST_CASE("a Claude Code task is read as it streams: session id, activity, final answer",
          "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  const json submitted = submit(client, {{"task", "write src/answer.txt: forty-two"},
                                         {"workspace", workspace.path().string()}});
  const json done = client.wait_for_end(submitted["session_id"]);
  CHECK(done["state"] == "succeeded");
  CHECK(done["kind"] == "task");
  CHECK(done["final_answer"] == "Done: write src/answer.txt: forty-two");
  CHECK(done["claude_session_id"].get<std::string>().size() == 36);
  CHECK(done["changed_files"] == json::array({"A src/answer.txt"}));
  CHECK(contains(done["last_activity"], "finished"));

  // The agent ran sandboxed in the session's copy with its own HOME, and got the task as one
  // argument.
  const auto session_dir = client.home() / "sessions" / done["session_id"].get<std::string>();
  std::ifstream argv_file(session_dir / "home" / ".fake-claude-argv");
  std::vector<std::string> argv;
  for (std::string line; std::getline(argv_file, line);) argv.push_back(line);
  CHECK(argv == std::vector<std::string>{"-p", "write src/answer.txt: forty-two", "--output-format",
                                         "stream-json", "--verbose",
                                         "--dangerously-skip-permissions"});
}

TEST_CASE("a task whose Claude Code reports an error fails with its words", "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  const json done = client.wait_for_end(submit(
      client, {{"task", "please fail"}, {"workspace", workspace.path().string()}})["session_id"]);
  CHECK(done["state"] == "failed");
  CHECK(contains(done["error"], "The task failed as asked."));
}

TEST_CASE("the sandbox keeps the system read-only and the session's directory writable",
          "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const json done = client.wait_for_end(submit(
      client,
      {{"command",
        "touch /usr/parhelia-escape 2>/dev/null && echo ESCAPED; touch ok.txt && echo inside; "
        "echo tmp > /tmp/x && echo private-tmp"},
       {"workspace", workspace.path().string()}})["session_id"]);
  const std::string log = client.call_tool(
      "session",
      {{"action", "logs"}, {"session_id", done["session_id"]}})["structuredContent"]["log"]["text"];
  CHECK_FALSE(contains(log, "ESCAPED"));
  CHECK(contains(log, "inside"));
  CHECK(contains(log, "private-tmp"));
  CHECK_FALSE(std::filesystem::exists("/usr/parhelia-escape"));
}

TEST_CASE("a session outlives the server that started it and a new server reconciles it",
          "[e2e][sessions]") {
  GitWorkspace workspace;
  ParheliaHome home;
  const std::string home_entry = "PARHELIA_HOME=" + home.path().string();
  std::string id;
  {
    McpClient first({.environment = {home_entry}});
    first.initialize();
    // It runs until the test lets it end, by a file in its working copy.
    id = submit(first, {{"command", "until [ -e release ]; do sleep 0.1; done; echo survived"},
                        {"workspace", workspace.path().string()}})["session_id"];
    first.close_input();
    REQUIRE(first.wait_exit(3s) == 0);
  }
  McpClient second({.environment = {home_entry}});
  second.initialize();
  // Still running under the new server (on a loaded machine it may take a while to start).
  wait_for_state(second, id, "running");
  write_file(home.path() / "sessions" / id / "workspace" / "release", "");
  const json done = second.wait_for_end(id);
  CHECK(done["state"] == "succeeded");
}

TEST_CASE("a session killed behind Parhelia's back is recorded as failed", "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const std::string id = submit(
      client, {{"command", "sleep 60"}, {"workspace", workspace.path().string()}})["session_id"];
  json session;
  for (int i = 0; i < 50; ++i) {
    session = client.call_tool("status", {{"session_id", id}})["structuredContent"]["session"];
    if (session["state"] == "running") break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(session["state"] == "running");
  // Kill the whole tmux server of the session with SIGKILL: nothing gets to record anything.
  const auto socket = client.home() / "sessions" / id / "tmux.sock";
  parhelia::core::ProcessSpec spec;
  spec.argv = {"sh", "-c",
               "kill -9 $(tmux -S " + socket.string() + " display -p '#{pid} #{pane_pid}')"};
  REQUIRE(parhelia::core::run_captured(spec, 10s)->exit_status == 0);
  std::this_thread::sleep_for(200ms);
  const json after = client.wait_for_end(id, 10s);
  CHECK(after["state"] == "failed");
  CHECK(contains(after["error"], "outside Parhelia"));
}

TEST_CASE("stop ends a running session as cancelled within its grace", "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const std::string id = submit(
      client, {{"command", "sleep 60"}, {"workspace", workspace.path().string()}})["session_id"];
  std::this_thread::sleep_for(500ms);
  const auto start = std::chrono::steady_clock::now();
  const json stopped =
      client.call_tool("session", {{"action", "stop"}, {"session_id", id}, {"grace_s", 2}});
  CHECK(stopped["isError"] == false);
  const json done = client.wait_for_end(id, 10s);
  CHECK(done["state"] == "cancelled");
  CHECK(std::chrono::steady_clock::now() - start < 4s);
  CHECK(contains(error_text(client, "session", {{"action", "stop"}, {"session_id", id}}),
                 "already ended"));
}

TEST_CASE("a session that reaches its timeout is stopped as timed_out", "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const json done =
      client.wait_for_end(submit(client, {{"command", "sleep 30"},
                                          {"timeout_s", 1},
                                          {"workspace", workspace.path().string()}})["session_id"],
                          15s);
  CHECK(done["state"] == "timed_out");
}

TEST_CASE("sync submit waits with progress, and its cancellation leaves the session running",
          "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  SECTION("progress while waiting") {
    const json result = client.call_tool(
        "submit", {{"task", "sleep 2"}, {"sync", true}, {"workspace", workspace.path().string()}},
        {{"progressToken", 7}});
    CHECK(result["structuredContent"]["waited"] == true);
    CHECK(result["structuredContent"]["session"]["state"] == "succeeded");
    int progress = 0;
    std::set<std::string> messages;
    for (const auto& m : client.others) {
      if (m.value("method", "") != "notifications/progress") continue;
      ++progress;
      messages.insert(m["params"]["message"].get<std::string>().substr(0, 7));
    }
    CHECK(progress >= 2);
    CHECK(messages.count("running") == 1);
  }
  SECTION("cancelled wait") {
    client.send(
        {{"jsonrpc", "2.0"},
         {"id", "wait"},
         {"method", "tools/call"},
         {"params",
          {{"name", "submit"},
           {"arguments",
            {{"command", "sleep 2"}, {"sync", true}, {"workspace", workspace.path().string()}}}}}});
    std::this_thread::sleep_for(700ms);
    client.send({{"jsonrpc", "2.0"},
                 {"method", "notifications/cancelled"},
                 {"params", {{"requestId", "wait"}}}});
    CHECK_FALSE(client.response_to("wait", 1s));
    const json listed =
        client.call_tool("session", {{"action", "list"}})["structuredContent"]["sessions"];
    REQUIRE(listed.size() == 1);
    CHECK(client.wait_for_end(listed[0]["session_id"])["state"] == "succeeded");
  }
}

TEST_CASE("20 concurrent submits from 4 processes lose nothing", "[e2e][sessions]") {
  GitWorkspace workspace;
  ParheliaHome home;
  std::vector<std::unique_ptr<McpClient>> clients;
  for (int p = 0; p < 4; ++p) {
    clients.push_back(std::make_unique<McpClient>(
        ClientOptions{.environment = {"PARHELIA_HOME=" + home.path().string()}}));
    clients.back()->initialize();
  }
  for (int p = 0; p < 4; ++p) {
    for (int i = 0; i < 5; ++i) {
      clients[p]->send({{"jsonrpc", "2.0"},
                        {"id", 100 + i},
                        {"method", "tools/call"},
                        {"params",
                         {{"name", "submit"},
                          {"arguments",
                           {{"command", "echo p" + std::to_string(p) + "-" + std::to_string(i)},
                            {"workspace", workspace.path().string()}}}}}});
    }
  }
  std::set<std::string> ids;
  for (int p = 0; p < 4; ++p) {
    for (int i = 0; i < 5; ++i) {
      auto answer = clients[p]->response_to(100 + i, 30s);
      REQUIRE(answer);
      INFO(answer->dump());
      REQUIRE((*answer)["result"]["isError"] == false);
      ids.insert(
          (*answer)["result"]["structuredContent"]["session"]["session_id"].get<std::string>());
    }
  }
  CHECK(ids.size() == 20);
  for (const auto& id : ids) CHECK(clients[0]->wait_for_end(id, 60s)["state"] == "succeeded");
  const json listed = clients[1]->call_tool(
      "session", {{"action", "list"}, {"limit", 100}})["structuredContent"]["sessions"];
  CHECK(listed.size() == 20);
}

TEST_CASE("refusals are tool errors that say what to do", "[e2e][sessions]") {
  GitWorkspace workspace;
  const std::string ws = workspace.path().string();
  SECTION("no claude") {
    McpClient client(
        {.environment = {"PARHELIA_AGENT=/nonexistent/claude", "ANTHROPIC_API_KEY=x"}});
    client.initialize();
    CHECK(contains(error_text(client, "submit", {{"task", "hi"}, {"workspace", ws}}),
                   "npm install -g @anthropic-ai/claude-code"));
  }
  SECTION("no API key and no subscription token") {
    McpClient client({.environment = {fake_agent_environment()[0],
                                      "ANTHROPIC_API_KEY=", "CLAUDE_CODE_OAUTH_TOKEN="}});
    client.initialize();
    CHECK(contains(error_text(client, "submit", {{"task", "hi"}, {"workspace", ws}}),
                   "Neither ANTHROPIC_API_KEY nor CLAUDE_CODE_OAUTH_TOKEN is set"));
  }
  SECTION("bad workspace, both or neither of task and command, unknown and malformed ids") {
    McpClient client;
    client.initialize();
    CHECK(contains(
        error_text(client, "submit", {{"command", "true"}, {"workspace", "/nonexistent/dir"}}),
        "does not exist"));
    CHECK(contains(
        error_text(client, "submit", {{"command", "true"}, {"task", "x"}, {"workspace", ws}}),
        "not both"));
    CHECK(contains(error_text(client, "submit", {{"workspace", ws}}), "Nothing to run"));
    CHECK(contains(error_text(client, "submit", {{"command", "true"}, {"backend", "k8s"}}),
                   "The k8s backend is not available in this build. Use one of: local, modal"));
    CHECK(contains(error_text(client, "status", {{"session_id", "task-00000000"}}),
                   "There is no session task-00000000"));
    CHECK(
        contains(error_text(client, "status", {{"session_id", "nope"}}), "must match the pattern"));
    CHECK(contains(error_text(client, "session", {{"action", "logs"}}), "needs session_id"));
  }
}

TEST_CASE("GPU requests are met from nvidia-smi's GPUs or refused", "[e2e][sessions][gpu]") {
  GitWorkspace workspace;
  TempDir bin;
  std::ofstream(bin.path() / "nvidia-smi")
      << "#!/bin/sh\necho '0, NVIDIA A10G, 23028'\necho '1, NVIDIA A10G, 23028'\n";
  std::filesystem::permissions(bin.path() / "nvidia-smi", std::filesystem::perms::owner_all);
  McpClient client({.environment = {"PATH=" + bin.path().string() + ":" + std::getenv("PATH")}});
  client.initialize();
  const json done =
      client.wait_for_end(submit(client, {{"command", "echo gpus=$CUDA_VISIBLE_DEVICES"},
                                          {"gpu", "A10G:2"},
                                          {"workspace", workspace.path().string()}})["session_id"]);
  const std::string log = client.call_tool(
      "session",
      {{"action", "logs"}, {"session_id", done["session_id"]}})["structuredContent"]["log"]["text"];
  CHECK(contains(log, "gpus=0,1"));
  CHECK(contains(
      error_text(client, "submit",
                 {{"command", "true"}, {"gpu", "H100"}, {"workspace", workspace.path().string()}}),
      "needs 1 H100, but this machine has NVIDIA A10G, NVIDIA A10G"));
  CHECK(contains(
      error_text(
          client, "submit",
          {{"command", "true"}, {"gpu", "A10G:3"}, {"workspace", workspace.path().string()}}),
      "needs 3 A10Gs"));
  CHECK(contains(error_text(client, "submit", {{"command", "true"}, {"gpu", "Z80"}}),
                 "Unknown GPU type"));
}

TEST_CASE("dry run shows the sandboxed command and starts nothing", "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const json result = client.call_tool(
      "submit",
      {{"command", "make test"}, {"dry_run", true}, {"workspace", workspace.path().string()}});
  const json& plan = result["structuredContent"];
  CHECK(plan["dry_run"] == true);
  CHECK(plan["would_run"][0] == "bwrap");
  CHECK(plan["would_run"].back() == "make test");
  CHECK(client.call_tool("session", {{"action", "list"}})["structuredContent"]["sessions"].empty());
}

TEST_CASE("session resources: JSON, log, completion, and updates while the log grows",
          "[e2e][sessions][resources]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const std::string id =
      submit(client, {{"command", "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.3; done"},
                      {"workspace", workspace.path().string()}})["session_id"];
  CHECK(client.request("resources/subscribe", {{"uri", "parhelia://sessions/" + id +
                                                           "/log"}})["result"] == json::object());
  client.wait_for_end(id);
  int updates = 0;
  for (const auto& m : client.others)
    updates += m.value("method", "") == "notifications/resources/updated";
  CHECK(updates >= 2);

  const json session = client.request(
      "resources/read", {{"uri", "parhelia://sessions/" + id}})["result"]["contents"][0];
  CHECK(session["mimeType"] == "application/json");
  CHECK(json::parse(session["text"].get<std::string>())["state"] == "succeeded");
  const json log = client.request(
      "resources/read", {{"uri", "parhelia://sessions/" + id + "/log"}})["result"]["contents"][0];
  CHECK(contains(log["text"], "line 6"));
  CHECK(client.request("resources/read",
                       {{"uri", "parhelia://sessions/task-00000000"}})["error"]["code"] == -32002);

  const json completion =
      client.request("completion/complete",
                     {{"ref", {{"type", "ref/resource"}, {"uri", "parhelia://sessions/{id}/log"}}},
                      {"argument", {{"name", "id"}, {"value", id.substr(0, 7)}}}});
  CHECK(completion["result"]["completion"]["values"] == json::array({id}));
}

TEST_CASE("without bubblewrap a session is refused unless no_sandbox is asked for",
          "[e2e][sessions]") {
  GitWorkspace workspace;
  TempDir bin;  // a PATH with what sessions need, but no bwrap
  for (const char* program : {"tmux", "git", "sh", "sed"}) {
    const auto found = parhelia::core::find_executable(program);
    REQUIRE(found);
    std::filesystem::create_symlink(*found, bin.path() / program);
  }
  McpClient client({.environment = {"PATH=" + bin.path().string()}});
  client.initialize();
  CHECK(contains(error_text(client, "submit",
                            {{"command", "echo hi"}, {"workspace", workspace.path().string()}}),
                 "bubblewrap (bwrap) is not installed"));
  const json done =
      client.wait_for_end(submit(client, {{"command", "echo unsandboxed"},
                                          {"no_sandbox", true},
                                          {"workspace", workspace.path().string()}})["session_id"]);
  CHECK(done["state"] == "succeeded");
  CHECK(done["sandboxed"] == false);
}

TEST_CASE("an unsandboxed session ends with its command, not with what it left running",
          "[e2e][sessions]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const auto start = std::chrono::steady_clock::now();
  const json done =
      client.wait_for_end(submit(client, {{"command", "sleep 60 & echo started"},
                                          {"no_sandbox", true},
                                          {"workspace", workspace.path().string()}})["session_id"],
                          15s);
  CHECK(done["state"] == "succeeded");
  CHECK(std::chrono::steady_clock::now() - start < 8s);
}

TEST_CASE("prompts complete session ids and checkpoint ids from the store", "[e2e][completion]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  const json session =
      submit(client, {{"command", "sleep 30"}, {"workspace", workspace.path().string()}});
  const std::string id = session["session_id"].get<std::string>();
  const auto complete = [&](const std::string& prompt, const std::string& argument,
                            const std::string& value) {
    return client.request(
        "completion/complete",
        {{"ref", {{"type", "ref/prompt"}, {"name", prompt}}},
         {"argument", {{"name", argument}, {"value", value}}}})["result"]["completion"]["values"];
  };
  CHECK(complete("parhelia-attach", "session_id", id.substr(0, 4)) == json::array({id}));
  CHECK(complete("parhelia-session", "session_id", id) == json::array({id}));
  CHECK(complete("parhelia-checkpoint", "id", id.substr(0, 5)) == json::array({id}));
  CHECK(eventually([&] {
    return client.call_tool("status", {{"session_id",
                                        id}})["structuredContent"]["session"]["state"] == "running";
  }));
  const json created = client.call_tool("checkpoint", {{"action", "create"}, {"session_id", id}});
  INFO(created.dump());
  REQUIRE(created["isError"] == false);
  const std::string checkpoint =
      created["structuredContent"]["checkpoint"]["checkpoint_id"].get<std::string>();
  CHECK(complete("parhelia-checkpoint", "id", "ck-") == json::array({checkpoint}));
  CHECK(complete("parhelia-checkpoint", "id", "ck-zz").empty());
  // The prompt carries the id and the action into the message for the model.
  const json got = client.request(
      "prompts/get", {{"name", "parhelia-checkpoint"},
                      {"arguments", {{"action", "restore"}, {"id", checkpoint}, {"gpu", "H100"}}}});
  const std::string text = got["result"]["messages"][0]["content"]["text"].get<std::string>();
  CHECK(contains(text, "action restore and checkpoint_id " + checkpoint));
  CHECK(contains(text, "gpu H100"));
  client.call_tool("session", {{"action", "stop"}, {"session_id", id}, {"grace_s", 1}});
}

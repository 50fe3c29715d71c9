// Sessions on the Modal backend, from the CLI and over MCP, against the stand-in Modal API
// (tests/support/modal_standin): the sandbox is a real process tree, the work a real exec in
// it, and the stand-in records every request, so the tests read back what Modal was asked.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "modal/api/modal_client.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/modal_standin.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// What sqlite3 prints for `statement` against the home's database.
std::string sql(const Cli& cli, const std::string& statement) {
  parhelia::core::ProcessSpec spec;
  spec.argv = {"sqlite3", (cli.home() / "parhelia.db").string(), statement};
  spec.pipe_stdout = true;
  spec.merge_stderr = true;
  auto run = parhelia::core::run_captured(spec, 10s);
  return run ? run->out : run.error().sentence();
}

// The stand-in's sandboxes are processes of this machine: the agent is the tests' fake one.
void use_fake_agent(const Cli& cli) {
  std::ofstream(cli.home() / "config.json")
      << json{{"modal",
               {{"agent", std::string(PARHELIA_SOURCE_DIR) + "/tests/support/fake-claude"}}}}
             .dump();
}

}  // namespace

TEST_CASE(
    "modal: a command session runs in a sandbox, logs, is charged and brings its changes "
    "back",
    "[e2e][modal][modal-sessions]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  // The files' way up takes 3 s of the sandbox's life, before the work (and its meter) starts.
  standin.inject({{"method", "TaskExecStart"}, {"kind", "slow"}, {"delay_s", 3}, {"times", 1}});

  const json submitted = run_json(cli,
                                  {"submit", "--backend", "modal", "--cmd",
                                   "echo hello-from-modal; cat README.md; echo made > made.txt; "
                                   "echo more >> README.md; rm notes.txt; sleep 1; echo done; "
                                   "(sleep 300 &)",
                                   "--timeout", "600", "--yes"},
                                  workspace.path().string());
  const std::string id = submitted["session_id"];
  CHECK(submitted["backend"] == "modal");
  const auto submitted_at = std::chrono::steady_clock::now();
  const json ended = wait_for_end(cli, id);
  // What it left running holds its output, and does not hold the session open.
  CHECK(std::chrono::steady_clock::now() - submitted_at < 60s);
  INFO(cli.run({"session", "show", id}).out
       << read_text(cli.home() / "sessions" / id / "supervisor.out"));
  INFO(standin.requests("SandboxCreate").dump());
  INFO(sql(cli, "SELECT * FROM events"));
  REQUIRE(ended["state"] == "succeeded");
  CHECK(ended["exit_code"] == 0);
  CHECK(ended["sandbox_id"].get<std::string>().starts_with("sb-"));
  CHECK(ended["changed_files"] == json::array({"M README.md", "A made.txt", "D notes.txt"}));
  CHECK(ended["spent_usd"].get<double>() > 0);
  // The sandbox lived longer than the work: what Modal bills for it is settled at the end, as
  // the difference.
  CHECK(eventually([&] {
    return contains(sql(cli, "SELECT detail FROM events WHERE session_id = '" + id + "'"),
                    "settled with Modal's resource usage");
  }));
  CHECK(run_json(cli, {"session", "show", id})["spent_usd"].get<double>() >=
        ended["spent_usd"].get<double>());

  const std::string log = cli.run({"session", "logs", id}).out;
  CHECK(contains(log, "hello-from-modal\nhello\n"));  // the workspace reached the sandbox
  CHECK(contains(log, "done"));
  CHECK(contains(log, "sandbox sb-"));
  const auto results = cli.run({"session", "results", id});
  CHECK(contains(results.out, "+made"));
  CHECK(contains(results.out, "+more"));
  CHECK(workspace.read("made.txt").empty());  // nothing reaches the user's files unasked

  // Exactly one sandbox, named after the session, tagged with it and this install, with the
  // session's timeout and the time to stop it, and terminated at the end.
  const json creates = standin.requests("SandboxCreate");
  REQUIRE(creates.size() == 1);
  const json& definition = creates[0]["request"]["definition"];
  CHECK(definition["name"] == id);
  CHECK(definition["timeout_secs"] == 720);
  CHECK(definition["workdir"] == "/workspace");
  const std::string install = read_text(cli.home() / "install-id");
  json tags = json::object();
  for (const auto& tag : creates[0]["request"]["tags"]) tags[tag["tag_name"]] = tag["tag_value"];
  CHECK(tags["parhelia.session"] == id);
  CHECK(tags["parhelia.install"].get<std::string>() + "\n" == install);
  CHECK(standin.requests("SandboxTerminate").size() >= 1);
  CHECK(eventually([&] {
    for (const auto& sandbox : standin.sandboxes())
      if (sandbox["state"] == "running") return false;
    return true;
  }));

  // A second session of the same image definition builds nothing and asks for no image.
  const auto images_before = standin.requests("ImageGetOrCreate").size();
  const json second = run_json(cli, {"submit", "--backend", "modal", "--cmd", "exit 3", "--yes"},
                               workspace.path().string());
  const json second_end = wait_for_end(cli, second["session_id"]);
  CHECK(second_end["state"] == "failed");
  CHECK(second_end["exit_code"] == 3);
  CHECK(standin.requests("ImageGetOrCreate").size() == images_before);
}

TEST_CASE("modal: a stop ends the work in its sandbox and keeps what it changed",
          "[e2e][modal][modal-sessions]") {
  ModalStandin standin;
  GitWorkspace workspace;
  McpClient client({.environment = standin.user_environment()});
  client.initialize();
  const json health = client.call_tool("status", json::object())["structuredContent"]["system"];
  CHECK(health["backends"] == json::parse(R"([{"name": "local", "usable": true},
                                              {"name": "modal", "usable": true}])"));
  const json submitted =
      client.call_tool("submit",
                       {{"command", "echo started; echo kept > kept.txt; sleep 120"},
                        {"backend", "modal"},
                        {"workspace", workspace.path().string()}},
                       {{"progressToken", "submit-1"}});
  INFO(submitted.dump());
  REQUIRE(submitted["isError"] == false);
  // The first session of this image definition waited for its build: the build log came as
  // progress of the submit.
  std::vector<std::string> progress;
  for (const auto& message : client.others) {
    if (message.value("method", "") == "notifications/progress" &&
        message["params"]["progressToken"] == "submit-1")
      progress.push_back(message["params"].value("message", ""));
  }
  REQUIRE_FALSE(progress.empty());
  CHECK(contains(progress.front(), "building the session's image on Modal"));
  CHECK(std::any_of(progress.begin(), progress.end(),
                    [](const std::string& line) { return contains(line, "image: Step 1/"); }));
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  wait_for_state(client, id, "running");
  REQUIRE(eventually([&] {
    const json logs = client.call_tool("session", {{"action", "logs"}, {"session_id", id}});
    return contains(logs["structuredContent"]["log"]["text"], "started");
  }));
  const json stop =
      client.call_tool("session", {{"action", "stop"}, {"session_id", id}, {"grace_s", 2}});
  REQUIRE(stop["isError"] == false);
  const json stopped = client.wait_for_end(id);
  CHECK(stopped["state"] == "cancelled");
  CHECK(stopped["changed_files"] == json::array({"A kept.txt"}));
  CHECK(standin.requests("SandboxTerminate").size() >= 1);
}

TEST_CASE("modal: the sandbox's timeout is what the budget's room pays for",
          "[e2e][modal][modal-sessions][budget]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  run_json(cli, {"budget", "set", "--daily", "0.50"});
  const json submitted = run_json(cli,
                                  {"submit", "--backend", "modal", "--gpu", "H100", "--cmd", "true",
                                   "--timeout", "60", "--cpu", "1", "--memory", "1", "--yes"},
                                  workspace.path().string());
  wait_for_end(cli, submitted["session_id"]);
  const json creates = standin.requests("SandboxCreate");
  REQUIRE(creates.size() == 1);
  // H100 $0.001097/s + 1 core $0.00003942/s + 1 GiB $0.00000672/s = $0.00114314/s; $0.50 of
  // it is 437 s, shorter than the 60 s timeout and its 120 s to stop? No: 180 s is shorter.
  CHECK(creates[0]["request"]["definition"]["timeout_secs"] == 180);
  CHECK(creates[0]["request"]["definition"]["resources"]["gpu_config"]["gpu_type"] == "H100");

  const json longer = run_json(cli,
                               {"submit", "--backend", "modal", "--gpu", "H100", "--cmd", "true",
                                "--timeout", "400", "--cpu", "1", "--memory", "1", "--yes"},
                               workspace.path().string());
  wait_for_end(cli, longer["session_id"]);
  const json both = standin.requests("SandboxCreate");
  REQUIRE(both.size() == 2);
  const int bounded = both[1]["request"]["definition"]["timeout_secs"];
  // What is left of the $0.50 after the first session's few seconds pays for under 437 s.
  CHECK(bounded <= 437);
  CHECK(bounded > 400);
}

TEST_CASE("modal: refusals before anything is made on Modal", "[e2e][modal][modal-sessions]") {
  GitWorkspace workspace;
  SECTION("no Modal token: one sentence on how to get one") {
    Cli cli({"MODAL_CONFIG_PATH=/nonexistent/modal.toml"});
    const auto run = cli.run({"submit", "--backend", "modal", "--cmd", "true", "--yes"},
                             workspace.path().string());
    CHECK(run.exit_status != 0);
    CHECK(contains(run.err, "No Modal token found"));
    CHECK(contains(run.err, "modal token new"));
    McpClient client({.environment = {"MODAL_CONFIG_PATH=/nonexistent/modal.toml"}});
    client.initialize();
    const json health = client.call_tool("status", json::object())["structuredContent"]["system"];
    CHECK(health["backends"][1]["name"] == "modal");
    CHECK(health["backends"][1]["usable"] == false);
    CHECK(contains(health["backends"][1]["problem"], "No Modal token found"));
  }
  SECTION("a GPU without a type, or one Modal does not have") {
    ModalStandin standin;
    Cli cli(standin.user_environment());
    const auto untyped =
        cli.run({"submit", "--backend", "modal", "--gpu", "2", "--cmd", "true", "--yes"},
                workspace.path().string());
    INFO(untyped.err);
    CHECK(untyped.exit_status != 0);
    CHECK(contains(untyped.err, "A Modal GPU needs a type"));
    const auto unknown =
        cli.run({"submit", "--backend", "modal", "--gpu", "V100", "--cmd", "true", "--yes"},
                workspace.path().string());
    CHECK(unknown.exit_status != 0);
    CHECK(contains(unknown.err, "Unknown GPU type"));
    CHECK(standin.requests("SandboxCreate").empty());
  }
}

TEST_CASE("modal: a Claude Code task gets its key only as a Modal Secret, and nowhere else",
          "[e2e][modal][modal-sessions][secrets]") {
  ModalStandin standin;
  GitWorkspace workspace;
  const std::string planted = "sk-ant-planted-d0e5f1a9b8c7-never-in-a-request";
  auto environment = standin.user_environment();
  environment.push_back("ANTHROPIC_API_KEY=" + planted);
  Cli cli(environment);
  use_fake_agent(cli);

  const json submitted =
      run_json(cli, {"submit", "--backend", "modal", "write hello.txt: hi from the task", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  INFO(cli.run({"session", "show", id}).out
       << read_text(cli.home() / "sessions" / id / "supervisor.out"));
  REQUIRE(ended["state"] == "succeeded");
  CHECK(ended["changed_files"] == json::array({"A hello.txt"}));
  CHECK_FALSE(ended["claude_session_id"].get<std::string>().empty());
  const json history = run_json(cli, {"budget", "history", "--session", id});
  bool tokens = false;
  for (const auto& row : history["rows"]) tokens = tokens || row["kind"] == "tokens";
  CHECK(tokens);  // Claude Code's stream was read as on the local backend
  CHECK(contains(cli.run({"session", "logs", id}).out, "as the Modal Secret parhelia-agent-"));

  // The key is in the secret Parhelia asked Modal to make, and in no other request.
  const json requests = standin.requests();
  int secrets_with_it = 0;
  for (const auto& request : requests) {
    if (!contains(request.dump(), planted)) continue;
    INFO(request["method"]);
    CHECK(request["method"] == "SecretGetOrCreate");
    ++secrets_with_it;
  }
  CHECK(secrets_with_it == 1);
  const json execs = standin.requests("TaskExecStart");
  bool work_has_secret = false;
  for (const auto& exec : execs)
    work_has_secret =
        work_has_secret || !exec["request"].value("secret_ids", json::array()).empty();
  CHECK(work_has_secret);
  // Nor in any file Parhelia keeps.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(cli.home())) {
    if (!entry.is_regular_file()) continue;
    INFO(entry.path());
    CHECK_FALSE(contains(read_text(entry.path()), planted));
  }

  // A plain command session gets no secret.
  const json command = run_json(cli, {"submit", "--backend", "modal", "--cmd", "true", "--yes"},
                                workspace.path().string());
  wait_for_end(cli, command["session_id"]);
  CHECK(standin.requests("SecretGetOrCreate").size() == 1);
}

TEST_CASE(
    "modal: a supervisor killed mid-run is replaced at the next look, which catches the "
    "log, the spend and the end up",
    "[e2e][modal][modal-sessions][faults]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  const json submitted = run_json(
      cli,
      {"submit", "--backend", "modal", "--cmd",
       "echo before-the-kill; sleep 5; echo after-the-kill; echo made > made.txt", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  wait_for_state(cli, id, "running");
  REQUIRE(eventually([&] {
    return contains(cli.run({"session", "logs", id}).out, "before-the-kill");
  }));
  const int pid =
      std::stoi(sql(cli, "SELECT supervisor_pid FROM sessions WHERE id = '" + id + "'"));
  REQUIRE(::kill(pid, SIGKILL) == 0);
  std::this_thread::sleep_for(6s);  // the work goes on and ends in its sandbox, unfollowed

  const json ended = wait_for_end(cli, id);  // every look reconciles: this one takes over
  INFO(cli.run({"session", "show", id}).out
       << read_text(cli.home() / "sessions" / id / "supervisor.out"));
  REQUIRE(ended["state"] == "succeeded");
  CHECK(ended["changed_files"] == json::array({"A made.txt"}));
  const std::string log = cli.run({"session", "logs", id}).out;
  const auto count = [&log](const std::string& text) {
    std::size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  };
  CHECK(count("before-the-kill") == 1);
  CHECK(count("after-the-kill") == 1);
  CHECK(standin.requests("SandboxCreate").size() == 1);
  // Compute is charged once for the work's whole run: what the dead supervisor charged and
  // what the new one added, never twice.
  const json history = run_json(cli, {"budget", "history", "--session", id});
  double core_seconds = 0;
  for (const auto& row : history["rows"])
    if (row["resource"] == "cpu") core_seconds += row["quantity"].get<double>();
  const double elapsed = ended["elapsed_s"];
  CHECK(core_seconds >= 2 * std::floor(elapsed));
  CHECK(core_seconds <= 2 * (std::ceil(elapsed) + 1));
}

TEST_CASE("modal: a create whose answer is lost makes one sandbox and one session",
          "[e2e][modal][modal-sessions][faults]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  standin.inject({{"method", "SandboxCreate"}, {"kind", "lose_answer"}});
  const json submitted =
      run_json(cli, {"submit", "--backend", "modal", "--cmd", "echo once", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  INFO(read_text(cli.home() / "sessions" / id / "supervisor.out"));
  CHECK(ended["state"] == "succeeded");
  CHECK(standin.requests("SandboxCreate").size() == 2);  // the lost one and its retry
  int named = 0;
  for (const auto& sandbox : standin.sandboxes()) named += sandbox["name"] == id ? 1 : 0;
  CHECK(named == 1);
  CHECK(run_json(cli, {"session", "list"}).size() == 1);
}

TEST_CASE("modal: a GPU Modal cannot give is refused naming it and what to try",
          "[e2e][modal][modal-sessions][faults]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  standin.inject({{"method", "SandboxCreate"},
                  {"kind", "resource_exhausted"},
                  {"times", 100},
                  {"message", "No capacity for H100:8 in any region"}});
  const json submitted = run_json(cli,
                                  {"submit", "--backend", "modal", "--gpu", "H100:8", "--cmd",
                                   "true", "--timeout", "60", "--yes"},
                                  workspace.path().string());
  const json ended = wait_for_end(cli, submitted["session_id"]);
  CHECK(ended["state"] == "failed");
  const std::string error = ended["error"];
  CHECK(contains(error, "Modal could not give this session H100:8 now"));
  CHECK(contains(error, "No capacity for H100:8 in any region"));  // Modal's own words
  CHECK(contains(error, "Try another GPU type"));
  CHECK(standin.sandboxes().empty());
}

TEST_CASE(
    "modal: a sandbox still running for an ended session is stopped when a server "
    "starts, one without this install's tag is never touched",
    "[e2e][modal][modal-sessions][faults]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  // Someone's own sandbox in the same app, without Parhelia's install tag.
  parhelia::modal::ModalCredentials credentials;
  credentials.token_id = standin.options().token_id;
  credentials.token_secret = standin.options().token_secret;
  credentials.server_url = standin.url();
  auto client = parhelia::modal::ModalClient::open(credentials, {.ca_file = standin.ca_file()});
  REQUIRE(client);
  auto app = client.value()->app_get_or_create("parhelia");
  REQUIRE(app);
  auto image = client.value()->image_get_or_create(app.value(), {"FROM debian:bookworm-slim"});
  REQUIRE(image);
  parhelia::modal::SandboxSpec theirs;
  theirs.app_id = app.value();
  theirs.image_id = image->image_id;
  theirs.entrypoint = {"sleep", "120"};
  theirs.tags = {{"owner", "someone-else"}};
  auto foreign = client.value()->sandbox_create(theirs);
  REQUIRE(foreign);

  const json submitted = run_json(
      cli, {"submit", "--backend", "modal", "--cmd", "echo work-is-up; sleep 120", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  REQUIRE(eventually([&] { return contains(cli.run({"session", "logs", id}).out, "work-is-up"); }));
  // Its supervisor dies as if between the create and recording the sandbox.
  REQUIRE(::kill(std::stoi(sql(cli, "SELECT supervisor_pid FROM sessions WHERE id = '" + id + "'")),
                 SIGKILL) == 0);
  std::filesystem::remove(cli.home() / "sessions" / id / "modal-sandbox");
  // With no sandbox recorded there is nothing to follow: the next look ends it.
  CHECK(eventually([&] { return run_json(cli, {"session", "show", id})["state"] == "failed"; }));

  const auto state_of = [&](const std::string& sandbox_id) {
    for (const auto& sandbox : standin.sandboxes())
      if (sandbox["id"] == sandbox_id) return sandbox["state"].get<std::string>();
    return std::string("none");
  };
  std::string ours;
  for (const auto& sandbox : standin.sandboxes())
    if (sandbox["name"] == id) ours = sandbox["id"];
  REQUIRE(state_of(ours) == "running");
  auto environment = standin.user_environment();
  environment.push_back("PARHELIA_HOME=" + cli.home().string());
  McpClient server({.environment = environment});
  server.initialize();  // the server lists this install's sandboxes once it has answered
  CHECK(eventually([&] { return state_of(ours) != "running"; }));
  CHECK(state_of(foreign.value()) == "running");
  CHECK(contains(sql(cli, "SELECT detail FROM events WHERE session_id = '" + id + "'"),
                 "its modal backend still ran it after it had ended; stopped"));
  CHECK(client.value()->sandbox_terminate(foreign.value()));
}

TEST_CASE("modal: a session carries on through 30 s of Modal not answering",
          "[e2e][modal][modal-sessions][faults]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  const json submitted = run_json(
      cli,
      {"submit", "--backend", "modal", "--cmd",
       "echo before-the-outage; sleep 6; echo during-the-outage; echo made > made.txt", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  REQUIRE(eventually([&] {
    return contains(cli.run({"session", "logs", id}).out, "before-the-outage");
  }));
  standin.inject({{"method", "*"}, {"kind", "unavailable"}, {"for_s", 30}});
  const auto outage = std::chrono::steady_clock::now();
  const json ended = wait_for_end(cli, id);
  INFO(read_text(cli.home() / "sessions" / id / "supervisor.out"));
  CHECK(std::chrono::steady_clock::now() - outage > 25s);  // it waited the outage out
  CHECK(ended["state"] == "succeeded");
  CHECK(ended["changed_files"] == json::array({"A made.txt"}));
  CHECK(contains(cli.run({"session", "logs", id}).out, "during-the-outage"));
  int refused = 0;
  for (const auto& request : standin.requests())
    refused += request.value("fault", json()).is_null() ? 0 : 1;
  CHECK(refused > 0);
}

TEST_CASE(
    "modal: a sandbox with this install's tag and no session here is adopted, reported and "
    "followed to its end",
    "[e2e][modal][modal-sessions][faults]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  const json submitted = run_json(
      cli,
      {"submit", "--backend", "modal", "--cmd", "echo work-is-up; sleep 4; echo finished", "--yes"},
      workspace.path().string());
  const std::string id = submitted["session_id"];
  REQUIRE(eventually([&] { return contains(cli.run({"session", "logs", id}).out, "work-is-up"); }));
  // Its supervisor dies and its record is lost with its files, as if the database had been
  // replaced: nothing here knows the sandbox any more but its tags.
  REQUIRE(::kill(std::stoi(sql(cli, "SELECT supervisor_pid FROM sessions WHERE id = '" + id + "'")),
                 SIGKILL) == 0);
  CHECK(sql(cli, "DELETE FROM reservations WHERE session_id = '" + id +
                     "'; DELETE FROM sessions WHERE id = '" + id + "'")
            .empty());
  std::filesystem::remove_all(cli.home() / "sessions" / id);
  CHECK(cli.run({"session", "show", id}).exit_status != 0);

  auto environment = standin.user_environment();
  environment.push_back("PARHELIA_HOME=" + cli.home().string());
  McpClient server({.environment = environment});
  server.initialize();  // the server lists this install's sandboxes once it has answered
  json adopted;
  REQUIRE(eventually([&] {
    const auto shown = cli.run({"session", "show", id, "--json"});
    if (shown.exit_status != 0) return false;
    adopted = json::parse(shown.out);
    return true;
  }));
  CHECK(adopted["backend"] == "modal");
  CHECK(contains(adopted["task"], "(adopted)"));
  const json ended = wait_for_end(cli, id);
  INFO(ended.dump() << read_text(cli.home() / "sessions" / id / "supervisor.out")
                    << cli.run({"session", "logs", id}).out);
  CHECK(ended["state"] == "succeeded");
  CHECK(ended["spent_usd"].get<double>() > 0);
  const std::string log = cli.run({"session", "logs", id}).out;
  CHECK(contains(log, "adopted: Modal sandbox sb-"));
  CHECK(contains(log, "work-is-up\n"));  // its output from the start, caught up
  CHECK(contains(log, "finished"));
  CHECK(contains(sql(cli, "SELECT detail FROM events WHERE session_id = '" + id + "'"),
                 "adopted: its modal backend"));
  CHECK(standin.requests("SandboxCreate").size() == 1);
}

TEST_CASE("modal: 20 concurrent submits never over-commit a hard limit, on Modal either",
          "[e2e][modal][modal-sessions][budget]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  std::ofstream(cli.home() / "config.json")
      << R"({"rates": {"modal.cpu": 0.001, "modal.memory": 0}})";
  // Each reserves 1 core × 100 s × $0.001 = $0.10; $0.30 holds exactly three.
  REQUIRE(cli.run({"budget", "set", "--total", "0.3"}).exit_status == 0);
  std::vector<parhelia::core::ChildProcess> submits;
  for (int i = 0; i < 20; ++i) {
    submits.push_back(cli.start({"submit", "--backend", "modal", "--cmd", "echo up; sleep 60",
                                 "--timeout", "100", "--cpu", "1", "--yes", "--json"},
                                workspace.path().string()));
  }
  std::vector<std::string> ids;
  int refused = 0;
  for (auto& submit : submits) {
    const auto status = submit.wait_for(60s);
    REQUIRE(status);
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(submit.stdout_fd(), buffer, sizeof buffer)) > 0;)
      out.append(buffer, n);
    if (*status == 0) {
      // After the image build's progress lines (on stderr, which the test reads too).
      ids.push_back(json::parse(out.substr(out.find('{')))["session_id"]);
    } else {
      ++refused;
      CHECK(contains(out, "the total limit of $0.30 has $0.00 left"));
    }
  }
  CHECK(ids.size() == 3);
  CHECK(refused == 17);
  for (const auto& id : ids) wait_for_state(cli, id, "running");
  // What Modal was asked to run: three sandboxes, whose timeouts together the limit pays for.
  const json creates = standin.requests("SandboxCreate");
  CHECK(creates.size() == 3);
  double promised_usd = 0;
  for (const auto& create : creates) {
    const auto& definition = create["request"]["definition"];
    promised_usd += definition["timeout_secs"].get<double>() *
                    definition["resources"]["milli_cpu"].get<double>() / 1000 * 0.001;
  }
  CHECK(promised_usd <= 0.3 + 1e-9);
  for (const auto& id : ids)
    CHECK(cli.run({"session", "stop", id, "--grace", "1"}).exit_status == 0);
  for (const auto& id : ids) CHECK(wait_for_end(cli, id)["state"] == "cancelled");
  const json after = json::parse(cli.run({"budget", "show", "--json"}).out);
  CHECK(after["held_usd"] == 0);
  CHECK(after["total_usd"].get<double>() < 0.3);
}

TEST_CASE(
    "modal: a workspace Modal has a snapshot of is sent as its difference, and the sandbox "
    "holds exactly its files",
    "[e2e][modal][modal-sessions]") {
  ModalStandin standin;
  GitWorkspace workspace;
  std::string noise(2 << 20, '\0');  // 2 MiB that gzip cannot make smaller
  std::mt19937 random(7);
  for (char& byte : noise) byte = static_cast<char>(random());
  workspace.write("data/big.bin", noise);
  workspace.write("keep.txt", "kept\n");
  workspace.write("gone.txt", "to be deleted\n");
  Cli cli(standin.user_environment());
  const auto submit = [&](const std::string& command) {
    const json submitted =
        run_json(cli, {"submit", "--backend", "modal", "--cmd", command, "--yes"},
                 workspace.path().string());
    const std::string id = submitted["session_id"];
    const json ended = wait_for_end(cli, id);
    INFO(cli.run({"session", "logs", id}).out);
    CHECK(ended["state"] == "succeeded");
    return cli.run({"session", "logs", id}).out;
  };
  const auto bytes_sent = [](const std::string& log) {
    const auto at = log.find(" bytes compressed)");
    REQUIRE(at != std::string::npos);
    return std::stoull(log.substr(log.rfind('(', at) + 1));
  };

  const std::string first = submit("echo changed > keep.txt; echo first");
  CHECK(contains(first, "workspace snapshotted on Modal as im-"));
  const std::string second = submit("cat keep.txt; wc -c < data/big.bin");
  CHECK(contains(second, "workspace sent as its difference from the snapshot im-"));
  CHECK(contains(second, "kept\n2097152\n"));  // the snapshot is of the files before the work
  CHECK(bytes_sent(second) * 100 <= bytes_sent(first));

  // Changed, added and deleted since the snapshot: the sandbox has the files as they are now.
  workspace.write("keep.txt", "kept, then changed\n");
  workspace.write("new.txt", "new\n");
  std::filesystem::remove(workspace.path() / "gone.txt");
  const std::string third = submit(
      "cat keep.txt new.txt; test ! -e gone.txt && echo gone-is-gone; git status --short | wc -l");
  CHECK(contains(third, "sent as its difference"));
  CHECK(contains(third, "kept, then changed\nnew\ngone-is-gone\n0\n"));

  // A snapshot Modal no longer has: the files go whole, and a new snapshot is taken.
  const auto snapshot_of = [](const std::string& log) {
    const auto at = log.find("snapshotted on Modal as ");
    REQUIRE(at != std::string::npos);
    const auto start = at + std::string_view("snapshotted on Modal as ").size();
    return log.substr(start, log.find(':', start) - start);
  };
  standin.expire_image(snapshot_of(first));
  const std::string fourth = submit("cat keep.txt new.txt");
  CHECK(contains(fourth, "kept, then changed\nnew\n"));
  CHECK(contains(fourth, "workspace snapshotted on Modal as "));
  CHECK(bytes_sent(fourth) > bytes_sent(second) * 10);  // whole again
  CHECK(contains(submit("cat new.txt"), "sent as its difference"));
}

TEST_CASE("modal: a task's conversation is checkpointed from its sandbox and resumed in a new one",
          "[e2e][modal][modal-sessions][checkpoints]") {
  ModalStandin standin;
  GitWorkspace workspace;
  auto environment = standin.user_environment();
  environment.push_back("ANTHROPIC_API_KEY=sk-ant-test-resume");
  // The same fake agent for the local backend, for the moves between the two.
  environment.push_back(std::string("PARHELIA_AGENT=") + PARHELIA_SOURCE_DIR +
                        "/tests/support/fake-claude");
  Cli cli(environment);
  use_fake_agent(cli);
  const json submitted =
      run_json(cli, {"submit", "--backend", "modal", "write draft.txt: first draft", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  INFO(read_text(cli.home() / "sessions" / id / "supervisor.out"));
  REQUIRE(ended["state"] == "succeeded");
  const std::string claude_id = ended["claude_session_id"];
  // Its end checkpoint holds the files and the conversation, both pulled from the sandbox.
  json shown;
  REQUIRE(eventually([&] {
    shown = run_json(cli, {"session", "show", id});
    return shown.contains("latest_checkpoint");
  }));
  const std::string checkpoint = shown["latest_checkpoint"];

  const json resumed =
      run_json(cli, {"session", "resume", id, "--prompt", "write more.txt: second", "--yes"});
  const std::string child = resumed["session_id"];
  CHECK(resumed["backend"] == "modal");
  const json child_end = wait_for_end(cli, child);
  INFO(cli.run({"session", "logs", child}).out);
  CHECK(child_end["state"] == "succeeded");
  CHECK(child_end["claude_session_id"] == claude_id);  // the same conversation, carried on
  const auto& changed = child_end["changed_files"];
  CHECK(std::find(changed.begin(), changed.end(), "A draft.txt") != changed.end());
  CHECK(std::find(changed.begin(), changed.end(), "A more.txt") != changed.end());
  const std::string log = cli.run({"session", "logs", child}).out;
  CHECK(contains(log, "restored checkpoint " + checkpoint + " of " + id));
  CHECK(contains(log, "earlier transcript lines"));
  CHECK_FALSE(contains(log, "(after 0 earlier transcript lines)"));
  CHECK(standin.requests("SandboxCreate").size() == 2);

  // From Modal to this machine, and back: the checkpoint is kept here, so either way.
  const auto carry_on = [&](const std::string& from, const std::string& backend,
                            const std::string& prompt) {
    const json moved = run_json(
        cli, {"session", "resume", from, "--backend", backend, "--prompt", prompt, "--yes"});
    CHECK(moved["backend"] == backend);
    const json moved_end = wait_for_end(cli, moved["session_id"]);
    INFO(cli.run({"session", "logs", moved["session_id"]}).out);
    CHECK(moved_end["state"] == "succeeded");
    CHECK(moved_end["claude_session_id"] == claude_id);
    CHECK_FALSE(contains(cli.run({"session", "logs", moved["session_id"]}).out,
                         "(after 0 earlier transcript lines)"));
    return moved_end;
  };
  const json here = carry_on(child, "local", "write local.txt: third");
  const json back = carry_on(here["session_id"], "modal", "write back.txt: fourth");
  for (const char* file : {"A draft.txt", "A more.txt", "A local.txt", "A back.txt"}) {
    INFO(file);
    CHECK(std::find(back["changed_files"].begin(), back["changed_files"].end(), file) !=
          back["changed_files"].end());
  }
  CHECK(standin.requests("SandboxCreate").size() == 3);

  // Carried on with a GPU: the new sandbox asks Modal for it, and the work goes on.
  const json gpu = run_json(cli, {"session", "resume", back["session_id"], "--gpu", "A10G",
                                  "--prompt", "write gpu.txt: fifth", "--yes"});
  const json gpu_end = wait_for_end(cli, gpu["session_id"]);
  INFO(cli.run({"session", "logs", gpu["session_id"]}).out);
  CHECK(gpu_end["state"] == "succeeded");
  CHECK(gpu_end["claude_session_id"] == claude_id);
  const json creates = standin.requests("SandboxCreate");
  REQUIRE(creates.size() == 4);
  CHECK(creates[3]["request"]["definition"]["resources"]["gpu_config"]["gpu_type"] == "A10G");
  CHECK(std::find(gpu_end["changed_files"].begin(), gpu_end["changed_files"].end(), "A gpu.txt") !=
        gpu_end["changed_files"].end());
}

TEST_CASE(
    "modal: what comes back from a sandbox never writes through a link out of the working "
    "copy",
    "[e2e][modal][modal-sessions][hostile]") {
  ModalStandin standin;
  GitWorkspace workspace;
  parhelia::testing::TempDir outside;
  std::filesystem::create_symlink(outside.path(), workspace.path() / "linked");
  Cli cli(standin.user_environment());
  // The work makes a folder where the link was, with files in it: here, the link must not be
  // followed when they come back.
  const json submitted =
      run_json(cli,
               {"submit", "--backend", "modal", "--cmd",
                "rm linked && mkdir -p linked/deeper && echo pwned > linked/x && "
                "echo pwned > linked/deeper/y",
                "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  CHECK(ended["state"] == "succeeded");
  CHECK(std::filesystem::is_empty(outside.path()));
  const auto copy = cli.home() / "sessions" / id / "workspace";
  CHECK_FALSE(std::filesystem::is_symlink(copy / "linked"));
  CHECK(read_text(copy / "linked" / "x") == "pwned\n");
  CHECK(read_text(copy / "linked" / "deeper" / "y") == "pwned\n");
  const auto& changed = ended["changed_files"];
  CHECK(std::find(changed.begin(), changed.end(), "A linked/x") != changed.end());
}

TEST_CASE(
    "modal: the watchdog stops a session at its cap, terminates its sandbox and records "
    "over_budget",
    "[e2e][modal][modal-sessions][budget]") {
  ModalStandin standin;
  GitWorkspace workspace;
  auto environment = standin.user_environment();
  environment.push_back("ANTHROPIC_API_KEY=sk-ant-test-watchdog");
  Cli cli(environment);
  // Tokens priced so that the agent's first message passes the cap: the watchdog's to stop,
  // long before the sandbox's timeout (bounded by its compute alone).
  std::ofstream(cli.home() / "config.json") << json{
      {"modal", {{"agent", std::string(PARHELIA_SOURCE_DIR) + "/tests/support/fake-claude"}}},
      {"rates", {{"tokens.sonnet.input", 1000}}}}.dump();
  const auto started = std::chrono::steady_clock::now();
  const json submitted =
      run_json(cli, {"submit", "--backend", "modal", "sleep 60", "--max-cost", "0.50", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  INFO(ended.dump() << cli.run({"session", "logs", id}).out);
  CHECK(ended["state"] == "over_budget");
  CHECK(contains(ended["error"], "budget cap of $0.50"));
  CHECK(std::chrono::steady_clock::now() - started < 40s);
  const json creates = standin.requests("SandboxCreate");
  REQUIRE(creates.size() == 1);
  CHECK(creates[0]["request"]["definition"]["timeout_secs"].get<int>() > 60);
  CHECK(standin.requests("SandboxTerminate").size() >= 1);
  CHECK(eventually([&] {
    for (const auto& sandbox : standin.sandboxes())
      if (sandbox["state"] == "running") return false;
    return true;
  }));
  // Its checkpoint came first: the sandbox snapshotted before it was ended.
  CHECK(sql(cli, "SELECT sandbox_image FROM checkpoints WHERE session_id = '" + id +
                     "' AND trigger = 'budget'")
            .starts_with("im-"));
  const json snapshots = standin.requests("TaskSnapshotFilesystem");
  REQUIRE_FALSE(snapshots.empty());
  CHECK(snapshots[0]["at"].get<double>() <
        standin.requests("SandboxTerminate")[0]["at"].get<double>());
}

TEST_CASE(
    "modal: periodic checkpoints keep a snapshot on Modal and a copy here, after an eviction a "
    "resume starts from the snapshot, and from the copy once the snapshot has expired",
    "[e2e][modal][modal-sessions][checkpoints]") {
  ModalStandin standin;
  GitWorkspace workspace;
  auto environment = standin.user_environment();
  environment.push_back("ANTHROPIC_API_KEY=sk-ant-test-snapshots");
  Cli cli(environment);
  use_fake_agent(cli);
  const json submitted =
      run_json(cli,
               {"submit", "--backend", "modal", "write draft.txt: first draft; sleep 120",
                "--checkpoint-every", "3s", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const auto info = [&] {
    return cli.run({"session", "show", id}).out + cli.run({"session", "logs", id}).out +
           read_text(cli.home() / "sessions" / id / "supervisor.out") +
           sql(cli, "SELECT detail FROM events WHERE session_id = '" + id + "'");
  };
  // A periodic checkpoint holding the draft, with its sandbox's snapshot on the same row.
  std::string row;
  REQUIRE(eventually(
      [&] {
        row = sql(cli,
                  "SELECT id || ' ' || sandbox_image || ' ' || changed_files FROM checkpoints "
                  "WHERE session_id = '" +
                      id +
                      "' AND trigger = 'periodic' AND sandbox_image != '' "
                      "AND changed_files > 0 ORDER BY created_at DESC LIMIT 1");
        return !row.empty();
      },
      600));
  INFO(row << info());
  std::istringstream fields(row);
  std::string checkpoint, image;
  fields >> checkpoint >> image;
  CHECK(image.starts_with("im-"));
  const json snapshots = standin.requests("TaskSnapshotFilesystem");
  REQUIRE_FALSE(snapshots.empty());
  // Modal keeps it 30 days; the row says until when.
  CHECK(snapshots[0]["request"]["ttl_seconds"] == std::to_string(30 * 24 * 3600));
  const auto expires = std::stoll(sql(cli,
                                      "SELECT sandbox_image_expires_at FROM checkpoints "
                                      "WHERE id = '" +
                                          checkpoint + "'"));
  CHECK(expires > parhelia::core::now_ms() + std::int64_t{29} * 24 * 3600 * 1000);

  // Modal ends the sandbox (evicted): the session fails, and says how to carry on.
  const std::string sandbox = run_json(cli, {"session", "show", id})["sandbox_id"];
  standin.evict(sandbox);
  const json ended = wait_for_end(cli, id);
  CHECK(ended["state"] == "failed");
  CHECK(contains(ended["error"], "evicted"));
  REQUIRE(ended.contains("latest_checkpoint"));
  const std::string latest = ended["latest_checkpoint"];
  CHECK(contains(ended["resume_hint"], "parhelia session resume " + id));
  CHECK(contains(cli.run({"status", id}).out, "parhelia session resume " + id));
  const std::string latest_image =
      sql(cli, "SELECT sandbox_image FROM checkpoints WHERE id = '" + latest + "'");
  REQUIRE(latest_image.starts_with("im-"));
  const std::string claude_id = ended["claude_session_id"];
  REQUIRE_FALSE(claude_id.empty());

  // The resume starts a new sandbox from the snapshot: the files and the conversation are
  // there, and the agent carries on the same Claude Code session.
  const json resumed =
      run_json(cli, {"session", "resume", id, "--prompt", "write more.txt: second", "--yes"});
  const std::string child = resumed["session_id"];
  const json child_end = wait_for_end(cli, child);
  const std::string child_log = cli.run({"session", "logs", child}).out;
  INFO(child_log);
  CHECK(child_end["state"] == "succeeded");
  CHECK(child_end["claude_session_id"] == claude_id);
  CHECK(contains(child_log, "started from checkpoint " + latest + "'s snapshot " +
                                latest_image.substr(0, latest_image.size() - 1)));
  CHECK(contains(child_log, "earlier transcript lines"));
  CHECK_FALSE(contains(child_log, "(after 0 earlier transcript lines)"));
  const json creates = standin.requests("SandboxCreate");
  REQUIRE(creates.size() == 2);
  CHECK(creates[1]["request"]["definition"]["image_id"].get<std::string>() + "\n" == latest_image);
  const auto& changed = child_end["changed_files"];
  CHECK(std::find(changed.begin(), changed.end(), "A draft.txt") != changed.end());
  CHECK(std::find(changed.begin(), changed.end(), "A more.txt") != changed.end());

  // Its snapshot gone from Modal, the same checkpoint resumes from its copy here.
  standin.expire_image(latest_image.substr(0, latest_image.size() - 1));
  const json again = run_json(
      cli, {"session", "resume", id, "--from", latest, "--prompt", "write third.txt: x", "--yes"});
  const json again_end = wait_for_end(cli, again["session_id"]);
  const std::string again_log = cli.run({"session", "logs", again["session_id"]}).out;
  INFO(again_log);
  CHECK(again_end["state"] == "succeeded");
  CHECK(again_end["claude_session_id"] == claude_id);
  CHECK(contains(again_log, "is gone from Modal; starting from its copy here"));
  CHECK_FALSE(contains(again_log, "(after 0 earlier transcript lines)"));
  const auto& again_changed = again_end["changed_files"];
  CHECK(std::find(again_changed.begin(), again_changed.end(), "A draft.txt") !=
        again_changed.end());
  CHECK(std::find(again_changed.begin(), again_changed.end(), "A third.txt") !=
        again_changed.end());
}

TEST_CASE("modal: a timeout stop snapshots the sandbox before it ends it",
          "[e2e][modal][modal-sessions][checkpoints]") {
  ModalStandin standin;
  GitWorkspace workspace;
  Cli cli(standin.user_environment());
  const json submitted =
      run_json(cli,
               {"submit", "--backend", "modal", "--cmd", "echo up; echo kept > kept.txt; sleep 600",
                "--timeout", "8", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  INFO(ended.dump() << cli.run({"session", "logs", id}).out);
  CHECK(ended["state"] == "timed_out");
  const std::string row = sql(cli, "SELECT sandbox_image FROM checkpoints WHERE session_id = '" +
                                       id + "' AND trigger = 'timeout'");
  CHECK(row.starts_with("im-"));
  const json snapshots = standin.requests("TaskSnapshotFilesystem");
  const json terminates = standin.requests("SandboxTerminate");
  REQUIRE(snapshots.size() >= 1);
  REQUIRE(terminates.size() >= 1);
  CHECK(snapshots[0]["at"].get<double>() < terminates[0]["at"].get<double>());
  CHECK(ended["changed_files"] == json::array({"A kept.txt"}));
}

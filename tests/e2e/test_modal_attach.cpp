// Attaching to a session on Modal, against the stand-in: the work runs in a tmux session in
// its sandbox, the sandbox's own sshd (started by Parhelia through exec, its host key made in
// the sandbox and read back through exec) is reached through the stand-in's tunnel for port
// 22 on 127.0.0.1, and every answer goes through the real binary.
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/modal_standin.h"
#include "tests/support/terminal_fixtures.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using namespace std::chrono_literals;
using nlohmann::json;
namespace core = parhelia::core;
namespace fs = std::filesystem;

namespace {

core::CapturedRun shell(const std::string& line) {
  core::ProcessSpec spec;
  spec.argv = {"sh", "-c", line};
  spec.pipe_stdout = true;
  spec.merge_stderr = true;
  return core::run_captured(spec, 30s).value();
}

}  // namespace

TEST_CASE(
    "modal attach: the sandbox's tmux over SSH with the host key it made, pinned, keys typed "
    "reach the work, screen and send, another key is refused",
    "[e2e][modal][modal-sessions][attach]") {
  ModalStandin standin;
  GitWorkspace workspace;
  TempDir user_home;  // the ssh client's HOME: no ~/.ssh of the machine's user
  Cli cli(standin.user_environment());
  const json submitted =
      run_json(cli,
               {"submit", "--backend", "modal", "--cmd",
                "echo ready-in-sandbox; read line; echo \"got: $line\"; read again; "
                "echo \"then: $again\"; sleep 600",
                "--timeout", "900", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const auto supervisor_out = [&] {
    return read_file(cli.home() / "sessions" / id / "supervisor.out") +
           cli.run({"session", "logs", id}).out;
  };

  // Reachable once the sandbox's sshd and its tunnel are up; until then the answer says so.
  json info;
  REQUIRE(eventually([&] {
    const auto run = cli.run({"attach", id, "--info", "--json"});
    if (run.exit_status != 0) {
      CHECK((contains(run.err, "Try again in a few seconds") || contains(run.err, "queued") ||
             contains(run.err, "provisioning")));
      return false;
    }
    info = json::parse(run.out);
    return info["reachable"] == true;
  }));
  INFO(info.dump() << supervisor_out());
  const json sandboxes = standin.sandboxes();
  REQUIRE(sandboxes.size() == 1);
  const fs::path root = sandboxes[0]["root"].get<std::string>();
  // The host key is the one made inside the sandbox, read back through exec; the tunnel is the
  // one Modal reported for port 22.
  const auto made_there =
      core::SshPublicKey::parse(read_file(root / "etc" / "parhelia-ssh" / "host_key.pub"));
  REQUIRE(made_there);
  CHECK(info["kind"] == "ssh");
  CHECK(info["host"] == "127.0.0.1");
  CHECK(info["host_key_fingerprint"] == made_there->fingerprint());
  CHECK(info["tmux_session"] == "work");
  const json tunnels = standin.requests("SandboxGetTunnels");
  REQUIRE_FALSE(tunnels.empty());
  const json creates = standin.requests("SandboxCreate");
  const json& definition = creates[0]["request"]["definition"];
  CHECK(definition["open_ports"]["ports"][0]["port"] == 22);
  CHECK(definition["open_ports"]["ports"][0]["unencrypted"] == true);
  CHECK(definition["readiness_probe"]["tcp_port"] == 22);
  CHECK(read_file(info["known_hosts_file"].get<std::string>()) ==
        "[127.0.0.1]:" + std::to_string(info["port"].get<int>()) + " " + made_there->line() + "\n");

  // A person's terminal: a tmux pane of its own, running `parhelia attach`.
  TmuxServer terminal("person", {PARHELIA_BINARY, "attach", id},
                      core::environment_with({"PARHELIA_HOME=" + cli.home().string(),
                                              "HOME=" + user_home.path().string()}));
  CHECK(terminal.wait_for("ready-in-sandbox"));
  // A Ctrl-C typed by the person ends neither the work nor what relays its output.
  terminal.send({"C-c"});
  terminal.send({"typed-by-a-person", "Enter"});
  CHECK(terminal.wait_for("got: typed-by-a-person"));
  CHECK(eventually([&] {
    return contains(cli.run({"session", "logs", id}).out, "got: typed-by-a-person");
  }));
  terminal.send({"C-b", "d"});
  CHECK(terminal.wait_closed());  // ssh and `parhelia attach` returned; the work goes on

  // Keys and the screen through Parhelia's own SSH client: the CLI and MCP.
  const auto sent = cli.run({"session", "send", id, "sent-through-parhelia"});
  INFO(sent.err);
  CHECK(sent.exit_status == 0);
  CHECK(eventually([&] {
    return contains(cli.run({"session", "logs", id}).out, "then: sent-through-parhelia");
  }));
  const auto screen = cli.run({"session", "screen", id});
  CHECK(screen.exit_status == 0);
  CHECK(contains(screen.out, "then: sent-through-parhelia"));
  {
    McpClient client({.environment = {"PARHELIA_HOME=" + cli.home().string(),
                                      "HOME=" + user_home.path().string()}});
    client.initialize();
    const auto tool = client.call_tool("attach_info", {{"session_id", id}});
    CHECK(tool["structuredContent"]["reachable"] == true);
    CHECK(tool["structuredContent"]["host_key_fingerprint"] == made_there->fingerprint());
    const auto status = client.call_tool("status", {{"session_id", id}, {"screen", true}});
    CHECK(contains(status["structuredContent"].value("screen", ""), "ready-in-sandbox"));
  }

  // Another server at the tunnel's address, with another key: refused by Parhelia, whose pin
  // stays, and by ssh.
  const fs::path keys = root / "etc" / "parhelia-ssh";
  const auto swapped =
      shell("kill \"$(cat '" + (keys / "sshd.pid").string() + "')\"; sleep 0.3; rm -f '" +
            (keys / "host_key").string() + "' '" + (keys / "host_key.pub").string() +
            "'; ssh-keygen -q -t ed25519 -N '' -f '" + (keys / "host_key").string() +
            "' && /usr/sbin/sshd -f '" + (keys / "sshd_config").string() + "'");
  INFO(swapped.out);
  REQUIRE(swapped.exit_status == 0);
  json refused;
  CHECK(eventually([&] {
    refused = json::parse(cli.run({"attach", id, "--info", "--json"}).out);
    return refused["host_key_mismatch"] == true;
  }));
  CHECK(refused["reachable"] == false);
  CHECK(refused["host_key_fingerprint"] == made_there->fingerprint());
  const auto refused_screen = cli.run({"session", "screen", id});
  CHECK(refused_screen.exit_status == 1);
  CHECK(contains(refused_screen.err, "REFUSED"));
  const auto by_ssh = shell("HOME='" + user_home.path().string() + "' " +
                            refused["screen_command"].get<std::string>());
  CHECK(by_ssh.exit_status == 255);

  CHECK(cli.run({"session", "stop", id}).exit_status == 0);
  const json ended = wait_for_end(cli, id);
  CHECK(ended["state"] == "cancelled");
  // The sandbox's processes (its sshd and tmux included) ended with it.
  CHECK(eventually([&] {
    return shell("grep -l 'MODAL_STANDIN_SANDBOX=" + root.parent_path().string() +
                 "' /proc/[0-9]*/environ 2>/dev/null | wc -l")
               .out == "0\n";
  }));
}

TEST_CASE(
    "modal keep-alive: the sandbox and its terminal stay after the work, never cut off while a "
    "person is attached, then are checkpointed and ended",
    "[e2e][modal][modal-sessions][attach]") {
  ModalStandin standin;
  GitWorkspace workspace;
  TempDir user_home;
  Cli cli(standin.user_environment());
  // Keep-alive is charged: it is reserved with the work's time, and bounds the sandbox.
  const json without = run_json(
      cli, {"submit", "--backend", "modal", "--cmd", "true", "--timeout", "100", "--dry-run"},
      workspace.path().string());
  const json with = run_json(cli,
                             {"submit", "--backend", "modal", "--cmd", "true", "--timeout", "100",
                              "--keep-alive", "100s", "--dry-run"},
                             workspace.path().string());
  INFO(without.dump() << with.dump());
  CHECK(std::abs(with["estimate"]["reserve_usd"].get<double>() -
                 2 * without["estimate"]["reserve_usd"].get<double>()) < 0.000002);
  CHECK(contains(with["estimate"]["summary"], "for 100 s and 100 s kept after"));
  const auto local = cli.run({"submit", "--cmd", "true", "--keep-alive", "1m", "--yes"},
                             workspace.path().string());
  CHECK(local.exit_status != 0);
  CHECK(contains(local.err, "Keep-alive keeps a Modal sandbox"));

  const json submitted =
      run_json(cli,
               {"submit", "--backend", "modal", "--cmd",
                "echo work-done > done.txt; echo the-work-ended", "--keep-alive", "4s", "--yes"},
               workspace.path().string());
  const std::string id = submitted["session_id"];
  const json ended = wait_for_end(cli, id);
  INFO(ended.dump() << cli.run({"session", "logs", id}).out);
  CHECK(ended["state"] == "succeeded");
  CHECK(ended["keep_alive_s"] == 4);
  CHECK(ended["changed_files"] == json::array({"A done.txt"}));
  const json creates = standin.requests("SandboxCreate");
  REQUIRE(creates.size() == 1);
  CHECK(creates[0]["request"]["definition"]["timeout_secs"] == 3600 + 4 + 120);

  // Ended, and still reachable: a person attaches to the pane's shell and looks around.
  REQUIRE(eventually([&] {
    const auto run = cli.run({"attach", id, "--info", "--json"});
    return run.exit_status == 0 && json::parse(run.out)["reachable"] == true;
  }));
  TmuxServer terminal("person", {PARHELIA_BINARY, "attach", id},
                      core::environment_with({"PARHELIA_HOME=" + cli.home().string(),
                                              "HOME=" + user_home.path().string()}));
  CHECK(terminal.wait_for("the work has ended (exit 0)"));
  terminal.send({"echo looked-around > after.txt; echo typed-after-the-end", "Enter"});
  CHECK(terminal.wait_for("typed-after-the-end"));
  // Past its keep-alive while attached: not cut off.
  std::this_thread::sleep_for(8s);
  CHECK(standin.sandboxes()[0]["state"] == "running");
  CHECK(terminal.capture().find("typed-after-the-end") != std::string::npos);
  terminal.send({"C-b", "d"});
  CHECK(terminal.wait_closed());
  // Detached: it is checkpointed, with what the person changed, and ended.
  CHECK(eventually([&] { return standin.sandboxes()[0]["state"] == "finished"; }, 300));
  const json checkpoints = run_json(cli, {"checkpoint", "list", id});
  INFO(checkpoints.dump() << cli.run({"session", "logs", id}).out);
  REQUIRE_FALSE(checkpoints.empty());
  CHECK(checkpoints[0]["trigger"] == "end");
  CHECK(checkpoints[0]["changed_files"] == 2);  // done.txt, and after.txt from the person
  CHECK(read_file(cli.home() / "sessions" / id / "workspace" / "after.txt") == "looked-around\n");
  const auto log = cli.run({"session", "logs", id}).out;
  CHECK(contains(log, "sandbox kept 4 s after the work"));
  CHECK(contains(log, "the kept sandbox ends: its keep-alive is over"));
  CHECK(cli.run({"attach", id, "--info"}).exit_status != 0);  // its terminal is gone now
}

// Hostile sessions: the work does what an attacker in the sandbox would try, and each test
// asserts that nothing outside the session changed and no secret was seen. The principle
// (sandbox.h, session_environment.h, git.h): a session sees and writes only its workspace, its
// home and a private /tmp, holds no capability, gets no secret it does not use, and nothing it
// writes makes Parhelia's own processes run code or write through a link.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <string>

#include "core/base/process.h"
#include "tests/support/cli_runner.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
namespace fs = std::filesystem;

namespace {

const std::string kPlantedKey = "sk-ant-planted-3f9c2e1d7b";
const std::string kPlantedModal = "as-planted-modal-8d7e6f5a";
const std::string kPlantedOauth = "sk-ant-oat-planted-1a2b3c";

std::vector<std::string> planted_secrets() {
  return {"ANTHROPIC_API_KEY=" + kPlantedKey, "MODAL_TOKEN_ID=ak-planted-id",
          "MODAL_TOKEN_SECRET=" + kPlantedModal, "CLAUDE_CODE_OAUTH_TOKEN=" + kPlantedOauth,
          "AWS_SECRET_ACCESS_KEY=aws-planted-secret"};
}

struct Ran {
  std::string id;
  std::string state;
  std::string log;
  json session;
};

// Submits a command session, waits for its end, and reads its log.
Ran run_session(const Cli& cli, const GitWorkspace& workspace, const std::string& command,
                std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"submit", "--cmd",     command, "--sync",
                                   "--json", "--timeout", "60"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto submitted = cli.run(args, workspace.path().string());
  INFO(submitted.out << submitted.err);
  Ran ran;
  ran.session = json::parse(submitted.out, nullptr, false);
  REQUIRE(ran.session.is_object());
  ran.id = ran.session.value("session_id", "");
  ran.state = ran.session.value("state", "");
  ran.log = cli.run({"session", "logs", ran.id}).out;
  return ran;
}

std::string read_all_files_under(const fs::path& dir) {
  std::string all;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) all += read_file(it->path());
  }
  return all;
}

}  // namespace

TEST_CASE("hostile: the work holds no capability and cannot remount or write the system",
          "[e2e][hostile][sandbox]") {
  GitWorkspace workspace;
  Cli cli;
  const std::string marker = "parhelia-hostile-" + std::to_string(::getpid());
  const auto ran = run_session(cli, workspace,
                               "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status; "
                               "mount -o remount,bind,rw / 2>/dev/null && echo REMOUNTED; "
                               "mount -o remount,bind,rw /usr 2>/dev/null && echo REMOUNTED; "
                               "touch /usr/" +
                                   marker +
                                   " 2>/dev/null && echo WROTE-USR; "
                                   "touch /etc/" +
                                   marker +
                                   " 2>/dev/null && echo WROTE-ETC; "
                                   "unshare -Ur true 2>/dev/null && echo NESTED-USERNS; "
                                   "echo made > made.txt; cat /proc/self/uid_map");
  INFO(ran.log);
  CHECK(ran.state == "succeeded");
  CHECK(contains(ran.log, "CapEff:\t0000000000000000"));
  CHECK(contains(ran.log, "CapPrm:\t0000000000000000"));
  CHECK_FALSE(contains(ran.log, "REMOUNTED"));
  CHECK_FALSE(contains(ran.log, "WROTE-"));
  CHECK_FALSE(contains(ran.log, "NESTED-USERNS"));
  CHECK_FALSE(fs::exists("/usr/" + marker));
  CHECK_FALSE(fs::exists("/etc/" + marker));
  if (::geteuid() == 0) {
    // Root inside is nobody outside: what it made belongs to nobody.
    struct stat made {};
    const auto file = cli.home() / "sessions" / ran.id / "workspace" / "made.txt";
    REQUIRE(::stat(file.c_str(), &made) == 0);
    CHECK(made.st_uid == 65534u);
  }
}

TEST_CASE("hostile: the session cannot reach its tmux server, its control files or other sessions",
          "[e2e][hostile][sandbox]") {
  GitWorkspace workspace;
  TempDir outside;
  const fs::path victim = outside.path() / "victim";
  std::ofstream(victim) << "precious\n";
  const fs::path marker = outside.path() / "escaped";
  Cli cli;
  // A first session, whose files the second one hunts for.
  const auto first = run_session(cli, workspace, "echo first-secret > mine.txt");
  REQUIRE(first.state == "succeeded");
  const std::string home = cli.home().string();
  const auto ran = run_session(
      cli, workspace,
      "ls -a ..; ls -a " + home + " " + home +
          "/sessions; "
          "tmux -S ../tmux.sock run-shell 'touch " +
          marker.string() +
          "' 2>&1; "
          "for f in exit_code result.patch stop_grace checkpoint.request checkpoint.index "
          "checkpoint.lock; do ln -sf " +
          victim.string() +
          " ../$f 2>/dev/null && echo PLANTED-$f; "
          "done; "
          "cat " +
          home + "/sessions/" + first.id +
          "/workspace/mine.txt 2>/dev/null; "
          "cat " +
          home +
          "/parhelia.db 2>/dev/null | head -c 100 | grep -q . && echo READ-STORE; "
          "ls " +
          home + "/ssh 2>&1; echo done");
  INFO(ran.log);
  CHECK(ran.state == "succeeded");
  CHECK_FALSE(fs::exists(marker));
  CHECK_FALSE(contains(ran.log, "PLANTED-"));
  CHECK_FALSE(contains(ran.log, "first-secret"));
  CHECK_FALSE(contains(ran.log, "READ-STORE"));
  CHECK_FALSE(contains(ran.log, "session.log"));
  CHECK_FALSE(contains(ran.log, first.id));
  CHECK(read_file(victim) == "precious\n");
  // The control files are Parhelia's and were written as usual.
  CHECK(read_file(cli.home() / "sessions" / ran.id / "exit_code") == "0\n");
}

TEST_CASE("hostile: the session sees none of the user's files, keys or the machine's secrets",
          "[e2e][hostile][sandbox]") {
  GitWorkspace workspace;
  TempDir users_files;  // stands for the user's HOME: ~/.ssh, ~/.modal.toml, credentials
  std::ofstream(users_files.path() / ".modal.toml") << "token_secret = \"as-user-file-secret\"\n";
  Cli cli({"HOME=" + users_files.path().string()});
  const auto ran = run_session(
      cli, workspace,
      "cat " + users_files.path().string() +
          "/.modal.toml 2>/dev/null; "
          "ls -a " +
          users_files.path().string() +
          " 2>&1; "
          "head -c 200 /etc/shadow 2>/dev/null | grep -q . && echo READ-SHADOW; "
          "cat /root/.bashrc 2>/dev/null | head -c 1 | grep -q . && echo READ-ROOT-HOME; "
          "ls /home 2>&1; echo done; echo changed > notes.txt");
  INFO(ran.log);
  CHECK(ran.state == "succeeded");
  CHECK_FALSE(contains(ran.log, "as-user-file-secret"));
  CHECK_FALSE(contains(ran.log, ".modal.toml"));
  CHECK_FALSE(contains(ran.log, "READ-SHADOW"));
  CHECK_FALSE(contains(ran.log, "READ-ROOT-HOME"));
  // Nor does its patch carry anything of them.
  const auto patch = cli.run({"session", "results", ran.id, "--patch"}).out;
  CHECK(contains(patch, "+changed"));
  CHECK_FALSE(contains(patch, "as-user-file-secret"));
}

TEST_CASE("hostile: a session gets only the environment it is allowed, and its tmux server too",
          "[e2e][hostile][environment]") {
  GitWorkspace workspace;
  Cli cli(planted_secrets());
  for (const bool sandboxed : {true, false}) {
    INFO((sandboxed ? "sandboxed" : "--no-sandbox"));
    std::vector<std::string> extra;
    if (!sandboxed) extra.push_back("--no-sandbox");
    const auto ran = run_session(cli, workspace, "env", extra);
    INFO(ran.log);
    CHECK(ran.state == "succeeded");
    CHECK(contains(ran.log, "PATH="));
    CHECK(contains(ran.log, "PARHELIA_SESSION_ID=" + ran.id));
    for (const auto& secret : {kPlantedKey, kPlantedModal, kPlantedOauth,
                               std::string("aws-planted-secret"), std::string("ak-planted-id")})
      CHECK_FALSE(contains(ran.log, secret));
  }
  // While a command session runs, its tmux server's environment holds no secret either.
  const auto started =
      cli.run({"submit", "--cmd", "sleep 30", "--json"}, workspace.path().string());
  const std::string id = json::parse(started.out)["session_id"];
  const auto socket = cli.home() / "sessions" / id / "tmux.sock";
  for (int i = 0; i < 100 && !fs::exists(socket); ++i) ::usleep(50'000);
  parhelia::core::ProcessSpec spec;
  spec.argv = {"tmux", "-S", socket.string(), "show-environment", "-g"};
  const auto shown = parhelia::core::run_captured(spec, std::chrono::seconds(10));
  REQUIRE(shown);
  CHECK(contains(shown->out, "PARHELIA_HOME="));
  for (const auto& secret :
       {kPlantedKey, kPlantedModal, kPlantedOauth, std::string("aws-planted-secret")})
    CHECK_FALSE(contains(shown->out, secret));
  cli.run({"session", "stop", id});
  // Nothing Parhelia wrote holds them.
  const auto written = read_all_files_under(cli.home());
  for (const auto& secret : {kPlantedKey, kPlantedModal, kPlantedOauth})
    CHECK_FALSE(contains(written, secret));
}

TEST_CASE("hostile: a task gets the agent's key and never Modal's", "[e2e][hostile][environment]") {
  GitWorkspace workspace;
  auto environment = planted_secrets();
  const auto agent = fake_agent_environment();
  environment.insert(environment.end(), agent.begin(), agent.end());
  Cli cli(environment);
  const auto submitted =
      cli.run({"submit", "write seen.txt: hello", "--sync", "--json"}, workspace.path().string());
  INFO(submitted.out << submitted.err);
  const json session = json::parse(submitted.out);
  CHECK(session["state"] == "succeeded");  // the fake agent refuses to work without a key
  // The fake agent notes the names of the variables it was started with.
  const auto names = read_file(cli.home() / "sessions" / session["session_id"].get<std::string>() /
                               "home" / ".fake-claude-environment");
  CHECK(contains(names, "\nANTHROPIC_API_KEY\n"));
  CHECK_FALSE(contains(names, "MODAL_"));
  CHECK_FALSE(contains(names, "AWS_SECRET_ACCESS_KEY"));
  const auto written = read_all_files_under(cli.home());
  CHECK_FALSE(contains(written, kPlantedKey));
  CHECK_FALSE(contains(written, kPlantedModal));
}

TEST_CASE("hostile: git settings, filters and a planted .git never steer Parhelia's git",
          "[e2e][hostile][git]") {
  GitWorkspace workspace;
  TempDir outside;
  const fs::path fsmonitor_marker = outside.path() / "fsmonitor-ran";
  const fs::path filter_marker = outside.path() / "filter-ran";
  const fs::path hook_marker = outside.path() / "hook-ran";
  const auto index_before = read_file(workspace.path() / ".git" / "index");
  Cli cli;
  for (const bool sandboxed : {true, false}) {
    {
      INFO((sandboxed ? "sandboxed" : "--no-sandbox"));
      std::vector<std::string> extra;
      if (!sandboxed) extra.push_back("--no-sandbox");
      const auto planted =
          run_session(cli, workspace,
                      "git config core.fsmonitor 'touch " + fsmonitor_marker.string() +
                          "; false'; "
                          "git config filter.x.clean 'touch " +
                          filter_marker.string() +
                          "; cat'; "
                          "git config core.hooksPath .hooks; mkdir -p .hooks; "
                          "printf '#!/bin/sh\\ntouch " +
                          hook_marker.string() +
                          "\\n' > .hooks/pre-commit; "
                          "chmod +x .hooks/pre-commit; echo '* filter=x' > .gitattributes; "
                          "echo changed > README.md",
                      extra);
      INFO(planted.log);
      CHECK(planted.state == "succeeded");
      CHECK_FALSE(fs::exists(fsmonitor_marker));
      CHECK_FALSE(fs::exists(filter_marker));
      CHECK_FALSE(fs::exists(hook_marker));
      const auto patch = cli.run({"session", "results", planted.id, "--patch"}).out;
      CHECK(contains(patch, "+changed"));

      // The session's .git replaced by a link to the user's own repository, and by a gitdir file.
      const std::string users_git = (workspace.path() / ".git").string();
      for (const std::string& plant :
           {"rm -rf .git; ln -s " + users_git + " .git; echo linked > linked.txt",
            "rm -rf .git; echo 'gitdir: " + users_git + "' > .git; echo pointed > pointed.txt"}) {
        const auto redirected = run_session(cli, workspace, plant, extra);
        INFO(redirected.log);
        CHECK(redirected.state == "succeeded");
        const auto files = cli.run({"session", "results", redirected.id, "--json"}).out;
        CHECK((contains(files, "linked.txt") || contains(files, "pointed.txt")));
      }
      // The user's index is untouched, so their next commit holds only what they staged.
      CHECK(read_file(workspace.path() / ".git" / "index") == index_before);
      parhelia::core::ProcessSpec status;
      status.argv = {"git", "-C", workspace.path().string(), "diff", "--cached", "--name-only"};
      CHECK(parhelia::core::run_captured(status, std::chrono::seconds(10))->out.empty());
    }
  }
}

TEST_CASE("hostile: what a session asks for in memory and processes is what it gets",
          "[e2e][hostile][limits]") {
  GitWorkspace workspace;
  Cli cli;
  const auto memory =
      run_session(cli, workspace,
                  "python3 -c 'x = bytearray(1 << 30); print(\"ALLOCATED\")' 2>&1 || echo refused",
                  {"--memory", "0.25"});
  INFO(memory.log);
  CHECK_FALSE(contains(memory.log, "ALLOCATED"));
  CHECK(contains(memory.log, "refused"));
  // 300 children asked for; a fork that fails fails at once (a shell would retry for minutes).
  const auto processes = run_session(cli, workspace,
                                     "python3 -c '\n"
                                     "import os, signal, time\n"
                                     "pids = []\n"
                                     "for i in range(300):\n"
                                     "    try:\n"
                                     "        pid = os.fork()\n"
                                     "    except OSError:\n"
                                     "        break\n"
                                     "    if pid == 0:\n"
                                     "        time.sleep(30)\n"
                                     "        os._exit(0)\n"
                                     "    pids.append(pid)\n"
                                     "print(\"forked=%d\" % len(pids))\n"
                                     "for pid in pids:\n"
                                     "    os.kill(pid, signal.SIGKILL)\n"
                                     "'",
                                     {"--cpu", "0.25"});
  INFO(processes.log);
  std::smatch forked;
  REQUIRE(std::regex_search(processes.log, forked, std::regex("forked=([0-9]+)")));
  CHECK(std::stoi(forked[1]) < 64);
  CHECK(std::stoi(forked[1]) > 10);
  // status says what is enforced.
  const auto shown = cli.run({"session", "show", processes.id});
  CHECK(contains(shown.out, "processes: at most 64"));
}

TEST_CASE("hostile: a session submitted with --network none reaches nothing, not even loopback",
          "[e2e][hostile][sandbox]") {
  GitWorkspace workspace;
  Cli cli;
  // A listener of the test's on 127.0.0.1: a sandbox with the network reaches it, one without
  // has a loopback of its own where nothing listens.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 16) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const std::string connect =
      "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", " +
      std::to_string(ntohs(address.sin_port)) +
      "), timeout=2); print(\"CONNECTED\")' 2>&1; "
      "grep -c : /proc/net/dev";
  const auto open = run_session(cli, workspace, connect);
  INFO(open.log);
  CHECK(contains(open.log, "CONNECTED"));
  const auto closed = run_session(cli, workspace, connect, {"--network", "none"});
  INFO(closed.log);
  CHECK(closed.state == "succeeded");
  CHECK_FALSE(contains(closed.log, "CONNECTED"));
  CHECK(contains(closed.log, "ConnectionRefusedError"));
  CHECK(json::parse(cli.run({"session", "show", closed.id, "--json"}).out)["network"] == false);
  ::close(listener);
}

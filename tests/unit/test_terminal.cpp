// The pieces of attach that need no server: SSH public keys and fingerprints, known_hosts
// lines, the ssh command line, shell quoting, and the tmux commands for keys.
#include <catch2/catch.hpp>
#include <fstream>

#include "core/base/process.h"
#include "core/terminal/ssh_endpoint.h"
#include "core/terminal/terminal.h"
#include "tests/support/temp_dir.h"

namespace core = parhelia::core;
using parhelia::testing::TempDir;

TEST_CASE("an SSH public key parses, and its fingerprint is ssh-keygen's", "[unit][attach]") {
  TempDir dir;
  const auto key = dir.path() / "key";
  core::ProcessSpec make;
  make.argv = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@here", "-f", key.string()};
  REQUIRE(core::run_captured(make, std::chrono::seconds(10)).value().exit_status == 0);
  std::string line;
  std::getline(std::ifstream(key.string() + ".pub"), line);
  const auto parsed = core::SshPublicKey::parse(line);
  REQUIRE(parsed);
  CHECK(parsed->type == "ssh-ed25519");
  CHECK(core::SshPublicKey::from_blob(parsed->blob()) == *parsed);

  core::ProcessSpec list;
  list.argv = {"ssh-keygen", "-l", "-f", key.string() + ".pub"};
  list.pipe_stdout = true;
  const auto listed = core::run_captured(list, std::chrono::seconds(10)).value().out;
  CHECK(listed.find(" " + parsed->fingerprint() + " ") != std::string::npos);

  CHECK_FALSE(core::SshPublicKey::parse("ssh-ed25519"));
  CHECK_FALSE(core::SshPublicKey::parse("ssh-ed25519 not-base64!"));
  // The blob names its own type; a line that says another is not a key.
  CHECK_FALSE(core::SshPublicKey::parse("ssh-rsa " + parsed->base64));
}

TEST_CASE("known_hosts lines and the ssh command line pin the key", "[unit][attach]") {
  core::SshEndpoint endpoint{"r7.example",
                             2222,
                             "root",
                             core::SshPublicKey{"ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIA=="},
                             {"", "main"}};
  CHECK(core::known_hosts_line(endpoint) ==
        "[r7.example]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==");
  endpoint.port = 22;
  CHECK(core::known_hosts_line(endpoint).rfind("r7.example ssh-ed25519 ", 0) == 0);

  const auto argv = core::ssh_argv(endpoint, "/k/id", "/h/known hosts",
                                   core::tmux_attach_argv(endpoint.tmux, false), true);
  const std::string line = core::shell_words(argv);
  CHECK(line ==
        "ssh -t -i /k/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o "
        "'UserKnownHostsFile=\"/h/known hosts\"' -o GlobalKnownHostsFile=/dev/null -o "
        "HostKeyAlgorithms=ssh-ed25519 -p 22 root@r7.example 'tmux attach -t main'");
}

TEST_CASE("shell quoting keeps every word whole", "[unit][attach]") {
  CHECK(core::shell_quote("plain-word_1.2/x") == "plain-word_1.2/x");
  CHECK(core::shell_quote("") == "''");
  CHECK(core::shell_quote("it's $HOME") == "'it'\\''s $HOME'");
  core::ProcessSpec echo;
  echo.argv = {"sh", "-c", "printf '%s|' " + core::shell_words({"a b", "it's", "$x", ";", ""})};
  echo.pipe_stdout = true;
  CHECK(core::run_captured(echo, std::chrono::seconds(5)).value().out == "a b|it's|$x|;||");
}

TEST_CASE("keys to send become one tmux command, text kept literal", "[unit][attach]") {
  const core::TmuxTarget target{"/s", "t"};
  CHECK(core::tmux_send_argv(target, {"ls -la", {}, true}) ==
        std::vector<std::string>{"tmux", "-S", "/s", "send-keys", "-t", "t", "-l", "--", "ls -la",
                                 ";", "send-keys", "-t", "t", "Enter"});
  // tmux would read a trailing ';' as the end of a command.
  CHECK(core::tmux_send_argv(target, {"a;", {"C-c"}, false})[8] == "a\\;");
  CHECK(core::tmux_send_argv(target, {"", {"C-c"}, false}) ==
        std::vector<std::string>{"tmux", "-S", "/s", "send-keys", "-t", "t", "C-c"});
  CHECK_FALSE(core::check_keystrokes({"y", {}, true}));
  CHECK(core::check_keystrokes({"", {}, false}));
  CHECK(core::check_keystrokes({"", {"C-c; rm"}, false}));
  CHECK(core::check_keystrokes({std::string(5000, 'x'), {}, true}));
  CHECK(core::tmux_capture_argv({"", "main"}) ==
        std::vector<std::string>{"tmux", "capture-pane", "-p", "-t", "main"});
}

#include "modal/backend/sandbox_terminal.h"

#include <sstream>

#include "modal/backend/sandbox_exec.h"
#include "modal/backend/workspace_transfer.h"

namespace parhelia::modal {
namespace {

using namespace std::chrono_literals;
using core::Error;
using core::ErrorCode;

// The pane's program: the work in a process group of its own (its leader's pid kept where a
// stop finds it), reading the pane's terminal, its output both on the pane and into the fifo
// the exec relays; then its status kept, and a shell for whoever looks around. A Ctrl-C typed
// into the pane reaches neither the relay (trapped: the pane's shell, the group that waits and
// tee go on) nor the work (its own session); a trapped signal ends a `wait` early, so it waits
// until the work is gone. Claude Code's credential is not left to the shell or to windows
// opened later. (No single quotes: it is quoted whole inside kWorkExec.)
constexpr const char* kPane =
    "trap : INT QUIT; "
    "tmux set-environment -gu ANTHROPIC_API_KEY 2>/dev/null; "
    "tmux set-environment -gu CLAUDE_CODE_OAUTH_TOKEN 2>/dev/null; exec 3<&0; "
    "{ trap : INT QUIT; setsid \"$@\" <&3 3<&- 2>&1 & w=$!; echo $w > ../parhelia/work.pid; "
    "while :; do wait $w; c=$?; kill -0 $w 2>/dev/null || break; done; "
    "echo $c > ../parhelia/work.exit; } | tee -i ../parhelia/work.fifo; "
    "unset ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN; "
    "echo; echo \"[parhelia] the work has ended (exit $(cat ../parhelia/work.exit)).\"; "
    "exec \"${SHELL:-/bin/sh}\"";

// The tmux server runs as the agent (when the sandbox runs as root and has one) with the
// exec's environment, which the pane inherits; its socket is named by an absolute path, the
// one a person's `tmux attach` over SSH names. The exec relays the fifo until the work's
// status is there (or its tmux is gone), then gives what is still coming 2 s: a process the
// work left running that holds its output does not hold the session open.
const std::string kWorkExec =
    std::string(
        "p=../parhelia; s=\"$(cd \"$p\" && pwd)/tmux.sock\"; "
        "tmux -S \"$s\" kill-server 2>/dev/null; "
        "rm -f \"$p/work.fifo\" \"$p/work.exit\" \"$p/work.pid\" \"$s\" && "
        "mkfifo -m 600 \"$p/work.fifo\" || exit 125; "
        "set -- tmux -S \"$s\" -f /dev/null new-session -d -s ") +
    kSandboxTmuxSession + " -x 200 -y 50 -c \"$PWD\" -- sh -c '" + kPane +
    "' parhelia-pane \"$@\"; "
    "if [ \"$(id -u)\" = 0 ] && id agent >/dev/null 2>&1; then "
    "chown agent \"$p/work.fifo\"; set -- runuser -u agent -- env HOME=/home/agent \"$@\"; "
    "fi; "
    "\"$@\" || exit 125; cat \"$p/work.fifo\" & r=$!; i=0; "
    "while [ ! -e \"$p/work.exit\" ]; do sleep 0.2; i=$((i + 1)); "
    "if [ $((i % 5)) = 0 ]; then tmux -S \"$s\" has-session 2>/dev/null || break; fi; done; "
    "i=0; while kill -0 $r 2>/dev/null && [ $i -lt 10 ]; do sleep 0.2; i=$((i + 1)); done; "
    "kill $r 2>/dev/null; wait $r 2>/dev/null; "
    "c=$(cat \"$p/work.exit\" 2>/dev/null); exit \"${c:-125}\"";

// Parhelia's sshd in the sandbox, its files in /etc/parhelia-ssh: a host key made there at
// this start (one a sandbox started from a snapshot holds is its parent's, and is replaced),
// the installation's key (stdin) as the only authorized one, key sign-in only, for one user.
// Run once per sandbox: its exec id is the session's.
// The folder and key list are readable by that user (sshd reads them as the user); StrictModes
// would refuse the stand-in's folders under /tmp, and the files are Parhelia's own.
constexpr const char* kStartSshd =
    "set -e; r=\"$(cd .. && pwd)\"; [ \"$r\" != / ] || r=; k=\"$r/etc/parhelia-ssh\"; "
    "rm -rf \"$k\"; mkdir -p \"$k\"; chmod 755 \"$k\"; "
    "ssh-keygen -q -t ed25519 -N '' -C parhelia-sandbox -f \"$k/host_key\" >/dev/null; "
    "cat > \"$k/authorized_keys\"; chmod 644 \"$k/authorized_keys\"; "
    "u=\"$(id -un)\"; if [ \"$(id -u)\" = 0 ] && id agent >/dev/null 2>&1; then u=agent; "
    // useradd leaves the account locked ("!"), which sshd without PAM refuses even for a key.
    "usermod -p '*' agent 2>/dev/null || true; fi; "
    "printf '%s\\n' \"ListenAddress ${PARHELIA_SSHD_LISTEN:-0.0.0.0:22}\" "
    "\"HostKey $k/host_key\" \"AuthorizedKeysFile $k/authorized_keys\" \"PidFile $k/sshd.pid\" "
    "\"AllowUsers $u\" 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' "
    "'PermitRootLogin prohibit-password' 'StrictModes no' 'UsePAM no' 'PrintMotd no' "
    "> \"$k/sshd_config\"; "
    "if [ \"$(id -u)\" = 0 ]; then mkdir -p /run/sshd; fi; "
    "/usr/sbin/sshd -f \"$k/sshd_config\" -E \"$k/sshd.log\" || "
    "{ cat \"$k/sshd.log\" 2>/dev/null; exit 1; }; i=0; "
    "while [ ! -s \"$k/sshd.pid\" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; "
    "[ -s \"$k/sshd.pid\" ] || { cat \"$k/sshd.log\"; exit 1; }; "
    "echo \"user $u\"; echo \"host-key $(cat \"$k/host_key.pub\")\"; "
    "echo \"tmux-socket $r/parhelia/tmux.sock\"";

ExecSpec exec_in_workspace(const std::string& session_id, const std::string& purpose,
                           const std::string& script) {
  ExecSpec spec;
  spec.exec_id = exec_id_for(session_id, purpose);
  spec.argv = {"sh", "-c", script};
  spec.workdir = kSandboxWorkspace;
  return spec;
}

}  // namespace

std::vector<std::string> work_in_tmux_argv(const std::vector<std::string>& work) {
  std::vector<std::string> argv = {"sh", "-c", kWorkExec, "parhelia-work"};
  argv.insert(argv.end(), work.begin(), work.end());
  return argv;
}

core::Result<core::SshEndpoint> start_sandbox_sshd(ModalClient& client, CommandRouter& router,
                                                   const std::string& sandbox_id,
                                                   const std::string& session_id,
                                                   const core::SshPublicKey& authorized) {
  auto run = run_in_sandbox(router, exec_in_workspace(session_id, "start sshd", kStartSshd),
                            authorized.line() + "\n", 60s);
  if (!run) return run.error();
  if (run->exit_code != 0) {
    return Error{ErrorCode::unavailable,
                 "The sandbox's SSH server did not start (exit " + std::to_string(run->exit_code) +
                     "): " + core::shorten(run->out, 300),
                 "The image needs openssh-server at /usr/sbin/sshd (Parhelia's own has it); "
                 "check the \"modal.image\" settings of config.json."};
  }
  core::SshEndpoint endpoint;
  std::optional<core::SshPublicKey> host_key;
  std::istringstream lines(run->out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("user ")) endpoint.user = line.substr(5);
    if (line.starts_with("host-key ")) host_key = core::SshPublicKey::parse(line.substr(9));
    if (line.starts_with("tmux-socket ")) endpoint.tmux.socket = line.substr(12);
  }
  if (!host_key || endpoint.user.empty() || endpoint.tmux.socket.empty()) {
    return Error{ErrorCode::unavailable,
                 "The sandbox's SSH server gave no host key: " + core::shorten(run->out, 300), ""};
  }
  endpoint.host_key = *host_key;
  endpoint.tmux.session = kSandboxTmuxSession;
  auto tunnels = client.sandbox_tunnels(sandbox_id, 30s);
  if (!tunnels) return tunnels.error();
  for (const Tunnel& tunnel : tunnels.value()) {
    if (tunnel.container_port != kSshPort || !tunnel.unencrypted_host || !tunnel.unencrypted_port)
      continue;
    endpoint.host = *tunnel.unencrypted_host;
    endpoint.port = static_cast<int>(*tunnel.unencrypted_port);
    return endpoint;
  }
  return Error{ErrorCode::unavailable,
               "Modal gave the sandbox " + sandbox_id + " no unencrypted tunnel for port 22.", ""};
}

core::Result<int> attached_terminals(CommandRouter& router, const std::string& session_id,
                                     const std::string& round) {
  const std::string script =
      "tmux -S \"$(cd ../parhelia && pwd)/tmux.sock\" list-clients 2>/dev/null | wc -l";
  auto run = run_in_sandbox(
      router, exec_in_workspace(session_id, "attached terminals " + round, script), "", 30s);
  if (!run) return run.error();
  try {
    return std::stoi(run->out);
  } catch (const std::exception&) {
    return Error{ErrorCode::unavailable,
                 "tmux in the sandbox did not say who is attached: " + core::shorten(run->out, 200),
                 ""};
  }
}

}  // namespace parhelia::modal

// SessionService: the terminals of sessions. A local session's is a tmux session on its own
// server here; a remote one's is a tmux session in its container, reached over SSH with the
// pinned host key and Parhelia's key. Every call reaches out once and is bounded by 3 s.
#include "core/base/process.h"
#include "core/service/sessions.h"
#include "core/terminal/ssh_client.h"

namespace parhelia::core {
namespace {

using namespace std::chrono_literals;
constexpr auto kTerminalTimeout = 3s;
// The reachability check's own share, so that the whole answer comes within 3 s.
constexpr auto kCheckTimeout = 2900ms;

std::string ended_sentence(const Session& s) {
  return "Session " + s.id + " has ended (" + std::string(to_string(s.state)) +
         "): its terminal is gone.";
}

constexpr const char* kEndedHint =
    "Read what it printed with the session logs (`parhelia session logs ID`), or resume it.";

}  // namespace

Result<AttachInfo> SessionService::terminal_of(const std::string& id) {
  auto session = get(id);
  if (!session) return session.error();
  const Session& s = session.value();
  auto backend = backend_of(s);
  if (!backend) return backend.error();
  if (is_terminal(s.state) && !backend.value()->terminal_kept(s))
    return Error{ErrorCode::conflict, ended_sentence(s), kEndedHint};
  const TerminalPlace place = backend.value()->terminal(s);
  if (place.kind == TerminalPlace::Kind::none)
    return Error{ErrorCode::unavailable, place.why_none,
                 "Follow its log instead (`parhelia session logs " + s.id + " -f`)."};
  AttachInfo info;
  info.session = s;
  if (place.kind == TerminalPlace::Kind::here) {
    info.tmux = place.tmux;
    return info;
  }
  auto endpoint = endpoints_.get(s.id);
  if (!endpoint) return endpoint.error();
  if (!endpoint.value()) {
    return Error{ErrorCode::unavailable,
                 "Session " + s.id + " (" + std::string(to_string(s.state)) +
                     ") has no terminal yet: its container's SSH server and tunnel are still "
                     "coming up.",
                 "Try again in a few seconds (`parhelia attach " + s.id + "`)."};
  }
  auto identity = installation_identity(home_);
  if (!identity) return identity.error();
  info.remote = true;
  info.ssh = *endpoint.value();
  info.tmux = info.ssh->tmux;
  info.identity = identity->private_key;
  info.known_hosts = files(s.id).known_hosts;
  return info;
}

Result<CapturedRun> SessionService::run_in_terminal(const AttachInfo& where,
                                                    const std::vector<std::string>& tmux) {
  if (where.remote) {
    return run_over_ssh(*where.ssh, where.identity, shell_words(tmux), kTerminalTimeout);
  }
  ProcessSpec spec;
  spec.argv = tmux;
  spec.pipe_stdout = true;
  spec.pipe_stderr = true;
  auto run = run_captured(spec, kTerminalTimeout);
  if (run && run->timed_out)
    return Error{ErrorCode::unavailable, "tmux did not answer within 3 s.", "Try again."};
  return run;
}

Result<AttachInfo> SessionService::attach_info(const std::string& id) {
  auto found = terminal_of(id);
  if (!found) return found.error();
  AttachInfo info = std::move(found).value();
  const auto started = std::chrono::steady_clock::now();
  if (info.remote) {
    if (auto written = write_known_hosts(*info.ssh, info.known_hosts); !written)
      return written.error();
    const auto ssh = [&](const std::vector<std::string>& remote, bool terminal) {
      return ssh_argv(*info.ssh, info.identity, info.known_hosts, remote, terminal);
    };
    info.attach = ssh(tmux_attach_argv(info.tmux, false), true);
    info.watch = ssh(tmux_attach_argv(info.tmux, true), true);
    info.screen = ssh(tmux_capture_argv(info.tmux), false);
    const auto check = check_ssh(*info.ssh, kCheckTimeout);
    info.reachable = check.reachable;
    info.host_key_mismatch = check.host_key_mismatch;
    info.reachability = check.detail;
  } else {
    info.attach = tmux_attach_argv(info.tmux, false);
    info.watch = tmux_attach_argv(info.tmux, true);
    info.screen = tmux_capture_argv(info.tmux);
    auto backend = backend_of(info.session);
    info.reachable = backend && backend.value()->terminal_answers(info.session);
    info.reachability = info.reachable
                            ? "The session's tmux server answers on " + info.tmux.socket + "."
                            : "Nothing answers on " + info.tmux.socket +
                                  " (the session may be starting or just ending).";
  }
  info.checked_in_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  return info;
}

Result<std::string> SessionService::screen(const std::string& id) {
  auto where = terminal_of(id);
  if (!where) return where.error();
  auto run = run_in_terminal(where.value(), tmux_capture_argv(where->tmux));
  if (!run) return run.error();
  if (run->exit_status != 0) {
    return Error{ErrorCode::unavailable,
                 "The screen of " + id + " could not be read: " + shorten(run->err, 300),
                 "The session may be ending; check its status."};
  }
  return trim_screen(std::move(run->out));
}

Result<Done> SessionService::send_keys(const std::string& id, const Keystrokes& keys) {
  if (auto wrong = check_keystrokes(keys)) return *wrong;
  auto where = terminal_of(id);
  if (!where) return where.error();
  auto run = run_in_terminal(where.value(), tmux_send_argv(where->tmux, keys));
  if (!run) return run.error();
  if (run->exit_status != 0) {
    return Error{ErrorCode::unavailable,
                 "The keys did not reach " + id + ": " + shorten(run->err, 300),
                 "The session may be ending; check its status."};
  }
  return Done{};
}

}  // namespace parhelia::core

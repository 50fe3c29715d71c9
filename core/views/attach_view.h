// How to reach a session's terminal, the same to the attach_info tool and `parhelia attach
// --info --json`: a typed struct, so its JSON Schema is the tool's output schema.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/typed_schema.h"
#include "core/service/sessions.h"

namespace parhelia::views {

using schema::field;

struct AttachView {
  std::string session_id;
  std::string state;
  std::string kind;  // "local" (tmux here) or "ssh" (a container's sshd)
  std::string command;
  std::vector<std::string> argv;
  std::string read_only_command;
  std::string screen_command;
  std::string tmux_session;
  std::optional<std::string> tmux_socket;
  std::string detach;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> user;
  std::optional<std::string> host_key_fingerprint;
  std::optional<std::string> host_key_type;
  std::optional<std::string> known_hosts_file;
  std::optional<std::string> identity_file;
  bool reachable = false;
  bool host_key_mismatch = false;
  std::string reachability;
  std::int64_t checked_in_ms = 0;

  static auto fields() {
    return std::tuple{
        field("session_id", &AttachView::session_id, "The session"),
        field("state", &AttachView::state, "Its state now"),
        field("kind", &AttachView::kind,
              "local: a tmux session on this machine; ssh: a tmux session inside the session's "
              "container, reached over SSH",
              {{"enum", {"local", "ssh"}}}),
        field("command", &AttachView::command,
              "The command a person runs in a terminal to attach (or `parhelia attach ID`)"),
        field("argv", &AttachView::argv, "The same command as an argument vector"),
        field("read_only_command", &AttachView::read_only_command,
              "Attaches to watch only: keys typed are not sent"),
        field("screen_command", &AttachView::screen_command,
              "Prints the session's screen once and returns; needs no terminal"),
        field("tmux_session", &AttachView::tmux_session, "The tmux session the work runs in"),
        field("tmux_socket", &AttachView::tmux_socket, "Its tmux server's socket (-S)"),
        field("detach", &AttachView::detach,
              "How to leave without stopping the session (tmux's detach)"),
        field("host", &AttachView::host, "ssh: the endpoint's host"),
        field("port", &AttachView::port, "ssh: its port"),
        field("user", &AttachView::user, "ssh: the user to sign in as"),
        field("host_key_fingerprint", &AttachView::host_key_fingerprint,
              "ssh: the host key pinned when the container started (SHA256)"),
        field("host_key_type", &AttachView::host_key_type, "ssh: its type"),
        field("known_hosts_file", &AttachView::known_hosts_file,
              "ssh: the known_hosts file holding only the pinned key, which the command uses"),
        field("identity_file", &AttachView::identity_file,
              "ssh: the path of the private key the command signs in with (never its contents)"),
        field("reachable", &AttachView::reachable,
              "Whether the terminal answered just now (ssh: handshake and pinned host key, "
              "within 3 s)"),
        field("host_key_mismatch", &AttachView::host_key_mismatch,
              "ssh: the server presented another host key; the connection was refused"),
        field("reachability", &AttachView::reachability, "What the check found"),
        field("checked_in_ms", &AttachView::checked_in_ms, "How long the check took")};
  }
};

AttachView attach_view(const core::AttachInfo& info);
std::string to_text(const AttachView& view);

}  // namespace parhelia::views

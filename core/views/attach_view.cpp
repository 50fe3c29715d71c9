#include "core/views/attach_view.h"

#include <sstream>

#include "core/terminal/ssh_endpoint.h"

namespace parhelia::views {

AttachView attach_view(const core::AttachInfo& info) {
  AttachView v;
  v.session_id = info.session.id;
  v.state = std::string(core::to_string(info.session.state));
  v.kind = info.remote ? "ssh" : "local";
  v.command = core::shell_words(info.attach);
  v.argv = info.attach;
  v.read_only_command = core::shell_words(info.watch);
  v.screen_command = core::shell_words(info.screen);
  v.tmux_session = info.tmux.session;
  if (!info.tmux.socket.empty()) v.tmux_socket = info.tmux.socket;
  v.detach = core::kDetachKeys;
  v.detach += " detaches; the session keeps running";
  if (info.ssh) {
    v.host = info.ssh->host;
    v.port = info.ssh->port;
    v.user = info.ssh->user;
    v.host_key_fingerprint = info.ssh->host_key.fingerprint();
    v.host_key_type = info.ssh->host_key.type;
    v.known_hosts_file = info.known_hosts.string();
    v.identity_file = info.identity.string();
  }
  v.reachable = info.reachable;
  v.host_key_mismatch = info.host_key_mismatch;
  v.reachability = info.reachability;
  v.checked_in_ms = info.checked_in_ms;
  return v;
}

std::string to_text(const AttachView& v) {
  std::ostringstream text;
  text << v.session_id << " (" << v.state << ", " << v.kind << "): "
       << (v.reachable           ? "reachable"
           : v.host_key_mismatch ? "REFUSED"
                                 : "not reachable")
       << " - " << v.reachability << "\n";
  if (v.host)
    text << "ssh " << *v.user << "@" << *v.host << " port " << *v.port << ", host key "
         << *v.host_key_fingerprint << " (" << *v.host_key_type << ", pinned)\n";
  text << "attach:     " << v.command << "\n"
       << "watch only: " << v.read_only_command << "\n"
       << "screen:     " << v.screen_command << "\n"
       << "detach:     " << v.detach;
  return text.str();
}

}  // namespace parhelia::views

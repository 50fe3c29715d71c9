// A Modal session's terminal. The work runs in a tmux session inside its sandbox (its output
// shown there and followed by the work's exec), and the sandbox's own sshd is reached through
// Modal's unencrypted tunnel for port 22: Parhelia's configuration, the installation's public
// key as the only authorized one, a host key made inside the sandbox at its start. The host
// key comes back through exec, Modal's own authenticated channel, never over SSH, and is
// pinned with the endpoint (core/terminal/ssh_endpoints.h): a server presenting another key
// later is refused.
//
// Paths in the sandbox are reckoned from its working directory (/workspace: its parent is the
// container's root), so that the stand-in's sandboxes, folders of this machine, hold them too.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/terminal/ssh_endpoint.h"
#include "core/terminal/ssh_key.h"
#include "modal/api/modal_client.h"

namespace parhelia::modal {

inline constexpr unsigned kSshPort = 22;
// Where the sandbox's sshd listens: the container's port 22 unless the sandbox says otherwise
// (PARHELIA_SSHD_LISTEN=HOST:PORT, which the tests' stand-in sets: it has no network
// namespaces, so its port 22 is a port of 127.0.0.1 it chose).
inline constexpr const char* kSshdListenVariable = "PARHELIA_SSHD_LISTEN";
inline constexpr const char* kSandboxTmuxSession = "work";

// The work's exec: starts `work` in the sandbox's tmux session (as the image's `agent` user
// when the sandbox runs as root and has one, so that the person signing in as that user
// reaches it), its own process group's leader recorded for signals, then relays its output
// to the exec's stdout until the work ends and exits with the work's status. What a person
// types into the pane reaches the work's stdin; once the work ends the pane keeps a shell.
std::vector<std::string> work_in_tmux_argv(const std::vector<std::string>& work);

// Starts the sandbox's sshd (once per sandbox: a repeated start is the same exec), asks Modal
// for port 22's tunnel and returns the endpoint to pin: the tunnel's address, the user to
// sign in as, the host key the sandbox made, its tmux target.
core::Result<core::SshEndpoint> start_sandbox_sshd(ModalClient& client, CommandRouter& router,
                                                   const std::string& sandbox_id,
                                                   const std::string& session_id,
                                                   const core::SshPublicKey& authorized);

// How many terminals are attached to the sandbox's tmux now (`tmux list-clients`): a person
// looking around, whom a keep-alive's end waits for.
core::Result<int> attached_terminals(CommandRouter& router, const std::string& session_id,
                                     const std::string& round);

}  // namespace parhelia::modal

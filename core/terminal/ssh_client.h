// Parhelia's own SSH client (libssh2), for what must never wait on a person: checking that a
// session's endpoint answers with its pinned host key, and running one short command there
// (tmux capture-pane, send-keys). Every step of a call runs against one deadline, and a host
// key other than the pinned one ends the connection before anything is sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/base/process.h"
#include "core/base/result.h"
#include "core/terminal/ssh_endpoint.h"

namespace parhelia::core {

struct SshReachability {
  bool reachable = false;          // answered the handshake with the pinned key
  bool host_key_mismatch = false;  // answered with another key: refused
  std::string detail;              // what was found, in a sentence
  std::string presented_fingerprint;
  std::int64_t elapsed_ms = 0;
};

// Connects, completes the SSH handshake and compares the host key; signs in to nothing.
SshReachability check_ssh(const SshEndpoint& endpoint, std::chrono::milliseconds timeout);

// Runs `command` (one line for the remote shell) after signing in with the key at
// `private_key` (its public half derived from it); output is capped at 1 MiB a stream. An
// unreachable endpoint, a mismatched host key, a refused key or the deadline are errors that
// say which.
Result<CapturedRun> run_over_ssh(const SshEndpoint& endpoint,
                                 const std::filesystem::path& private_key,
                                 const std::string& command, std::chrono::milliseconds timeout);

}  // namespace parhelia::core

// Where a remote session's terminal is: the sshd of its container, reached through the
// backend's tunnel, with the host key the container reported over the backend's own channel
// at start (pinned: a server presenting any other key is refused), and its tmux session.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/terminal/ssh_key.h"
#include "core/terminal/terminal.h"

namespace parhelia::core {

struct SshEndpoint {
  std::string host;
  int port = 22;
  std::string user;
  SshPublicKey host_key;
  TmuxTarget tmux;  // inside the container
};

// "[host]:port KEY" ("host KEY" on port 22): the one line of a session's known_hosts file.
std::string known_hosts_line(const SshEndpoint& endpoint);
// Writes that file (0600) unless it already says exactly that.
Result<Done> write_known_hosts(const SshEndpoint& endpoint, const std::filesystem::path& file);

// The system ssh's command line for the endpoint: the pinned key as the only known one
// (StrictHostKeyChecking=yes, the session's known_hosts, no global file), Parhelia's key,
// and `remote` quoted for the remote shell; -t when a person's terminal is wanted.
std::vector<std::string> ssh_argv(const SshEndpoint& endpoint,
                                  const std::filesystem::path& identity,
                                  const std::filesystem::path& known_hosts,
                                  const std::vector<std::string>& remote, bool terminal);

// A word quoted for a POSIX shell when it needs to be ('it'\''s'), and a command line of such.
std::string shell_quote(std::string_view word);
std::string shell_words(const std::vector<std::string>& argv);

}  // namespace parhelia::core

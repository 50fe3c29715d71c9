// Real terminals for the attach tests: a tmux server of the test's own, and a real OpenSSH
// server on 127.0.0.1 (its own host key, config and authorized_keys, a free port), both
// ended with the object.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/process.h"
#include "core/terminal/ssh_key.h"
#include "core/terminal/terminal.h"
#include "tests/support/temp_dir.h"

namespace parhelia::testing {

class TmuxServer {
 public:
  // Starts session `name` running `argv` in a 100x30 window; `environment` as for a child.
  TmuxServer(const std::string& name, const std::vector<std::string>& argv,
             const std::vector<std::string>& environment = {});
  ~TmuxServer();
  const core::TmuxTarget& target() const { return target_; }
  // tmux's own capture-pane, straight from the server (no Parhelia code in between).
  std::string capture() const;
  void send(const std::vector<std::string>& keys) const;
  // Polls the screen until it holds `text`; false after `seconds`.
  bool wait_for(const std::string& text, int seconds = 10) const;
  // Polls until the session has ended (its command exited); false after `seconds`.
  bool wait_closed(int seconds = 10) const;

 private:
  TempDir dir_;
  core::TmuxTarget target_;
};

class SshServer {
 public:
  // Trusts `authorized_key` for the current user; sshd's complaint in `why` when it fails.
  static std::optional<SshServer> start(const core::SshPublicKey& authorized_key, std::string& why);
  SshServer(SshServer&&) = default;
  ~SshServer();
  int port() const { return port_; }
  const core::SshPublicKey& host_key() const { return host_key_; }
  static std::string user();

 private:
  SshServer() = default;
  std::unique_ptr<TempDir> dir_;
  std::optional<core::ChildProcess> sshd_;
  int port_ = 0;
  core::SshPublicKey host_key_;
};

// A port on 127.0.0.1 that nothing listens on now.
int free_port();
// A listener on 127.0.0.1 that accepts connections and never says a word: a hung endpoint.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace parhelia::testing

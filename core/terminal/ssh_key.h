// SSH keys as OpenSSH writes them, and the key pair Parhelia signs in to containers with.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::core {

// A public key as one line of authorized_keys or known_hosts: "ssh-ed25519 AAAA...".
struct SshPublicKey {
  std::string type;    // "ssh-ed25519", "ecdsa-sha2-nistp256", ...
  std::string base64;  // the key blob, as written

  // "TYPE BASE64 [comment]"; nothing when the line is not a public key.
  static std::optional<SshPublicKey> parse(std::string_view line);
  // From the wire: the blob a server presents in its handshake.
  static SshPublicKey from_blob(std::string_view blob);
  std::string blob() const;
  std::string line() const { return type + " " + base64; }
  // "SHA256:…", as `ssh-keygen -l` and ssh's own warnings print it.
  std::string fingerprint() const;
  bool operator==(const SshPublicKey& other) const = default;
};

struct SshIdentity {
  std::filesystem::path private_key;  // read by libssh2 and ssh; never copied, never shown
  SshPublicKey public_key;
};

// The key Parhelia signs in with: `{"ssh": {"identity_file": PATH}}` in config.json (its
// PATH.pub beside it), else its own ed25519 pair under $PARHELIA_HOME/ssh/, made on first use
// with ssh-keygen (mode 0600, no passphrase: containers are reached unattended).
Result<SshIdentity> installation_identity(const std::filesystem::path& home);
// The same without making anything: nothing when Parhelia's own pair is not made yet.
Result<std::optional<SshIdentity>> existing_identity(const std::filesystem::path& home);

}  // namespace parhelia::core

#include "core/terminal/ssh_key.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/base/config_file.h"
#include "core/base/environment.h"
#include "core/base/process.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;

std::string encode_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  for (auto c = text.rbegin(); c != text.rend() && *c == '='; ++c) --size;
  out.resize(size);
  return out;
}

// The key type named inside a blob (its first string), which must agree with the line's.
std::optional<std::string> blob_type(std::string_view blob) {
  if (blob.size() < 4) return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  const std::size_t length = (std::size_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
  if (length == 0 || length > blob.size() - 4) return std::nullopt;
  return std::string(blob.substr(4, length));
}

Result<std::optional<fs::path>> configured_identity(const fs::path& home) {
  auto section = config_section(home, "ssh");
  if (!section) return section.error();
  if (!section.value()) return std::optional<fs::path>{};
  for (const auto& [key, value] : section.value()->items()) {
    if (key != "identity_file" || !value.is_string() || value.get<std::string>().empty())
      return config_error(home, "ssh",
                          "ssh." + key +
                              " is not a setting (identity_file: the path of a private key "
                              "whose .pub is beside it).");
  }
  const auto entry = section.value()->find("identity_file");
  if (entry == section.value()->end()) return std::optional<fs::path>{};
  std::string path = entry->get<std::string>();
  if (path.starts_with("~/")) path = env_value("HOME").value_or("") + path.substr(1);
  return std::optional<fs::path>{fs::path(path)};
}

Result<SshIdentity> read_identity(const fs::path& private_key) {
  const fs::path public_file = fs::path(private_key.string() + ".pub");
  std::ifstream in(public_file);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return Error{ErrorCode::not_found, "There is no public key " + public_file.string() + ".",
                 "Keep the key's .pub beside it (ssh-keygen -y -f KEY > KEY.pub)."};
  }
  auto key = SshPublicKey::parse(line);
  if (!key)
    return Error{ErrorCode::invalid_input, public_file.string() + " is not an SSH public key.",
                 "Write it again with ssh-keygen -y -f KEY > KEY.pub."};
  std::error_code ec;
  if (!fs::is_regular_file(private_key, ec))
    return Error{ErrorCode::not_found, "There is no private key " + private_key.string() + ".",
                 "Name an existing key in the \"ssh\" entry of config.json, or remove it."};
  return SshIdentity{private_key, *key};
}

// Made once: concurrent first uses (two CLI commands, the MCP server) wait on a lock and
// then find the pair in place.
Result<SshIdentity> own_identity(const fs::path& home) {
  const fs::path dir = home / "ssh";
  const fs::path key = dir / "id_ed25519";
  std::error_code ec;
  fs::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  const int lock = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return Error{ErrorCode::io_failure, "cannot create " + dir.string() + "/.lock", ""};
  ::flock(lock, LOCK_EX);
  Result<SshIdentity> identity = read_identity(key);
  if (!identity) {
    fs::remove(key, ec);
    fs::remove(fs::path(key.string() + ".pub"), ec);
    ProcessSpec spec;
    spec.argv = {"ssh-keygen", "-q", "-t",       "ed25519", "-N",
                 "",           "-C", "parhelia", "-f",      key.string()};
    spec.pipe_stdout = true;
    spec.merge_stderr = true;
    auto made = run_captured(spec, std::chrono::seconds(20));
    if (!made || made->exit_status != 0) {
      ::close(lock);
      return Error{ErrorCode::unavailable,
                   "Parhelia could not make its SSH key with ssh-keygen" +
                       (made ? ": " + made->out : std::string(".")),
                   "Install openssh-client (apt-get install openssh-client), or name a key of "
                   "yours as {\"ssh\": {\"identity_file\": PATH}} in config.json."};
    }
    ::chmod(key.c_str(), 0600);
    identity = read_identity(key);
  }
  ::close(lock);
  return identity;
}

}  // namespace

std::optional<SshPublicKey> SshPublicKey::parse(std::string_view line) {
  std::istringstream words{std::string(line)};
  SshPublicKey key;
  if (!(words >> key.type >> key.base64)) return std::nullopt;
  const auto blob = decode_base64(key.base64);
  if (!blob || blob_type(*blob) != key.type) return std::nullopt;
  return key;
}

SshPublicKey SshPublicKey::from_blob(std::string_view blob) {
  return {blob_type(blob).value_or("unknown"), encode_base64(blob)};
}

std::string SshPublicKey::blob() const {
  return decode_base64(base64).value_or("");
}

std::string SshPublicKey::fingerprint() const {
  const std::string bytes = blob();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  std::string text = encode_base64(std::string_view(reinterpret_cast<const char*>(digest), size));
  while (!text.empty() && text.back() == '=') text.pop_back();
  return "SHA256:" + text;
}

Result<std::optional<SshIdentity>> existing_identity(const fs::path& home) {
  auto configured = configured_identity(home);
  if (!configured) return configured.error();
  const fs::path key = configured.value().value_or(home / "ssh" / "id_ed25519");
  std::error_code ec;
  if (!configured.value() && !fs::exists(key, ec)) return std::optional<SshIdentity>{};
  auto identity = read_identity(key);
  if (!identity) return identity.error();
  return std::optional<SshIdentity>{std::move(identity).value()};
}

Result<SshIdentity> installation_identity(const fs::path& home) {
  auto configured = configured_identity(home);
  if (!configured) return configured.error();
  if (configured.value()) return read_identity(*configured.value());
  return own_identity(home);
}

}  // namespace parhelia::core

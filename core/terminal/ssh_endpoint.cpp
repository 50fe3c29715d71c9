#include "core/terminal/ssh_endpoint.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/base/file_replace.h"

namespace parhelia::core {

std::string known_hosts_line(const SshEndpoint& endpoint) {
  const std::string host = endpoint.port == 22
                               ? endpoint.host
                               : "[" + endpoint.host + "]:" + std::to_string(endpoint.port);
  return host + " " + endpoint.host_key.line();
}

Result<Done> write_known_hosts(const SshEndpoint& endpoint, const std::filesystem::path& file) {
  const std::string wanted = known_hosts_line(endpoint) + "\n";
  {
    std::ifstream in(file);
    std::ostringstream have;
    have << in.rdbuf();
    if (in && have.str() == wanted) return Done{};
  }
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  return replace_file(file, wanted, 0600);
}

namespace {

// An ssh -o value is split at blanks unless quoted.
std::string option_path(const std::filesystem::path& path) {
  const std::string text = path.string();
  return text.find_first_of(" \t") == std::string::npos ? text : "\"" + text + "\"";
}

}  // namespace

std::vector<std::string> ssh_argv(const SshEndpoint& endpoint,
                                  const std::filesystem::path& identity,
                                  const std::filesystem::path& known_hosts,
                                  const std::vector<std::string>& remote, bool terminal) {
  std::vector<std::string> argv = {"ssh"};
  if (terminal) argv.push_back("-t");
  argv.insert(
      argv.end(),
      {"-i", identity.string(), "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes", "-o",
       "UserKnownHostsFile=" + option_path(known_hosts), "-o", "GlobalKnownHostsFile=/dev/null",
       "-o", "HostKeyAlgorithms=" + endpoint.host_key.type, "-p", std::to_string(endpoint.port),
       endpoint.user + "@" + endpoint.host});
  // ssh joins the remaining words with spaces for the remote shell: one quoted line keeps
  // every word whole.
  if (!remote.empty()) argv.push_back(shell_words(remote));
  return argv;
}

std::string shell_quote(std::string_view word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("@%_+=:,./-").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(word);
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  return quoted + "'";
}

std::string shell_words(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& word : argv) {
    if (!line.empty()) line += ' ';
    line += shell_quote(word);
  }
  return line;
}

}  // namespace parhelia::core

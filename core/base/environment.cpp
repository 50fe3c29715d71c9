#include "core/base/environment.h"

#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sstream>

extern char** environ;

namespace parhelia::core {

std::vector<std::string> environment_with(const std::vector<std::string>& overrides) {
  std::set<std::string> keys;
  std::vector<std::string> entries;
  const auto add = [&](const std::string& entry) {
    if (keys.insert(entry.substr(0, entry.find('='))).second) entries.push_back(entry);
  };
  for (auto it = overrides.rbegin(); it != overrides.rend(); ++it) add(*it);
  for (char** entry = environ; *entry != nullptr; ++entry) add(*entry);
  return entries;
}

std::optional<std::string> env_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::filesystem::path parhelia_home() {
  if (auto home = env_value("PARHELIA_HOME")) return *home;
  if (auto data = env_value("XDG_DATA_HOME")) return std::filesystem::path(*data) / "parhelia";
  return std::filesystem::path(env_value("HOME").value_or("/tmp")) / ".local" / "share" /
         "parhelia";
}

std::optional<std::filesystem::path> find_executable(const std::string& name) {
  const auto runnable = [](const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (runnable(name)) return std::filesystem::path(name);
    return std::nullopt;
  }
  std::istringstream dirs(env_value("PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const auto candidate = std::filesystem::path(dir) / name;
    if (runnable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string running_executable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("parhelia") : path.string();
}

}  // namespace parhelia::core

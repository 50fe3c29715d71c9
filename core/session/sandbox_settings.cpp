#include "core/session/sandbox_settings.h"

#include "core/base/config_file.h"

namespace parhelia::core {

namespace fs = std::filesystem;

Result<SandboxSettings> SandboxSettings::load(const fs::path& home) {
  SandboxSettings settings;
  auto section = config_section(home, "sandbox");
  if (!section) return section.error();
  if (!section.value()) return settings;
  const auto bad = [&](const std::string& what) {
    return config_error(home, "sandbox",
                        what +
                            " (read_only_paths: absolute paths; environment: variable "
                            "names; network: true or false).");
  };
  for (const auto& [key, value] : section.value()->items()) {
    if (key == "network" && value.is_boolean()) {
      settings.network = value.get<bool>();
    } else if (key == "read_only_paths" && value.is_array()) {
      for (const auto& path : value) {
        if (!path.is_string() || !fs::path(path.get<std::string>()).is_absolute())
          return bad("sandbox.read_only_paths holds something that is not an absolute path");
        settings.read_only_paths.emplace_back(path.get<std::string>());
      }
    } else if (key == "environment" && value.is_array()) {
      for (const auto& name : value) {
        if (!name.is_string() || name.get<std::string>().empty() ||
            name.get<std::string>().find('=') != std::string::npos)
          return bad("sandbox.environment holds something that is not a variable name");
        settings.environment.push_back(name.get<std::string>());
      }
    } else {
      return bad("sandbox." + key + " is not a setting");
    }
  }
  return settings;
}

}  // namespace parhelia::core

// What config.json says every session's sandbox may see, wherever it runs (bubblewrap on this
// machine, a container elsewhere): paths shown read-only, variables passed from Parhelia's
// environment, and whether a session has the network when it does not say.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/result.h"

namespace parhelia::core {

// config.json: {"sandbox": {"read_only_paths": ["/data/models"], "environment": ["HF_TOKEN"],
// "network": false}}.
struct SandboxSettings {
  std::vector<std::filesystem::path> read_only_paths;  // shown to every session, read-only
  std::vector<std::string> environment;  // variables a session gets from Parhelia's environment
  bool network = true;                   // the default for sessions that do not say

  static Result<SandboxSettings> load(const std::filesystem::path& home);
};

}  // namespace parhelia::core

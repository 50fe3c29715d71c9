// What config.json's "modal" section says about sessions on Modal (the profile key belongs to
// credentials.h):
//
//   {"modal": {"app": "parhelia",
//              "image": {"commands": ["RUN pip install torch"], "registry": "ghcr.io/me/img:1"},
//              "agent_secret": "anthropic", "agent": "claude"}}
//
// - app: the Modal app every session's sandbox belongs to (made on first use);
// - image.commands: Dockerfile lines added after Parhelia's own; image.registry: a base image
//   of the user's instead of Parhelia's Debian or CUDA one;
// - agent_secret: a Modal Secret of the user's holding ANTHROPIC_API_KEY (or
//   CLAUDE_CODE_OAUTH_TOKEN) for task sessions; without it Parhelia makes one from its own
//   environment on first use;
// - agent: the program that is Claude Code inside the sandbox.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/result.h"

namespace parhelia::modal {

struct ModalSettings {
  std::string app_name = "parhelia";
  std::vector<std::string> image_commands;
  std::string registry_image;
  std::string agent_secret;
  std::string agent = "claude";

  static core::Result<ModalSettings> load(const std::filesystem::path& home);
};

}  // namespace parhelia::modal

// The image a session's sandbox runs: Dockerfile commands built by Modal's image API. Parhelia's
// own lines give the work what it expects everywhere (git, tmux, an SSH server, Node and Claude
// Code, a non-root user `agent` for Claude Code, which refuses to skip permission prompts as
// root, and the /workspace and /parhelia folders), on a Debian base or, for a GPU session, a
// CUDA one, or on the user's registry image; the user's own lines from config come after.
//
// An image id is remembered per definition (and Modal account and environment) in
// $PARHELIA_HOME/modal/images.json, so an unchanged definition costs no build, no wait and no
// call.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "modal/api/modal_client.h"
#include "modal/backend/modal_settings.h"

namespace parhelia::modal {

std::vector<std::string> session_image_commands(const ModalSettings& settings, bool gpu);

class SessionImages {
 public:
  SessionImages(std::filesystem::path home, const ModalCredentials& credentials);

  // The built image of `commands`: remembered, or found or built by Modal (each build log line
  // to on_log) and then remembered.
  core::Result<std::string> image_for(ModalClient& client, const std::string& app_id,
                                      const std::vector<std::string>& commands,
                                      const std::function<void(const std::string&)>& on_log);
  // The image remembered for `commands`, if one is: no network.
  std::optional<std::string> known(const std::vector<std::string>& commands) const;
  // Modal no longer has the image remembered for `commands` (a create said so).
  void forget(const std::vector<std::string>& commands);

 private:
  std::string key_of(const std::vector<std::string>& commands) const;
  std::filesystem::path file_;
  std::string account_;  // server, environment and token id: whose images these are
};

}  // namespace parhelia::modal

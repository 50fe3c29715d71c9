// The user's Modal token, found as Modal's own clients find it: MODAL_TOKEN_ID and
// MODAL_TOKEN_SECRET, else ~/.modal.toml ($MODAL_CONFIG_PATH), in the profile MODAL_PROFILE
// names, else the one Parhelia's config names ({"modal": {"profile": "..."}}), else the one
// marked `active = true`. MODAL_SERVER_URL, MODAL_ENVIRONMENT and MODAL_IMAGE_BUILDER_VERSION
// beat the profile's keys. The secret is kept for the headers of Modal's calls and never
// written, logged or put in a sentence.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::modal {

enum class CredentialSource { environment, config_file, none };

inline constexpr std::string_view default_modal_server_url = "https://api.modal.com:443";

struct ModalCredentials {
  std::string token_id;
  std::string token_secret;  // never in a log line, an error or a to_string
  std::string server_url = std::string(default_modal_server_url);
  std::string environment;  // "" for the workspace's default
  std::string image_builder_version;
  CredentialSource source = CredentialSource::none;
  std::string profile;                // the profile read, "" when none
  std::filesystem::path config_path;  // the file looked at, even when absent

  bool complete() const { return !token_id.empty() && !token_secret.empty(); }
  // "token ak-123 from MODAL_TOKEN_ID/MODAL_TOKEN_SECRET", "token ak-123 from
  // /home/me/.modal.toml profile work", "no token"; never the secret.
  std::string describe() const;
};

using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view)>;

core::Result<ModalCredentials> find_modal_credentials(const std::filesystem::path& parhelia_home,
                                                      const EnvironmentLookup& environment);
// The same with the process's environment.
core::Result<ModalCredentials> find_modal_credentials(const std::filesystem::path& parhelia_home);

// No token found: what to run or set.
core::Error missing_token_error(const ModalCredentials& credentials);

// Credentials with a whole token, or the sentence that says why there are none: what every
// caller that is about to talk to Modal asks for.
core::Result<ModalCredentials> require_modal_credentials(
    const std::filesystem::path& parhelia_home);

}  // namespace parhelia::modal

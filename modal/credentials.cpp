#include "modal/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/base/config_file.h"
#include "modal/toml_profiles.h"

namespace parhelia::modal {
namespace {

std::optional<std::string> non_empty(const EnvironmentLookup& environment, std::string_view name) {
  auto value = environment(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

core::Result<std::optional<std::string>> configured_profile(const std::filesystem::path& home) {
  auto section = core::config_section(home, "modal");
  if (!section) return section.error();
  if (!section.value()) return std::optional<std::string>{};
  const auto& modal = *section.value();
  auto found = modal.find("profile");
  if (found == modal.end()) return std::optional<std::string>{};
  if (!found->is_string()) {
    return core::config_error(home, "modal",
                              "\"profile\" must be the name of a profile in ~/.modal.toml");
  }
  return std::optional<std::string>(found->get<std::string>());
}

}  // namespace

std::string ModalCredentials::describe() const {
  if (!complete()) return "no token";
  switch (source) {
    case CredentialSource::environment:
      return "token " + token_id + " from MODAL_TOKEN_ID/MODAL_TOKEN_SECRET";
    case CredentialSource::config_file:
      return "token " + token_id + " from " + config_path.string() +
             (profile.empty() ? std::string() : " profile " + profile);
    case CredentialSource::none:
      break;
  }
  return "token " + token_id;
}

core::Result<ModalCredentials> find_modal_credentials(const std::filesystem::path& parhelia_home,
                                                      const EnvironmentLookup& environment) {
  ModalCredentials credentials;
  if (auto path = non_empty(environment, "MODAL_CONFIG_PATH")) {
    credentials.config_path = *path;
  } else {
    credentials.config_path =
        std::filesystem::path(non_empty(environment, "HOME").value_or("/nonexistent")) /
        ".modal.toml";
  }

  const auto env_id = non_empty(environment, "MODAL_TOKEN_ID");
  const auto env_secret = non_empty(environment, "MODAL_TOKEN_SECRET");
  if (env_id.has_value() != env_secret.has_value()) {
    return core::invalid(
        std::string(env_id ? "MODAL_TOKEN_ID is set but MODAL_TOKEN_SECRET is not."
                           : "MODAL_TOKEN_SECRET is set but MODAL_TOKEN_ID is not."),
        "Set both (from `modal token new`), or neither to use ~/.modal.toml.");
  }

  // The file, when there is one: a missing file is no error (the environment may suffice).
  TomlProfiles profiles;
  std::error_code ec;
  if (std::filesystem::exists(credentials.config_path, ec)) {
    std::ifstream file(credentials.config_path, std::ios::binary);
    if (!file) {
      return core::Error{core::ErrorCode::io_failure,
                         "Cannot read " + credentials.config_path.string() + ".",
                         "Check its permissions, or set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET."};
    }
    std::string text;
    text.resize(max_toml_bytes + 1);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(file.gcount()));
    auto parsed = parse_toml_profiles(text);
    if (!parsed) {
      return core::invalid(
          credentials.config_path.string() + " cannot be read: " + parsed.error().message + ".",
          "Fix that line, or run `modal token new` to write the file again.");
    }
    profiles = std::move(parsed.value());
  }

  std::optional<std::string> wanted = non_empty(environment, "MODAL_PROFILE");
  if (!wanted) {
    auto configured = configured_profile(parhelia_home);
    if (!configured) return configured.error();
    wanted = configured.value();
  }
  const std::map<std::string, std::string>* profile = nullptr;
  if (wanted) {
    auto found = profiles.find(*wanted);
    if (found == profiles.end()) {
      std::string names;
      for (const auto& [name, keys] : profiles) names += (names.empty() ? "" : ", ") + name;
      return core::invalid(
          "The Modal profile " + *wanted + " is not in " + credentials.config_path.string() +
              (names.empty() ? " (it has no profiles)." : " (it has: " + names + ")."),
          "Name one it has (MODAL_PROFILE, or \"modal\": {\"profile\": ...} in "
          "Parhelia's config.json), or run `modal token new --profile " +
              *wanted + "`.");
    }
    credentials.profile = *wanted;
    profile = &found->second;
  } else {
    for (const auto& [name, keys] : profiles) {
      auto active = keys.find("active");
      if (active != keys.end() && active->second == "true") {
        credentials.profile = name;
        profile = &keys;
        break;
      }
    }
  }
  auto from_profile = [&](const char* key) -> std::optional<std::string> {
    if (!profile) return std::nullopt;
    auto found = profile->find(key);
    if (found == profile->end() || found->second.empty()) return std::nullopt;
    return found->second;
  };

  if (env_id) {
    credentials.token_id = *env_id;
    credentials.token_secret = *env_secret;
    credentials.source = CredentialSource::environment;
  } else if (auto id = from_profile("token_id"), secret = from_profile("token_secret");
             id && secret) {
    credentials.token_id = *id;
    credentials.token_secret = *secret;
    credentials.source = CredentialSource::config_file;
  } else if (id || secret) {
    return core::invalid(
        "The profile " + credentials.profile + " in " + credentials.config_path.string() + " has " +
            (id ? "token_id but no token_secret." : "token_secret but no token_id."),
        "Run `modal token new` to write both.");
  }
  credentials.server_url =
      non_empty(environment, "MODAL_SERVER_URL")
          .value_or(from_profile("server_url").value_or(std::string(default_modal_server_url)));
  credentials.environment = non_empty(environment, "MODAL_ENVIRONMENT")
                                .value_or(from_profile("environment").value_or(""));
  credentials.image_builder_version =
      non_empty(environment, "MODAL_IMAGE_BUILDER_VERSION")
          .value_or(from_profile("image_builder_version").value_or(""));
  return credentials;
}

core::Result<ModalCredentials> find_modal_credentials(const std::filesystem::path& parhelia_home) {
  return find_modal_credentials(parhelia_home,
                                [](std::string_view name) -> std::optional<std::string> {
                                  const char* value = std::getenv(std::string(name).c_str());
                                  if (!value) return std::nullopt;
                                  return std::string(value);
                                });
}

core::Result<ModalCredentials> require_modal_credentials(
    const std::filesystem::path& parhelia_home) {
  auto credentials = find_modal_credentials(parhelia_home);
  if (credentials && !credentials->complete()) return missing_token_error(credentials.value());
  return credentials;
}

core::Error missing_token_error(const ModalCredentials& credentials) {
  return {core::ErrorCode::invalid_input,
          "No Modal token found (looked at MODAL_TOKEN_ID/MODAL_TOKEN_SECRET and " +
              credentials.config_path.string() + ").",
          "Run `modal token new` (it writes ~/.modal.toml), or set MODAL_TOKEN_ID and "
          "MODAL_TOKEN_SECRET."};
}

}  // namespace parhelia::modal

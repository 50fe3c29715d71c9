// PROVISIONAL (replaced by the credentials branch): the shape agreed for ModalCredentials.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include "core/base/result.h"
namespace parhelia::modal {
enum class CredentialSource { environment, config_file, none };
struct ModalCredentials {
  std::string token_id;
  std::string token_secret;
  std::string server_url;
  std::string environment;
  std::string image_builder_version;
  CredentialSource source = CredentialSource::none;
  std::string profile;
  std::filesystem::path config_path;
  bool complete() const { return !token_id.empty() && !token_secret.empty(); }
  std::string describe() const { return "token " + token_id; }
};
}  // namespace parhelia::modal

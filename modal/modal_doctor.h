// `parhelia doctor`'s Modal section: which credentials were found (where, which profile, the
// token id; never the secret), whether Modal's API answers and accepts the token, and the
// environment; each failure with its fix. It makes one call (AuthTokenGet) with a short
// deadline: the doctor is asked exactly that.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace parhelia::modal {

struct ModalCheck {
  // "ok", "no_credentials", "bad_config", "unreachable", "token_refused", "error"
  std::string verdict;
  std::string source;  // "environment", "config_file", "none"
  std::string config_path;
  std::string profile;
  std::string token_id;
  std::string server_url;
  std::string environment;
  std::optional<bool> api_answers;  // unknown when not asked (no credentials)
  std::optional<bool> token_accepted;
  std::string problem;  // one sentence; empty when ok
  std::string fix;
  long latency_ms = 0;  // of the AuthTokenGet call
};

ModalCheck check_modal(const std::filesystem::path& parhelia_home);

void to_json(nlohmann::json& out, const ModalCheck& check);

}  // namespace parhelia::modal

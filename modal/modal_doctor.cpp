#include "modal/modal_doctor.h"

#include <chrono>

#include "modal/api/modal_client.h"
#include "modal/credentials.h"

namespace parhelia::modal {

ModalCheck check_modal(const std::filesystem::path& parhelia_home) {
  ModalCheck check;
  auto found = find_modal_credentials(parhelia_home);
  if (!found) {
    check.verdict = "bad_config";
    check.source = "none";
    check.problem = found.error().message;
    check.fix = found.error().hint;
    return check;
  }
  const ModalCredentials& credentials = found.value();
  check.source = credentials.source == CredentialSource::environment   ? "environment"
                 : credentials.source == CredentialSource::config_file ? "config_file"
                                                                       : "none";
  check.config_path = credentials.config_path.string();
  check.profile = credentials.profile;
  check.token_id = credentials.token_id;
  check.server_url = credentials.server_url;
  check.environment = credentials.environment;
  if (!credentials.complete()) {
    const core::Error missing = missing_token_error(credentials);
    check.verdict = "no_credentials";
    check.problem = missing.message;
    check.fix = missing.hint;
    return check;
  }
  auto client = ModalClient::open(credentials, {.call_timeout = std::chrono::seconds(8)});
  if (!client) {
    check.verdict = "error";
    check.problem = client.error().message;
    check.fix = client.error().hint;
    return check;
  }
  const auto started = std::chrono::steady_clock::now();
  auto accepted = client.value()->authenticate();
  check.latency_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - started)
                                           .count());
  if (accepted) {
    check.verdict = "ok";
    check.api_answers = true;
    check.token_accepted = true;
    return check;
  }
  const core::Error& error = accepted.error();
  // UNAUTHENTICATED and PERMISSION_DENIED are the only answers that read as invalid input:
  // the API answered and refused the token.
  const bool refused = error.code == core::ErrorCode::invalid_input;
  check.verdict = refused ? "token_refused" : "unreachable";
  check.api_answers = refused;
  if (refused) check.token_accepted = false;
  check.problem = error.message;
  check.fix = error.hint;
  return check;
}

void to_json(nlohmann::json& out, const ModalCheck& check) {
  auto maybe = [](const std::optional<bool>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  out = {{"verdict", check.verdict},
         {"credential_source", check.source},
         {"config_path", check.config_path},
         {"profile", check.profile},
         {"token_id", check.token_id},
         {"server_url", check.server_url},
         {"environment", check.environment},
         {"api_answers", maybe(check.api_answers)},
         {"token_accepted", maybe(check.token_accepted)},
         {"problem", check.problem},
         {"fix", check.fix},
         {"latency_ms", check.latency_ms}};
}

}  // namespace parhelia::modal

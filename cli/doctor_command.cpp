// `parhelia doctor`: the installation's health, for a person (or --json).
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/base/environment.h"
#include "core/service/health.h"
#include "core/terminal/ssh_key.h"
#include "modal/modal_doctor.h"

namespace parhelia::cli {
namespace {

int run_doctor(bool as_json) {
  const core::SystemHealth health = core::check_health();
  bool required_missing = false;
  nlohmann::json dependencies = nlohmann::json::array();
  for (const auto& check : health.dependencies) {
    required_missing = required_missing || (check.required && !check.path);
    dependencies.push_back({{"program", check.program},
                            {"needed_for", check.needed_for},
                            {"required", check.required},
                            {"found", check.path.has_value()},
                            {"path", check.path.value_or("")},
                            {"install_hint", check.install_hint}});
  }
  // The key Parhelia signs in to containers with: its path and fingerprint, never its bytes.
  const auto identity = core::existing_identity(core::parhelia_home());
  nlohmann::json ssh_key = nullptr;
  std::string ssh_line = "not made yet (made at the first remote session)";
  if (!identity) {
    ssh_line = identity.error().sentence();
  } else if (identity.value()) {
    const auto& id = *identity.value();
    ssh_key = {{"private_key", id.private_key.string()},
               {"type", id.public_key.type},
               {"fingerprint", id.public_key.fingerprint()}};
    ssh_line = id.private_key.string() + " (" + id.public_key.type + ", " +
               id.public_key.fingerprint() + ")";
  }
  const modal::ModalCheck modal_check = modal::check_modal(core::parhelia_home());
  if (as_json) {
    print_json(
        {{"version", health.version},
         {"ssh_key", ssh_key},
         {"parhelia_home", health.home},
         {"parhelia_home_exists", health.home_exists},
         {"dependencies", dependencies},
         {"agent_credential", health.agent_credential ? nlohmann::json(*health.agent_credential)
                                                      : nlohmann::json(nullptr)},
         {"modal_credentials_found", health.modal_credentials_found},
         {"modal", modal_check},
         {"ok", !required_missing}});
  } else {
    std::cout << "Parhelia " << health.version << "\nstate: " << health.home
              << (health.home_exists ? "" : " (created on first use)") << "\n\n";
    for (const auto& check : health.dependencies) {
      std::cout << (check.path       ? "  ok       "
                    : check.required ? "  MISSING  "
                                     : "  missing  ")
                << check.program;
      if (check.path) {
        std::cout << "  " << *check.path << "\n";
      } else {
        std::cout << "  needed for " << check.needed_for << "; install: " << check.install_hint
                  << "\n";
      }
    }
    std::cout << "\nClaude Code: " << health.agent_credential_summary << "\nModal: ";
    if (modal_check.verdict == "ok") {
      std::cout << "token " << modal_check.token_id << " accepted by " << modal_check.server_url
                << " (" << modal_check.latency_ms << " ms"
                << (modal_check.environment.empty() ? ""
                                                    : ", environment " + modal_check.environment)
                << "): sessions can start on Modal (--backend modal)";
    } else {
      std::cout << modal_check.problem << " " << modal_check.fix;
    }
    std::cout << "\nSSH key: " << ssh_line << "\n";
    if (required_missing)
      std::cout << "\nSome required programs are missing: install them as shown above.\n";
  }
  return required_missing ? kExitFailed : kExitOk;
}

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "doctor", "Check this installation: programs, credentials, state directory");
  auto as_json = std::make_shared<bool>(false);
  command->add_flag("--json", *as_json, "Print JSON");
  command->callback([as_json, &exit_code] { exit_code = run_doctor(*as_json); });
}

}  // namespace parhelia::cli

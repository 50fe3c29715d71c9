#include "modal/backend/modal_settings.h"

#include "core/base/config_file.h"

namespace parhelia::modal {
namespace {

core::Result<std::string> text_setting(const std::filesystem::path& home,
                                       const nlohmann::json& section, const char* key,
                                       std::string fallback) {
  auto found = section.find(key);
  if (found == section.end()) return fallback;
  if (!found->is_string() || found->get<std::string>().empty()) {
    return core::config_error(home, "modal",
                              std::string("\"") + key + "\" must be a non-empty string");
  }
  return found->get<std::string>();
}

}  // namespace

core::Result<ModalSettings> ModalSettings::load(const std::filesystem::path& home) {
  ModalSettings settings;
  auto section = core::config_section(home, "modal");
  if (!section) return section.error();
  if (!section.value()) return settings;
  const nlohmann::json& modal = *section.value();
  auto app = text_setting(home, modal, "app", settings.app_name);
  if (!app) return app.error();
  settings.app_name = std::move(app).value();
  auto agent = text_setting(home, modal, "agent", settings.agent);
  if (!agent) return agent.error();
  settings.agent = std::move(agent).value();
  auto secret = text_setting(home, modal, "agent_secret", "");
  if (!secret) return secret.error();
  settings.agent_secret = std::move(secret).value();
  if (auto image = modal.find("image"); image != modal.end()) {
    if (!image->is_object()) {
      return core::config_error(home, "modal",
                                "\"image\" must be an object with \"commands\" "
                                "(Dockerfile lines) and/or \"registry\"");
    }
    auto registry = text_setting(home, *image, "registry", "");
    if (!registry) return registry.error();
    settings.registry_image = std::move(registry).value();
    if (auto commands = image->find("commands"); commands != image->end()) {
      const bool lines = commands->is_array() &&
                         std::all_of(commands->begin(), commands->end(), [](const auto& line) {
                           return line.is_string() && !line.template get<std::string>().empty();
                         });
      if (!lines) {
        return core::config_error(home, "modal",
                                  "\"image.commands\" must be a list of Dockerfile lines such as "
                                  "\"RUN pip install -r requirements.txt\"");
      }
      for (const auto& line : *commands) settings.image_commands.push_back(line.get<std::string>());
    }
  }
  return settings;
}

}  // namespace parhelia::modal

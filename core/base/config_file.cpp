#include "core/base/config_file.h"

#include <fstream>

namespace parhelia::core {

std::filesystem::path config_file(const std::filesystem::path& home) {
  return home / "config.json";
}

Result<std::optional<nlohmann::json>> config_section(const std::filesystem::path& home,
                                                     std::string_view name) {
  std::ifstream in(config_file(home));
  if (!in) return std::optional<nlohmann::json>{};
  auto config = nlohmann::json::parse(in, nullptr, false);
  if (config.is_discarded() || !config.is_object())
    return Error{ErrorCode::invalid_input, config_file(home).string() + " is not a JSON object.",
                 "Fix the file or remove it (every setting has a default)."};
  const auto entry = config.find(std::string(name));
  if (entry == config.end()) return std::optional<nlohmann::json>{};
  if (!entry->is_object())
    return config_error(home, name, "\"" + std::string(name) + "\" is not an object.");
  return std::optional<nlohmann::json>{std::move(*entry)};
}

Error config_error(const std::filesystem::path& home, std::string_view name,
                   const std::string& what) {
  return Error{ErrorCode::invalid_input, config_file(home).string() + ": " + what,
               "Fix or remove the \"" + std::string(name) + "\" entry of that file."};
}

}  // namespace parhelia::core

// $PARHELIA_HOME/config.json, read one section at a time: {"rates": {...}, "budget": {...},
// "checkpoints": {...}, "ssh": {...}}. Each part of core owns its section's meaning.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::core {

std::filesystem::path config_file(const std::filesystem::path& home);

// The section `name` as an object: nothing when the file or the section is absent; an error
// when the file is not a JSON object or the section is not an object.
Result<std::optional<nlohmann::json>> config_section(const std::filesystem::path& home,
                                                     std::string_view name);

// A setting of section `name` that cannot be used: what is wrong, and to fix that entry.
Error config_error(const std::filesystem::path& home, std::string_view name,
                   const std::string& what);

}  // namespace parhelia::core

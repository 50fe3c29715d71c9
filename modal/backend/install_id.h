// This install's id: made once per $PARHELIA_HOME and kept in its `install-id` file. Every
// sandbox Parhelia makes carries it as the tag `parhelia.install`, so that a listing finds this
// install's sandboxes and never touches anyone else's (another machine's, or the user's own).
#pragma once

#include <filesystem>
#include <string>

#include "core/base/result.h"

namespace parhelia::modal {

inline constexpr const char* kInstallTag = "parhelia.install";
inline constexpr const char* kSessionTag = "parhelia.session";

core::Result<std::string> install_id(const std::filesystem::path& home);

}  // namespace parhelia::modal

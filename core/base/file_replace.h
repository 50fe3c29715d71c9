// Small files replaced whole: what a reader of one sees is the old file or the new one.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::core {

// Writes `text` to a temporary of its own beside `file` (mode `mode`), then renames it over
// `file`. Each call has its own temporary, so concurrent writers never tread on each other's.
Result<Done> replace_file(const std::filesystem::path& file, std::string_view text,
                          mode_t mode = 0600);

}  // namespace parhelia::core

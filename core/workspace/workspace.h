// The user's workspace travels with a session as a working copy: a git project's tracked and
// untracked-but-not-ignored files, or a plain directory, committed as a base so the result is
// a patch against it (new, changed and deleted files alike).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/workspace/git.h"
#include "core/base/result.h"

namespace parhelia::core {

// An existing directory, made absolute; a sentence naming the problem otherwise.
Result<std::filesystem::path> resolve_workspace(const std::string& requested);

Result<Done> prepare_working_copy(const std::filesystem::path& origin, const WorkingCopy& copy);
// Makes the files already in `copy` its base: Parhelia's repository with them committed and
// tagged parhelia-base, and the same commit as the session's own `.git` in the files.
Result<Done> commit_base(const WorkingCopy& copy);
// The session's own `.git`: a copy of Parhelia's repository as it is now (its base commit).
Result<Done> give_agent_a_repository(const WorkingCopy& copy);

struct Changes {
  std::vector<std::string> files;  // "M path", "A path", "D path"
  std::uintmax_t patch_bytes = 0;
};
// Writes the patch of everything changed in `copy` since its base to `patch_file`.
Result<Changes> collect_changes(const WorkingCopy& copy, const std::filesystem::path& patch_file);

// Applies a session's patch to the user's workspace, or changes nothing and says why.
Result<Done> apply_patch(const std::filesystem::path& patch_file,
                         const std::filesystem::path& workspace);

}  // namespace parhelia::core

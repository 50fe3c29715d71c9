// git as Parhelia runs it on working copies: a fixed identity and nothing of the user's
// configuration (hooks, signing, pagers, line-ending conversion).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"
#include "core/result.h"

namespace parhelia::core {

struct GitOptions {
  std::filesystem::path index_file;  // GIT_INDEX_FILE: an index of our own, when set
  std::chrono::milliseconds timeout = std::chrono::minutes(2);
  bool literal_pathspecs = false;  // paths are names, never patterns
};

// Runs `git -C dir ARGS`; a non-zero exit is an error carrying git's own words.
Result<CapturedRun> git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                        const GitOptions& options = {});

bool inside_git_work_tree(const std::filesystem::path& dir);

}  // namespace parhelia::core

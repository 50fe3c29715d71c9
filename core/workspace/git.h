// git as Parhelia runs it. Two kinds of repository, two entry points:
// - the user's own project (listing its files, applying a session's patch): their repository,
//   so their configuration applies;
// - a session's working copy: Parhelia's own repository (a git directory outside everything
//   the session can reach) over the files the session wrote. Nothing the session writes can
//   steer it: the git directory, the index and the work tree are named on every call, and no
//   configuration is read but Parhelia's own (no system or global file, no hooks, no
//   fsmonitor, no attribute files outside the tree), so no filter, hook or fsmonitor command
//   the session planted can run, and a `.git` it planted (a link to the user's repository, a
//   `gitdir:` file) is never opened.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/base/process.h"
#include "core/base/result.h"

namespace parhelia::core {

struct GitOptions {
  std::filesystem::path index_file;  // GIT_INDEX_FILE: an index of our own, when set
  std::chrono::milliseconds timeout = std::chrono::minutes(2);
  bool literal_pathspecs = false;  // paths are names, never patterns
};

// Runs `git -C dir ARGS` in the user's own project; a non-zero exit is an error carrying git's
// own words.
Result<CapturedRun> git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                        const GitOptions& options = {});

bool inside_git_work_tree(const std::filesystem::path& dir);

// A session's files and Parhelia's repository of them.
struct WorkingCopy {
  std::filesystem::path work_tree;  // the files (the session's to write)
  std::filesystem::path git_dir;    // Parhelia's repository (never the session's to reach)
};

// Runs git on a working copy, as described above.
Result<CapturedRun> git(const WorkingCopy& copy, const std::vector<std::string>& args,
                        const GitOptions& options = {});

}  // namespace parhelia::core

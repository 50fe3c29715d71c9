// A working copy's state as git sees it, for checkpoints: the tree of every file now (hashed
// through an index of Parhelia's own, so the agent's own git use is neither disturbed nor
// disturbing, and an unchanged file is not read again) and how it differs from the base: the
// files added, modified and deleted. A checkpoint keeps the base once and, each time, only the
// changed files. Restoring is the reverse: the base unpacked and committed, the changes laid
// over it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/workspace/git.h"
#include "core/base/result.h"

namespace parhelia::core {

struct FileChange {
  std::string path;
  char status = 'M';  // A added, M modified, D deleted (against the base)
  std::string blob;   // git's id of the new content ("" when deleted)
  std::uint64_t size = 0;
};

struct WorkspaceSnapshot {
  std::string base_tree;  // the tree of parhelia-base
  std::string tree;       // the tree of the files now
  std::vector<FileChange> changes;
};

// Files named in `left_out` are not read, and are not in the tree (see CheckpointLimits).
Result<WorkspaceSnapshot> snapshot_workspace(const WorkingCopy& copy,
                                             const std::filesystem::path& index_file,
                                             const std::vector<std::string>& left_out = {});

// A tar of the files of `tree` that `changes` added or modified (the whole tree when `all`),
// written to `destination`.
Result<Done> write_tree_archive(const WorkingCopy& copy, const std::string& tree,
                                const std::vector<FileChange>& changes, bool all,
                                const std::filesystem::path& destination);

// Builds `copy` from the base archive (committed as parhelia-base, which must come out as
// `base_tree`), then brings its files to the checkpoint's state: the deleted files removed and
// the archive of changed ones unpacked over it (or, for a whole-tree archive, in place of
// everything). The files are checked against `tree` through `index_file`, which later
// checkpoints then reuse.
Result<Done> restore_working_copy(const std::filesystem::path& base_archive,
                                  const std::string& base_tree,
                                  const std::vector<FileChange>& changes,
                                  const std::filesystem::path& files_archive, bool whole_tree,
                                  const std::string& tree, const WorkingCopy& copy,
                                  const std::filesystem::path& index_file);

}  // namespace parhelia::core

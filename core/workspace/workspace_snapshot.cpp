#include "core/workspace/workspace_snapshot.h"

#include <fstream>

#include "core/workspace/git.h"
#include "core/workspace/workspace.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

Result<Done> unpack(const fs::path& archive, const fs::path& into) {
  ProcessSpec spec;
  spec.argv = {"tar", "-x", "-f", archive.string(), "-C", into.string()};
  auto run = run_captured(spec, 10min);
  if (!run) return run.error();
  if (run->exit_status != 0) {
    return Error{ErrorCode::io_failure, "Cannot unpack " + archive.string() + ": " + run->err, ""};
  }
  return Done{};
}

// Reads `git diff-tree -r --raw -z`: ":old_mode new_mode old_id new_id STATUS\0path\0"...
std::vector<FileChange> parse_raw_diff(const std::string& out, const fs::path& copy) {
  // Sizes are read without following links: a file is what the session made it.
  std::vector<FileChange> changes;
  std::size_t at = 0;
  while (at < out.size()) {
    const auto header_end = out.find('\0', at);
    if (header_end == std::string::npos) break;
    const std::string header = out.substr(at, header_end - at);
    const auto path_end = out.find('\0', header_end + 1);
    if (path_end == std::string::npos) break;
    FileChange change;
    change.path = out.substr(header_end + 1, path_end - header_end - 1);
    at = path_end + 1;
    // ":100644 100644 <old> <new> M"
    const auto fields_start = header.find(' ', header.find(' ') + 1) + 1;
    const auto new_id_start = header.find(' ', fields_start) + 1;
    const auto status_start = header.find(' ', new_id_start) + 1;
    if (status_start == 0 || status_start >= header.size()) continue;
    change.status = header[status_start];
    if (change.status != 'D') {
      change.blob = header.substr(new_id_start, status_start - 1 - new_id_start);
      std::error_code ec;
      const auto status = fs::symlink_status(copy / change.path, ec);
      const auto size = fs::is_regular_file(status) ? fs::file_size(copy / change.path, ec) : 0;
      change.size = ec ? 0 : size;
    }
    changes.push_back(std::move(change));
  }
  return changes;
}

}  // namespace

Result<WorkspaceSnapshot> snapshot_workspace(const WorkingCopy& copy, const fs::path& index_file,
                                             const std::vector<std::string>& left_out) {
  std::error_code ec;
  // The base's own index knows every file's stat data: starting from it, only files changed
  // since are read again.
  if (!fs::exists(index_file, ec)) fs::copy_file(copy.git_dir / "index", index_file, ec);
  const GitOptions own_index{index_file};
  std::vector<std::string> add = {"add", "-A"};
  std::vector<std::string> drop = {"rm", "--cached", "-r", "-q", "--ignore-unmatch", "--"};
  if (!left_out.empty()) add.insert(add.end(), {"--", "."});
  for (const auto& path : left_out) {
    add.push_back(":(exclude,literal)" + path);
    drop.push_back(":(literal)" + path);
  }
  if (auto added = git(copy, add, own_index); !added) return added.error();
  if (!left_out.empty()) {
    if (auto dropped = git(copy, drop, own_index); !dropped) return dropped.error();
  }
  auto tree = git(copy, {"write-tree"}, own_index);
  if (!tree) return tree.error();
  auto base = git(copy, {"rev-parse", "parhelia-base^{tree}"});
  if (!base) return base.error();
  WorkspaceSnapshot snapshot;
  snapshot.tree = first_line(tree->out);
  snapshot.base_tree = first_line(base->out);
  auto diff = git(
      copy, {"diff-tree", "-r", "--raw", "-z", "--no-renames", snapshot.base_tree, snapshot.tree});
  if (!diff) return diff.error();
  snapshot.changes = parse_raw_diff(diff->out, copy.work_tree);
  return snapshot;
}

Result<Done> write_tree_archive(const WorkingCopy& copy, const std::string& tree,
                                const std::vector<FileChange>& changes, bool all,
                                const fs::path& destination) {
  std::vector<std::string> args = {"archive", "--format=tar", "-o", destination.string(), tree};
  if (!all) {
    args.push_back("--");
    for (const auto& change : changes) {
      if (change.status != 'D') args.push_back(change.path);
    }
    if (args.size() == 6) {  // nothing added or changed: an empty archive
      std::ofstream(destination, std::ios::trunc);
      return Done{};
    }
  }
  if (auto archived = git(copy, args, {{}, 10min, true}); !archived) return archived.error();
  return Done{};
}

Result<Done> restore_working_copy(const fs::path& base_archive, const std::string& base_tree,
                                  const std::vector<FileChange>& changes,
                                  const fs::path& files_archive, bool whole_tree,
                                  const std::string& tree, const WorkingCopy& working_copy,
                                  const fs::path& index_file) {
  const fs::path& copy = working_copy.work_tree;
  std::error_code ec;
  fs::remove_all(copy, ec);
  fs::create_directories(copy, ec);
  if (ec)
    return Error{ErrorCode::io_failure, "Cannot create " + copy.string() + ": " + ec.message(), ""};
  if (auto unpacked = unpack(base_archive, copy); !unpacked) return unpacked.error();
  if (auto committed = commit_base(working_copy); !committed) return committed.error();
  auto rebuilt = git(working_copy, {"rev-parse", "parhelia-base^{tree}"});
  if (!rebuilt) return rebuilt.error();
  if (first_line(rebuilt->out) != base_tree) {
    return Error{ErrorCode::io_failure,
                 "The checkpoint's base did not come back as it was stored (tree " +
                     first_line(rebuilt->out) + ", expected " + base_tree + ").",
                 "Resume from another checkpoint."};
  }
  if (whole_tree) {
    for (const auto& entry : fs::directory_iterator(copy, ec)) {
      if (entry.path().filename() != ".git") fs::remove_all(entry.path(), ec);
    }
  } else {
    for (const auto& change : changes) {
      // A deleted file, or a file that became a directory or a link: what was there goes.
      if (change.status == 'D' || change.status == 'M') fs::remove(copy / change.path, ec);
    }
  }
  if (fs::file_size(files_archive, ec) > 0) {
    if (auto unpacked = unpack(files_archive, copy); !unpacked) return unpacked.error();
  }
  fs::remove(index_file, ec);
  auto now = snapshot_workspace(working_copy, index_file);
  if (!now) return now.error();
  if (now->tree != tree) {
    return Error{ErrorCode::io_failure,
                 "The restored files differ from the checkpoint (tree " + now->tree +
                     ", expected " + tree + ").",
                 "Resume from another checkpoint."};
  }
  return Done{};
}

}  // namespace parhelia::core

#include "core/workspace/workspace.h"

#include <fstream>
#include <sstream>

#include "core/workspace/git.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Result<Done> copy_entry(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  const auto status = fs::symlink_status(from, ec);
  if (ec) return Done{};  // listed by git but gone from the disk (deleted, not yet staged)
  if (fs::is_symlink(status)) {
    fs::copy_symlink(from, to, ec);
  } else if (fs::is_directory(status)) {
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  } else {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  }
  if (ec)
    return Error{ErrorCode::io_failure, "cannot copy " + from.string() + ": " + ec.message(), ""};
  return Done{};
}

}  // namespace

Result<fs::path> resolve_workspace(const std::string& requested) {
  std::error_code ec;
  const fs::path path = fs::weakly_canonical(fs::absolute(requested, ec), ec);
  if (ec || !fs::exists(path)) {
    return Error{ErrorCode::invalid_input, "The workspace " + requested + " does not exist.",
                 "Pass an existing directory as the workspace."};
  }
  if (!fs::is_directory(path)) {
    return Error{ErrorCode::invalid_input, "The workspace " + requested + " is not a directory.",
                 "Pass the project's directory as the workspace."};
  }
  return path;
}

Result<Done> prepare_working_copy(const fs::path& origin, const WorkingCopy& working_copy) {
  const fs::path& copy = working_copy.work_tree;
  std::error_code ec;
  fs::create_directories(copy, ec);
  if (ec)
    return Error{ErrorCode::io_failure, "cannot create " + copy.string() + ": " + ec.message(), ""};
  if (inside_git_work_tree(origin)) {
    auto listed = git(origin, {"ls-files", "-z", "--cached", "--others", "--exclude-standard"});
    if (!listed) return listed.error();
    std::istringstream names(listed->out);
    for (std::string name; std::getline(names, name, '\0');) {
      if (name.empty()) continue;
      if (auto copied = copy_entry(origin / name, copy / name); !copied) return copied.error();
    }
  } else {
    for (const auto& entry : fs::directory_iterator(origin, ec)) {
      if (auto copied = copy_entry(entry.path(), copy / entry.path().filename()); !copied)
        return copied.error();
    }
    if (ec)
      return Error{ErrorCode::io_failure, "cannot read " + origin.string() + ": " + ec.message(),
                   ""};
  }
  return commit_base(working_copy);
}

Result<Done> commit_base(const WorkingCopy& copy) {
  std::error_code ec;
  fs::remove_all(copy.git_dir, ec);
  for (auto step : {std::vector<std::string>{"init", "-q", "-b", "parhelia-base"},
                    std::vector<std::string>{"add", "-A"},
                    std::vector<std::string>{"commit", "-q", "--allow-empty", "--no-verify", "-m",
                                             "Parhelia base"},
                    std::vector<std::string>{"tag", "parhelia-base"}}) {
    if (auto done = git(copy, step); !done) return done.error();
  }
  return give_agent_a_repository(copy);
}

Result<Done> give_agent_a_repository(const WorkingCopy& copy) {
  // The same base commit, as a plain repository of the session's own: what the agent does with
  // it (commits, hooks, config, replacing it with a link) stays in it.
  const fs::path agent_git = copy.work_tree / ".git";
  std::error_code ec;
  fs::remove_all(agent_git, ec);
  fs::create_directories(agent_git, ec);
  for (const char* part : {"HEAD", "refs", "objects", "index", "packed-refs"}) {
    const fs::path from = copy.git_dir / part;
    if (!fs::exists(fs::symlink_status(from, ec))) continue;
    fs::copy(from, agent_git / part, fs::copy_options::recursive, ec);
    if (ec) {
      return Error{
          ErrorCode::io_failure,
          "cannot make the session's repository in " + agent_git.string() + ": " + ec.message(),
          ""};
    }
  }
  std::ofstream(agent_git / "config", std::ios::trunc)
      << "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n";
  return Done{};
}

Result<Changes> collect_changes(const WorkingCopy& copy, const fs::path& patch_file) {
  if (auto added = git(copy, {"add", "-A"}); !added) return added.error();
  auto diff = git(copy, {"diff", "--cached", "--binary", "parhelia-base"});
  if (!diff) return diff.error();
  auto names = git(copy, {"diff", "--cached", "--name-status", "--no-renames", "parhelia-base"});
  if (!names) return names.error();
  std::ofstream(patch_file, std::ios::binary | std::ios::trunc) << diff->out;
  Changes changes;
  changes.patch_bytes = diff->out.size();
  std::istringstream lines(names->out);
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos)
      changes.files.push_back(line.substr(0, 1) + " " + line.substr(tab + 1));
  }
  return changes;
}

Result<Done> apply_patch(const fs::path& patch_file, const fs::path& workspace) {
  std::error_code ec;
  if (fs::file_size(patch_file, ec) == 0 || ec) {
    return Error{ErrorCode::invalid_input, "This session changed no files.",
                 "There is nothing to apply."};
  }
  // Inside a repository, git apply takes paths from its top; a workspace below the top needs
  // the patch's paths put under its prefix.
  std::vector<std::string> args = {"apply", "--whitespace=nowarn"};
  fs::path root = workspace;
  if (inside_git_work_tree(workspace)) {
    auto top = git(workspace, {"rev-parse", "--show-toplevel"});
    auto prefix = git(workspace, {"rev-parse", "--show-prefix"});
    if (top && prefix) {
      root = top->out.substr(0, top->out.find('\n'));
      const std::string p = prefix->out.substr(0, prefix->out.find('\n'));
      if (!p.empty()) args.push_back("--directory=" + p);
    }
  }
  auto check_args = args;
  check_args.push_back("--check");
  check_args.push_back(patch_file.string());
  if (auto check = git(root, check_args); !check) {
    return Error{ErrorCode::conflict,
                 "The session's patch does not apply cleanly to " + workspace.string() +
                     "; nothing was changed.",
                 "The files changed since the session started: " + check.error().message};
  }
  args.push_back(patch_file.string());
  if (auto applied = git(root, args); !applied) return applied.error();
  return Done{};
}

}  // namespace parhelia::core

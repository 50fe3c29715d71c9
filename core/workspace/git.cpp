#include "core/workspace/git.h"

#include "core/base/environment.h"

namespace parhelia::core {
namespace {

// A fixed identity and none of the user's habits (signing, line-ending conversion).
const std::vector<std::string>& fixed_settings() {
  static const std::vector<std::string> settings = {
      "-c", "user.name=Parhelia", "-c", "user.email=parhelia@localhost", "-c",
      "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "core.autocrlf=false",
      // Working copies are scratch: the fastest compression keeps large files quick.
      "-c", "core.compression=0"};
  return settings;
}

Result<CapturedRun> run_git(ProcessSpec spec, const std::vector<std::string>& args,
                            const GitOptions& options, const std::string& where) {
  if (options.literal_pathspecs) spec.argv.push_back("--literal-pathspecs");
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto run = run_captured(spec, options.timeout);
  if (!run) return run.error();
  if (run->exit_status != 0) {
    return Error{ErrorCode::io_failure,
                 "git " + args.front() + " failed in " + where + ": " + run->err, ""};
  }
  return run;
}

}  // namespace

Result<CapturedRun> git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                        const GitOptions& options) {
  ProcessSpec spec;
  spec.argv = {"git", "-C", dir.string()};
  spec.argv.insert(spec.argv.end(), fixed_settings().begin(), fixed_settings().end());
  if (!options.index_file.empty())
    spec.environment = environment_with({"GIT_INDEX_FILE=" + options.index_file.string()});
  return run_git(std::move(spec), args, options, dir.string());
}

bool inside_git_work_tree(const std::filesystem::path& dir) {
  ProcessSpec spec;
  spec.argv = {"git", "-C", dir.string(), "rev-parse", "--is-inside-work-tree"};
  auto run = run_captured(spec, std::chrono::seconds(30));
  return run && run->exit_status == 0 && run->out.rfind("true", 0) == 0;
}

Result<CapturedRun> git(const WorkingCopy& copy, const std::vector<std::string>& args,
                        const GitOptions& options) {
  ProcessSpec spec;
  spec.argv = {"git", "--git-dir=" + copy.git_dir.string(),
               "--work-tree=" + copy.work_tree.string(), "-C", copy.work_tree.string()};
  spec.argv.insert(spec.argv.end(), fixed_settings().begin(), fixed_settings().end());
  spec.argv.insert(spec.argv.end(),
                   {// The session owns the files (as another user, when Parhelia is root).
                    "-c", "safe.directory=*",
                    // No command of any kind from anywhere: no fsmonitor, no attribute file
                    // outside the tree (the tree's .gitattributes can only name drivers that
                    // some configuration defines, and none is read).
                    "-c", "core.fsmonitor=false", "-c", "core.attributesFile=/dev/null", "-c",
                    "core.untrackedCache=false"});
  // Every GIT_* variable of ours goes (one could name another repository, object store or
  // configuration); these take their place.
  std::vector<std::string> environment = {
      "GIT_DIR=" + copy.git_dir.string(),
      "GIT_WORK_TREE=" + copy.work_tree.string(),
      "GIT_INDEX_FILE=" + (options.index_file.empty() ? (copy.git_dir / "index").string()
                                                      : options.index_file.string()),
      "GIT_CONFIG_NOSYSTEM=1",
      "GIT_CONFIG_GLOBAL=/dev/null",
      "GIT_ATTR_NOSYSTEM=1",
      "GIT_TERMINAL_PROMPT=0"};
  for (const auto& entry : environment_with({})) {
    if (entry.rfind("GIT_", 0) != 0) environment.push_back(entry);
  }
  spec.environment = std::move(environment);
  return run_git(std::move(spec), args, options, copy.work_tree.string());
}

}  // namespace parhelia::core

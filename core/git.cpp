#include "core/git.h"

#include "core/environment.h"

namespace parhelia::core {

Result<CapturedRun> git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                        const GitOptions& options) {
  ProcessSpec spec;
  spec.argv = {"git", "-C", dir.string(), "-c", "user.name=Parhelia", "-c",
               "user.email=parhelia@localhost", "-c", "commit.gpgsign=false", "-c",
               "core.hooksPath=/dev/null", "-c", "core.autocrlf=false",
               // Working copies are scratch: the fastest compression keeps large files quick.
               "-c", "core.compression=0"};
  if (options.literal_pathspecs) spec.argv.push_back("--literal-pathspecs");
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  if (!options.index_file.empty())
    spec.environment = environment_with({"GIT_INDEX_FILE=" + options.index_file.string()});
  auto run = run_captured(spec, options.timeout);
  if (!run) return run.error();
  if (run->exit_status != 0) {
    return Error{ErrorCode::io_failure,
                 "git " + args.front() + " failed in " + dir.string() + ": " + run->err, ""};
  }
  return run;
}

bool inside_git_work_tree(const std::filesystem::path& dir) {
  ProcessSpec spec;
  spec.argv = {"git", "-C", dir.string(), "rev-parse", "--is-inside-work-tree"};
  auto run = run_captured(spec, std::chrono::seconds(30));
  return run && run->exit_status == 0 && run->out.rfind("true", 0) == 0;
}

}  // namespace parhelia::core

#include "tests/support/cli_runner.h"

#include <chrono>
#include <stdexcept>

#include "core/base/environment.h"

namespace parhelia::testing {

Cli::Cli(std::vector<std::string> environment, std::string binary)
    : environment_(std::move(environment)), binary_(std::move(binary)) {
  environment_.push_back("PARHELIA_HOME=" + home_.path().string());
}

core::ProcessSpec Cli::spec(std::vector<std::string> args, const std::string& cwd) const {
  core::ProcessSpec spec;
  spec.argv = {binary_};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.environment = core::environment_with(environment_);
  spec.working_directory = cwd;
  return spec;
}

core::CapturedRun Cli::run(std::vector<std::string> args, const std::string& cwd) const {
  auto run = core::run_captured(spec(std::move(args), cwd), std::chrono::seconds(60));
  if (!run) throw std::runtime_error(run.error().sentence());
  return run.value();
}

core::ChildProcess Cli::start(std::vector<std::string> args, const std::string& cwd) const {
  auto s = spec(std::move(args), cwd);
  s.pipe_stdout = true;
  s.merge_stderr = true;
  auto child = core::ChildProcess::start(s);
  if (!child) throw std::runtime_error(child.error().sentence());
  return std::move(child).value();
}

}  // namespace parhelia::testing

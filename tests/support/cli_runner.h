// Runs the real `parhelia` binary as a terminal user would, in a $PARHELIA_HOME of its own.
#pragma once

#include <string>
#include <vector>

#include "core/base/process.h"
#include "tests/support/temp_dir.h"

namespace parhelia::testing {

class Cli {
 public:
  explicit Cli(std::vector<std::string> environment = {});
  core::CapturedRun run(std::vector<std::string> args, const std::string& cwd = "") const;
  // The same, started and left running: for many at once.
  core::ChildProcess start(std::vector<std::string> args, const std::string& cwd = "") const;
  const std::filesystem::path& home() const { return home_.path(); }

 private:
  core::ProcessSpec spec(std::vector<std::string> args, const std::string& cwd) const;
  ParheliaHome home_;
  std::vector<std::string> environment_;
};

}  // namespace parhelia::testing

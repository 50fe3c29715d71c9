// Runs the real `parhelia` binary as a terminal user would, in a $PARHELIA_HOME of its own.
#pragma once

#include <string>
#include <vector>

#include "core/base/process.h"
#include "tests/support/temp_dir.h"

namespace parhelia::testing {

class Cli {
 public:
  // `binary` is the parhelia to run: the product's, or one with the test backends
  // (PARHELIA_TEST_BACKENDS_BINARY, tests/support/test_backends.h).
  explicit Cli(std::vector<std::string> environment = {}, std::string binary = PARHELIA_BINARY);
  core::CapturedRun run(std::vector<std::string> args, const std::string& cwd = "") const;
  // The same, started and left running: for many at once.
  core::ChildProcess start(std::vector<std::string> args, const std::string& cwd = "") const;
  const std::filesystem::path& home() const { return home_.path(); }

 private:
  core::ProcessSpec spec(std::vector<std::string> args, const std::string& cwd) const;
  ParheliaHome home_;
  std::vector<std::string> environment_;
  std::string binary_;
};

}  // namespace parhelia::testing

// A small git project for sessions to work on: a tracked file, an ignored one and an
// untracked one.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace parhelia::testing {

class GitWorkspace : public TempDir {
 public:
  GitWorkspace();
  std::string read(const std::string& relative) const;
  void write(const std::string& relative, const std::string& text) const;
};

}  // namespace parhelia::testing

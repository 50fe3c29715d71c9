#include "tests/support/workspace_fixture.h"

#include <fstream>
#include <stdexcept>

#include "core/base/process.h"

namespace parhelia::testing {

GitWorkspace::GitWorkspace() {
  write("README.md", "hello\n");
  write(".gitignore", "*.log\n");
  write("build.log", "ignored\n");
  const std::string dir = path().string();
  for (const auto& args : {std::vector<std::string>{"git", "-C", dir, "init", "-q"},
                           std::vector<std::string>{"git", "-C", dir, "add", "."},
                           std::vector<std::string>{"git", "-C", dir, "-c", "user.name=t", "-c",
                                                    "user.email=t@t", "commit", "-qm", "init"}}) {
    core::ProcessSpec spec;
    spec.argv = args;
    auto run = core::run_captured(spec, std::chrono::seconds(30));
    if (!run || run->exit_status != 0) throw std::runtime_error("git failed in the test workspace");
  }
  write("notes.txt", "untracked but not ignored\n");
}

std::string GitWorkspace::read(const std::string& relative) const {
  return read_file(path() / relative);
}

void GitWorkspace::write(const std::string& relative, const std::string& text) const {
  std::filesystem::create_directories((path() / relative).parent_path());
  std::ofstream(path() / relative) << text;
}

}  // namespace parhelia::testing

#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "core/base/process.h"

namespace parhelia::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "parhelia-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ParheliaHome::~ParheliaHome() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path() / "sessions", ec)) {
    const auto socket = entry.path() / "tmux.sock";
    if (!std::filesystem::exists(socket, ec)) continue;
    core::ProcessSpec spec;
    spec.argv = {"tmux", "-S", socket.string(), "kill-server"};
    (void)core::run_captured(spec, std::chrono::seconds(5));
  }
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace parhelia::testing

// A directory under /tmp that lives as long as the object.
#pragma once

#include <filesystem>
#include <string>

namespace parhelia::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A $PARHELIA_HOME for one test. Sessions still running when the test ends are ended with it:
// each session's own tmux server is killed, so nothing outlives the test.
class ParheliaHome : public TempDir {
 public:
  ~ParheliaHome();
};

// A file's bytes ("" when it cannot be read).
std::string read_file(const std::filesystem::path& file);
// Writes a file whole, making its folders.
void write_file(const std::filesystem::path& file, const std::string& text);

}  // namespace parhelia::testing

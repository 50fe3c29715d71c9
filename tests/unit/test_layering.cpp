// The layers' dependencies point one way (DESIGN.md): read from the source tree, so that an
// include that crosses a boundary fails here, whatever the build happens to link.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Every `#include "FOLDER/…"` in the sources under `layer` whose folder is not allowed, as
// "file:line: the include".
std::vector<std::string> includes_outside(const std::string& layer,
                                          const std::vector<std::string>& forbidden,
                                          const std::vector<std::string>& allowed = {}) {
  static const std::regex include(R"(^\s*#\s*include\s*["<]([^">]+)[">])");
  const fs::path root = fs::path(PARHELIA_SOURCE_DIR);
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(root / layer)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
    std::ifstream in(entry.path());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      std::smatch match;
      if (!std::regex_search(line, match, include)) continue;
      const std::string header = match[1];
      bool bad = false;
      for (const auto& folder : forbidden) bad = bad || header.rfind(folder + "/", 0) == 0;
      for (const auto& ok : allowed) bad = bad && header != ok;
      if (bad) {
        found.push_back(fs::relative(entry.path(), root).string() + ":" + std::to_string(number) +
                        ": " + line);
      }
    }
  }
  return found;
}

}  // namespace

TEST_CASE("cli/ includes nothing from tools/ or server/: the terminal face stands on core alone",
          "[unit][layering]") {
  CHECK(includes_outside("cli", {"tools", "server"}) == std::vector<std::string>{});
}

TEST_CASE("core/ includes nothing from the faces, and server/ only the typed schema from core/",
          "[unit][layering]") {
  CHECK(includes_outside("core", {"tools", "server", "cli", "transport"}) ==
        std::vector<std::string>{});
  CHECK(includes_outside("server", {"core", "tools", "cli"}, {"core/base/typed_schema.h"}) ==
        std::vector<std::string>{});
  CHECK(includes_outside("transport", {"core", "tools", "server", "cli"}) ==
        std::vector<std::string>{});
}

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
  CHECK(includes_outside("core", {"tools", "server", "cli", "transport", "modal"}) ==
        std::vector<std::string>{});
  CHECK(includes_outside("server", {"core", "tools", "cli", "modal"},
                         {"core/base/typed_schema.h"}) == std::vector<std::string>{});
  CHECK(includes_outside("transport", {"core", "tools", "server", "cli", "modal"}) ==
        std::vector<std::string>{});
}

TEST_CASE("modal/ stands on core alone: nothing of MCP's faces or the terminal's",
          "[unit][layering]") {
  CHECK(includes_outside("modal", {"tools", "server", "cli", "transport"}) ==
        std::vector<std::string>{});
  CHECK(includes_outside("tools", {"modal"}) == std::vector<std::string>{});
}

TEST_CASE("core's folders depend one way: each includes only the folders below it",
          "[unit][layering]") {
  // From the ground up; folders on one step know nothing of each other.
  const std::vector<std::vector<std::string>> steps = {
      {"base"},        {"workspace"}, {"session"}, {"store", "agent"}, {"budget", "terminal"},
      {"checkpoints"}, {"service"},   {"local"},   {"views"}};
  for (std::size_t step = 0; step < steps.size(); ++step) {
    for (const auto& folder : steps[step]) {
      std::vector<std::string> above;
      for (std::size_t other = step; other < steps.size(); ++other) {
        for (const auto& name : steps[other]) {
          if (name != folder) above.push_back("core/" + name);
        }
      }
      INFO("core/" << folder);
      CHECK(includes_outside("core/" + folder, above) == std::vector<std::string>{});
    }
  }
}

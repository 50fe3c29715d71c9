// `parhelia mcp` answers before it opens anything: the database opens on the first call that
// needs it, so a home that cannot hold one still gets a server that says what is wrong; and the
// fixed tools/list, written once, is the same answer every time.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/temp_dir.h"

using namespace parhelia::testing;
using nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("mcp: a home where no database can be made still answers, and each call says why",
          "[e2e][mcp][startup]") {
  TempDir dir;
  write_file(dir.path() / "a-file", "not a directory\n");
  const fs::path home = dir.path() / "a-file" / "home";  // cannot be created: a file is in the way
  McpClient client({.environment = {"PARHELIA_HOME=" + home.string()}});
  const json initialized = client.initialize();
  CHECK(initialized["serverInfo"]["name"] == "parhelia");
  CHECK(client.request("tools/list")["result"]["tools"].size() > 3);

  const json result =
      client.request("tools/call", {{"name", "session"}, {"arguments", {{"action", "list"}}}});
  INFO(result.dump());
  REQUIRE(result["result"]["isError"] == true);
  const std::string text = text_of(result["result"]);
  CHECK(contains(text, home.string()));
  CHECK(contains(text, "PARHELIA_HOME"));
  still_serves(client);
  client.close_input();
  CHECK(client.wait_exit(std::chrono::seconds(5)) == 0);
}

TEST_CASE("mcp: tools/list is the same answer every time, page by page, per protocol version",
          "[e2e][mcp][startup]") {
  for (const std::string version : {"2025-11-25", "2025-03-26"}) {
    INFO(version);
    McpClient client({.environment = {"PARHELIA_MCP_PAGE_SIZE=4"}});
    client.initialize(version);
    const auto walk = [&client] {
      std::vector<json> pages;
      json params = json::object();
      for (int i = 0; i < 20; ++i) {
        json answer = client.request("tools/list", params);
        pages.push_back(answer["result"]);
        if (!answer["result"].contains("nextCursor")) break;
        params["cursor"] = answer["result"]["nextCursor"];
      }
      return pages;
    };
    const auto first = walk();
    REQUIRE(first.size() > 1);
    CHECK(walk() == first);
    for (const auto& tool : first[0]["tools"])
      CHECK(tool.contains("outputSchema") == (version == "2025-11-25"));
  }
}

// The MCP lifecycle through the real binary over pipes.
#include <catch2/catch.hpp>

#include "server/protocol_version.h"
#include "tests/support/mcp_client.h"

using namespace parhelia::testing;

TEST_CASE("initialize answers with the client's version when it is supported", "[e2e][lifecycle]") {
  for (const auto& version : parhelia::server::ProtocolVersion::supported()) {
    McpClient client;
    const json result = client.initialize(version);
    INFO(version);
    CHECK(result["protocolVersion"] == version);
    CHECK(result["serverInfo"]["name"] == "parhelia");
    CHECK(result["serverInfo"]["version"].is_string());
    CHECK(result["serverInfo"].contains("title") == (version >= "2025-06-18"));
    CHECK(result["serverInfo"].contains("description") == (version >= "2025-11-25"));
    CHECK(result["capabilities"].contains("completions") == (version >= "2025-03-26"));
  }
}

TEST_CASE("initialize offers the newest version when the client's is unknown", "[e2e][lifecycle]") {
  McpClient client;
  CHECK(client.initialize("2099-01-01")["protocolVersion"] == "2025-11-25");
}

TEST_CASE("capabilities list only what is implemented", "[e2e][lifecycle]") {
  McpClient client;
  const json capabilities = client.initialize()["capabilities"];
  std::vector<std::string> keys;
  for (const auto& [key, value] : capabilities.items()) keys.push_back(key);
  CHECK(keys ==
        std::vector<std::string>{"completions", "logging", "prompts", "resources", "tools"});
  CHECK(capabilities["resources"]["subscribe"] == true);
  CHECK(capabilities["tools"]["listChanged"] == false);
}

TEST_CASE("a request before initialize is refused, while ping is answered", "[e2e][lifecycle]") {
  McpClient client;
  const json refused = client.request("tools/list");
  CHECK(refused["error"]["code"] == -32600);
  CHECK(refused["error"]["message"].get<std::string>().find("initialize") != std::string::npos);
  CHECK(client.request("ping")["result"] == json::object());
  client.initialize();
  CHECK(client.request("tools/list").contains("result"));
}

TEST_CASE("a second initialize is refused", "[e2e][lifecycle]") {
  McpClient client;
  client.initialize();
  const json again = client.request("initialize", {{"protocolVersion", "2025-11-25"},
                                                   {"capabilities", json::object()},
                                                   {"clientInfo", json::object()}});
  CHECK(again["error"]["code"] == -32600);
}

TEST_CASE("the server/discover probe gets -32601 at once, and initialize still follows",
          "[e2e][lifecycle]") {
  McpClient client;
  const auto start = std::chrono::steady_clock::now();
  const json probe = client.request("server/discover");
  CHECK(std::chrono::steady_clock::now() - start < 500ms);
  CHECK(probe["error"]["code"] == -32601);
  CHECK(client.initialize()["protocolVersion"] == "2025-11-25");
}

TEST_CASE("the server asks for the client's roots when the client offers them",
          "[e2e][lifecycle]") {
  McpClient client;
  client.initialize("2025-11-25", {{"roots", {{"listChanged", true}}}});
  std::optional<json> roots_request;
  for (int i = 0; i < 10 && !roots_request; ++i) {
    auto message = client.next(2s);
    REQUIRE(message);
    if (message->value("method", "") == "roots/list") roots_request = message;
  }
  REQUIRE(roots_request);
  REQUIRE(roots_request->contains("id"));
  client.send(
      {{"jsonrpc", "2.0"},
       {"id", (*roots_request)["id"]},
       {"result",
        {{"roots", json::array({{{"uri", "file:///work/project"}, {"name", "project"}}})}}}});
  // The answer is taken quietly: nothing is sent back for it, and the server keeps serving.
  CHECK(client.request("ping")["result"] == json::object());
  CHECK(client.others.empty());
}

// Tools, resources, prompts, completion and pagination through the real binary over pipes.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "server/json_schema.h"
#include "tests/support/cli_runner.h"
#include "tests/support/mcp_client.h"

using namespace parhelia::testing;

namespace {

// Every item of a paginated list, following nextCursor; also counts the pages.
json list_all(McpClient& client, const std::string& method, const std::string& key,
              int* pages = nullptr) {
  json items = json::array();
  json params = json::object();
  for (int page = 1; page < 100; ++page) {
    const json answer = client.request(method, params);
    REQUIRE(answer.contains("result"));
    for (const auto& item : answer["result"][key]) items.push_back(item);
    if (pages != nullptr) *pages = page;
    if (!answer["result"].contains("nextCursor")) break;
    params["cursor"] = answer["result"]["nextCursor"];
  }
  return items;
}

const json* find_named(const json& items, const std::string& field, const std::string& value) {
  for (const auto& item : items) {
    if (item.value(field, "") == value) return &item;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("tools/list describes each tool with schemas and annotations", "[e2e][tools]") {
  McpClient client({.debug_tools = false});
  client.initialize("2025-11-25");
  const json tools = list_all(client, "tools/list", "tools");
  std::vector<std::string> names;
  for (const auto& tool : tools) names.push_back(tool["name"]);
  CHECK(names == std::vector<std::string>{"submit", "status", "session", "budget", "checkpoint",
                                          "attach_info"});
  CHECK((*find_named(tools, "name", "attach_info"))["annotations"]["readOnlyHint"] == true);
  CHECK((*find_named(tools, "name", "budget"))["annotations"]["destructiveHint"] == false);
  CHECK((*find_named(tools, "name", "submit"))["annotations"]["readOnlyHint"] == false);
  CHECK((*find_named(tools, "name", "session"))["annotations"]["destructiveHint"] == true);
  CHECK((*find_named(tools, "name",
                     "submit"))["inputSchema"]["properties"]["timeout_s"]["maximum"] == 86400);
  const json& status = *find_named(tools, "name", "status");
  CHECK(status["name"] == "status");
  CHECK(status["title"] == "Parhelia status");
  CHECK(status["description"].get<std::string>().size() > 100);
  CHECK(status["inputSchema"]["type"] == "object");
  CHECK(status["outputSchema"]["properties"]["system"]["properties"].contains("dependencies"));
  CHECK(status["annotations"]["readOnlyHint"] == true);
  CHECK(status["annotations"]["destructiveHint"] == false);
}

TEST_CASE("tools/list for 2024-11-05 leaves out what that version does not know", "[e2e][tools]") {
  McpClient client;
  client.initialize("2024-11-05");
  for (const auto& tool : list_all(client, "tools/list", "tools")) {
    CHECK_FALSE(tool.contains("outputSchema"));
    CHECK_FALSE(tool.contains("annotations"));
    CHECK_FALSE(tool.contains("title"));
  }
}

TEST_CASE("the status tool's structured result conforms to its output schema", "[e2e][tools]") {
  McpClient client({.environment = {"ANTHROPIC_API_KEY=sk-ant-secret-value-1234"}});
  client.initialize();
  const json tools = list_all(client, "tools/list", "tools");
  const json result = client.call_tool("status");
  CHECK(result["isError"] == false);
  CHECK_FALSE(parhelia::server::validate_against_schema(
      (*find_named(tools, "name", "status"))["outputSchema"], result["structuredContent"]));
  const json& structured = result["structuredContent"]["system"];
  CHECK(structured["backends"][0] == json({{"name", "local"}, {"usable", true}}));
  CHECK(structured["sessions_by_state"] == json::object());
  CHECK(structured["parhelia_home"] == client.home().string());
  CHECK(structured["agent_credential"] == "ANTHROPIC_API_KEY");
  CHECK(structured["protocol_version"] == "2025-11-25");
  const json* tmux = find_named(structured["dependencies"], "program", "tmux");
  REQUIRE(tmux);
  CHECK((*tmux)["found"] == true);
  CHECK(result["content"][0]["type"] == "text");
  CHECK(result["content"][0]["text"].get<std::string>().find("tmux") != std::string::npos);
  // The key's value never leaves the process.
  CHECK(result.dump().find("sk-ant-secret") == std::string::npos);
}

TEST_CASE("older clients get the structured result as JSON text", "[e2e][tools]") {
  McpClient client;
  client.initialize("2025-03-26");
  const json result = client.call_tool("status");
  CHECK_FALSE(result.contains("structuredContent"));
  const std::string text = result["content"][0]["text"];
  CHECK(text.find("\"parhelia_home\"") != std::string::npos);
}

TEST_CASE("arguments are validated against the schema before the tool runs", "[e2e][tools]") {
  McpClient client;
  client.initialize();
  const auto error_text = [&](json arguments) {
    const json result = client.call_tool("debug_wait", std::move(arguments));
    CHECK(result["isError"] == true);
    return result["content"][0]["text"].get<std::string>();
  };
  CHECK(error_text(json::object()) ==
        "Invalid arguments for debug_wait: missing required argument 'milliseconds'.");
  CHECK(error_text({{"milliseconds", "soon"}}) ==
        "Invalid arguments for debug_wait: argument 'milliseconds' must be an integer, not a "
        "string.");
  CHECK(error_text({{"milliseconds", -1}}) ==
        "Invalid arguments for debug_wait: argument 'milliseconds' must be at least 0.");
  CHECK(
      error_text({{"milliseconds", 1}, {"milisecond", 1}}).find("unknown argument 'milisecond'") !=
      std::string::npos);
  const json not_object =
      client.request("tools/call", {{"name", "status"}, {"arguments", json::array()}});
  CHECK(not_object["result"]["isError"] == true);
}

TEST_CASE("every list method pages with cursors", "[e2e][pagination]") {
  McpClient client({.environment = {"PARHELIA_MCP_PAGE_SIZE=3"}});
  client.initialize();
  int pages = 0;
  const json resources = list_all(client, "resources/list", "resources", &pages);
  CHECK(resources.size() == 8);
  CHECK(pages == 3);
  std::set<std::string> uris;
  for (const auto& resource : resources) uris.insert(resource["uri"].get<std::string>());
  CHECK(uris.size() == 8);  // no item twice

  McpClient one_per_page({.environment = {"PARHELIA_MCP_PAGE_SIZE=1"}});
  one_per_page.initialize();
  CHECK(list_all(one_per_page, "tools/list", "tools", &pages).size() == 7);  // with debug_wait
  CHECK(pages == 7);
  CHECK(list_all(one_per_page, "prompts/list", "prompts", &pages).size() == 7);
  CHECK(pages == 7);
  CHECK(list_all(one_per_page, "resources/templates/list", "resourceTemplates", &pages).size() ==
        4);
  CHECK(pages == 4);
}

TEST_CASE("skill guides are resources with a template, readable as markdown", "[e2e][resources]") {
  McpClient client;
  client.initialize();
  const json templates = list_all(client, "resources/templates/list", "resourceTemplates");
  REQUIRE(find_named(templates, "uriTemplate", "parhelia://skills/{name}"));
  const json resources = list_all(client, "resources/list", "resources");
  const json* gateway = find_named(resources, "uri", "parhelia://skills/discover-parhelia");
  REQUIRE(gateway);
  CHECK((*gateway)["mimeType"] == "text/markdown");

  const json read =
      client.request("resources/read", {{"uri", "parhelia://skills/discover-parhelia"}});
  const json& contents = read["result"]["contents"][0];
  CHECK(contents["uri"] == "parhelia://skills/discover-parhelia");
  CHECK(contents["mimeType"] == "text/markdown");
  CHECK(contents["text"].get<std::string>().rfind("---\nname: discover-parhelia\n", 0) == 0);
  CHECK((*gateway)["size"] == contents["text"].get<std::string>().size());

  const json missing = client.request("resources/read", {{"uri", "parhelia://skills/nope"}});
  CHECK(missing["error"]["code"] == -32002);
  CHECK(client.request("resources/read", {{"uri", "https://example.com/"}})["error"]["code"] ==
        -32002);
}

TEST_CASE("resources can be subscribed to and unsubscribed from", "[e2e][resources]") {
  McpClient client;
  client.initialize();
  CHECK(client.request("resources/subscribe",
                       {{"uri", "parhelia://skills/troubleshooting"}})["result"] == json::object());
  CHECK(client.request("resources/unsubscribe",
                       {{"uri", "parhelia://skills/troubleshooting"}})["result"] == json::object());
  // A URI no resource matches may be subscribed to (nothing is ever sent for it); what is not
  // a URI is refused.
  CHECK(client.request("resources/subscribe", {{"uri", "test://watched-resource"}})["result"] ==
        json::object());
  CHECK(client.request("resources/unsubscribe", {{"uri", "test://watched-resource"}})["result"] ==
        json::object());
  CHECK(client.request("resources/subscribe", {{"uri", "not a uri"}})["error"]["code"] == -32602);
}

TEST_CASE("prompts list their arguments and produce messages", "[e2e][prompts]") {
  McpClient client;
  client.initialize();
  const json prompts = list_all(client, "prompts/list", "prompts");
  const json* guide = find_named(prompts, "name", "parhelia-guide");
  REQUIRE(guide);
  CHECK((*guide)["arguments"][0]["name"] == "name");
  CHECK((*guide)["arguments"][0]["required"] == true);

  const json got = client.request(
      "prompts/get", {{"name", "parhelia-guide"}, {"arguments", {{"name", "gpu-configuration"}}}});
  const json& messages = got["result"]["messages"];
  REQUIRE(messages.size() == 2);
  CHECK(messages[0]["content"]["type"] == "resource");
  CHECK(messages[0]["content"]["resource"]["uri"] == "parhelia://skills/gpu-configuration");

  const json unknown = client.request(
      "prompts/get", {{"name", "parhelia-guide"}, {"arguments", {{"name", "gpus"}}}});
  CHECK(unknown["error"]["code"] == -32602);
  CHECK(unknown["error"]["message"].get<std::string>().find("the guides are: budget-management") !=
        std::string::npos);

  const json status = client.request("prompts/get", {{"name", "parhelia-status"}});
  CHECK(status["result"]["messages"][0]["content"]["text"].get<std::string>().find(
            "`status` tool") != std::string::npos);
}

TEST_CASE("completion fills prompt arguments and template variables", "[e2e][completion]") {
  McpClient client;
  client.initialize();
  const auto complete = [&](json ref, const std::string& name, const std::string& value) {
    return client.request(
        "completion/complete",
        {{"ref", std::move(ref)},
         {"argument", {{"name", name}, {"value", value}}}})["result"]["completion"];
  };
  const json prompt = complete({{"type", "ref/prompt"}, {"name", "parhelia-guide"}}, "name", "t");
  CHECK(prompt["values"] == json::array({"task-dispatch", "troubleshooting"}));
  CHECK(prompt["total"] == 2);
  CHECK(prompt["hasMore"] == false);
  const json resource =
      complete({{"type", "ref/resource"}, {"uri", "parhelia://skills/{name}"}}, "name", "gpu");
  CHECK(resource["values"] == json::array({"gpu-configuration"}));
  CHECK(complete({{"type", "ref/prompt"}, {"name", "parhelia-status"}}, "x", "")["values"].empty());
  CHECK(complete({{"type", "ref/prompt"}, {"name", "parhelia-checkpoint"}}, "gpu",
                 "A1")["values"] == json::array({"A10", "A100", "A100-40GB", "A100-80GB", "A10G"}));
  CHECK(complete({{"type", "ref/prompt"}, {"name", "parhelia-checkpoint"}}, "action",
                 "re")["values"] == json::array({"restore"}));
  CHECK(complete({{"type", "ref/prompt"}, {"name", "parhelia-session"}}, "action", "")["values"]
            .size() == 5);
}

TEST_CASE(
    "the server's instructions and tool descriptions fit Claude Code's 2 KB, and its tools "
    "stay loaded",
    "[e2e][registries]") {
  McpClient client({.debug_tools = false});
  const json init = client.initialize();
  const std::string instructions = init["instructions"].get<std::string>();
  CHECK(instructions.size() < 2048);
  std::set<std::string> named;
  for (const auto& tool : list_all(client, "tools/list", "tools")) {
    const std::string name = tool["name"].get<std::string>();
    INFO(name);
    CHECK(tool["description"].get<std::string>().size() < 2048);
    CHECK(tool["_meta"]["anthropic/alwaysLoad"] == true);
    // The instructions say when to use each tool.
    CHECK(instructions.find("- " + name + ":") != std::string::npos);
    named.insert(name);
  }
  CHECK(named.size() == 6);
}

TEST_CASE("mcp-manifest.json is what the server lists", "[e2e][manifest]") {
  // Everything expected comes from the program: its lists and identity from the server, how
  // it is started and what it speaks from `parhelia mcp --describe`.
  const auto described = Cli().run({"mcp", "--describe"});
  REQUIRE(described.exit_status == 0);
  json expected = json::parse(described.out);
  CHECK(expected["transports"] == json::array({"stdio", "streamable-http"}));
  McpClient client({.debug_tools = false});
  const json init = client.initialize(expected["protocolVersions"][0]);
  CHECK(init["protocolVersion"] == expected["protocolVersions"][0]);
  // The server says of itself what the command says of it.
  for (const char* key : {"name", "title", "version", "description"}) {
    INFO(key);
    CHECK(init["serverInfo"][key] == expected[key]);
  }
  expected["capabilities"] = init["capabilities"];
  expected["tools"] = list_all(client, "tools/list", "tools");
  expected["resourceTemplates"] = list_all(client, "resources/templates/list", "resourceTemplates");
  expected["prompts"] = list_all(client, "prompts/list", "prompts");
  const std::string path = std::string(PARHELIA_SOURCE_DIR) + "/mcp-manifest.json";
  if (std::getenv("PARHELIA_UPDATE_MANIFEST") != nullptr)
    std::ofstream(path) << expected.dump(2) << "\n";
  std::ifstream file(path);
  REQUIRE(file);
  const json manifest = json::parse(file);
  INFO("regenerate with: PARHELIA_UPDATE_MANIFEST=1 build/tests/parhelia_tests '[manifest]'");
  CHECK(manifest == expected);
}

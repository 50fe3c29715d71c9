// Every JSON-RPC error path through the real binary over pipes; after each, the server still
// serves.
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"

using namespace parhelia::testing;

TEST_CASE("error -32700: a line that is not JSON gets a parse error with a null id",
          "[e2e][errors]") {
  McpClient client;
  client.send_raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\n");  // a truncated line
  json answer = next_answer(client);
  CHECK(answer["error"]["code"] == -32700);
  CHECK(answer["id"].is_null());
  client.send_raw("not json at all\n");
  CHECK(next_answer(client)["error"]["code"] == -32700);
  still_serves(client);
}

TEST_CASE("error -32700: invalid UTF-8 is a parse error that says so", "[e2e][errors]") {
  McpClient client;
  client.send_raw(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"\xff\xfe\"}}\n");
  const json answer = next_answer(client);
  CHECK(answer["error"]["code"] == -32700);
  CHECK(answer["error"]["message"].get<std::string>().find("UTF-8") != std::string::npos);
  still_serves(client);
}

TEST_CASE("a truncated last line at the end of input is answered, then the server exits 0",
          "[e2e][errors]") {
  McpClient client;
  client.send_raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"meth");
  client.close_input();
  CHECK(next_answer(client)["error"]["code"] == -32700);
  CHECK(client.wait_exit(3s) == 0);
}

TEST_CASE("error -32600: a 17 MiB message is refused and the server keeps serving",
          "[e2e][errors]") {
  McpClient client;
  client.initialize();
  const std::string padding(17u << 20, 'a');
  client.send_raw("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"ping\",\"params\":{\"pad\":\"" +
                  padding + "\"}}\n");
  const json answer = next_answer(client);
  CHECK(answer["error"]["code"] == -32600);
  CHECK(answer["id"].is_null());
  CHECK(answer["error"]["message"].get<std::string>().find("over the limit") != std::string::npos);
  still_serves(client);
  CHECK(client.request("tools/list").contains("result"));
}

TEST_CASE("error -32600: messages that are JSON but not JSON-RPC", "[e2e][errors]") {
  McpClient client;
  for (const char* line :
       {R"({"id":1,"method":"ping"})", R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})",
        R"({"jsonrpc":"2.0","id":2,"method":"ping","params":"x"})", R"("just a string")",
        R"([])"}) {
    INFO(line);
    client.send_raw(std::string(line) + "\n");
    CHECK(next_answer(client)["error"]["code"] == -32600);
  }
  still_serves(client);
}

TEST_CASE("error -32600: batches are refused unless the negotiated version allows them",
          "[e2e][errors]") {
  const json batch = json::array({{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}},
                                  {{"jsonrpc", "2.0"}, {"method", "notifications/progress"}},
                                  {{"jsonrpc", "2.0"}, {"id", "two"}, {"method", "tools/list"}}});
  SECTION("2025-06-18 has no batches") {
    McpClient client;
    client.initialize("2025-06-18");
    client.send(batch);
    CHECK(next_answer(client)["error"]["code"] == -32600);
  }
  SECTION("2025-03-26 answers a batch with an array, notifications giving nothing") {
    McpClient client;
    client.initialize("2025-03-26");
    client.send(batch);
    const json answers = next_answer(client);
    REQUIRE(answers.is_array());
    REQUIRE(answers.size() == 2);
    std::set<json> ids = {answers[0]["id"], answers[1]["id"]};
    CHECK(ids == std::set<json>{1, "two"});
    client.send(json::array({{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}}));
    still_serves(client);
    CHECK(client.others.empty());  // the all-notification batch got no answer
  }
}

TEST_CASE("error -32601: an unknown method", "[e2e][errors]") {
  McpClient client;
  client.initialize();
  const json answer = client.request("sessions/teleport");
  CHECK(answer["error"]["code"] == -32601);
  CHECK(answer["error"]["message"] == "Method not found: sessions/teleport");
}

TEST_CASE("error -32602: invalid params", "[e2e][errors]") {
  McpClient client;
  client.initialize();
  CHECK(client.request("tools/call", {{"name", "no_such_tool"}})["error"]["code"] == -32602);
  CHECK(client.request("tools/call", json::object())["error"]["code"] == -32602);
  CHECK(client.request("tools/list", {{"cursor", "bogus"}})["error"]["code"] == -32602);
  CHECK(client.request("prompts/get", {{"name", "parhelia-guide"}})["error"]["code"] == -32602);
  CHECK(client.request("logging/setLevel", {{"level", "loud"}})["error"]["code"] == -32602);
  CHECK(client.request("resources/read", json::object())["error"]["code"] == -32602);
  CHECK(client.request("completion/complete", {{"ref", {{"type", "ref/x"}}}})["error"]["code"] ==
        -32602);
  client.send({{"jsonrpc", "2.0"}, {"id", 5}, {"method", "ping"}, {"params", json::array({1})}});
  CHECK(client.response_to(5)->at("error")["code"] == -32602);
}

TEST_CASE(
    "error -32603: a handler that fails unexpectedly is an internal error, and the server lives on",
    "[e2e][errors]") {
  McpClient client;
  client.initialize();
  const json answer = client.request(
      "tools/call",
      {{"name", "debug_wait"}, {"arguments", {{"milliseconds", 0}, {"fail_internally", true}}}});
  CHECK(answer["error"]["code"] == -32603);
  still_serves(client);
}

TEST_CASE("ids of every valid type come back unchanged", "[e2e][errors]") {
  McpClient client;
  for (const json& id : {json("abc"), json(""), json("ünïcødé ✓"), json(0), json(-7),
                         json(9007199254740993LL), json(18446744073709551615ULL), json(1.5)}) {
    INFO(id.dump());
    const json answer = client.request_with_id(id, "ping", nullptr);
    CHECK(answer["id"] == id);
    CHECK(answer["id"].dump() == id.dump());  // the same text, not merely an equal number
  }
}

TEST_CASE("an id already in flight is refused", "[e2e][errors]") {
  McpClient client;
  client.initialize();
  client.send({{"jsonrpc", "2.0"},
               {"id", 7},
               {"method", "tools/call"},
               {"params", {{"name", "debug_wait"}, {"arguments", {{"milliseconds", 1500}}}}}});
  std::this_thread::sleep_for(200ms);
  client.send({{"jsonrpc", "2.0"}, {"id", 7}, {"method", "ping"}});
  const json duplicate = next_answer(client);
  CHECK(duplicate["error"]["code"] == -32600);
  CHECK(client.response_to(7)->at("result")["isError"] == false);
}

TEST_CASE("answers to unknown server requests are ignored without reply", "[e2e][errors]") {
  McpClient client;
  client.initialize();
  client.send({{"jsonrpc", "2.0"}, {"id", "parhelia-999"}, {"result", json::object()}});
  client.send({{"jsonrpc", "2.0"}, {"id", 12}, {"error", {{"code", -1}, {"message", "x"}}}});
  still_serves(client);
  CHECK(client.others.empty());
}

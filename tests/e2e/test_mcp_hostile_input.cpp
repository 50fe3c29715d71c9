// Input meant to knock the server over, through the real binary over pipes: numbers no double
// holds, nesting deep enough to overflow a stack, parameters of the wrong type, answers to our
// own requests that are not what they should be, and a client that never reads stderr. Each is
// answered with the right JSON-RPC error (or an isError result) and the server keeps serving.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;

namespace {

std::string nested(std::size_t depth, const std::string& open, const std::string& inner,
                   const std::string& close) {
  std::string text;
  text.reserve(depth * (open.size() + close.size()) + inner.size());
  for (std::size_t i = 0; i < depth; ++i) text += open;
  text += inner;
  for (std::size_t i = 0; i < depth; ++i) text += close;
  return text;
}

std::string ping_with(const std::string& x) {
  return R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":)" + x + "}}\n";
}

// Every argument error is -32602 with a sentence of ours, never -32603 with the JSON library's.
void expect_invalid_params(McpClient& client, const std::string& method, const json& params) {
  INFO(method << " " << params.dump());
  const json answer = client.request(method, params);
  REQUIRE(answer.contains("error"));
  CHECK(answer["error"]["code"] == -32602);
  CHECK(answer["error"]["message"].get<std::string>().find("json.exception") == std::string::npos);
}

std::string read_available(int fd) {
  std::string text;
  char chunk[65536];
  pollfd waiting{fd, POLLIN, 0};
  while (::poll(&waiting, 1, 200) > 0) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

TEST_CASE("hostile: a number too large for a double is a parse error, even before initialize",
          "[e2e][hostile]") {
  McpClient client;
  client.send_raw(ping_with("1e400"));
  json answer = next_answer(client);
  CHECK(answer["error"]["code"] == -32700);
  CHECK(answer["id"].is_null());
  CHECK(answer["error"]["message"].get<std::string>().find("too large") != std::string::npos);
  still_serves(client);

  client.initialize();
  client.send_raw(ping_with("-1e400"));
  CHECK(next_answer(client)["error"]["code"] == -32700);
  client.send_raw(ping_with(std::string(400, '9')));  // an integer no type holds either
  CHECK(next_answer(client)["error"]["code"] == -32700);
  still_serves(client);
}

TEST_CASE("hostile: nesting deeper than the cap is refused before it is built", "[e2e][hostile]") {
  McpClient client;
  SECTION("an array 100,000 levels deep in params") {
    client.send_raw(ping_with(nested(100000, "[", "", "]")));
  }
  SECTION("objects 65,000 levels deep") {
    client.send_raw(ping_with(nested(65000, R"({"a":)", "1", "}")));
  }
  SECTION("a notifications/cancelled whose requestId nests 50,000 levels") {
    client.send_raw(
        R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":)" +
        nested(50000, "[", "", "]") + "}}\n");
  }
  SECTION("a deep line that is not even valid JSON at its end") {
    client.send_raw(ping_with(nested(100000, "[", "", "") + "!"));
  }
  const json answer = next_answer(client);
  CHECK(answer["error"]["code"] == -32600);
  CHECK(answer["id"].is_null());
  CHECK(answer["error"]["message"].get<std::string>().find("64 levels") != std::string::npos);
  still_serves(client);
}

TEST_CASE("hostile: the depth cap is 64 levels, counted from the message itself",
          "[e2e][hostile]") {
  McpClient client;
  // The message is level 1 and params level 2, so x may open 62 more and no more.
  client.send_raw(ping_with(nested(62, "[", "", "]")));
  CHECK(next_answer(client)["result"] == json::object());
  client.send_raw(ping_with(nested(63, "[", "", "]")));
  CHECK(next_answer(client)["error"]["code"] == -32600);
}

TEST_CASE("hostile: wrong-typed params are invalid params, never internal errors",
          "[e2e][hostile]") {
  McpClient client;
  expect_invalid_params(client, "initialize",
                        {{"protocolVersion", "2025-11-25"}, {"clientInfo", 5}});
  // clientInfo with fields of the wrong type is still a client: its name is just not known.
  const json initialized =
      client.request("initialize", {{"protocolVersion", "2025-11-25"},
                                    {"clientInfo", {{"name", 5}, {"version", json::array()}}}});
  CHECK(initialized.contains("result"));
  client.send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});

  for (const json& level : {json(5), json(nullptr), json::array({"debug"}), json::object()}) {
    expect_invalid_params(client, "logging/setLevel", {{"level", level}});
  }
  const json argument = {{"name", "session_id"}, {"value", ""}};
  const json ref = {{"type", "ref/resource"}, {"uri", "parhelia://sessions/{id}"}};
  expect_invalid_params(client, "completion/complete",
                        {{"ref", {{"type", 5}}}, {"argument", argument}});
  expect_invalid_params(client, "completion/complete",
                        {{"ref", ref}, {"argument", argument}, {"context", 5}});
  expect_invalid_params(client, "completion/complete",
                        {{"ref", ref}, {"argument", argument}, {"context", {{"arguments", 5}}}});
  expect_invalid_params(client, "completion/complete",
                        {{"ref", ref}, {"argument", argument}, {"context", {{"arguments", {1}}}}});
  expect_invalid_params(client, "tools/call", {{"name", 5}});
  expect_invalid_params(client, "prompts/get", {{"name", "parhelia-guide"}, {"arguments", 5}});
  expect_invalid_params(client, "resources/read", {{"uri", json::object()}});
  expect_invalid_params(client, "resources/subscribe", {{"uri", 5}});
  expect_invalid_params(client, "tools/list", {{"cursor", json::array()}});
  still_serves(client);
}

TEST_CASE("hostile: a whole number beyond the argument's type is an isError result",
          "[e2e][hostile]") {
  McpClient client;
  client.initialize();
  // offset is an int64 with a minimum and no maximum: these pass JSON Schema's "integer".
  for (const char* offset : {"1e19", "18446744073709551615", "9.3e18"}) {
    INFO(offset);
    client.send_raw(
        std::string(
            R"({"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"session",)") +
        R"("arguments":{"action":"logs","session_id":"task-00000000","offset":)" + offset +
        "}}}\n");
    const json answer = *client.response_to("big");
    REQUIRE(answer.contains("result"));
    CHECK(answer["result"]["isError"] == true);
    CHECK(text_of(answer["result"]).find("'offset' must be a whole number") != std::string::npos);
  }
  still_serves(client);
}

TEST_CASE("hostile: answers to our own requests are read as untrusted", "[e2e][hostile]") {
  SECTION("an error answer whose message is not a string is ignored") {
    McpClient client;
    client.initialize();
    client.send_raw(
        R"({"jsonrpc":"2.0","id":"parhelia-1","error":{"code":-1,"message":5,"data":[1]}})"
        "\n");
    still_serves(client);
  }
  SECTION("an elicitation answer of the wrong shape is the tool's error, not -32603") {
    GitWorkspace workspace;
    McpClient client({.environment = fake_agent_environment()});
    client.initialize("2025-11-25", {{"elicitation", json::object()}});
    REQUIRE(client.call_tool("budget",
                             {{"action", "set"}, {"confirm_above_usd", 0.5}})["isError"] == false);
    for (const json& reply : {json{{"action", 5}}, json::array({1}),
                              json{{"action", "accept"}, {"content", {{"start", "yes"}}}}}) {
      INFO(reply.dump());
      client.send({{"jsonrpc", "2.0"},
                   {"id", "submit"},
                   {"method", "tools/call"},
                   {"params",
                    {{"name", "submit"},
                     {"arguments",
                      {{"task", "say hi"},
                       {"workspace", workspace.path().string()},
                       {"timeout_s", 1200}}}}}});
      const json asked = next_elicitation(client);
      client.send({{"jsonrpc", "2.0"}, {"id", asked["id"]}, {"result", reply}});
      const auto answer = client.response_to("submit", 10s);
      REQUIRE(answer);
      REQUIRE(answer->contains("result"));
      CHECK((*answer)["result"]["isError"] == true);
      CHECK(text_of((*answer)["result"]).find("Not submitted") != std::string::npos);
    }
    CHECK(
        client.call_tool("session", {{"action", "list"}})["structuredContent"]["sessions"].empty());
  }
}

TEST_CASE("hostile: a client that never reads stderr cannot stall the server with warnings",
          "[e2e][hostile]") {
  // Each bad line logs a warning; 5,000 of them are several times what a pipe holds.
  McpClient client({.environment = {"PARHELIA_LOG_LEVEL=warn"}, .pipe_stderr = true});
  constexpr int kBatches = 25;
  constexpr int kLinesPerBatch = 200;
  std::string batch;
  for (int i = 0; i < kLinesPerBatch; ++i) batch += "this is not json\n";
  for (int b = 0; b < kBatches; ++b) {
    client.send_raw(batch);
    for (int i = 0; i < kLinesPerBatch; ++i) {
      INFO("batch " << b << ", line " << i);
      const auto answer = client.next(5s);  // stdout is read, so only stderr can hold it up
      REQUIRE(answer);
      REQUIRE((*answer)["error"]["code"] == -32700);
    }
  }
  const auto started = std::chrono::steady_clock::now();
  still_serves(client);
  CHECK(std::chrono::steady_clock::now() - started < 2s);

  // Once stderr drains, the next line that gets through says how many were left out.
  const std::string early = read_available(client.stderr_fd());
  CHECK(early.find("refused an unreadable message") != std::string::npos);
  client.send_raw("still not json\n");
  CHECK(next_answer(client)["error"]["code"] == -32700);
  const std::string late = read_available(client.stderr_fd());
  CHECK(late.find("refused an unreadable message") != std::string::npos);
  // Far more came than the rate admits, so some line (during the flood, or this last one) has
  // said how many were left out.
  CHECK((early + late).find("log lines were left out") != std::string::npos);
}

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

#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;

namespace {

json next_answer(McpClient& client) {
  auto message = client.next(5s);
  REQUIRE(message);
  return *message;
}

void still_serves(McpClient& client) {
  CHECK(client.request("ping")["result"] == json::object());
}

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

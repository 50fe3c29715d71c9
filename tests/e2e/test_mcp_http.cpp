// `parhelia mcp --http`: MCP's Streamable HTTP transport, driven byte for byte over real
// sockets on 127.0.0.1.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/support/cli_runner.h"
#include "tests/support/http_client.h"

using nlohmann::json;
using parhelia::testing::http_request;
using parhelia::testing::HttpMcpServer;
using parhelia::testing::HttpRequest;
using parhelia::testing::SseEvent;

namespace {

json rpc(int id, const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

const std::vector<std::pair<std::string, std::string>> kVersion = {
    {"MCP-Protocol-Version", "2025-11-25"}};

}  // namespace

TEST_CASE("MCP over HTTP: a session per Mcp-Session-Id, JSON and SSE answers, 202s, DELETE",
          "[e2e][http]") {
  HttpMcpServer server;
  const std::string id = server.open_session();
  CHECK(id.size() == 32);

  const auto listed = server.post(rpc(2, "tools/list"), id, kVersion);
  REQUIRE(listed.status == 200);
  CHECK(listed.header("content-type") == "application/json");
  CHECK(listed.json()["result"]["tools"].size() >= 6);

  // An SSE answer of 2025-11-25 starts with its priming event (an id, no data), then the answer
  // as an event with an id of its own.
  const auto streamed =
      server.post(rpc(3, "ping"), id, kVersion, "application/json, text/event-stream");
  REQUIRE(streamed.status == 200);
  CHECK(streamed.header("content-type") == "text/event-stream");
  REQUIRE(streamed.events.size() == 2);
  CHECK_FALSE(streamed.events[0].id.empty());
  CHECK(streamed.events[0].data.empty());
  CHECK(streamed.events[0].retry.has_value());
  CHECK_FALSE(streamed.events[1].id.empty());
  CHECK(streamed.events[1].id != streamed.events[0].id);
  CHECK(json::parse(streamed.events[1].data)["id"] == 3);

  // A client of 2025-03-26 gets no priming event (its SDKs would take the empty data for a
  // message).
  const std::string old_id = server.open_session("2025-03-26");
  const auto old_stream =
      server.post(rpc(4, "ping"), old_id, {{"MCP-Protocol-Version", "2025-03-26"}},
                  "application/json, text/event-stream");
  REQUIRE(old_stream.events.size() == 1);
  CHECK(json::parse(old_stream.events[0].data)["id"] == 4);
  CHECK(old_id != id);

  const auto notified = server.post(
      {{"jsonrpc", "2.0"}, {"method", "notifications/roots/list_changed"}}, id, kVersion);
  CHECK(notified.status == 202);
  CHECK(notified.body.empty());

  SECTION("the headers' errors") {
    const auto missing = server.post(rpc(5, "ping"), "", kVersion);
    CHECK(missing.status == 400);
    CHECK(missing.json()["error"]["message"].get<std::string>().find("Mcp-Session-Id") !=
          std::string::npos);
    CHECK(server.post(rpc(5, "ping"), "0123456789abcdef0123456789abcdef", kVersion).status == 404);
    const auto bad_version =
        server.post(rpc(5, "ping"), id, {{"MCP-Protocol-Version", "2099-01-01"}});
    CHECK(bad_version.status == 400);
    CHECK(bad_version.json()["error"]["message"].get<std::string>().find("2025-11-25") !=
          std::string::npos);
    CHECK(server.post(rpc(5, "ping"), id, kVersion, "text/html").status == 406);
    HttpRequest get{.method = "GET",
                    .headers = {{"Mcp-Session-Id", id}, {"Accept", "application/json"}}};
    CHECK(http_request(server.port(), get).status == 406);
    HttpRequest put{.method = "PUT", .headers = {{"Mcp-Session-Id", id}}};
    const auto put_answer = http_request(server.port(), put);
    CHECK(put_answer.status == 405);
    CHECK(put_answer.header("allow") == "GET, POST, DELETE");
    HttpRequest not_json{.headers = {{"Content-Type", "application/json"}, {"Mcp-Session-Id", id}},
                         .body = "{nope"};
    const auto unparsed = http_request(server.port(), not_json);
    CHECK(unparsed.status == 400);
    CHECK(unparsed.json()["error"]["code"] == -32700);
    HttpRequest elsewhere{.path = "/other", .headers = {{"Content-Type", "application/json"}}};
    CHECK(http_request(server.port(), elsewhere).status == 404);
  }
  SECTION(
      "server/discover is answered at once with 400, so that a client falls back to initialize") {
    const auto discover = server.post(
        {{"jsonrpc", "2.0"}, {"id", "server-discover-probe-1"}, {"method", "server/discover"}});
    CHECK(discover.status == 400);
    CHECK(discover.json()["error"]["code"] == -32601);
  }
  SECTION("DELETE ends the session; it is 404 afterwards and the other goes on") {
    HttpRequest end{.method = "DELETE", .headers = {{"Mcp-Session-Id", id}}};
    CHECK(http_request(server.port(), end).status == 204);
    CHECK(server.post(rpc(6, "ping"), id, kVersion).status == 404);
    CHECK(http_request(server.port(), end).status == 404);
    CHECK(server.post(rpc(6, "ping"), old_id).status == 200);
  }
}

TEST_CASE("MCP over HTTP: the GET stream carries the server's own messages, one at a time",
          "[e2e][http]") {
  HttpMcpServer server;
  const std::string id = server.open_session();
  // A second GET while one is open is refused; the first gets the priming event, then what the
  // server sends of its own accord (here nothing until it is asked to stop).
  std::vector<SseEvent> first_events;
  std::thread reader([&] {
    HttpRequest get{
        .method = "GET",
        .headers = {{"Mcp-Session-Id", id}, {"Accept", "text/event-stream"}, kVersion[0]},
        .timeout = std::chrono::milliseconds(1500)};
    first_events = http_request(server.port(), get).events;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  HttpRequest second{.method = "GET",
                     .headers = {{"Mcp-Session-Id", id}, {"Accept", "text/event-stream"}}};
  const auto conflict = http_request(server.port(), second);
  reader.join();
  CHECK(conflict.status == 409);
  REQUIRE(first_events.size() == 1);
  CHECK(first_events[0].data.empty());
  CHECK(first_events[0].id == "0-0");
}

TEST_CASE("MCP over HTTP: an SSE answer the client lost mid-call is resumed with Last-Event-ID",
          "[e2e][http]") {
  HttpMcpServer server({}, {"PARHELIA_ENABLE_DEBUG_TOOLS=1"});
  const std::string id = server.open_session();
  // The call runs 1.5 s with progress; the client hangs up after the first progress event and
  // comes back with the id of the last event it had.
  HttpRequest call{.headers = {{"Content-Type", "application/json"},
                               {"Accept", "application/json, text/event-stream"},
                               {"Mcp-Session-Id", id},
                               kVersion[0]},
                   .body = rpc(7, "tools/call",
                               {{"name", "debug_wait"},
                                {"arguments", {{"milliseconds", 1500}, {"progress_every_ms", 200}}},
                                {"_meta", {{"progressToken", "p7"}}}})
                               .dump(),
                   .stop_when = [](const std::vector<SseEvent>& events) {
                     return events.size() >= 2;  // the priming event and one progress
                   }};
  const auto dropped = http_request(server.port(), call);
  REQUIRE(dropped.hung_up);
  REQUIRE(dropped.events.size() == 2);
  CHECK(json::parse(dropped.events[1].data)["method"] == "notifications/progress");
  const std::string last_id = dropped.events[1].id;

  HttpRequest resume{.method = "GET",
                     .headers = {{"Mcp-Session-Id", id},
                                 {"Accept", "text/event-stream"},
                                 {"Last-Event-ID", last_id},
                                 kVersion[0]}};
  const auto resumed = http_request(server.port(), resume);
  REQUIRE(resumed.status == 200);
  REQUIRE_FALSE(resumed.events.empty());
  // Nothing already had comes again; the rest of the stream does, ending with the answer.
  for (const auto& event : resumed.events) CHECK(event.id != last_id);
  const json answer = json::parse(resumed.events.back().data);
  CHECK(answer["id"] == 7);
  CHECK(answer["result"]["structuredContent"]["waited_ms"].get<int>() >= 1500);

  HttpRequest unknown{
      .method = "GET",
      .headers = {
          {"Mcp-Session-Id", id}, {"Accept", "text/event-stream"}, {"Last-Event-ID", "99-1"}}};
  CHECK(http_request(server.port(), unknown).status == 404);
}

TEST_CASE("MCP over HTTP refuses foreign Hosts and Origins, oversize requests, and wants its token",
          "[e2e][http][security]") {
  SECTION("DNS rebinding and cross-origin pages") {
    HttpMcpServer server;
    const json initialize = rpc(1, "initialize",
                                {{"protocolVersion", "2025-11-25"},
                                 {"capabilities", json::object()},
                                 {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
    const auto with = [&](std::vector<std::pair<std::string, std::string>> headers) {
      headers.emplace_back("Content-Type", "application/json");
      return http_request(server.port(), {.headers = headers, .body = initialize.dump()}).status;
    };
    CHECK(with({{"Host", "evil.example.com"}, {"Origin", "http://evil.example.com"}}) == 403);
    CHECK(with({{"Host", "evil.example.com"}}) == 403);
    CHECK(with({{"Origin", "http://evil.example.com"}}) == 403);
    CHECK(with({{"Origin", "null"}}) == 403);
    CHECK(with({{"Host", "localhost:" + std::to_string(server.port())},
                {"Origin", "http://localhost:" + std::to_string(server.port())}}) == 200);
    CHECK(with({{"Host", "127.0.0.1"}}) == 200);

    HttpRequest large{.headers = {{"Content-Type", "application/json"}},
                      .body = std::string(5 << 20, ' ')};
    CHECK(http_request(server.port(), large).status == 413);
    HttpRequest huge_header{
        .headers = {{"Content-Type", "application/json"}, {"X-Filler", std::string(40'000, 'x')}}};
    CHECK(http_request(server.port(), huge_header).status == 431);
    // A chunk size meant to wrap the body's length around is over the cap, not a wait.
    HttpRequest wrapping{
        .headers = {{"Content-Type", "application/json"}, {"Transfer-Encoding", "chunked"}},
        .body = "3e8\r\n" + std::string(1000, ' ') + "\r\nfffffffffffffc18\r\n",
        .timeout = std::chrono::milliseconds(3000)};
    CHECK(http_request(server.port(), wrapping).status == 413);
    // The server is still there for the next client.
    CHECK(with({}) == 200);
  }
  SECTION("a bearer token, when set, is required of every request") {
    HttpMcpServer server({}, {"PARHELIA_MCP_TOKEN=t0k3n-for-the-test"});
    const json ping = rpc(1, "initialize",
                          {{"protocolVersion", "2025-11-25"},
                           {"capabilities", json::object()},
                           {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
    const auto refused = server.post(ping);
    CHECK(refused.status == 401);
    CHECK(refused.header("www-authenticate") == "Bearer");
    CHECK(server.post(ping, "", {{"Authorization", "Bearer wrong"}}).status == 401);
    CHECK(server.post(ping, "", {{"Authorization", "Bearer t0k3n-for-the-test"}}).status == 200);
  }
  SECTION("a non-loopback address without a token is refused before anything is bound") {
    parhelia::testing::Cli cli;
    const auto ran = cli.run({"mcp", "--http", "0.0.0.0:0"});
    CHECK(ran.exit_status == 2);
    CHECK(ran.err.find("not a loopback address") != std::string::npos);
    CHECK(ran.err.find("--token") != std::string::npos);
    const auto bad = cli.run({"mcp", "--http", "127.0.0.1:notaport"});
    CHECK(bad.exit_status == 2);
    CHECK(bad.err.find("ADDRESS:PORT") != std::string::npos);
  }
}

TEST_CASE("MCP over HTTP: a session nobody uses is ended after --idle-timeout", "[e2e][http]") {
  HttpMcpServer server({"--idle-timeout", "1"});
  const std::string idle = server.open_session();
  const std::string used = server.open_session();
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    REQUIRE(server.post(rpc(10 + i, "ping"), used, kVersion).status == 200);
  }
  CHECK(server.post(rpc(20, "ping"), idle, kVersion).status == 404);
  CHECK(server.post(rpc(21, "ping"), used, kVersion).status == 200);
}

// Work off the reader thread: cancellation, progress, logging, whole answers, and shutdown.
#include <catch2/catch.hpp>
#include <csignal>
#include <functional>
#include <set>
#include <thread>

#include "tests/support/mcp_client.h"

using namespace parhelia::testing;

namespace {
json wait_call(int milliseconds, int progress_every_ms = 100) {
  return {
      {"name", "debug_wait"},
      {"arguments", {{"milliseconds", milliseconds}, {"progress_every_ms", progress_every_ms}}}};
}
}  // namespace

TEST_CASE("a slow request is cancelled while ping is answered, and its answer never comes",
          "[e2e][concurrency]") {
  McpClient client;
  client.initialize();
  client.send(
      {{"jsonrpc", "2.0"}, {"id", "slow"}, {"method", "tools/call"}, {"params", wait_call(20000)}});
  std::this_thread::sleep_for(100ms);

  const auto start = std::chrono::steady_clock::now();
  CHECK(client.request("ping")["result"] == json::object());
  CHECK(std::chrono::steady_clock::now() - start < 200ms);

  client.send({{"jsonrpc", "2.0"},
               {"method", "notifications/cancelled"},
               {"params", {{"requestId", "slow"}, {"reason", "the user changed their mind"}}}});
  CHECK(client.request("ping")["result"] == json::object());
  CHECK_FALSE(client.response_to("slow", 1000ms));
  // The slot is free again: the same id can be used for a new request.
  CHECK(client.request_with_id("slow", "ping", nullptr)["result"] == json::object());
}

TEST_CASE(
    "progress notifications arrive, strictly increasing, only for a request with a progressToken",
    "[e2e][concurrency]") {
  McpClient client;
  client.initialize();
  const json result =
      client.call_tool("debug_wait", {{"milliseconds", 600}, {"progress_every_ms", 100}},
                       {{"progressToken", "tok-1"}});
  CHECK(result["isError"] == false);
  std::vector<double> values;
  for (const auto& message : client.others) {
    if (message.value("method", "") != "notifications/progress") continue;
    CHECK(message["params"]["progressToken"] == "tok-1");
    CHECK(message["params"]["total"] == 600);
    CHECK(message["params"]["message"].is_string());
    values.push_back(message["params"]["progress"].get<double>());
  }
  CHECK(values.size() >= 4);
  for (std::size_t i = 1; i < values.size(); ++i) CHECK(values[i] > values[i - 1]);
  CHECK(result["structuredContent"]["progress_sent"] == static_cast<int>(values.size()));

  client.others.clear();
  client.call_tool("debug_wait", {{"milliseconds", 300}, {"progress_every_ms", 50}});
  CHECK(client.others.empty());
}

TEST_CASE("logging/setLevel decides which log notifications are sent", "[e2e][concurrency]") {
  McpClient client;
  client.initialize();
  const auto log_messages = [&] {
    int count = 0;
    for (const auto& message : client.others)
      count += message.value("method", "") == "notifications/message";
    return count;
  };
  client.call_tool("debug_wait", {{"milliseconds", 0}});
  CHECK(log_messages() == 0);  // info is below the default level
  CHECK(client.request("logging/setLevel", {{"level", "info"}})["result"] == json::object());
  client.call_tool("debug_wait", {{"milliseconds", 0}});
  REQUIRE(log_messages() == 1);
  const json& message = client.others.front();
  CHECK(message["params"]["level"] == "info");
  CHECK(message["params"]["data"] == "debug_wait finished");
}

TEST_CASE("answers are written whole under concurrent load", "[e2e][concurrency]") {
  McpClient client;
  client.initialize();
  constexpr int kRequests = 60;
  for (int i = 0; i < kRequests; ++i) {
    const std::string method = i % 3 == 0 ? "ping" : i % 3 == 1 ? "tools/call" : "resources/read";
    json params = i % 3 == 1 ? json{{"name", "status"}, {"arguments", json::object()}}
                             : json{{"uri", "parhelia://skills/discover-parhelia"}};
    client.send({{"jsonrpc", "2.0"},
                 {"id", i},
                 {"method", method},
                 {"params", i % 3 == 0 ? json::object() : params}});
  }
  std::set<int> answered;
  while (answered.size() < kRequests) {
    auto message = client.next(10s);  // next() fails the test on any line that is not JSON
    REQUIRE(message);
    REQUIRE(message->contains("result"));
    CHECK(answered.insert((*message)["id"].get<int>()).second);
  }
}

// Starts a minute-long call, stops the server with `stop`, and checks that it exits 0 within 2 s
// without answering the call.
void check_prompt_exit(const std::function<void(McpClient&)>& stop) {
  McpClient client;
  client.initialize();
  client.send(
      {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", wait_call(60000)}});
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  stop(client);
  CHECK(client.wait_exit(2s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK_FALSE(client.response_to(1, 100ms));
}

TEST_CASE("end of input cancels work in flight and the server exits 0 within 2 s",
          "[e2e][concurrency]") {
  check_prompt_exit([](McpClient& client) { client.close_input(); });
}

TEST_CASE("quick requests sent just before the end of input are still answered",
          "[e2e][concurrency]") {
  McpClient client;
  client.initialize();
  client.send(
      {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", {{"name", "status"}}}});
  client.close_input();
  CHECK(client.response_to(1, 2s));
  CHECK(client.wait_exit(2s) == 0);
}

TEST_CASE("SIGTERM cancels work in flight and the server exits 0 within 2 s",
          "[e2e][concurrency]") {
  check_prompt_exit([](McpClient& client) { client.signal(SIGTERM); });
}

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

// Claude Code 2.1.332 dropped the connection in 8 of 10 runs when a progress notification came
// just before its result (in none of 5 with 0.3 s between): timed here as the client reads them.
TEST_CASE("a result comes no sooner than 0.3 s after its request's last progress notification",
          "[e2e][concurrency][progress]") {
  using Clock = std::chrono::steady_clock;
  McpClient client;
  client.initialize();
  for (int run = 0; run < 3; ++run) {
    const json id = "progress-gap-" + std::to_string(run);
    const auto sent = Clock::now();
    // Progress every 20 ms up to the end: the last one is written moments before the result.
    client.send({{"jsonrpc", "2.0"},
                 {"id", id},
                 {"method", "tools/call"},
                 {"params",
                  {{"name", "debug_wait"},
                   {"arguments", {{"milliseconds", 200}, {"progress_every_ms", 20}}},
                   {"_meta", {{"progressToken", id}}}}}});
    std::optional<Clock::time_point> last_progress;
    std::optional<Clock::time_point> answered;
    int progress_seen = 0;
    while (!answered) {
      auto message = client.next(5s);
      REQUIRE(message);
      const auto at = Clock::now();
      if (message->value("method", "") == "notifications/progress") {
        CHECK(message->at("params")["progressToken"] == id);
        CHECK_FALSE(answered);
        last_progress = at;
        ++progress_seen;
      } else if (message->value("id", json()) == id) {
        answered = at;
        CHECK((*message)["result"]["isError"] == false);
      }
    }
    REQUIRE(last_progress);
    CHECK(progress_seen >= 3);
    CHECK(*answered - *last_progress >= 280ms);  // 300 ms, less what reading one line takes
    CHECK(*answered - sent < 1500ms);
  }

  // A call that sent no progress is answered at once, with a token or without.
  for (const json& meta : {json({{"progressToken", "quiet"}}), json()}) {
    const auto started = Clock::now();
    const json result = client.call_tool("debug_wait", {{"milliseconds", 0}}, meta);
    CHECK(result["structuredContent"]["progress_sent"] == 0);
    CHECK(Clock::now() - started < 250ms);
  }
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

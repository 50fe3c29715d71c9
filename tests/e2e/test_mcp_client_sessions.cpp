// Two MCP client sessions in one process, over one toolset (as Streamable HTTP will serve
// them): each is told only about its own subscriptions, each tool call sees its own client
// (its roots, its protocol version), and a budget alert is news to each. In-process: two McpServers
// on transports of the test's own, the real tools and session watcher over a store in a temporary
// home.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/budget/budget.h"
#include "core/budget/ledger.h"
#include "core/local/local_backend.h"
#include "core/service/sessions.h"
#include "core/store/database.h"
#include "server/mcp_server.h"
#include "tests/support/temp_dir.h"
#include "tools/toolset.h"

using namespace parhelia::testing;
using parhelia::server::json;
namespace core = parhelia::core;
namespace server = parhelia::server;
namespace tools = parhelia::tools;
using namespace std::chrono_literals;

// Named, not anonymous: the test files are compiled together in unity units.
namespace two_clients {

// Keeps every message the server sends to this client, and lets the test wait for one.
class RecordingTransport final : public parhelia::transport::Transport {
 public:
  bool send(const json& message) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(message);
    arrived_.notify_all();
    return true;
  }
  bool send_serialized(std::string json_text) override { return send(json::parse(json_text)); }
  void run(parhelia::transport::MessageHandler&) override {}

  // The first message sent that satisfies `wanted`, waiting up to `timeout` for it.
  std::optional<json> wait_for(const std::function<bool(const json&)>& wanted,
                               std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    std::optional<json> found;
    arrived_.wait_for(lock, timeout, [&] {
      for (const auto& message : sent_) {
        if (wanted(message)) {
          found = message;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<json> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<json> sent_;
};

bool is_update_of(const json& message, const std::string& uri) {
  return message.value("method", "") == "notifications/resources/updated" &&
         message["params"].value("uri", "") == uri;
}

bool is_update(const json& message) {
  return message.value("method", "") == "notifications/resources/updated";
}

// One client: its transport, its server over the shared toolset, and the few requests the
// test makes through it.
struct Client {
  Client(server::Toolset& toolset, std::string version, std::filesystem::path root)
      : server(transport, toolset,
               {.identity = tools::parhelia_identity(), .quiet_after_progress = 0ms}),
        root(std::move(root)) {
    server.on_message(
        {{"jsonrpc", "2.0"},
         {"id", "init"},
         {"method", "initialize"},
         {"params",
          {{"protocolVersion", version},
           {"capabilities", {{"roots", json::object()}}},
           {"clientInfo", {{"name", "client for " + this->root.string()}, {"version", "1"}}}}}});
    REQUIRE(answer("init"));
    server.on_message({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    // The server asks for the roots; this client has one, its own.
    const auto ask = transport.wait_for(
        [](const json& m) { return m.value("method", "") == "roots/list" && m.contains("id"); });
    REQUIRE(ask);
    server.on_message(
        {{"jsonrpc", "2.0"},
         {"id", (*ask)["id"]},
         {"result", {{"roots", {{{"uri", "file://" + this->root.string()}, {"name", "root"}}}}}}});
  }
  ~Client() { server.shutdown(1s, 1s); }

  std::optional<json> answer(const std::string& id) {
    return transport.wait_for(
        [&id](const json& m) { return m.value("id", json()) == id && !m.contains("method"); });
  }
  json request(const std::string& id, const std::string& method, json params) {
    server.on_message({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    const auto reply = answer(id);
    REQUIRE(reply);
    INFO(reply->dump());
    REQUIRE(reply->contains("result"));
    return (*reply)["result"];
  }

  RecordingTransport transport;
  server::McpServer server;
  std::filesystem::path root;
};

void append(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::app) << text;
}

}  // namespace two_clients

using namespace two_clients;

TEST_CASE("two client sessions over one toolset are each told only about their own",
          "[e2e][mcp][clients]") {
  ParheliaHome home;
  auto service =
      core::SessionService::open(home.path(), core::local_backends(home.path(), PARHELIA_BINARY));
  REQUIRE(service);
  server::Toolset toolset;
  const auto watcher = tools::register_toolset(toolset, *service.value(), {});
  TempDir root_a;
  TempDir root_b;
  Client a(toolset, "2025-11-25", root_a.path());
  Client b(toolset, "2025-06-18", root_b.path());

  const std::string log_a = "parhelia://sessions/task-aaaaaaaa/log";
  const std::string log_b = "parhelia://sessions/task-bbbbbbbb/log";
  a.request("sub", "resources/subscribe", {{"uri", log_a}});
  b.request("sub", "resources/subscribe", {{"uri", log_b}});

  SECTION("a change reaches only the client subscribed to it") {
    // The watcher looks four times a second; the log grows until the news arrives.
    const auto grow_until_told = [&](Client& client, const std::string& id,
                                     const std::string& uri) {
      for (int i = 0; i < 40; ++i) {
        append(service.value()->files(id).log, "line " + std::to_string(i) + "\n");
        if (client.transport.wait_for([&](const json& m) { return is_update_of(m, uri); }, 250ms))
          return true;
      }
      return false;
    };
    REQUIRE(grow_until_told(a, "task-aaaaaaaa", log_a));
    REQUIRE(grow_until_told(b, "task-bbbbbbbb", log_b));
    std::this_thread::sleep_for(600ms);  // news that went astray has time to arrive
    for (const auto& message : a.transport.sent()) {
      if (is_update(message)) CHECK(is_update_of(message, log_a));
    }
    for (const auto& message : b.transport.sent()) {
      if (is_update(message)) CHECK(is_update_of(message, log_b));
    }
  }

  SECTION("a tool call sees its own client's roots and protocol version") {
    const auto dry_run = [](Client& client) {
      return client.request(
          "submit", "tools/call",
          {{"name", "submit"},
           {"arguments", {{"command", "true"}, {"dry_run", true}, {"no_sandbox", true}}}});
    };
    const json submit_a = dry_run(a);
    const json submit_b = dry_run(b);
    INFO(submit_a.dump() << "\n" << submit_b.dump());
    CHECK(submit_a["structuredContent"]["session"]["workspace"] == root_a.path().string());
    CHECK(submit_b["structuredContent"]["session"]["workspace"] == root_b.path().string());

    const auto status = [](Client& client) {
      return client.request("status", "tools/call",
                            {{"name", "status"}, {"arguments", json::object()}});
    };
    const json status_a = status(a);
    const json status_b = status(b);
    INFO(status_a.dump() << "\n" << status_b.dump());
    CHECK(status_a["structuredContent"]["system"]["protocol_version"] == "2025-11-25");
    CHECK(status_b["structuredContent"]["system"]["protocol_version"] == "2025-06-18");
  }

  SECTION("a budget alert shown to one client is still news to the other") {
    // $0.60 of a $1.00 daily limit: the 50% alert, recorded as a session's supervisor would.
    auto database = core::Database::open(home.path());
    REQUIRE(database);
    core::Budget budget(database.value());
    core::Ledger ledger(database.value());
    core::BudgetUpdate limit;
    limit.limits[core::LimitScope::daily] = core::kMicrosPerDollar;
    REQUIRE(budget.update(limit, "test"));
    const std::string session = "task-0000a1e8";
    REQUIRE(ledger.charge(
        {{session, core::ChargeKind::compute, "cpu", "core-second", 600, core::kPicosPerDollar}},
        core::now_ms()));
    REQUIRE(budget.record_alerts(session, std::nullopt, core::now_ms())->size() == 1);

    for (Client* client : {&a, &b}) {
      const json result = client->request(
          "list", "tools/call", {{"name", "session"}, {"arguments", {{"action", "list"}}}});
      INFO(result.dump());
      const json alerts = result["structuredContent"].value("alerts", json::array());
      REQUIRE(alerts.size() == 1);
      CHECK(alerts[0].get<std::string>().find("50%") != std::string::npos);
    }
  }
}

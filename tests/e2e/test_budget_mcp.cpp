// The budget through the real binary over MCP: a session charged as it runs and stopped by
// the watchdog at its cap, alerts arriving as notifications, refusals with numbers, and the
// confirmation asked through elicitation. Real tmux, bubblewrap and SQLite; priced local rates.
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;

namespace {

// Prices the local backend (free by default) so that sessions cost something.
void price_local_cpu(const McpClient& client, double dollars_per_core_second) {
  std::ofstream(client.home() / "config.json")
      << R"({"rates": {"local.cpu": )" << dollars_per_core_second << "}}";
}

json with(json object, const json& more) {
  object.merge_patch(more);
  return object;
}

json budget(McpClient& client, json arguments) {
  const json result = client.call_tool("budget", std::move(arguments));
  INFO(result.dump());
  REQUIRE(result["isError"] == false);
  return result["structuredContent"];
}

// Sends a tools/call and answers the elicitation it brings with `answer`; returns the call's
// result and the elicitation request.
std::pair<json, json> submit_answering(McpClient& client, json arguments, json answer) {
  const json id = "submit-" + std::to_string(std::rand());
  client.send({{"jsonrpc", "2.0"},
               {"id", id},
               {"method", "tools/call"},
               {"params", {{"name", "submit"}, {"arguments", std::move(arguments)}}}});
  const json asked = next_elicitation(client);
  client.send({{"jsonrpc", "2.0"}, {"id", asked["id"]}, {"result", std::move(answer)}});
  auto response = client.response_to(id, 10s);
  REQUIRE(response);
  return {(*response)["result"], asked};
}

}  // namespace

TEST_CASE("a session is charged as it runs and stopped by the watchdog at its cap",
          "[e2e][budget]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  price_local_cpu(client, 0.01);  // 2 cores: $0.02 a second
  const json submitted = client.call_tool("submit", {{"command", "sleep 60"},
                                                     {"workspace", workspace.path().string()},
                                                     {"timeout_s", 120},
                                                     {"max_cost_usd", 0.06}});
  INFO(submitted.dump());
  REQUIRE(submitted["isError"] == false);
  const json& estimate = submitted["structuredContent"]["estimate"];
  CHECK(estimate["worst_case_usd"] == Approx(2.40));
  CHECK(estimate["reserve_usd"] == Approx(0.06));
  CHECK(estimate["cap_usd"] == Approx(0.06));
  const std::string id = submitted["structuredContent"]["session"]["session_id"];

  const auto started = std::chrono::steady_clock::now();
  const json done = client.wait_for_end(id, 30s);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(done["state"] == "over_budget");
  CHECK(contains(done["error"], "budget cap of $0.06"));
  CHECK(took < 15s);  // stopped at its cap, not at its timeout

  const json status = client.call_tool("status", {{"session_id", id}})["structuredContent"];
  const json& cost = status["cost"];
  CHECK(cost["spent_usd"].get<double>() >= 0.06);
  CHECK(cost["spent_usd"].get<double>() <= 0.12);  // the seconds it took to stop, no more
  CHECK(cost["by_resource"][0]["resource"] == "cpu");
  CHECK(status["session"]["spent_usd"] == cost["spent_usd"]);

  // The ledger has the rows; the reservation was given back.
  const json history = budget(client, {{"action", "history"}, {"session_id", id}});
  CHECK(history["rows"].size() >= 2);  // charged while running, and at the end
  double sum = 0;
  for (const auto& row : history["rows"]) sum += row["amount_usd"].get<double>();
  CHECK(sum == Approx(cost["spent_usd"].get<double>()));
  const json shown = budget(client, {{"action", "show"}});
  CHECK(shown["budget"]["held_usd"] == 0);
  CHECK(shown["budget"]["today_usd"] == cost["spent_usd"]);
  CHECK(shown["budget"]["top_sessions"][0]["session_id"] == id);

  // The cap's thresholds reached the client as warnings, once each.
  std::vector<std::string> alerts;
  for (int i = 0; i < 20 && alerts.size() < 3; ++i) {
    for (const auto& message : client.others) {
      if (message.value("method", "") == "notifications/message" &&
          message["params"]["level"] == "warning" &&
          contains(message["params"]["data"], "Budget alert")) {
        alerts.push_back(message["params"]["data"]);
      }
    }
    client.others.clear();
    if (alerts.size() < 3) client.request("ping");
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(alerts.size() == 3);
  CHECK(contains(alerts[0], "50% of its $0.06 cap"));
  CHECK(contains(alerts[2], "100% of its $0.06 cap"));
  const std::string system_text = text_of(client.call_tool("status"));
  CHECK(contains(system_text, "Budget alert: session " + id));
}

// Claude Code shows the model no notifications/message: an alert must be in a result.
TEST_CASE("budget alerts reach the model in the results of the calls they concern",
          "[e2e][budget][alerts]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  price_local_cpu(client, 0.01);  // 2 cores: $0.02 a second
  const json waited = client.call_tool("submit", {{"command", "sleep 60"},
                                                  {"workspace", workspace.path().string()},
                                                  {"timeout_s", 120},
                                                  {"max_cost_usd", 0.06},
                                                  {"sync", true}});
  INFO(waited.dump());
  REQUIRE(waited["isError"] == false);
  const json& result = waited["structuredContent"];
  CHECK(result["session"]["state"] == "over_budget");
  const std::string id = result["session"]["session_id"];
  // The thresholds crossed while the call waited come with its result, once each.
  REQUIRE(result.contains("alerts"));
  std::vector<std::string> alerts = result["alerts"];
  REQUIRE(alerts.size() == 3);
  CHECK(contains(alerts[0], "session " + id + " has spent"));
  CHECK(contains(alerts[0], "50% of its $0.06 cap"));
  CHECK(contains(alerts[2], "100% of its $0.06 cap"));
  CHECK(contains(text_of(waited), "100% of its $0.06 cap"));

  // A later call about that session says where it stands against its cap; a call about
  // nothing in particular carries no old news.
  const json status = client.call_tool("status", {{"session_id", id}})["structuredContent"];
  CHECK(status["alerts"] == json::array({alerts[2]}));
  CHECK_FALSE(
      client.call_tool("session", {{"action", "list"}})["structuredContent"].contains("alerts"));
}

// The budget holds a session's worst case while it runs and gives it back at its end; status
// says what the budget holds, as budget show does.
TEST_CASE("a finished session's status reserves nothing, as budget show holds nothing",
          "[e2e][budget]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  // A task reserves its token allowance: $3.00 for its hour.
  const json submitted =
      client.call_tool("submit", {{"task", "sleep 2"}, {"workspace", workspace.path().string()}});
  REQUIRE(submitted["isError"] == false);
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  CHECK(submitted["structuredContent"]["estimate"]["reserve_usd"] == Approx(3.0));
  const json live = client.call_tool("status", {{"session_id", id}})["structuredContent"];
  const json held = budget(client, {{"action", "show"}})["budget"];
  if (live["session"]["state"] == "running") {
    CHECK(live["cost"]["reserved_usd"] == Approx(3.0));
    CHECK(held["reservations"][0]["reserved_usd"] == live["cost"]["reserved_usd"]);
  }

  const json done = client.wait_for_end(id);
  CHECK(done["state"] == "succeeded");
  CHECK(done["reserved_usd"] == 0);
  const json status = client.call_tool("status", {{"session_id", id}});
  CHECK(status["structuredContent"]["cost"]["reserved_usd"] == 0);
  CHECK(status["structuredContent"]["session"]["reserved_usd"] == 0);
  CHECK_FALSE(contains(text_of(status), "reserved"));
  CHECK(budget(client, {{"action", "show"}})["budget"]["held_usd"] == 0);
}

TEST_CASE("a submit over a hard limit is refused with the numbers and a timeout that fits",
          "[e2e][budget]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  const json set = budget(client, {{"action", "set"}, {"total_usd", 1.0}});
  CHECK(set["changes"][0]["setting"] == "limit.total");
  CHECK(set["changes"][0]["to"] == "$1.00");
  CHECK(set["budget"]["limits"][0]["limit_usd"] == 1.0);

  // A task reserves $3 of tokens per hour of timeout: an hour does not fit in $1.
  const json estimate = budget(client, {{"action", "estimate"}, {"timeout_s", 3600}});
  CHECK(estimate["estimate"]["estimate"]["reserve_usd"] == 3.0);
  CHECK(estimate["estimate"]["fits"] == false);
  CHECK(estimate["estimate"]["longest_timeout_s"] == 1200);

  const json refused =
      client.call_tool("submit", {{"task", "say hi"}, {"workspace", workspace.path().string()}});
  CHECK(refused["isError"] == true);
  CHECK(text_of(refused) ==
        "Not started: this session could cost up to $3.00, but the total limit of $1.00 has "
        "$1.00 left ($0.00 spent, $0.00 held by running sessions). The longest timeout that "
        "fits is 1200 s (timeout_s / --timeout); or set a lower max_cost, or raise the limit "
        "with `parhelia budget set --total DOLLARS`.");

  // It fits with that timeout; the agent's tokens are charged at the list price.
  const json submitted = client.call_tool(
      "submit",
      {{"task", "say hi"}, {"workspace", workspace.path().string()}, {"timeout_s", 1200}});
  INFO(submitted.dump());
  REQUIRE(submitted["isError"] == false);
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  CHECK(client.wait_for_end(id)["state"] == "succeeded");
  const json cost = client.call_tool("status", {{"session_id", id}})["structuredContent"]["cost"];
  // modelUsage of claude-sonnet-4-5: 2,500 input × $3/M + 180 output × $15/M + 1,200 cache
  // reads × $0.30/M = $0.00750 + $0.00270 + $0.00036.
  CHECK(cost["spent_usd"] == Approx(0.01056).epsilon(1e-9));
  const json rows = budget(
      client, {{"action", "history"}, {"session_id", id}, {"charge_kind", "tokens"}})["rows"];
  CHECK(rows.size() == 3);
  // And with the reservation released, all but the spend is room again.
  const json after = budget(client, {{"action", "show"}})["budget"];
  CHECK(after["limits"][0]["remaining_usd"] == Approx(1.0 - 0.01056));
}

TEST_CASE("above the confirmation amount, submit asks the user through elicitation",
          "[e2e][budget]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize("2025-11-25", {{"elicitation", json::object()}});
  budget(client, {{"action", "set"}, {"confirm_above_usd", 0.5}});
  const json arguments = {{"task", "say hi"},
                          {"workspace", workspace.path().string()},
                          {"timeout_s", 1200}};  // reserves $1.00

  SECTION("accepted: it starts") {
    auto [result, asked] =
        submit_answering(client, arguments, {{"action", "accept"}, {"content", {{"start", true}}}});
    INFO(result.dump());
    CHECK(result["isError"] == false);
    CHECK(contains(asked["params"]["message"], "Up to $1.00"));
    CHECK(asked["params"]["mode"] == "form");
    CHECK(asked["params"]["requestedSchema"]["properties"]["start"]["type"] == "boolean");
    const std::string id = result["structuredContent"]["session"]["session_id"];
    CHECK(client.wait_for_end(id)["state"] == "succeeded");
  }
  SECTION("declined: nothing starts, nothing is reserved") {
    auto [result, asked] = submit_answering(client, arguments, {{"action", "decline"}});
    CHECK(result["isError"] == true);
    CHECK(contains(text_of(result), "the user declined"));
    const json listed = client.call_tool("session", {{"action", "list"}});
    CHECK(listed["structuredContent"]["sessions"].empty());
    CHECK(budget(client, {{"action", "show"}})["budget"]["held_usd"] == 0);
  }
  SECTION("confirm: true skips the question") {
    const json result = client.call_tool("submit", with(arguments, {{"confirm", true}}));
    CHECK(result["isError"] == false);
    client.wait_for_end(result["structuredContent"]["session"]["session_id"]);
  }
}

TEST_CASE("without elicitation, submit above the confirmation amount needs confirm: true",
          "[e2e][budget]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  const json arguments = {{"task", "say hi"},
                          {"workspace", workspace.path().string()},
                          {"timeout_s", 7200}};  // reserves $6.00, over the default $5
  const json refused = client.call_tool("submit", arguments);
  CHECK(refused["isError"] == true);
  CHECK(contains(text_of(refused), "Not submitted: Up to $6.00 for 7200 s (tokens $6.00)."));
  CHECK(contains(text_of(refused), "call submit again with confirm: true"));
  const json confirmed = client.call_tool("submit", with(arguments, {{"confirm", true}}));
  INFO(confirmed.dump());
  REQUIRE(confirmed["isError"] == false);
  client.wait_for_end(confirmed["structuredContent"]["session"]["session_id"]);
}

TEST_CASE("budget rates show where each price came from, a broken config is a clear error",
          "[e2e][budget]") {
  McpClient client;
  client.initialize();
  price_local_cpu(client, 0.5);
  const json result = client.call_tool("budget", {{"action", "rates"}});
  const json& rates = result["structuredContent"];
  CHECK(rates["rates"]["modal.gpu.H100"] == 0.001097);
  CHECK(rates["rates"]["local.cpu"] == 0.5);
  CHECK(rates["rates"]["tokens.sonnet.output"] == 15.0);
  CHECK(contains(rates["units"], "tokens.*: per million tokens"));
  // Only what a config file set is named with its source; the rest are defaults.
  CHECK(rates["overridden"] == json({{"local.cpu", (client.home() / "config.json").string()}}));
  // A person reads each price with its unit and source.
  CHECK(contains(text_of(result), "$15.00 per million tokens  (default)"));
  CHECK(contains(text_of(result),
                 "$0.50 per core-second  (" + (client.home() / "config.json").string() + ")"));

  std::ofstream(client.home() / "config.json") << R"({"rates": {"modal.gpu.H1000": 1}})";
  const json broken = client.call_tool("budget", {{"action", "rates"}});
  CHECK(broken["isError"] == true);
  CHECK(contains(text_of(broken), "there is no rate 'modal.gpu.H1000'"));
}

// What a model is sent back, measured: Claude Code gives the model only a result's
// structuredContent (the text blocks are dropped) and puts anything over 50,000 characters in
// a file, so every limit a schema allows must fit, and the usual answers must be short, say
// what to do next, and read as activity rather than raw JSON.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "core/store/database.h"
#include "core/budget/ledger.h"
#include "core/session/session.h"
#include "core/store/store.h"
#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;

namespace {

// What the model reads of a result: its structuredContent, as Claude Code serializes it.
std::size_t model_chars(const json& result) {
  return result["structuredContent"].dump().size();
}

json call_ok(McpClient& client, const std::string& tool, json arguments) {
  json result = client.call_tool(tool, std::move(arguments));
  INFO(result.dump().substr(0, 2000));
  REQUIRE(result["isError"] == false);
  return result;
}

// Finished sessions as a week of use leaves them, written straight into the store the server
// reads: commands with long command lines and tasks with long prompts and answers.
void add_finished_sessions(const McpClient& client, int count, bool long_text) {
  auto store = parhelia::core::Store::open(client.home());
  REQUIRE(store);
  const std::int64_t now = parhelia::core::now_ms();
  for (int i = 0; i < count; ++i) {
    parhelia::core::Session s;
    s.id = parhelia::core::new_session_id();
    s.kind = i % 2 == 0 ? parhelia::core::SessionKind::command : parhelia::core::SessionKind::task;
    const std::string tail = long_text ? std::string(900, 'x') : "";
    s.task = s.kind == parhelia::core::SessionKind::command
                 ? "cd build && cmake --build . -j8 && ctest --output-on-failure -R suite_" +
                       std::to_string(i) + " " + tail
                 : "Fix the flaky test in tests/test_net.py: retry the connect " + tail;
    s.workspace = "/home/user/projects/parhelia-example-workspace";
    s.state =
        i % 5 == 4 ? parhelia::core::SessionState::failed : parhelia::core::SessionState::succeeded;
    s.created_at = now - (count - i) * 60'000;
    s.started_at = s.created_at + 500;
    s.finished_at = s.created_at + 30'000;
    s.exit_code = s.state == parhelia::core::SessionState::failed ? 1 : 0;
    s.last_activity = "finished: all 48 tests passed in 0.31s " + (long_text ? tail : "");
    s.estimate_micros = 3'000'000;
    if (s.kind == parhelia::core::SessionKind::task) {
      s.result_text = "Fixed the flaky test by retrying the connect three times. " + tail;
      s.claude_session_id = "5f0c2a8e-9b1d-4c3e-8f7a-2d6b1e9c4a70";
    }
    if (s.state == parhelia::core::SessionState::failed)
      s.error = "The command exited with status 1.";
    s.changed_files = {"M src/net.py", "M tests/test_net.py", "A tests/fixtures/flaky.txt"};
    s.updated_at = *s.finished_at;
    REQUIRE(store.value()->insert(s));
  }
}

}  // namespace

TEST_CASE("session list at the schema's largest limit is bounded, not refused", "[e2e][sizes]") {
  McpClient client;
  client.initialize();
  add_finished_sessions(client, 120, true);
  const json result = call_ok(client, "session", {{"action", "list"}, {"limit", 100}});
  WARN("session list limit 100, long commands: " << model_chars(result) << " chars");
  CHECK(model_chars(result) <= 40'000);
  const json& page = result["structuredContent"];
  CHECK(page["sessions"].size() >= 20);
  // What did not fit is one call away.
  REQUIRE(page.contains("next_cursor"));
  std::set<std::string> seen;
  for (const auto& s : page["sessions"]) seen.insert(s["session_id"]);
  const json rest = call_ok(client, "session",
                            {{"action", "list"}, {"limit", 100}, {"cursor", page["next_cursor"]}});
  for (const auto& s : rest["structuredContent"]["sessions"])
    CHECK(seen.insert(s["session_id"]).second);
}

TEST_CASE("a list of 20 sessions is short lines the model can scan", "[e2e][sizes]") {
  McpClient client;
  client.initialize();
  add_finished_sessions(client, 20, false);
  const json plain = call_ok(client, "session", {{"action", "list"}});
  WARN("session list of 20: " << model_chars(plain) << " chars");
  CHECK(plain["structuredContent"]["sessions"].size() == 20);
  CHECK(model_chars(plain) <= 5'500);

  McpClient other;
  other.initialize();
  add_finished_sessions(other, 20, true);
  const json long_ones = call_ok(other, "session", {{"action", "list"}});
  WARN("session list of 20 with long commands: " << model_chars(long_ones) << " chars");
  CHECK(long_ones["structuredContent"]["sessions"].size() == 20);
  CHECK(model_chars(long_ones) <= 6'500);
  for (const auto& s : long_ones["structuredContent"]["sessions"])
    CHECK(s["task"].get<std::string>().size() <= 80);
  CHECK(contains(long_ones["structuredContent"]["next"], "status"));
}

TEST_CASE("logs at the schema's largest max_bytes fit, and next_offset reads on without a gap",
          "[e2e][sizes]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  const json submitted =
      call_ok(client, "submit",
              {{"command", "for i in $(seq 1 4); do cat " + std::string(PARHELIA_SOURCE_DIR) +
                               "/tests/fixtures/claude-2.1-stream-json-task.jsonl; done"},
               {"workspace", workspace.path().string()},
               {"no_sandbox", true}});
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  client.wait_for_end(id);
  std::string whole;
  std::int64_t offset = 0;
  for (int reads = 0; reads < 20; ++reads) {
    const json result =
        call_ok(client, "session",
                {{"action", "logs"}, {"session_id", id}, {"offset", offset}, {"max_bytes", 32768}});
    CHECK(model_chars(result) <= 40'000);
    const json& log = result["structuredContent"]["log"];
    CHECK(log["offset"] == offset);
    whole += log["text"].get<std::string>();
    if (log["next_offset"] == log["size"]) break;
    CHECK(log["next_offset"].get<std::int64_t>() > offset);
    offset = log["next_offset"];
  }
  const std::string one = fixture("claude-2.1-stream-json-task.jsonl");
  CHECK(whole == one + one + one + one);
}

TEST_CASE("a log of bytes that JSON escapes six-fold is read whole in pieces that fit",
          "[e2e][sizes]") {
  GitWorkspace workspace;
  McpClient client;
  client.initialize();
  // Control bytes travel as \u0001: 32 KiB of them would be 196 KiB of JSON.
  const json submitted = call_ok(client, "submit",
                                 {{"command", "head -c 100000 /dev/zero | tr '\\0' '\\1'"},
                                  {"workspace", workspace.path().string()}});
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  client.wait_for_end(id);
  std::string whole;
  std::int64_t offset = 0;
  for (int reads = 0; reads < 40; ++reads) {
    const json result =
        call_ok(client, "session",
                {{"action", "logs"}, {"session_id", id}, {"offset", offset}, {"max_bytes", 32768}});
    CHECK(model_chars(result) <= 40'000);
    const json& log = result["structuredContent"]["log"];
    CHECK(log["offset"] == offset);
    whole += log["text"].get<std::string>();
    if (log["next_offset"] == log["size"]) break;
    REQUIRE(log["next_offset"].get<std::int64_t>() > offset);
    CHECK(contains(result["structuredContent"]["next"],
                   "offset " + std::to_string(log["next_offset"].get<std::int64_t>())));
    offset = log["next_offset"];
  }
  CHECK(whole == std::string(100000, '\1'));

  // A tail keeps the newest bytes and says where they start.
  const json tail =
      call_ok(client, "session", {{"action", "logs"}, {"session_id", id}, {"max_bytes", 32768}});
  CHECK(model_chars(tail) <= 40'000);
  const json& log = tail["structuredContent"]["log"];
  CHECK(log["next_offset"] == 100000);
  CHECK(log["offset"].get<std::int64_t>() +
            static_cast<std::int64_t>(log["text"].get<std::string>().size()) ==
        100000);
}

TEST_CASE("budget history at the schema's largest limit is bounded, with a cursor to the rest",
          "[e2e][sizes]") {
  McpClient client;
  client.initialize();
  add_finished_sessions(client, 1, false);
  auto database = parhelia::core::Database::open(client.home());
  REQUIRE(database);
  parhelia::core::Ledger ledger(database.value());
  const std::string id = call_ok(
      client, "session", {{"action", "list"}})["structuredContent"]["sessions"][0]["session_id"];
  for (int i = 0; i < 600; ++i) {
    // Each charge is up to a running total: one row per call.
    REQUIRE(
        ledger.charge({{id, parhelia::core::ChargeKind::tokens, "tokens:claude-sonnet-4-5:output",
                        "token", 1000 * (i + 1), 15'000'000}},
                      parhelia::core::now_ms()));
  }
  const json page = call_ok(client, "budget", {{"action", "history"}, {"limit", 500}});
  WARN("budget history limit 500: " << model_chars(page) << " chars");
  CHECK(model_chars(page) <= 40'000);
  const json& rows = page["structuredContent"]["rows"];
  CHECK(rows.size() >= 50);
  REQUIRE(page["structuredContent"].contains("next_cursor"));
  const json rest = call_ok(client, "budget",
                            {{"action", "history"},
                             {"limit", 500},
                             {"cursor", page["structuredContent"]["next_cursor"]}});
  CHECK(rest["structuredContent"]["rows"][0]["id"].get<std::int64_t>() ==
        rows.back()["id"].get<std::int64_t>() - 1);
}

TEST_CASE("a Claude Code task's log reads as activity lines, the raw stream one argument away",
          "[e2e][sizes]") {
  GitWorkspace workspace;
  workspace.write("claude-2.1-stream-json-task.jsonl",
                  fixture("claude-2.1-stream-json-task.jsonl"));
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  const json submitted = call_ok(client, "submit",
                                 {{"task", "replay claude-2.1-stream-json-task.jsonl"},
                                  {"workspace", workspace.path().string()}});
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  client.wait_for_end(id);

  const json activity = call_ok(client, "session", {{"action", "logs"}, {"session_id", id}});
  WARN("default logs of a Claude Code task: " << model_chars(activity) << " chars");
  CHECK(model_chars(activity) <= 3'000);
  const json& log = activity["structuredContent"]["log"];
  CHECK(log["format"] == "activity");
  const std::string text = log["text"];
  INFO(text);
  CHECK(contains(text, "uses Bash: python -m pytest -x -q tests/test_stats.py"));
  CHECK(contains(text, "uses Edit: /work/stats.py"));
  CHECK(contains(text, "says: The mean subtracts 1 from the quotient"));
  CHECK(contains(text, "tool error: F … 1 failed in 0.04s"));
  CHECK(contains(text, "48 passed in 0.31s"));
  CHECK(contains(text, "waiting for the API (attempt 1/10)"));
  CHECK(contains(text, "finished: Fixed: `mean` no longer subtracts 1"));
  CHECK_FALSE(contains(text, "\"type\""));
  CHECK(log["session_ended"] == true);
  CHECK(contains(activity["structuredContent"]["next"], "results"));

  const json raw =
      call_ok(client, "session", {{"action", "logs"}, {"session_id", id}, {"format", "raw"}});
  CHECK(raw["structuredContent"]["log"]["format"] == "raw");
  CHECK(contains(raw["structuredContent"]["log"]["text"], "\"type\":\"result\""));
}

TEST_CASE("budget rates are a compact table", "[e2e][sizes]") {
  McpClient client;
  client.initialize();
  const json rates = call_ok(client, "budget", {{"action", "rates"}});
  WARN("budget rates: " << model_chars(rates) << " chars");
  CHECK(model_chars(rates) <= 3'000);
  const json& table = rates["structuredContent"]["rates"];
  CHECK(table["tokens.sonnet.output"] == 15.0);
  CHECK(table["modal.gpu.H100"] == 0.001097);
  CHECK(contains(rates["structuredContent"]["next"], "config.json"));
}

// The ledger of real Claude Code tasks: the real `parhelia` runs the real Claude Code
// (PARHELIA_AGENT) against the stand-in API (ANTHROPIC_BASE_URL), and what the session is
// charged must equal the usage the stand-in reported, priced at the list prices, to the
// micro-dollar: one row per model, a resume charged its own run only, a stopped session the
// final output of every message it completed.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/agent/agent_stream.h"
#include "core/base/money.h"
#include "core/budget/ledger.h"
#include "core/budget/rates.h"
#include "core/store/database.h"
#include "tests/support/anthropic_api_standin.h"
#include "tests/support/cli_runner.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia;
using namespace parhelia::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json run_ok_json(const Cli& cli, std::vector<std::string> args, const std::string& cwd = "") {
  const auto run = cli.run(std::move(args), cwd);
  INFO(run.out << run.err);
  REQUIRE(run.exit_status == 0);
  return json::parse(run.out);
}

bool ended(const std::string& state) {
  return state != "queued" && state != "provisioning" && state != "running";
}

json poll_until_ended(const Cli& cli, const std::string& id) {
  json session;
  for (int i = 0; i < 600; ++i) {
    session = run_ok_json(cli, {"session", "show", id, "--json"});
    if (ended(session.value("state", ""))) return session;
    std::this_thread::sleep_for(100ms);
  }
  FAIL("session " << id << " did not end: " << session.dump());
  return session;
}

// Tokens by ledger resource ("tokens:MODEL:KIND"), and their cost at the list prices.
using TokenTotals = std::map<std::string, std::int64_t>;

// What the stand-in billed for exchanges [from, to): its reported usage, by model and kind.
TokenTotals billed(const std::vector<ApiExchange>& exchanges, std::size_t from = 0,
                   std::size_t to = SIZE_MAX) {
  TokenTotals totals;
  for (std::size_t i = from; i < std::min(to, exchanges.size()); ++i) {
    const auto& e = exchanges[i];
    const std::string model = "tokens:" + core::canonical_model(e.model) + ":";
    const std::pair<const char*, std::int64_t> kinds[] = {{"input", e.reported.input},
                                                          {"output", e.reported.output},
                                                          {"cache_read", e.reported.cache_read},
                                                          {"cache_write", e.reported.cache_write}};
    for (const auto& [kind, tokens] : kinds) {
      if (tokens > 0) totals[model + kind] += tokens;
    }
  }
  return totals;
}

core::Micros list_price_of(const TokenTotals& totals) {
  const auto rates = core::RateTable::defaults();
  core::Micros cost = 0;
  for (const auto& [resource, tokens] : totals) {
    const auto first = resource.find(':');
    const auto last = resource.rfind(':');
    const std::string model = resource.substr(first + 1, last - first - 1);
    const std::string kind = resource.substr(last + 1);
    for (core::TokenKind k : core::all_token_kinds()) {
      if (core::to_string(k) == kind)
        cost += core::cost_of(tokens * 1000, rates.token_rate(model, k).price);
    }
  }
  return cost;
}

struct Charged {
  TokenTotals tokens;
  core::Micros amount = 0;
};

Charged charged(const Cli& cli, const std::string& session_id) {
  auto database = core::Database::open(cli.home());
  REQUIRE(database);
  core::Ledger ledger(database.value());
  Charged c;
  const auto resources = ledger.session_resources(session_id);
  REQUIRE(resources);
  for (const auto& r : resources.value()) {
    if (r.resource.starts_with("tokens:")) c.tokens[r.resource] = r.quantity_milli / 1000;
  }
  c.amount = ledger.session_spend(session_id).value();
  return c;
}

// A Parhelia whose agent is the real Claude Code, talking to `api`.
std::vector<std::string> real_agent_environment(const std::string& claude,
                                                const AnthropicApiStandIn& api,
                                                std::vector<std::string> more = {}) {
  std::vector<std::string> env = {"PARHELIA_AGENT=" + claude,
                                  "ANTHROPIC_BASE_URL=" + api.base_url(),
                                  "ANTHROPIC_API_KEY=sk-ant-standin"};
  env.insert(env.end(), more.begin(), more.end());
  return env;
}

#define REQUIRE_REAL_CLAUDE(claude)                                                  \
  const std::string claude = real_claude_binary();                                   \
  if (claude.empty()) {                                                              \
    WARN("SKIPPED: Claude Code is not installed; run scripts/setup --test-clients"); \
    return;                                                                          \
  }

}  // namespace

TEST_CASE("real Claude Code: a task that edits a file is charged what the API billed",
          "[e2e][real-claude][ledger]") {
  REQUIRE_REAL_CLAUDE(claude);
  AnthropicApiStandIn api(in_turns(
      {tool_call("Bash", {{"command", "echo edited > notes.txt"}, {"description", "Edit notes"}},
                 1500),
       final_text("Edited notes.txt.", 300)}));
  GitWorkspace workspace;
  workspace.write("notes.txt", "before\n");
  Cli cli(real_agent_environment(claude, api, {"ANTHROPIC_MODEL=claude-sonnet-4-5"}));
  const json session = run_ok_json(cli, {"submit", "edit notes.txt", "--sync", "--json", "--yes"},
                                   workspace.path().string());
  REQUIRE(session["state"] == "succeeded");
  CHECK(read_file(cli.home() / "sessions" / session["session_id"].get<std::string>() /
                  "workspace/notes.txt") == "edited\n");

  const auto exchanges = api.exchanges();
  const TokenTotals bill = billed(exchanges);
  const Charged c = charged(cli, session["session_id"]);
  CHECK(c.tokens == bill);
  CHECK(c.amount == list_price_of(bill));
  CHECK(bill.at("tokens:claude-sonnet-4-5:output") >= 1800);
}

TEST_CASE("real Claude Code: the default model is one ledger row, charged once",
          "[e2e][real-claude][ledger]") {
  // With no ANTHROPIC_MODEL, Claude Code's messages name its default model while its result's
  // modelUsage adds a context-window suffix ("[1m]").
  REQUIRE_REAL_CLAUDE(claude);
  AnthropicApiStandIn api(in_turns({final_text("Nothing to do.", 700)}));
  GitWorkspace workspace;
  Cli cli(real_agent_environment(claude, api));
  const json session = run_ok_json(cli, {"submit", "say hello", "--sync", "--json", "--yes"},
                                   workspace.path().string());
  REQUIRE(session["state"] == "succeeded");
  const TokenTotals bill = billed(api.exchanges());
  const Charged c = charged(cli, session["session_id"]);
  CHECK(c.tokens == bill);
  CHECK(c.amount == list_price_of(bill));
  for (const auto& [resource, tokens] : c.tokens) CHECK(resource.find('[') == std::string::npos);
}

TEST_CASE("real Claude Code: a resume is charged its own run, not the conversation again",
          "[e2e][real-claude][ledger]") {
  REQUIRE_REAL_CLAUDE(claude);
  AnthropicApiStandIn api(in_turns(
      {tool_call("Bash", {{"command", "echo one > one.txt"}, {"description", "First step"}}, 900),
       final_text("Step one done.", 200)}));
  GitWorkspace workspace;
  Cli cli(real_agent_environment(claude, api));
  const json first = run_ok_json(cli, {"submit", "do step one", "--sync", "--json", "--yes"},
                                 workspace.path().string());
  REQUIRE(first["state"] == "succeeded");
  const std::size_t first_calls = api.exchanges().size();
  const Charged parent_before = charged(cli, first["session_id"]);

  const json resumed = run_ok_json(cli, {"session", "resume", first["session_id"], "--prompt",
                                         "now step two", "--json", "--yes"});
  const std::string id = resumed["session_id"];
  const json done = poll_until_ended(cli, id);
  REQUIRE(done["state"] == "succeeded");

  const auto exchanges = api.exchanges();
  REQUIRE(exchanges.size() > first_calls);
  const TokenTotals bill = billed(exchanges, first_calls);
  const Charged c = charged(cli, id);
  CHECK(c.tokens == bill);
  CHECK(c.amount == list_price_of(bill));
  // The parent's charge stands as it was.
  CHECK(charged(cli, first["session_id"]).amount == parent_before.amount);
  CHECK(parent_before.amount == list_price_of(billed(exchanges, 0, first_calls)));
}

TEST_CASE(
    "real Claude Code: a session stopped in a long response is charged every completed "
    "message's final output",
    "[e2e][real-claude][ledger]") {
  // The first reply completes with 4,000 output tokens (its stream lines said 1); the second is
  // cut off part-way, as a long response is when the session is stopped. Claude Code's side
  // calls (the session title) are turned off: no transcript holds them, and a stopped session
  // has no result to count them.
  REQUIRE_REAL_CLAUDE(claude);
  ScriptedReply long_reply = final_text("A long answer that never ends");
  long_reply.content.insert(long_reply.content.begin(),
                            json{{"type", "text"}, {"text", "Here is the start of it."}});
  long_reply.cut_off = true;
  AnthropicApiStandIn api(in_turns(
      {tool_call("Bash", {{"command", "echo step > step.txt"}, {"description", "A step"}}, 4000),
       long_reply}));
  GitWorkspace workspace;
  Cli cli(real_agent_environment(claude, api));
  const json submitted =
      run_ok_json(cli, {"submit", "write at length", "--json", "--yes"}, workspace.path().string());
  const std::string id = submitted["session_id"];
  REQUIRE(api.wait_for_exchanges(2, 60s));
  std::this_thread::sleep_for(1500ms);  // the cut-off reply's first block has arrived
  cli.run({"session", "stop", id, "--grace", "2"});
  const json done = poll_until_ended(cli, id);
  CHECK(done["state"] == "cancelled");

  const auto exchanges = api.exchanges();
  const TokenTotals bill = billed(exchanges);
  Charged c = charged(cli, id);
  CHECK(c.tokens == bill);
  CHECK(c.amount == list_price_of(bill));
  CHECK(c.tokens["tokens:" + core::canonical_model(exchanges[0].model) + ":output"] >= 4000);
}

// `parhelia budget …` and the budget side of `parhelia submit`, through the real binary.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.h"
#include "tests/support/expect.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  return text;
}

}  // namespace

TEST_CASE("cli: 50 concurrent submits from separate processes never over-commit a limit",
          "[e2e][cli][budget]") {
  GitWorkspace workspace;
  Cli cli;
  std::ofstream(cli.home() / "config.json") << R"({"rates": {"local.cpu": 0.001}})";
  // Each session reserves 1 core × 100 s × $0.001 = $0.10; $0.50 holds exactly five.
  REQUIRE(cli.run({"budget", "set", "--total", "0.5"}).exit_status == 0);

  std::vector<parhelia::core::ChildProcess> submits;
  for (int i = 0; i < 50; ++i) {
    submits.push_back(
        cli.start({"submit", "--cmd", "sleep 30", "--timeout", "100", "--cpu", "1", "--json"},
                  workspace.path().string()));
  }
  int started = 0, refused = 0;
  std::vector<std::string> ids;
  for (auto& submit : submits) {
    const auto status = submit.wait_for(60s);
    REQUIRE(status);
    const std::string out = read_all(submit.stdout_fd());
    if (*status == 0) {
      ++started;
      ids.push_back(json::parse(out)["session_id"]);
    } else {
      ++refused;
      CHECK(contains(out,
                     "Not started: this session could cost up to $0.10, but the total "
                     "limit of $0.50 has $0.00 left"));
    }
  }
  CHECK(started == 5);
  CHECK(refused == 45);
  const json shown = json::parse(cli.run({"budget", "show", "--json"}).out);
  CHECK(shown["held_usd"] == Approx(0.5));
  CHECK(shown["reservations"].size() == 5);
  CHECK(shown["reservations"][0]["reserved_usd"] == Approx(0.1));
  CHECK(shown["limits"][0]["remaining_usd"] == Approx(0.0).margin(1e-9));

  // Stopping them gives back what they did not spend (once their work runs, which is charged:
  // one stopped before its supervisor started the work would cost nothing).
  for (const auto& id : ids) wait_for_state(cli, id, "running");
  for (const auto& id : ids)
    CHECK(cli.run({"session", "stop", id, "--grace", "1"}).exit_status == 0);
  for (const auto& id : ids) cli.run({"session", "logs", id, "-f"});  // waits for the end
  const json after = json::parse(cli.run({"budget", "show", "--json"}).out);
  CHECK(after["held_usd"] == 0);
  CHECK(after["total_usd"].get<double>() > 0);
  CHECK(after["total_usd"].get<double>() < 0.5);
}

TEST_CASE("cli: budget show draws the last 30 days, set, estimate, history and rates",
          "[e2e][cli][budget]") {
  GitWorkspace workspace;
  Cli cli;
  std::ofstream(cli.home() / "config.json") << R"({"rates": {"local.cpu": 0.01}})";
  const auto set = cli.run({"budget", "set", "--daily", "5", "--thresholds", "50,90"});
  INFO(set.out << set.err);
  CHECK(set.exit_status == 0);
  CHECK(contains(set.out, "limit.daily: unset -> $5.00"));
  CHECK(contains(set.out, "thresholds: unset -> 50,90"));
  const json recorded = json::parse(cli.run({"budget", "show", "--json"}).out)["recent_changes"];
  REQUIRE(recorded.size() == 2);
  CHECK(contains(recorded[1], "limit.daily: unset -> $5.00 (cli)"));

  const auto ran = cli.run({"submit", "--cmd", "sleep 1", "--sync", "--timeout", "30"},
                           workspace.path().string());
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(contains(ran.out, "cost       $0.04 spent"));  // 2 cores × 2 started seconds × $0.01

  const auto shown = cli.run({"budget", "show"});
  CHECK(contains(shown.out, "Spent $0.04 today"));
  CHECK(contains(shown.out, "Limit daily $5.00: $0.04 spent, $0.00 held, $4.96 left."));
  CHECK(contains(shown.out, "Spend per day, last 30 days (UTC), highest $0.04:"));
  CHECK(contains(shown.out, "█"));

  const auto estimate = cli.run({"budget", "estimate", "--kind", "command", "--timeout", "1h"});
  CHECK(estimate.exit_status == 1);  // $72 does not fit in $4.96
  CHECK(contains(estimate.out, "Up to $72.00 for 3600 s (compute $72.00/h)."));
  CHECK(contains(estimate.out, "the longest timeout that fits is 248 s"));
  const json fits = json::parse(
      cli.run({"budget", "estimate", "--kind", "command", "--timeout", "60", "--json"}).out);
  CHECK(fits["fits"] == true);
  CHECK(fits["estimate"]["reserve_usd"] == Approx(1.2));

  const json history = json::parse(cli.run({"budget", "history", "--json"}).out);
  double sum = 0;
  for (const auto& row : history["rows"]) sum += row["amount_usd"].get<double>();
  CHECK(sum == Approx(0.04));
  CHECK(history["rows"][0]["unit_price"] == "$0.01");

  CHECK(cli.run({"budget", "set", "--clear", "daily"}).exit_status == 0);
  CHECK(contains(cli.run({"budget", "show"}).out, "No limits set"));
  CHECK(cli.run({"budget", "set", "--thresholds", "0"}).exit_status == 2);
  CHECK(contains(cli.run({"budget", "rates"}).out, "local.cpu"));
  const auto bad_timeout = cli.run({"budget", "estimate", "--timeout", "soon"});
  CHECK(bad_timeout.exit_status == 2);

  // Above the confirmation amount a submit outside a terminal needs --yes.
  const auto unconfirmed =
      cli.run({"submit", "--cmd", "true", "--timeout", "10m"}, workspace.path().string());
  CHECK(unconfirmed.exit_status == 1);
  CHECK(contains(unconfirmed.err, "pass --yes"));
}

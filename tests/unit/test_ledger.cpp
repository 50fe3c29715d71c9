#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "core/base/calendar.h"
#include "core/budget/budget.h"
#include "core/budget/ledger.h"
#include "core/session/session.h"
#include "tests/support/temp_dir.h"

using namespace parhelia::core;
using parhelia::testing::TempDir;

namespace {

std::shared_ptr<Database> open_database(const TempDir& home) {
  auto database = Database::open(home.path());
  REQUIRE(database);
  return database.value();
}

Charge cpu_charge(const std::string& session, std::int64_t seconds, Picos price = 39'420'000) {
  return {session, ChargeKind::compute, "cpu", "core-second", seconds * 1000, price};
}

// A fresh database whose budget has a $1.00 daily limit.
struct DailyDollarBudget {
  TempDir home;
  std::shared_ptr<Database> database = open_database(home);
  Budget budget{database};
  Ledger ledger{database};
  DailyDollarBudget() {
    BudgetUpdate update;
    update.limits[LimitScope::daily] = kMicrosPerDollar;
    REQUIRE(budget.update(update, "test")->size() == 1);
  }
};

std::int64_t single_integer(Database& database, const std::string& sql) {
  return database
      .run([&](sqlite::Connection& db) {
        auto q = db.prepare(sql);
        q.step();
        return q.integer(0);
      })
      .value();
}

// Everything the running totals say agrees with the rows themselves.
void check_totals_match_rows(Database& database) {
  const auto rows = single_integer(database, "SELECT coalesce(sum(amount_micros), 0) FROM ledger");
  CHECK(single_integer(database, "SELECT coalesce(sum(amount_micros), 0) FROM spend_by_day") ==
        rows);
  CHECK(single_integer(database, "SELECT coalesce(sum(amount_micros), 0) FROM spend_by_session") ==
        rows);
  CHECK(single_integer(database, "SELECT coalesce(sum(amount_micros), 0) FROM charged") == rows);
  CHECK(single_integer(database,
                       "SELECT count(*) FROM charged c WHERE quantity_milli != (SELECT "
                       "sum(quantity_milli) FROM ledger l WHERE l.session_id = c.session_id AND "
                       "l.resource = c.resource)") == 0);
}

// Runs `body` in a child process that exits with 0 when it returns.
pid_t in_child(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  return pid;
}

int exit_status(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("100,000 charges add up exactly to the total quantity times the price",
          "[unit][budget][ledger]") {
  TempDir home;
  auto database = open_database(home);
  Ledger ledger(database);
  const std::int64_t at = now_ms();
  // A second of H100 and a cache-read token (0.3 micro-dollars, under the smallest unit of
  // money) at a time: rounding each row alone would lose every token's cost.
  std::vector<Charge> batch;
  for (std::int64_t second = 1; second <= 100'000; ++second) {
    batch.push_back({"task-0000000a", ChargeKind::compute, "gpu:H100", "GPU-second", second * 1000,
                     1'097'000'000});
    batch.push_back({"task-0000000a", ChargeKind::tokens, "tokens:claude-sonnet-4-5:cache_read",
                     "token", second * 1000, 300'000});
    if (batch.size() == 2000) {
      REQUIRE(ledger.charge(batch, at));
      batch.clear();
    }
  }
  CHECK(single_integer(*database, "SELECT count(*) FROM ledger") == 200'000);
  // 100,000 × $0.001097 = $109.70 and 100,000 × $0.0000003 = $0.03, to the micro-dollar.
  CHECK(ledger.session_spend("task-0000000a").value() == 109'700'000 + 30'000);
  CHECK(ledger.totals(at)->today == 109'730'000);
  CHECK(ledger.totals(at)->total == 109'730'000);
  const auto resources = ledger.session_resources("task-0000000a").value();
  REQUIRE(resources.size() == 2);
  CHECK(resources[0].resource == "gpu:H100");
  CHECK(resources[0].quantity_milli == 100'000'000);
  CHECK(resources[1].amount == 30'000);
  check_totals_match_rows(*database);
}

TEST_CASE("a charge is idempotent: the same total twice, or a lower one, adds nothing",
          "[unit][budget][ledger]") {
  TempDir home;
  auto database = open_database(home);
  Ledger ledger(database);
  CHECK(ledger.charge({cpu_charge("task-00000001", 60)}, now_ms())->size() == 1);
  CHECK(ledger.charge({cpu_charge("task-00000001", 60)}, now_ms())->empty());
  CHECK(ledger.charge({cpu_charge("task-00000001", 30)}, now_ms())->empty());
  const auto rows = ledger.charge({cpu_charge("task-00000001", 90)}, now_ms()).value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].quantity_milli == 30'000);
  CHECK(ledger.session_spend("task-00000001").value() == cost_of(90'000, 39'420'000));

  SECTION("and the ledger refuses to be edited") {
    auto edit = database->run([](sqlite::Connection& db) {
      db.execute("UPDATE ledger SET amount_micros = 0");
      return Done{};
    });
    REQUIRE_FALSE(edit);
    CHECK_THAT(edit.error().message, Catch::Contains("append-only"));
    CHECK_FALSE(database->run([](sqlite::Connection& db) {
      db.execute("DELETE FROM ledger");
      return Done{};
    }));
  }
  SECTION("history pages newest first, with filters") {
    ledger
        .charge({{"task-00000002", ChargeKind::tokens, "tokens:m:input", "token", 5000, 1}},
                now_ms())
        .value();
    HistoryQuery query;
    query.limit = 2;
    auto page = ledger.history(query).value();
    REQUIRE(page.size() == 2);
    CHECK(page[0].session_id == "task-00000002");
    query.before_id = page[1].id;
    CHECK(ledger.history(query)->size() == 1);
    query = {};
    query.kind = "compute";
    CHECK(ledger.history(query)->size() == 2);
    query.session_id = "task-00000002";
    CHECK(ledger.history(query)->empty());
  }
}

TEST_CASE("kill -9 in the middle of charging loses no committed row and duplicates none",
          "[unit][budget][ledger]") {
  TempDir home;
  open_database(home);  // created and migrated before the children race for it
  std::mt19937 random(12345);
  std::int64_t acknowledged = 0;
  for (int round = 0; round < 25; ++round) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const std::int64_t start = acknowledged;
    const pid_t child = in_child([&] {
      ::close(pipe_fds[0]);
      auto database = Database::open(home.path());
      if (!database) ::_exit(3);
      Ledger ledger(database.value());
      for (std::int64_t second = start + 1;; ++second) {
        // Two resources in one transaction: both rows or neither.
        const std::vector<Charge> charges = {cpu_charge("task-0000dead", second),
                                             {"task-0000dead", ChargeKind::compute, "memory",
                                              "GiB-second", second * 4000, 6'720'000}};
        if (!ledger.charge(charges, now_ms())) ::_exit(4);
        // Said only after the commit: everything acknowledged must survive the kill.
        if (::write(pipe_fds[1], &second, sizeof second) != sizeof second) ::_exit(5);
      }
    });
    ::close(pipe_fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + random() % 40));
    ::kill(child, SIGKILL);
    CHECK(exit_status(child) == 128 + SIGKILL);
    std::int64_t said = 0;
    while (::read(pipe_fds[0], &said, sizeof said) == sizeof said) acknowledged = said;
    ::close(pipe_fds[0]);

    auto database = open_database(home);
    Ledger ledger(database);
    const auto resources = ledger.session_resources("task-0000dead").value();
    REQUIRE(resources.size() == 2);
    std::int64_t cpu_seconds = 0;
    for (const auto& r : resources) {
      if (r.resource == "cpu") {
        cpu_seconds = r.quantity_milli / 1000;
        CHECK(r.amount == cost_of(r.quantity_milli, 39'420'000));
      } else {
        CHECK(r.quantity_milli == cpu_seconds * 4000);  // the pair committed together
        CHECK(r.amount == cost_of(r.quantity_milli, 6'720'000));
      }
    }
    // Nothing acknowledged is lost; at most the one commit the kill interrupted was unsaid.
    CHECK(cpu_seconds >= acknowledged);
    CHECK(cpu_seconds <= acknowledged + 1);
    CHECK(single_integer(*database, "SELECT count(*) - count(DISTINCT charge_key) FROM ledger") ==
          0);
    check_totals_match_rows(*database);
    acknowledged = cpu_seconds;
  }
  CHECK(acknowledged > 25);
}

TEST_CASE("50 concurrent reservations from several processes never pass a hard limit",
          "[unit][budget]") {
  TempDir home;
  auto database = open_database(home);
  Budget budget(database);
  BudgetUpdate limit;
  limit.limits[LimitScope::total] = 10 * kMicrosPerDollar;
  limit.limits[LimitScope::daily] = 20 * kMicrosPerDollar;
  REQUIRE(budget.update(limit, "test"));
  // Some spend already committed: $1.00 of the $10.
  Ledger(database).charge({cpu_charge("task-ffff0000", 1, kPicosPerDollar)}, now_ms()).value();

  constexpr int kProcesses = 5;
  constexpr int kEach = 10;
  int go[2];
  REQUIRE(::pipe(go) == 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(in_child([&, p] {
      ::close(go[1]);
      char start;
      if (::read(go[0], &start, 1) != 0) ::_exit(6);  // wait for the pipe to close: all at once
      auto db = Database::open(home.path());
      if (!db) ::_exit(3);
      Budget mine(db.value());
      int granted = 0;
      std::vector<std::thread> threads;
      std::atomic<int> granted_here{0};
      for (int i = 0; i < kEach; ++i) {
        threads.emplace_back([&, i] {
          char id[16];
          std::snprintf(id, sizeof id, "task-%04x%04x", p, i);
          auto r = mine.reserve(id, 300'000, now_ms());  // $0.30 each
          if (r && r->granted) ++granted_here;
        });
      }
      for (auto& t : threads) t.join();
      granted = granted_here;
      ::_exit(granted);
    }));
  }
  ::close(go[0]);
  ::close(go[1]);
  int granted = 0;
  for (pid_t child : children) granted += exit_status(child);
  // $9.00 of room at $0.30 each: exactly 30 fit, whoever asks first.
  CHECK(granted == 30);
  CHECK(budget.held().value() == 9'000'000);
  const auto room = budget.headroom(now_ms()).value();
  REQUIRE(room.size() == 2);
  CHECK(room[0].scope == LimitScope::total);
  CHECK(room[0].remaining() == 0);

  SECTION("a refusal names the tightest limit") {
    auto refused = budget.reserve("task-ffffffff", 1, now_ms()).value();
    CHECK_FALSE(refused.granted);
    REQUIRE(refused.tightest);
    CHECK(refused.tightest->limit == 10'000'000);
    CHECK(refused.tightest->spent == 1'000'000);
    CHECK(refused.tightest->held == 9'000'000);
  }
  SECTION("released reservations give their room back; spent money does not") {
    Ledger(database).charge({cpu_charge("task-ffff0000", 2, kPicosPerDollar)}, now_ms()).value();
    REQUIRE(budget.release("task-ffff0000", now_ms()));
    // The $1.00 more just spent is now outside any reservation: $1.00 over the room left.
    CHECK(budget.headroom(now_ms())->front().remaining() == -1'000'000);
    // Sessions that never appeared are released a minute after their reservation.
    CHECK(budget.release_stale(now_ms()).value() == 0);
    CHECK(budget.release_stale(now_ms() + 61'000).value() == 30);
    CHECK(budget.held().value() == 0);
  }
}

TEST_CASE("a reader started at a time is shown the alerts recorded since, each once, oldest first",
          "[unit][budget]") {
  DailyDollarBudget rig;
  Budget& budget = rig.budget;
  Ledger& ledger = rig.ledger;
  const std::int64_t t0 = now_ms();
  const std::string session = "task-0000a1e8";
  ledger.charge({{session, ChargeKind::compute, "cpu", "core-second", 600, kPicosPerDollar}}, t0)
      .value();
  REQUIRE(budget.record_alerts(session, std::nullopt, t0)->size() == 1);  // 50%
  ledger
      .charge({{session, ChargeKind::compute, "cpu", "core-second", 1000, kPicosPerDollar}},
              t0 + 5000)
      .value();
  REQUIRE(budget.record_alerts(session, std::nullopt, t0 + 5000)->size() == 2);  // 80%, 100%

  const auto thresholds = [](const std::vector<BudgetAlert>& alerts) {
    std::vector<int> pcts;
    for (const auto& alert : alerts) pcts.push_back(alert.threshold_pct);
    return pcts;
  };
  CHECK(thresholds(budget.alerts_unseen(0, t0, 10).value()) == std::vector<int>{50, 80, 100});
  const auto later = budget.alerts_unseen(0, t0 + 1000, 10).value();
  REQUIRE(thresholds(later) == std::vector<int>{80, 100});
  CHECK(thresholds(budget.alerts_unseen(later[0].id, t0 + 1000, 10).value()) ==
        std::vector<int>{100});
  CHECK(budget.alerts_unseen(later[1].id, t0 + 1000, 10)->empty());
  CHECK(budget.alerts_unseen(0, t0 + 10'000, 10)->empty());
}

TEST_CASE("threshold alerts are recorded once per threshold and period, the watchdog's checks",
          "[unit][budget]") {
  DailyDollarBudget rig;
  Budget& budget = rig.budget;
  Ledger& ledger = rig.ledger;
  const std::int64_t now = now_ms();
  const Picos dollar = kPicosPerDollar;
  const std::string session = "task-0000a1e7";

  ledger.charge({cpu_charge(session, 0, dollar)}, now).value();
  CHECK(budget.record_alerts(session, std::nullopt, now)->empty());
  ledger.charge({{session, ChargeKind::compute, "cpu", "core-second", 600, dollar}}, now).value();
  auto alerts = budget.record_alerts(session, std::nullopt, now).value();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].threshold_pct == 50);
  CHECK(alerts[0].period == iso_date(utc_day(now)));
  CHECK(alerts[0].sentence() == "Budget alert: daily spend (" + iso_date(utc_day(now)) +
                                    ") is $0.60, 50% of the $1.00 daily limit.");
  CHECK(budget.record_alerts(session, std::nullopt, now)->empty());
  CHECK_FALSE(budget.allowance(session, std::nullopt, now)->stop_reason);
  CHECK(budget.allowance(session, 500'000, now)->room == -100'000);
  CHECK(budget.allowance(session, 500'000, now)->stop_reason ==
        "It reached its budget cap of $0.50 (spent $0.60).");

  ledger.charge({{session, ChargeKind::compute, "cpu", "core-second", 1000, dollar}}, now).value();
  alerts = budget.record_alerts(session, std::nullopt, now).value();
  REQUIRE(alerts.size() == 2);  // 80% and 100% at once
  CHECK(alerts[1].threshold_pct == 100);
  CHECK(budget.allowance(session, std::nullopt, now)->stop_reason ==
        "The daily budget limit of $1.00 was reached (spent $1.00).");
  // Tomorrow is another period.
  CHECK_FALSE(budget.allowance(session, std::nullopt, now + 86'400'000)->stop_reason);
  CHECK(budget.alerts_unseen(0, 0, 10)->size() == 3);
  CHECK(budget.alerts_unseen(alerts[0].id, 0, 10)->size() == 1);

  SECTION("every settings change is recorded, and bad settings are refused") {
    BudgetUpdate thresholds;
    thresholds.thresholds = std::vector<int>{90, 25, 90};
    REQUIRE(budget.update(thresholds, "cli"));
    CHECK(budget.settings()->thresholds == std::vector<int>{25, 90});
    BudgetUpdate clear;
    clear.limits[LimitScope::daily] = std::nullopt;
    REQUIRE(budget.update(clear, "mcp"));
    CHECK_FALSE(budget.settings()->limit(LimitScope::daily));
    const auto changes = budget.changes(10).value();
    REQUIRE(changes.size() == 3);
    CHECK(changes[0].name == "limit.daily");
    CHECK(changes[0].old_value == "1000000");
    CHECK_FALSE(changes[0].new_value);
    CHECK(changes[0].origin == "mcp");
    BudgetUpdate bad;
    bad.thresholds = std::vector<int>{0};
    CHECK_FALSE(budget.update(bad, "cli"));
    CHECK_FALSE(budget.update(BudgetUpdate{}, "cli"));
  }
}

// The rules both faces apply, each kept once in core: budget changes and keyset cursors.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/base/keyset_cursor.h"
#include "core/budget/budget.h"

using namespace parhelia::core;

TEST_CASE("a budget change in dollars becomes exact amounts, and a bad amount is refused",
          "[unit][budget]") {
  BudgetRequest request;
  request.limits[LimitScope::daily] = 12.5;
  request.clear = {"total"};
  request.confirm_above = 0;
  auto update = budget_update_of(request);
  REQUIRE(update);
  CHECK(update->limits.at(LimitScope::daily) == 12'500'000);
  CHECK_FALSE(update->limits.at(LimitScope::total).has_value());
  CHECK(update->confirm_above == 0);

  for (double bad : {-1.0, std::nan(""), std::numeric_limits<double>::infinity(), 2e9}) {
    BudgetRequest limit;
    limit.limits[LimitScope::session] = bad;
    auto refused = budget_update_of(limit);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::invalid_input);
    CHECK(refused.error().sentence() == "A limit is a number of dollars, 0 or more.");
    BudgetRequest confirm;
    confirm.confirm_above = bad;
    REQUIRE_FALSE(budget_update_of(confirm));  // never $0 in its place
    BudgetRequest allowance;
    allowance.token_allowance_per_hour = bad;
    REQUIRE_FALSE(budget_update_of(allowance));
  }
  BudgetRequest both;
  both.limits[LimitScope::daily] = 5;
  both.clear = {"daily"};
  CHECK(budget_update_of(both).error().sentence() ==
        "The daily limit is both set and cleared; do one.");
  BudgetRequest unknown;
  unknown.clear = {"weekly"};
  CHECK(budget_update_of(unknown).error().sentence() == "There is no limit 'weekly' to clear.");
}

TEST_CASE("a keyset cursor reads back as it was made, and no other token does", "[unit]") {
  CHECK(to_cursor("c", {1764662400000, "task-0123abcd"}) == "c1764662400000:task-0123abcd");
  CHECK(to_cursor("before:", {42}) == "before:42");
  const auto session = parse_cursor("c1764662400000:task-0123abcd", "c", true);
  REQUIRE(session);
  CHECK(session->key == 1764662400000);
  CHECK(session->tie == "task-0123abcd");
  const auto row = parse_cursor("before:42", "before:", false);
  REQUIRE(row);
  CHECK(row->key == 42);
  CHECK_FALSE(row->tie);
  for (const char* bad : {"", "c", "c:task-1", "c12", "x12:task-1", "cabc:task-1"})
    CHECK_FALSE(parse_cursor(bad, "c", true));
  for (const char* bad : {"before:", "before:x", "after:42", "before:42x", "42"})
    CHECK_FALSE(parse_cursor(bad, "before:", false));
}

// Where the money stands, in one read: spend today, this month and in total, what live
// sessions hold, each limit's room, the settings, the top sessions, this month's alerts and
// the last 30 days. Every number comes from running totals, so it costs the same with a
// million ledger rows as with ten.
#pragma once

#include <vector>

#include "core/budget/budget.h"
#include "core/budget/ledger.h"

namespace parhelia::core {

struct BudgetReport {
  std::int64_t at = 0;
  SpendTotals spend;
  Micros held = 0;
  std::vector<HeldReservation> reservations;  // live sessions' holds, newest first
  BudgetSettings settings;
  std::vector<Headroom> headroom;  // tightest first
  std::vector<SessionSpend> top_sessions;
  std::vector<BudgetAlert> alerts;    // this month's, newest first
  std::vector<BudgetChange> changes;  // the latest settings changes, newest first
  std::vector<Micros> last_days;      // oldest first, ending today
};

Result<BudgetReport> budget_report(Ledger& ledger, Budget& budget, std::int64_t now_ms,
                                   int days = 30);

}  // namespace parhelia::core

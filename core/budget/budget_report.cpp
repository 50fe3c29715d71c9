#include "core/budget/budget_report.h"

#include "core/base/calendar.h"

namespace parhelia::core {

Result<BudgetReport> budget_report(Ledger& ledger, Budget& budget, std::int64_t now_ms, int days) {
  BudgetReport report;
  report.at = now_ms;
  auto spend = ledger.totals(now_ms);
  if (!spend) return spend.error();
  report.spend = spend.value();
  auto held = budget.held();
  if (!held) return held.error();
  report.held = held.value();
  auto reservations = budget.reservations(20);
  if (!reservations) return reservations.error();
  report.reservations = reservations.value();
  auto settings = budget.settings();
  if (!settings) return settings.error();
  report.settings = settings.value();
  // Each limit's period spend is one of the totals just read.
  report.headroom = headroom_of(report.settings, report.held, [&](LimitScope scope) {
    return scope == LimitScope::daily     ? report.spend.today
           : scope == LimitScope::monthly ? report.spend.this_month
                                          : report.spend.total;
  });
  auto top = ledger.top_sessions(5);
  if (!top) return top.error();
  report.top_sessions = top.value();
  auto alerts = budget.alerts_since(day_start_ms(first_day_of_month(utc_day(now_ms))), 20);
  if (!alerts) return alerts.error();
  report.alerts = alerts.value();
  auto changes = budget.changes(5);
  if (!changes) return changes.error();
  report.changes = changes.value();
  auto last_days = ledger.by_day(now_ms, days);
  if (!last_days) return last_days.error();
  report.last_days = last_days.value();
  return report;
}

}  // namespace parhelia::core

// How costs look from outside, the same to the submit, status and budget tools and to the
// CLI's --json: estimates, a session's spend, and the budget report. Amounts are dollars
// (numbers, exact to the micro-dollar the ledger keeps).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/typed_schema.h"
#include "core/budget/budget_report.h"
#include "core/budget/estimate.h"
#include "core/service/sessions.h"

namespace parhelia::views {

using schema::field;

struct CostLineView {
  std::string item;
  std::string unit;
  double quantity = 0;
  std::string unit_price;
  double amount_usd = 0;
  static auto fields() {
    return std::tuple{field("item", &CostLineView::item, "What is charged"),
                      field("unit", &CostLineView::unit, "Its unit"),
                      field("quantity", &CostLineView::quantity, "How many units"),
                      field("unit_price", &CostLineView::unit_price, "Dollars per unit"),
                      field("amount_usd", &CostLineView::amount_usd, "Dollars")};
  }
};

struct EstimateView {
  double reserve_usd = 0;
  double worst_case_usd = 0;
  std::optional<double> cap_usd;
  double compute_per_hour_usd = 0;
  double token_allowance_usd = 0;
  std::int64_t timeout_s = 0;
  std::vector<CostLineView> lines;
  std::string summary;
  static auto fields() {
    return std::tuple{
        field("reserve_usd", &EstimateView::reserve_usd,
              "What a submit reserves against the limits: the worst case, or the cap if lower"),
        field("worst_case_usd", &EstimateView::worst_case_usd,
              "Compute for the whole timeout plus the token allowance"),
        field("cap_usd", &EstimateView::cap_usd,
              "The session's own cap (max_cost or the per-session limit); it is stopped there"),
        field("compute_per_hour_usd", &EstimateView::compute_per_hour_usd,
              "What its resources cost per hour"),
        field("token_allowance_usd", &EstimateView::token_allowance_usd,
              "Set aside for Claude API tokens (tasks only)"),
        field("timeout_s", &EstimateView::timeout_s, "The timeout it was worked out for"),
        field("lines", &EstimateView::lines, "Each priced resource"),
        field("summary", &EstimateView::summary, "The estimate in a sentence")};
  }
};

struct SpendLineView {
  std::string resource;
  double quantity = 0;
  double amount_usd = 0;
  static auto fields() {
    return std::tuple{field("resource", &SpendLineView::resource, "What was used"),
                      field("quantity", &SpendLineView::quantity, "How much, in its unit"),
                      field("amount_usd", &SpendLineView::amount_usd, "Dollars charged")};
  }
};

struct SessionCostView {
  double spent_usd = 0;
  double reserved_usd = 0;
  std::optional<double> cap_usd;
  std::vector<SpendLineView> by_resource;
  static auto fields() {
    return std::tuple{
        field("spent_usd", &SessionCostView::spent_usd, "Charged so far (updated as it runs)"),
        field("reserved_usd", &SessionCostView::reserved_usd,
              "What the budget holds for it now (its worst case until it ends, then 0)"),
        field("cap_usd", &SessionCostView::cap_usd, "Its own cap, if it has one"),
        field("by_resource", &SessionCostView::by_resource, "The charges by resource")};
  }
};

struct LimitView {
  std::string scope;
  double limit_usd = 0;
  double spent_usd = 0;
  double held_usd = 0;
  double remaining_usd = 0;
  static auto fields() {
    return std::tuple{
        field("scope", &LimitView::scope, "daily, monthly or total"),
        field("limit_usd", &LimitView::limit_usd, "The hard limit"),
        field("spent_usd", &LimitView::spent_usd, "Spent in its period"),
        field("held_usd", &LimitView::held_usd, "Reserved by live sessions"),
        field("remaining_usd", &LimitView::remaining_usd, "What a new session may still reserve")};
  }
};

struct TopSessionView {
  std::string session_id;
  double spent_usd = 0;
  static auto fields() {
    return std::tuple{field("session_id", &TopSessionView::session_id, "The session"),
                      field("spent_usd", &TopSessionView::spent_usd, "What it cost")};
  }
};

struct ReservationView {
  std::string session_id;
  double reserved_usd = 0;
  double spent_usd = 0;
  static auto fields() {
    return std::tuple{field("session_id", &ReservationView::session_id, "The live session"),
                      field("reserved_usd", &ReservationView::reserved_usd, "Its worst case"),
                      field("spent_usd", &ReservationView::spent_usd, "Spent of it so far")};
  }
};

struct BudgetView {
  double today_usd = 0;
  double this_month_usd = 0;
  double total_usd = 0;
  double held_usd = 0;
  std::vector<ReservationView> reservations;
  std::vector<LimitView> limits;
  std::optional<double> session_limit_usd;
  std::vector<int> alert_thresholds;
  double confirm_above_usd = 0;
  double token_allowance_per_hour_usd = 0;
  std::vector<TopSessionView> top_sessions;
  std::vector<std::string> alerts;
  std::vector<std::string> recent_changes;
  std::vector<double> last_30_days_usd;
  static auto fields() {
    return std::tuple{
        field("today_usd", &BudgetView::today_usd, "Spent today (UTC)"),
        field("this_month_usd", &BudgetView::this_month_usd, "Spent this month (UTC)"),
        field("total_usd", &BudgetView::total_usd, "Spent in all"),
        field("held_usd", &BudgetView::held_usd, "Reserved by live sessions, not yet spent"),
        field("reservations", &BudgetView::reservations,
              "Live sessions' reservations (up to 20, newest first)"),
        field("limits", &BudgetView::limits, "Each hard limit and its room, tightest first"),
        field("session_limit_usd", &BudgetView::session_limit_usd, "The cap on every session"),
        field("alert_thresholds", &BudgetView::alert_thresholds, "Alert at these percentages"),
        field("confirm_above_usd", &BudgetView::confirm_above_usd,
              "Submits estimated above this ask the user first"),
        field("token_allowance_per_hour_usd", &BudgetView::token_allowance_per_hour_usd,
              "Reserved for a task's tokens per hour of its timeout"),
        field("top_sessions", &BudgetView::top_sessions, "The costliest sessions"),
        field("alerts", &BudgetView::alerts, "This month's threshold alerts, newest first"),
        field("recent_changes", &BudgetView::recent_changes,
              "The latest changes to limits and settings, newest first"),
        field("last_30_days_usd", &BudgetView::last_30_days_usd,
              "Spend per day, oldest first, ending today")};
  }
};

struct EstimateAnswer {
  EstimateView estimate;
  bool fits = true;
  std::optional<double> room_usd;
  std::optional<std::string> tightest_limit;
  std::optional<std::int64_t> longest_timeout_s;
  bool needs_confirmation = false;
  static auto fields() {
    return std::tuple{
        field("estimate", &EstimateAnswer::estimate, "The worst case and its parts"),
        field("fits", &EstimateAnswer::fits,
              "Whether a submit would be accepted by the limits now"),
        field("room_usd", &EstimateAnswer::room_usd, "What the tightest limit still allows"),
        field("tightest_limit", &EstimateAnswer::tightest_limit, "Which limit that is"),
        field("longest_timeout_s", &EstimateAnswer::longest_timeout_s,
              "When it does not fit: the longest timeout that would"),
        field("needs_confirmation", &EstimateAnswer::needs_confirmation,
              "Whether submit would ask the user (or need confirm: true) first")};
  }
};

struct LedgerRowView {
  std::int64_t id = 0;
  std::string at;
  std::string session_id;
  std::string kind;
  std::string resource;
  double quantity = 0;
  std::string unit;
  std::string unit_price;
  double amount_usd = 0;
  static auto fields() {
    return std::tuple{field("id", &LedgerRowView::id, "Row number (grows)"),
                      field("at", &LedgerRowView::at, "When (UTC)"),
                      field("session_id", &LedgerRowView::session_id, "The session charged"),
                      field("kind", &LedgerRowView::kind, "compute, tokens or storage"),
                      field("resource", &LedgerRowView::resource, "What was used"),
                      field("quantity", &LedgerRowView::quantity, "How much"),
                      field("unit", &LedgerRowView::unit, "Its unit"),
                      field("unit_price", &LedgerRowView::unit_price, "Dollars per unit"),
                      field("amount_usd", &LedgerRowView::amount_usd, "Dollars")};
  }
};

struct ChangeView {
  std::string at;
  std::string setting;
  std::optional<std::string> from;
  std::optional<std::string> to;
  static auto fields() {
    return std::tuple{field("at", &ChangeView::at, "When (UTC)"),
                      field("setting", &ChangeView::setting, "What changed"),
                      field("from", &ChangeView::from, "Its old value (none: unset)"),
                      field("to", &ChangeView::to, "Its new value (none: removed)")};
  }
};

struct RateView {
  std::string rate;
  std::string price;
  std::string per;
  std::string source;
  static auto fields() {
    return std::tuple{field("rate", &RateView::rate, "Its name, as config.json's rates use it"),
                      field("price", &RateView::price, "Dollars"),
                      field("per", &RateView::per, "Per what"),
                      field("source", &RateView::source, "default, or the config file")};
  }
};

// A view's dollars as a person reads them: "$12.35", "$0.000123".
std::string usd(double amount);

EstimateView estimate_view(const core::CostEstimate& estimate);
// "up to $7.90 for 3600 s (gpu:H100 $3.95/h, tokens $3.00)".
std::string estimate_sentence(const core::CostEstimate& estimate);
// Why a submit waits for the user (SessionService::confirmation_above): "Not submitted: <the
// estimate> That is more than $5.00"; each face adds how to agree.
std::string unconfirmed(const core::CostEstimate& estimate, core::Micros confirm_above);
// Nothing when the budget's hold for it could not be read.
std::optional<SessionCostView> session_cost(const core::Session& session,
                                            const core::SessionFacts& facts);
BudgetView budget_view(const core::BudgetReport& report);
// The same words for the tool and the terminal.
std::string to_text(const EstimateAnswer& answer);  // summary, fit, confirmation
std::string to_line(const LedgerRowView& row);
std::string to_line(const RateView& rate);
std::string to_line(const ChangeView& change);  // "limit.daily: unset -> $5.00"
// What a submit of `request` would cost, whether the limits allow it now, and if not the
// longest timeout that would fit.
EstimateAnswer estimate_answer(const core::SubmitFit& fit);
core::Result<EstimateAnswer> estimate_answer(core::SessionService& service,
                                             const core::SubmitRequest& request);
LedgerRowView row_view(const core::LedgerRow& row);
ChangeView change_view(const core::BudgetChange& change);
// Token prices are shown per million tokens, as Anthropic lists them.
RateView rate_view(const core::Rate& rate);
std::string to_text(const BudgetView& view);

}  // namespace parhelia::views

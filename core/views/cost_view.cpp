#include "core/views/cost_view.h"

#include <sstream>

namespace parhelia::views {
namespace {

using core::dollars;
using core::format_usd;

}  // namespace

std::string usd(double amount) {
  return format_usd(core::rounded_micros(amount));
}

EstimateView estimate_view(const core::CostEstimate& e) {
  EstimateView view;
  view.reserve_usd = dollars(e.reserve);
  view.worst_case_usd = dollars(e.worst_case);
  if (e.cap) view.cap_usd = dollars(*e.cap);
  view.compute_per_hour_usd = dollars(e.per_hour);
  view.token_allowance_usd = dollars(e.token_allowance);
  view.timeout_s = e.timeout_s;
  for (const auto& line : e.lines) {
    view.lines.push_back({line.item, line.unit, core::units_of(line.quantity_milli),
                          core::format_price(line.price), dollars(line.amount)});
  }
  view.summary = estimate_sentence(e);
  return view;
}

std::string estimate_sentence(const core::CostEstimate& e) {
  if (e.reserve == 0) {
    return "Free: nothing it uses is priced (the local backend's compute costs $0 unless "
           "priced in config.json).";
  }
  std::string text =
      "Up to " + format_usd(e.reserve) + " for " + std::to_string(e.timeout_s) + " s";
  if (e.kept_s > 0) text += " and " + std::to_string(e.kept_s) + " s kept after";
  std::string parts;
  if (e.per_hour > 0) parts = "compute " + format_usd(e.per_hour) + "/h";
  if (e.token_allowance > 0)
    parts += (parts.empty() ? "" : ", ") + std::string("tokens ") + format_usd(e.token_allowance);
  if (!parts.empty()) text += " (" + parts + ")";
  if (e.cap && *e.cap < e.worst_case) text += ", capped at " + format_usd(*e.cap);
  return text + ".";
}

std::string unconfirmed(const core::CostEstimate& estimate, core::Micros confirm_above) {
  return "Not submitted: " + estimate_sentence(estimate) + " That is more than " +
         format_usd(confirm_above);
}

std::optional<SessionCostView> session_cost(const core::Session& session,
                                            const core::SessionFacts& facts) {
  // Shown whole or not at all: a cost read in half would say less was spent than was.
  if (!facts.reserved || !facts.by_resource) return std::nullopt;
  SessionCostView view;
  view.reserved_usd = dollars(*facts.reserved);
  if (session.max_cost_micros) view.cap_usd = dollars(*session.max_cost_micros);
  core::Micros spent = 0;
  for (const auto& r : *facts.by_resource) {
    spent += r.amount;
    view.by_resource.push_back({r.resource, core::units_of(r.quantity_milli), dollars(r.amount)});
  }
  view.spent_usd = dollars(spent);
  return view;
}

BudgetView budget_view(const core::BudgetReport& report) {
  BudgetView view;
  view.today_usd = dollars(report.spend.today);
  view.this_month_usd = dollars(report.spend.this_month);
  view.total_usd = dollars(report.spend.total);
  view.held_usd = dollars(report.held);
  for (const auto& r : report.reservations)
    view.reservations.push_back({r.session_id, dollars(r.reserved), dollars(r.spent)});
  for (const auto& room : report.headroom) {
    view.limits.push_back({std::string(core::to_string(room.scope)), dollars(room.limit),
                           dollars(room.spent), dollars(room.held), dollars(room.remaining())});
  }
  if (const auto limit = report.settings.limit(core::LimitScope::session))
    view.session_limit_usd = dollars(*limit);
  view.alert_thresholds = report.settings.thresholds;
  view.confirm_above_usd = dollars(report.settings.confirm_above);
  view.token_allowance_per_hour_usd = dollars(report.settings.token_allowance_per_hour);
  for (const auto& top : report.top_sessions)
    view.top_sessions.push_back({top.session_id, dollars(top.amount)});
  for (const auto& alert : report.alerts) view.alerts.push_back(alert.sentence());
  for (const auto& change : report.changes) {
    const ChangeView c = change_view(change);
    view.recent_changes.push_back(c.at + " " + to_line(c) + " (" + change.origin + ")");
  }
  for (core::Micros day : report.last_days) view.last_30_days_usd.push_back(dollars(day));
  return view;
}

std::string to_text(const BudgetView& v) {
  std::ostringstream text;
  text << "Spent " << usd(v.today_usd) << " today, " << usd(v.this_month_usd) << " this month, "
       << usd(v.total_usd) << " in all (UTC); " << usd(v.held_usd) << " held by live sessions";
  for (const auto& r : v.reservations)
    text << (&r == &v.reservations.front() ? ": " : ", ") << r.session_id << " " << usd(r.spent_usd)
         << " of " << usd(r.reserved_usd);
  text << ".\n";
  if (v.limits.empty() && !v.session_limit_usd) {
    text << "No limits set: set them with the budget tool's set action (or parhelia budget "
            "set).\n";
  }
  for (const auto& l : v.limits) {
    text << "Limit " << l.scope << " " << usd(l.limit_usd) << ": " << usd(l.spent_usd) << " spent, "
         << usd(l.held_usd) << " held, " << usd(l.remaining_usd) << " left.\n";
  }
  if (v.session_limit_usd)
    text << "Each session is capped at " << usd(*v.session_limit_usd) << ".\n";
  text << "Alerts at";
  for (int t : v.alert_thresholds) text << " " << t << "%";
  text << "; submits estimated above " << usd(v.confirm_above_usd) << " ask first.";
  if (!v.top_sessions.empty()) {
    text << "\nTop sessions:";
    for (const auto& top : v.top_sessions)
      text << " " << top.session_id << " " << usd(top.spent_usd);
  }
  for (const auto& alert : v.alerts) text << "\n" << alert;
  return text.str();
}

EstimateAnswer estimate_answer(const core::SubmitFit& fit) {
  EstimateAnswer answer;
  answer.estimate = estimate_view(fit.estimate);
  answer.needs_confirmation = fit.needs_confirmation;
  if (!fit.tightest) return answer;
  answer.room_usd = dollars(std::max<core::Micros>(fit.tightest->remaining(), 0));
  answer.tightest_limit = std::string(core::to_string(fit.tightest->scope));
  answer.fits = fit.fits;
  answer.longest_timeout_s = fit.longest_timeout_s;
  return answer;
}

core::Result<EstimateAnswer> estimate_answer(core::SessionService& service,
                                             const core::SubmitRequest& request) {
  auto fit = service.fit(request);
  if (!fit) return fit.error();
  return estimate_answer(fit.value());
}

std::string to_text(const EstimateAnswer& a) {
  std::string text = a.estimate.summary;
  if (!a.tightest_limit) {
    text += " No limits are set.";
  } else if (a.fits) {
    text += " It fits: the " + *a.tightest_limit + " limit has " + usd(a.room_usd.value_or(0)) +
            " left.";
  } else {
    text += " It does not fit: the " + *a.tightest_limit + " limit has " +
            usd(a.room_usd.value_or(0)) + " left";
    if (a.longest_timeout_s && *a.longest_timeout_s > 0)
      text += "; the longest timeout that fits is " + std::to_string(*a.longest_timeout_s) + " s";
    text += ".";
  }
  if (a.needs_confirmation) text += " Submitting it asks the user to confirm first.";
  return text;
}

std::string to_line(const LedgerRowView& v) {
  std::ostringstream line;
  line << v.at << "  " << v.session_id << "  " << v.resource << "  " << v.quantity << " " << v.unit
       << " x " << v.unit_price << " = " << usd(v.amount_usd);
  return line.str();
}

std::string to_line(const RateView& v) {
  return v.rate + std::string(v.rate.size() < 32 ? 32 - v.rate.size() : 1, ' ') + v.price +
         " per " + v.per + "  (" + v.source + ")";
}

std::string to_line(const ChangeView& v) {
  return v.setting + ": " + v.from.value_or("unset") + " -> " + v.to.value_or("unset");
}

LedgerRowView row_view(const core::LedgerRow& row) {
  return {row.id,
          core::iso_time(row.at),
          row.session_id,
          row.kind,
          row.resource,
          core::units_of(row.quantity_milli),
          row.unit,
          core::format_price(row.unit_price),
          dollars(row.amount)};
}

ChangeView change_view(const core::BudgetChange& change) {
  // Amounts are kept in micro-dollars; a person reads dollars.
  auto shown = [&](const std::optional<std::string>& value) -> std::optional<std::string> {
    if (!value || change.name == "thresholds") return value;
    try {
      return format_usd(std::stoll(*value));
    } catch (const std::exception&) {
      return value;
    }
  };
  return {core::iso_time(change.at), change.name, shown(change.old_value), shown(change.new_value)};
}

RateView rate_view(const core::Rate& rate) {
  return {rate.key, core::format_price(core::listed_price(rate)), core::listed_unit(rate),
          rate.source};
}

}  // namespace parhelia::views

// `parhelia budget show|estimate|history|set|rates`: the budget tool's actions for a person,
// with --json giving the same structures the tool returns.
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/resource_options.h"
#include "cli/session_output.h"
#include "core/base/calendar.h"
#include "core/base/config_file.h"
#include "core/views/cost_view.h"

namespace parhelia::cli {
namespace {

using schema::encode;

// Spend per day as columns of block characters, eighths of a row at the top of each bar.
std::string bar_chart(const std::vector<double>& days, std::int64_t last_day) {
  constexpr int kRows = 6;
  const double most = days.empty() ? 0 : *std::max_element(days.begin(), days.end());
  std::ostringstream chart;
  chart << "Spend per day, last " << days.size() << " days (UTC)";
  if (most <= 0) return chart.str() + ": nothing spent.\n";
  chart << ", highest " << views::usd(most) << ":\n";
  static const char* const kEighths[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  for (int row = kRows - 1; row >= 0; --row) {
    chart << "  │";
    for (double day : days) {
      const int eighths = static_cast<int>(std::lround(day / most * kRows * 8));
      const int here = std::clamp(eighths - row * 8, 0, 8);
      chart << kEighths[here];
    }
    chart << "\n";
  }
  chart << "  └";
  for (std::size_t i = 0; i < days.size(); ++i) chart << "─";
  const std::string first = core::iso_date(last_day - static_cast<std::int64_t>(days.size()) + 1);
  const std::string last = core::iso_date(last_day);
  const std::size_t gap = days.size() > 10 ? days.size() - 10 : 1;
  chart << "\n   " << first.substr(5) << std::string(gap, ' ') << last.substr(5) << "\n";
  return chart.str();
}

int show(bool as_json) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto where = service->budget_report();
  if (!where) return report(where.error());
  const views::BudgetView view = views::budget_view(where.value());
  if (as_json) {
    print_json(encode(view));
  } else {
    std::cout << views::to_text(view) << "\n\n"
              << bar_chart(view.last_30_days_usd, core::utc_day(where->at));
  }
  return kExitOk;
}

struct EstimateOptions {
  ResourceOptions resources;
  std::string kind = "task";
  bool json = false;
};

int estimate(const EstimateOptions& o) {
  core::SubmitRequest request;
  if (auto wrong = o.resources.apply(request)) {
    print_error(*wrong);
    return kExitUsage;
  }
  if (o.kind == "task") {
    request.task = "estimate";
  } else {
    request.command = "estimate";
  }
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto answer = views::estimate_answer(*service, request);
  if (!answer) return report(answer.error());
  if (o.json) {
    print_json(encode(answer.value()));
    return kExitOk;
  }
  const auto& a = answer.value();
  std::cout << views::to_text(a) << "\n";
  for (const auto& line : a.estimate.lines) {
    std::cout << "  " << line.item << ": " << line.quantity << " " << line.unit << " at "
              << line.unit_price << " = " << views::usd(line.amount_usd) << "\n";
  }
  return a.fits ? kExitOk : kExitFailed;
}

struct HistoryOptions {
  std::string session;
  std::string kind;
  int days = 0;
  int limit = 50;
  bool json = false;
};

int history(const HistoryOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  core::HistoryQuery query;
  if (!o.session.empty()) query.session_id = o.session;
  if (!o.kind.empty()) query.kind = o.kind;
  if (o.days > 0) query.since_ms = core::now_ms() - static_cast<std::int64_t>(o.days) * 86'400'000;
  query.limit = static_cast<std::size_t>(o.limit);
  auto rows = service->history(query);
  if (!rows) return report(rows.error());
  if (o.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& row : rows.value()) items.push_back(encode(views::row_view(row)));
    print_json({{"rows", items}});
    return kExitOk;
  }
  if (rows->empty()) std::cout << "No charges yet.\n";
  for (const auto& row : rows.value()) std::cout << views::to_line(views::row_view(row)) << "\n";
  return kExitOk;
}

struct SetOptions {
  std::optional<double> daily, monthly, total, session, confirm_above, token_allowance;
  std::vector<std::string> clear;
  std::vector<int> thresholds;
  bool json = false;
};

int set(const SetOptions& o) {
  core::BudgetRequest request;
  const std::pair<core::LimitScope, std::optional<double>> limits[] = {
      {core::LimitScope::daily, o.daily},
      {core::LimitScope::monthly, o.monthly},
      {core::LimitScope::total, o.total},
      {core::LimitScope::session, o.session}};
  for (const auto& [scope, value] : limits) {
    if (value) request.limits[scope] = *value;
  }
  request.clear = o.clear;
  if (!o.thresholds.empty()) request.thresholds = o.thresholds;
  request.confirm_above = o.confirm_above;
  request.token_allowance_per_hour = o.token_allowance;
  auto update = core::budget_update_of(request);
  if (!update) return report(update.error());
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto changes = service->set_budget(update.value(), "cli");
  if (!changes) return report(changes.error());
  if (o.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& c : changes.value()) items.push_back(encode(views::change_view(c)));
    print_json({{"changes", items}});
    return kExitOk;
  }
  if (changes->empty()) std::cout << "Nothing changed.\n";
  for (const auto& c : changes.value()) std::cout << views::to_line(views::change_view(c)) << "\n";
  return kExitOk;
}

int rates(bool as_json) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto table = core::RateTable::load(service->home());
  if (!table) return report(table.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& rate : table->all()) {
    const auto v = views::rate_view(rate);
    if (as_json) {
      items.push_back(encode(v));
    } else {
      std::cout << views::to_line(v) << "\n";
    }
  }
  const std::string config = core::config_file(service->home()).string();
  if (as_json) {
    print_json({{"rates", items}, {"config_file", config}});
  } else {
    std::cout << "Override any rate in " << config
              << ", e.g. {\"rates\": {\"local.gpu\": 0.0004}} (dollars per unit-second; "
                 "tokens per million).\n";
  }
  return kExitOk;
}

}  // namespace

void add_budget_command(CLI::App& app, int& exit_code) {
  auto* budget = app.add_subcommand("budget", "Spend, limits, estimates, the ledger and rates");
  budget->require_subcommand(1);

  auto show_json = std::make_shared<bool>(false);
  auto* show_command = budget->add_subcommand(
      "show", "Spend today / this month / in all, limits, reservations, alerts, 30-day chart");
  show_command->add_flag("--json", *show_json, "Print JSON");
  show_command->callback([show_json, &exit_code] { exit_code = show(*show_json); });

  auto e = std::make_shared<EstimateOptions>();
  auto* estimate_command =
      budget->add_subcommand("estimate", "What a submit would cost at worst, and if it fits");
  e->resources.add_to(*estimate_command, ResourceOptions::Use::estimate);
  estimate_command->add_option("--kind", e->kind, "task (default: reserves tokens) or command")
      ->check(CLI::IsMember({"task", "command"}));
  estimate_command->add_flag("--json", e->json, "Print JSON");
  estimate_command->callback([e, &exit_code] { exit_code = estimate(*e); });

  auto h = std::make_shared<HistoryOptions>();
  auto* history_command = budget->add_subcommand("history", "Ledger rows, newest first");
  history_command->add_option("--session", h->session, "Only this session's rows");
  history_command->add_option("--kind", h->kind, "compute, tokens or storage")
      ->check(CLI::IsMember({"compute", "tokens", "storage"}));
  history_command->add_option("--days", h->days, "Only the last N days")
      ->check(CLI::Range(1, 3660));
  history_command->add_option("--limit", h->limit, "How many rows (default 50)")
      ->check(CLI::Range(1, 10000));
  history_command->add_flag("--json", h->json, "Print JSON");
  history_command->callback([h, &exit_code] { exit_code = history(*h); });

  auto s = std::make_shared<SetOptions>();
  auto* set_command =
      budget->add_subcommand("set", "Change limits, alert thresholds, confirmation");
  set_command->add_option("--daily", s->daily, "Hard limit per UTC day, in dollars");
  set_command->add_option("--monthly", s->monthly, "Hard limit per UTC month");
  set_command->add_option("--total", s->total, "Hard limit in all");
  set_command->add_option("--session", s->session, "Cap on each session");
  set_command->add_option("--clear", s->clear, "Remove limits: daily, monthly, total, session")
      ->check(CLI::IsMember({"daily", "monthly", "total", "session"}))
      ->delimiter(',');
  set_command->add_option("--thresholds", s->thresholds, "Alert percentages, e.g. 50,80,100")
      ->delimiter(',');
  set_command->add_option("--confirm-above", s->confirm_above,
                          "Submits estimated above this many dollars ask first (default 5)");
  set_command->add_option("--token-allowance", s->token_allowance,
                          "Dollars reserved for a task's tokens per hour of timeout (default 3)");
  set_command->add_flag("--json", s->json, "Print JSON");
  set_command->callback([s, &exit_code] { exit_code = set(*s); });

  auto rates_json = std::make_shared<bool>(false);
  auto* rates_command = budget->add_subcommand("rates", "Every price and where it came from");
  rates_command->add_flag("--json", *rates_json, "Print JSON");
  rates_command->callback([rates_json, &exit_code] { exit_code = rates(*rates_json); });
}

}  // namespace parhelia::cli

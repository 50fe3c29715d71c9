// tools/budget.cpp: the budget tool: where the money stands, what a session would cost,
// the ledger's rows, the limits, and the rates.
#include "core/base/calendar.h"
#include "core/base/config_file.h"
#include "core/base/keyset_cursor.h"
#include "core/views/cost_view.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

struct BudgetArgs {
  std::string action;
  // estimate
  std::optional<std::string> kind;
  ResourceArgs resources;
  std::optional<std::string> backend;
  // history
  std::optional<std::string> session_id;
  std::optional<std::string> charge_kind;
  std::optional<int> days;
  std::optional<int> limit;
  std::optional<std::string> cursor;
  // set
  std::optional<double> daily_usd;
  std::optional<double> monthly_usd;
  std::optional<double> total_usd;
  std::optional<double> session_usd;
  std::optional<std::vector<std::string>> clear;
  std::optional<std::vector<int>> alert_thresholds;
  std::optional<double> confirm_above_usd;
  std::optional<double> token_allowance_per_hour_usd;
  static auto fields() {
    const schema::json dollars = dollar_range();
    return std::tuple{
        field("action", &BudgetArgs::action,
              "show: spend today/this month/in all, limits and their room, reservations, top "
              "sessions, alerts; estimate: what a submit with these arguments would cost and "
              "whether it fits; history: ledger rows, newest first; set: change limits, alert "
              "thresholds or the confirmation amount; rates: the price table and where each "
              "price came from",
              {{"enum", {"show", "estimate", "history", "set", "rates"}}}),
        field("kind", &BudgetArgs::kind,
              "estimate: task (Claude Code, reserves a token allowance; the default) or command",
              {{"enum", {"task", "command"}}}),
        schema::flat(&BudgetArgs::resources,
                     ResourceArgs::fields_with(
                         {.gpu = "estimate: GPU as TYPE, TYPE:COUNT or COUNT, e.g. H100:2",
                          .timeout_s = "estimate: time limit (default 3600)",
                          .cpu = "estimate: cores (default 2)",
                          .memory_gib = "estimate: memory in GiB (default 4)",
                          .max_cost_usd = "estimate: the session's own cap"})),
        field("backend", &BudgetArgs::backend, "estimate: local (default) or modal",
              {{"enum", {"local", "modal"}}}),
        field("session_id", &BudgetArgs::session_id, "history: only this session's rows",
              {{"pattern", "^task-[0-9a-f]{8}$"}}),
        field("charge_kind", &BudgetArgs::charge_kind, "history: only compute, tokens or storage",
              {{"enum", {"compute", "tokens", "storage"}}}),
        field("days", &BudgetArgs::days, "history: only the last N days",
              {{"minimum", 1}, {"maximum", 3660}}),
        field("limit", &BudgetArgs::limit, "history: rows per page (default 50)",
              {{"minimum", 1}, {"maximum", 500}}),
        field("cursor", &BudgetArgs::cursor, "history: next_cursor of the previous page"),
        field("daily_usd", &BudgetArgs::daily_usd, "set: hard limit per UTC day", dollars),
        field("monthly_usd", &BudgetArgs::monthly_usd, "set: hard limit per UTC month", dollars),
        field("total_usd", &BudgetArgs::total_usd, "set: hard limit in all", dollars),
        field("session_usd", &BudgetArgs::session_usd,
              "set: cap on each session (the watchdog stops it there)", dollars),
        field(
            "clear", &BudgetArgs::clear, "set: limits to remove",
            {{"items", {{"type", "string"}, {"enum", {"daily", "monthly", "total", "session"}}}}}),
        field("alert_thresholds", &BudgetArgs::alert_thresholds,
              "set: alert at these percentages of each limit (default 50, 80, 100)",
              {{"items", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
               {"minItems", 1},
               {"maxItems", 10}}),
        field("confirm_above_usd", &BudgetArgs::confirm_above_usd,
              "set: submits estimated above this ask the user first (default 5)", dollars),
        field("token_allowance_per_hour_usd", &BudgetArgs::token_allowance_per_hour_usd,
              "set: reserved for a task's tokens per hour of its timeout (default 3)", dollars)};
  }
};

struct BudgetResult {
  std::string action;
  std::optional<BudgetView> budget;
  std::optional<EstimateAnswer> estimate;
  std::optional<std::vector<LedgerRowView>> rows;
  std::optional<std::string> next_cursor;
  std::optional<std::vector<ChangeView>> changes;
  std::optional<std::map<std::string, double>> rates;
  std::optional<std::string> units;
  std::optional<std::map<std::string, std::string>> overridden;
  std::optional<std::string> config_file;
  std::string next;
  // Not in the schema: rates: each rate as a person reads it, for the text.
  std::vector<RateView> rate_lines;
  static auto fields() {
    return std::tuple{
        field("action", &BudgetResult::action, "The action answered"),
        field("budget", &BudgetResult::budget, "show and set: where the money stands"),
        field("estimate", &BudgetResult::estimate, "estimate: the answer"),
        field("rows", &BudgetResult::rows, "history: ledger rows, newest first"),
        field("next_cursor", &BudgetResult::next_cursor, "history: pass as cursor for more"),
        field("changes", &BudgetResult::changes, "set: what changed (and show: recent changes)"),
        field("rates", &BudgetResult::rates,
              "rates: every price by its config.json name, in dollars (see units)"),
        field("units", &BudgetResult::units, "rates: what each price is per"),
        field("overridden", &BudgetResult::overridden,
              "rates: the prices set in a config file (by name: the file); the rest are defaults"),
        field("config_file", &BudgetResult::config_file, "rates: where overrides go"),
        field("next", &BudgetResult::next, "What to call next, in a sentence")};
  }
};

std::string next_step(const BudgetResult& r) {
  if (r.estimate) {
    const EstimateAnswer& e = *r.estimate;
    if (!e.fits) {
      std::string step = "It does not fit";
      if (e.longest_timeout_s && *e.longest_timeout_s > 0)
        step += ": submit with timeout_s " + std::to_string(*e.longest_timeout_s) + " or less";
      return step + ", or ask the user to raise the " + e.tightest_limit.value_or("") +
             " limit (budget action set).";
    }
    if (e.needs_confirmation)
      return "Ask the user about the cost, then submit with the same arguments and confirm: "
             "true (or let submit ask them).";
    return "Call submit with the same arguments to start it.";
  }
  if (r.rows) {
    if (r.next_cursor)
      return "Call budget (action history, cursor " + *r.next_cursor + ") for older rows.";
    return "That is every row; budget (action show) has the totals.";
  }
  if (r.budget) {
    if (r.budget->limits.empty() && !r.budget->session_limit_usd)
      return "No limits are set: budget (action set, e.g. daily_usd) sets them when the user "
             "asks; budget (action estimate) prices a submit.";
    return "Call budget (action estimate) before costly work to see whether it fits.";
  }
  return "";
}

// history: fewer rows, with the cursor to the rest.
bool shrink(BudgetResult& r, double keep) {
  if (!r.rows || r.rows->size() <= 1) return false;
  const std::size_t count = r.rows->size();
  r.rows->resize(std::clamp<std::size_t>(
      static_cast<std::size_t>(static_cast<double>(count) * keep), 1, count - 1));
  r.next_cursor = "before:" + std::to_string(r.rows->back().id);
  r.next = next_step(r);
  return true;
}

std::string to_text(const BudgetResult& r) {
  std::string text;
  if (r.estimate) return to_text(*r.estimate);
  if (r.rows) {
    text = std::to_string(r.rows->size()) + " ledger rows, newest first:";
    for (const auto& row : *r.rows) text += "\n" + to_line(row);
    if (r.next_cursor) text += "\nMore with cursor " + *r.next_cursor + ".";
    return text;
  }
  if (r.rates) {
    text = std::to_string(r.rate_lines.size()) + " rates (overrides go in " +
           r.config_file.value_or("") + "):";
    for (const auto& rate : r.rate_lines) text += "\n" + to_line(rate);
    return text;
  }
  if (r.changes) {
    if (r.changes->empty()) text = "Nothing changed.\n";
    for (const auto& change : *r.changes) text += "Changed " + to_line(change) + ".\n";
  }
  if (r.budget) text += to_text(*r.budget);
  return text;
}

core::SubmitRequest request_of(const BudgetArgs& a) {
  core::SubmitRequest request;
  if (a.kind.value_or("task") == "task") {
    request.task = "estimate";
  } else {
    request.command = "estimate";
  }
  request.backend = a.backend.value_or(request.backend);
  a.resources.apply(request);
  return request;
}

server::ToolOutcome<BudgetResult> show(core::SessionService& service, BudgetResult result) {
  auto report = service.budget_report();
  if (!report) return tool_error(report.error());
  result.budget = budget_view(report.value());
  result.next = next_step(result);
  return result;
}

server::ToolOutcome<BudgetResult> estimate(core::SessionService& service, const BudgetArgs& a) {
  auto answer = estimate_answer(service, request_of(a));
  if (!answer) return tool_error(answer.error());
  BudgetResult result;
  result.action = "estimate";
  result.estimate = std::move(answer).value();
  result.next = next_step(result);
  return result;
}

// Ledger rows page newest first, by id.
constexpr std::string_view kHistoryCursor = "before:";

server::ToolOutcome<BudgetResult> history(core::SessionService& service, const BudgetArgs& a) {
  core::HistoryQuery query;
  query.session_id = a.session_id;
  query.kind = a.charge_kind;
  if (a.days) query.since_ms = core::now_ms() - static_cast<std::int64_t>(*a.days) * 86'400'000;
  query.limit = static_cast<std::size_t>(a.limit.value_or(50));
  if (a.cursor) {
    const auto before = core::parse_cursor(*a.cursor, kHistoryCursor, false);
    if (!before) {
      return server::ToolError{"The cursor '" + *a.cursor +
                               "' is not one this tool gave; pass next_cursor as it came."};
    }
    query.before_id = before->key;
  }
  // One more than asked says whether there is a next page.
  query.limit += 1;
  auto rows = service.history(query);
  if (!rows) return tool_error(rows.error());
  BudgetResult result;
  result.action = "history";
  result.rows.emplace();
  for (const auto& row : rows.value()) {
    if (result.rows->size() + 1 == query.limit) {
      result.next_cursor = core::to_cursor(kHistoryCursor, {result.rows->back().id});
      break;
    }
    result.rows->push_back(row_view(row));
  }
  result.next = next_step(result);
  return result;
}

server::ToolOutcome<BudgetResult> set(core::SessionService& service, const BudgetArgs& a) {
  core::BudgetRequest request;
  const std::pair<core::LimitScope, const std::optional<double>*> limits[] = {
      {core::LimitScope::daily, &a.daily_usd},
      {core::LimitScope::monthly, &a.monthly_usd},
      {core::LimitScope::total, &a.total_usd},
      {core::LimitScope::session, &a.session_usd}};
  for (const auto& [scope, value] : limits) {
    if (*value) request.limits[scope] = **value;
  }
  request.clear = a.clear.value_or(std::vector<std::string>{});
  request.thresholds = a.alert_thresholds;
  request.confirm_above = a.confirm_above_usd;
  request.token_allowance_per_hour = a.token_allowance_per_hour_usd;
  auto update = core::budget_update_of(request);
  if (!update) return tool_error(update.error());
  auto changes = service.set_budget(update.value(), "mcp");
  if (!changes) return tool_error(changes.error());
  BudgetResult result;
  result.action = "set";
  result.changes.emplace();
  for (const auto& c : changes.value()) result.changes->push_back(change_view(c));
  return show(service, std::move(result));
}

server::ToolOutcome<BudgetResult> rates(core::SessionService& service) {
  auto table = core::RateTable::load(service.home());
  if (!table) return tool_error(table.error());
  BudgetResult result;
  result.action = "rates";
  result.config_file = core::config_file(service.home()).string();
  result.rates.emplace();
  for (const auto& rate : table->all()) {
    // Token prices per million tokens, as Anthropic lists them and config.json takes them.
    (*result.rates)[rate.key] = core::price_dollars(core::listed_price(rate));
    if (rate.source != "default") {
      if (!result.overridden) result.overridden.emplace();
      (*result.overridden)[rate.key] = rate.source;
    }
    result.rate_lines.push_back(rate_view(rate));
  }
  result.units =
      "tokens.*: per million tokens; *.gpu*: per GPU-second; *.cpu: per core-second; "
      "*.memory: per GiB-second";
  result.next = "Override a price in " + *result.config_file +
                " as {\"rates\": {\"NAME\": DOLLARS}}; budget (action estimate) prices a "
                "submit with them.";
  return result;
}

}  // namespace

void register_budget_tool(server::Toolset& toolset, core::SessionService& service) {
  toolset.tools().add<BudgetArgs, BudgetResult>(
      {.name = "budget",
       .title = "Budget and costs",
       .description =
           "Costs and limits. show: spend today / this month / in all, each limit's room, what "
           "live sessions hold, top sessions, alerts. estimate: what a submit with the same gpu, "
           "backend, timeout_s, cpu, memory_gib and max_cost_usd would cost at worst, whether "
           "the limits allow it now, and if not the longest timeout that would fit: call it "
           "before costly work. history: the ledger's rows (filters: session_id, charge_kind, "
           "days; paginated). set: hard limits (daily_usd, monthly_usd, total_usd, session_usd; "
           "clear to remove), alert_thresholds, confirm_above_usd; change limits only when the "
           "user asks. rates: every price and where it came from. Amounts are US dollars.",
       .destructive = false,
       .idempotent = false,
       .open_world = false},
      [&service](const BudgetArgs& a, server::CallContext&) -> server::ToolOutcome<BudgetResult> {
        if (a.action == "estimate") return estimate(service, a);
        if (a.action == "history") return history(service, a);
        if (a.action == "set") return set(service, a);
        if (a.action == "rates") return rates(service);
        BudgetResult result;
        result.action = "show";
        return show(service, std::move(result));
      });
}

}  // namespace parhelia::tools

// Budget latencies with a large ledger: `budget show` (the whole report: totals, limits and
// their room, reservations, top sessions, alerts, 30 days) and `budget estimate` (a would-be
// submit priced and checked against the limits), with 1,000,000 ledger rows over 400 days, in
// core and over the MCP pipe as Claude Code sees them. Prints the median and p99 of each.
//   parhelia_bench_budget [--quick]     (--quick: 100,000 rows)
#include <cstring>

#include "bench/bench_stats.h"
#include "core/budget/budget_report.h"
#include "core/local/local_backend.h"
#include "core/service/sessions.h"
#include "core/views/cost_view.h"
#include "tests/support/mcp_client.h"

using namespace parhelia;
using bench::measure;
using bench::report;

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "--quick") != 0)) {
    std::fprintf(stderr, "usage: parhelia_bench_budget [--quick]\n");
    return 2;
  }
  const bool quick = argc == 2;
  testing::ParheliaHome home;
  auto opened =
      core::SessionService::open(home.path(), core::local_backends(home.path(), PARHELIA_BINARY));
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().sentence().c_str());
    return 1;
  }
  core::SessionService& service = *opened.value();
  // The rows are written by the parts themselves, on the service's database.
  auto store = core::Store::open(home.path());
  if (!store) return 1;
  core::Ledger ledger(store.value()->database());
  core::Budget budget(store.value()->database());
  core::BudgetUpdate limits;
  limits.limits[core::LimitScope::daily] = 500 * core::kMicrosPerDollar;
  limits.limits[core::LimitScope::monthly] = 5'000 * core::kMicrosPerDollar;
  limits.limits[core::LimitScope::total] = 1'000'000 * core::kMicrosPerDollar;
  if (!budget.update(limits, "bench")) return 1;

  // 100 rows per session (50 charges of compute, 50 of tokens), sessions spread over 400 days.
  const std::int64_t rows = quick ? 100'000 : 1'000'000;
  const std::int64_t sessions = rows / 100;
  const std::int64_t now = core::now_ms();
  const auto fill_start = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < sessions; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "task-%08llx", static_cast<unsigned long long>(i));
    std::vector<core::Charge> charges;
    for (std::int64_t step = 1; step <= 50; ++step) {
      charges.push_back(
          {id, core::ChargeKind::compute, "gpu:H100", "GPU-second", step * 15'000, 1'097'000'000});
      charges.push_back({id, core::ChargeKind::tokens, "tokens:claude-sonnet-4-5:output", "token",
                         step * 1'000'000, 15'000'000});
    }
    if (!ledger.charge(charges, now - (i % 400) * 86'400'000)) return 1;
  }
  for (int i = 0; i < 20; ++i)
    (void)budget.reserve("task-live" + std::to_string(i), 1'000'000, now);
  std::printf("filled %lld ledger rows in %.1f s\n", static_cast<long long>(rows),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count());

  core::SubmitRequest request;
  request.task = "train";
  request.backend = "modal";
  request.gpu = "H100:2";
  request.timeout_s = 7200;
  const int runs = quick ? 500 : 2000;
  report("core: budget show (report)", measure(runs, [&] { (void)service.budget_report(); }));
  report("core: budget estimate (H100:2, 2 h)",
         measure(runs, [&] { (void)views::estimate_answer(service, request); }));

  testing::McpClient client(
      {.environment = {"PARHELIA_HOME=" + home.path().string()}, .debug_tools = false});
  client.initialize();
  report("mcp: budget tool, show", measure(runs, [&] {
           client.call_tool("budget", {{"action", "show"}});
         }));
  report(
      "mcp: budget tool, estimate", measure(runs, [&] {
        client.call_tool(
            "budget",
            {{"action", "estimate"}, {"backend", "modal"}, {"gpu", "H100:2"}, {"timeout_s", 7200}});
      }));
  return 0;
}

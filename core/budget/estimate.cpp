#include "core/budget/estimate.h"

#include <algorithm>

namespace parhelia::core {
namespace {

constexpr std::int64_t kLongestTimeout = 24 * 3600;

}  // namespace

ComputeRequest compute_request_of(const Session& session, std::string_view priced_as) {
  ComputeRequest request;
  request.backend = std::string(priced_as);
  request.gpu = parse_gpu_request(session.gpu).value_or(GpuRequest{});
  request.cpu_milli = session.cpu_milli;
  request.memory_milli_gib = session.memory_milli_gib;
  return request;
}

Result<CostEstimate> estimate_cost(const RateTable& rates, const BudgetSettings& settings,
                                   const CostQuestion& question) {
  auto resources = metered_resources(rates, question.compute);
  if (!resources) return resources.error();
  CostEstimate estimate;
  estimate.timeout_s = question.timeout_s;
  estimate.kept_s = question.kept_s;
  for (const auto& r : resources.value()) {
    CostLine line{r.resource, r.unit, r.per_second_milli * (question.timeout_s + question.kept_s),
                  r.price, 0};
    line.amount = cost_of(line.quantity_milli, r.price);
    estimate.compute += line.amount;
    estimate.per_hour += cost_of(r.per_second_milli * 3600, r.price);
    estimate.lines.push_back(std::move(line));
  }
  if (question.agent_task) {
    // Proportional to the timeout, rounded half up to the micro-dollar.
    estimate.token_allowance =
        (settings.token_allowance_per_hour * question.timeout_s + 1800) / 3600;
    estimate.lines.push_back({"tokens (allowance)", "hour", question.timeout_s * 1000 / 3600,
                              settings.token_allowance_per_hour * 1'000'000,
                              estimate.token_allowance});
  }
  estimate.worst_case = estimate.compute + estimate.token_allowance;
  estimate.cap = question.max_cost;
  if (const auto per_session = settings.limit(LimitScope::session))
    estimate.cap = estimate.cap ? std::min(*estimate.cap, *per_session) : *per_session;
  estimate.reserve =
      estimate.cap ? std::min(estimate.worst_case, *estimate.cap) : estimate.worst_case;
  return estimate;
}

std::int64_t longest_timeout_within(const RateTable& rates, const BudgetSettings& settings,
                                    CostQuestion question, Micros room) {
  auto reserve_for = [&](std::int64_t timeout_s) -> std::optional<Micros> {
    question.timeout_s = timeout_s;
    auto estimate = estimate_cost(rates, settings, question);
    if (!estimate) return std::nullopt;
    return estimate->reserve;
  };
  // The reservation grows with the timeout: find the last timeout that fits.
  std::int64_t fits = 0;
  std::int64_t low = 1, high = kLongestTimeout;
  while (low <= high) {
    const std::int64_t middle = low + (high - low) / 2;
    const auto reserve = reserve_for(middle);
    if (reserve && *reserve <= room) {
      fits = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return fits;
}

}  // namespace parhelia::core

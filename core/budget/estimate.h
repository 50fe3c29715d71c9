// The worst case of a would-be session, before it starts: each metered resource for the whole
// timeout at its rate, plus a token allowance for a Claude Code task, bounded by the session's
// own cap. This is what a submit reserves against the hard limits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/budget/budget.h"
#include "core/budget/rates.h"
#include "core/session/session.h"

namespace parhelia::core {

struct CostQuestion {
  ComputeRequest compute;
  bool agent_task = false;  // a Claude Code task (tokens) rather than a plain command
  std::int64_t timeout_s = 3600;
  // Its sandbox kept after the work ends (keep-alive): compute, and no tokens.
  std::int64_t kept_s = 0;
  std::optional<Micros> max_cost;  // the caller's cap for this session
};

struct CostLine {
  std::string item;  // "gpu:H100", "cpu", "memory", "tokens (allowance)"
  std::string unit;
  std::int64_t quantity_milli = 0;
  Picos price = 0;
  Micros amount = 0;
};

struct CostEstimate {
  std::vector<CostLine> lines;
  Micros per_hour = 0;  // compute per hour
  Micros compute = 0;   // compute for the whole timeout
  Micros token_allowance = 0;
  Micros worst_case = 0;
  std::optional<Micros> cap;  // the least of max_cost and the per-session limit
  Micros reserve = 0;         // what a submit holds: the worst case, or the cap if lower
  std::int64_t timeout_s = 0;
  std::int64_t kept_s = 0;  // after the work (CostQuestion::kept_s)
};

// What a recorded session asks for, priced as at its submit.
ComputeRequest compute_request_of(const Session& session, std::string_view priced_as);

Result<CostEstimate> estimate_cost(const RateTable& rates, const BudgetSettings& settings,
                                   const CostQuestion& question);

// The longest timeout (seconds, at most 24 h) whose reservation fits in `room`; 0 if none.
std::int64_t longest_timeout_within(const RateTable& rates, const BudgetSettings& settings,
                                    CostQuestion question, Micros room);

}  // namespace parhelia::core

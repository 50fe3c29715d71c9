// The meter of one running session, kept by its supervisor: charges its compute by the second
// and its tokens as the agent reports them (every 15 s, at once when it nears a limit, and at
// the end), records threshold alerts, and says when the session must stop because its own cap
// or a hard budget limit is reached. Spend is therefore visible while the session runs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/agent_stream.h"
#include "core/budget.h"
#include "core/ledger.h"
#include "core/rates.h"
#include "core/session.h"

namespace parhelia::core {

class SessionMeter {
 public:
  using Clock = std::chrono::steady_clock;
  using AlertSink = std::function<void(const BudgetAlert&)>;

  SessionMeter(Ledger& ledger, Budget& budget, const Session& session, RateTable rates,
               std::vector<MeteredResource> compute, AlertSink on_alert);

  void start(Clock::time_point at);
  // Token usage from the agent's stream (cumulative; nothing is counted twice).
  void observe(const AgentUpdate& update);
  // Charges what is due now; returns why the session must stop once a limit is reached.
  std::optional<std::string> tick(Clock::time_point now);
  // The final charge: compute up to `now` (a started second counts), every token seen.
  void finish(Clock::time_point now);

 private:
  void charge(Clock::time_point now, bool final);
  std::vector<Charge> token_charges() const;
  Micros compute_cost(std::int64_t seconds) const;

  Ledger& ledger_;
  Budget& budget_;
  const Session& session_;
  RateTable rates_;
  std::vector<MeteredResource> compute_;
  AlertSink on_alert_;

  std::optional<Clock::time_point> started_;
  Clock::time_point last_charge_;
  std::int64_t charged_seconds_ = 0;
  std::optional<Micros> room_;  // before the cap or a limit, as of the last charge
  std::optional<std::string> stop_reason_;
  std::map<std::string, MessageUsage> messages_;        // by message id
  std::map<std::string, TokenCounts> reported_totals_;  // the result line's modelUsage
  bool tokens_pending_ = false;
};

}  // namespace parhelia::core

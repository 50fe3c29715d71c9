#include "core/meter.h"

#include <iostream>

namespace parhelia::core {
namespace {

using namespace std::chrono_literals;

constexpr auto kChargeEvery = 15s;
constexpr auto kTokenChargeEvery = 1s;

std::int64_t tokens_of(const TokenCounts& counts, TokenKind kind) {
  switch (kind) {
    case TokenKind::input:
      return counts.input;
    case TokenKind::output:
      return counts.output;
    case TokenKind::cache_read:
      return counts.cache_read;
    case TokenKind::cache_write:
      return counts.cache_write;
  }
  return 0;
}

void raise_to(TokenCounts& total, const TokenCounts& other) {
  total.input = std::max(total.input, other.input);
  total.output = std::max(total.output, other.output);
  total.cache_read = std::max(total.cache_read, other.cache_read);
  total.cache_write = std::max(total.cache_write, other.cache_write);
}

template <class T>
void report_failure(const Result<T>& result, const char* what) {
  if (!result) std::cerr << "parhelia: " << what << ": " << result.error().sentence() << "\n";
}

}  // namespace

SessionMeter::SessionMeter(Ledger& ledger, Budget& budget, const Session& session, RateTable rates,
                           std::vector<MeteredResource> compute, AlertSink on_alert)
    : ledger_(ledger),
      budget_(budget),
      session_(session),
      rates_(std::move(rates)),
      compute_(std::move(compute)),
      on_alert_(std::move(on_alert)) {}

void SessionMeter::start(Clock::time_point at) {
  started_ = at;
  last_charge_ = at;
  auto allowance = budget_.allowance(session_.id, session_.max_cost_micros, now_ms());
  report_failure(allowance, "reading the budget");
  if (allowance) room_ = allowance->room;
}

void SessionMeter::observe(const AgentUpdate& update) {
  if (update.usage && !update.usage->message_id.empty()) {
    messages_[update.usage->message_id] = *update.usage;
    tokens_pending_ = true;
  }
  for (const auto& [model, totals] : update.model_totals) {
    raise_to(reported_totals_[model], totals);
    tokens_pending_ = true;
  }
}

Micros SessionMeter::compute_cost(std::int64_t seconds) const {
  Micros cost = 0;
  for (const auto& r : compute_) cost += cost_of(r.per_second_milli * seconds, r.price);
  return cost;
}

std::vector<Charge> SessionMeter::token_charges() const {
  // Per model: the sum of its messages' usage, or the result's modelUsage where that says more
  // (it counts subagents too); both are cumulative, so the ledger charges only the increase.
  std::map<std::string, TokenCounts> totals = reported_totals_;
  std::map<std::string, TokenCounts> from_messages;
  for (const auto& [id, usage] : messages_) {
    TokenCounts& sum = from_messages[usage.model];
    sum.input += usage.tokens.input;
    sum.output += usage.tokens.output;
    sum.cache_read += usage.tokens.cache_read;
    sum.cache_write += usage.tokens.cache_write;
  }
  for (const auto& [model, sum] : from_messages) raise_to(totals[model], sum);

  std::vector<Charge> charges;
  for (const auto& [model, counts] : totals) {
    for (TokenKind kind : all_token_kinds()) {
      const std::int64_t tokens = tokens_of(counts, kind);
      if (tokens <= 0) continue;
      const Rate rate = rates_.token_rate(model, kind);
      charges.push_back({session_.id, ChargeKind::tokens,
                         "tokens:" + model + ":" + std::string(to_string(kind)), "token",
                         tokens * 1000, rate.price});
    }
  }
  return charges;
}

void SessionMeter::charge(Clock::time_point now, bool final) {
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - *started_).count();
  // Billed by the second: whole seconds while it runs, a started second at the end.
  const std::int64_t seconds = final ? (elapsed_ms + 999) / 1000 : elapsed_ms / 1000;
  std::vector<Charge> charges = token_charges();
  for (const auto& r : compute_) {
    charges.push_back({session_.id, ChargeKind::compute, r.resource, r.unit,
                       r.per_second_milli * seconds, r.price});
  }
  const std::int64_t at = now_ms();
  auto charged = ledger_.charge(charges, at);
  report_failure(charged, "charging the session");
  if (!charged) return;  // kept pending: the next tick tries again
  charged_seconds_ = std::max(charged_seconds_, seconds);
  tokens_pending_ = false;
  last_charge_ = now;

  auto alerts = budget_.record_alerts(session_.id, session_.max_cost_micros, at);
  report_failure(alerts, "recording budget alerts");
  if (alerts) {
    for (const auto& alert : alerts.value()) on_alert_(alert);
  }
  if (final) return;
  auto allowance = budget_.allowance(session_.id, session_.max_cost_micros, at);
  report_failure(allowance, "checking the budget");
  if (!allowance) return;
  room_ = allowance->room;
  if (allowance->stop_reason) stop_reason_ = allowance->stop_reason;
}

std::optional<std::string> SessionMeter::tick(Clock::time_point now) {
  if (!started_ || stop_reason_) return stop_reason_;
  const auto since = now - last_charge_;
  bool due = since >= kChargeEvery || (tokens_pending_ && since >= kTokenChargeEvery);
  if (!due && room_) {
    // Between charges the compute cost grows by the second; charge the moment it would use
    // up the room left, so a cap holds to the second rather than to the next charge.
    const auto elapsed_s =
        std::chrono::duration_cast<std::chrono::seconds>(now - *started_).count();
    due = compute_cost(elapsed_s) - compute_cost(charged_seconds_) >= *room_;
  }
  if (due) charge(now, false);
  return stop_reason_;
}

void SessionMeter::finish(Clock::time_point now) {
  if (started_) charge(now, true);
}

}  // namespace parhelia::core

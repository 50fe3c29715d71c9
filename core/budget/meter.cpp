#include "core/budget/meter.h"

#include <iostream>

namespace parhelia::core {
namespace {

using namespace std::chrono_literals;

constexpr auto kChargeEvery = 15s;
constexpr auto kTokenChargeEvery = 1s;
// The transcripts are looked at twice a second: a completed message is charged (and seen by
// the watchdog) within about a second and a half.
constexpr auto kTranscriptReadEvery = 500ms;
// Messages the meter keeps apart, and inherits: a real session has thousands; the transcripts
// are the session's to write, and must not grow the supervisor without bound.
constexpr std::size_t kMostMessages = 200'000;

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

bool raise_to_changes(TokenCounts& total, const TokenCounts& other) {
  const TokenCounts before = total;
  raise_to(total, other);
  return before.input != total.input || before.output != total.output ||
         before.cache_read != total.cache_read || before.cache_write != total.cache_write;
}

TokenCounts beyond(const TokenCounts& total, const TokenCounts& base) {
  return {std::max<std::int64_t>(0, total.input - base.input),
          std::max<std::int64_t>(0, total.output - base.output),
          std::max<std::int64_t>(0, total.cache_read - base.cache_read),
          std::max<std::int64_t>(0, total.cache_write - base.cache_write)};
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

void SessionMeter::follow_transcripts(TranscriptUsageReader& reader,
                                      const TranscriptUsage& restored) {
  transcripts_ = &reader;
  for (const auto& message : restored.messages) {
    if (inherited_.size() < kMostMessages) inherited_.insert(message.message_id);
  }
  // The last one of each conversation holds its totals as the agent left them.
  for (const auto& state : restored.cost_states) baselines_[state.session_id] = state.model_totals;
}

void SessionMeter::start(Clock::time_point at) {
  started_ = at;
  last_charge_ = at;
  auto allowance = budget_.allowance(session_.id, session_.max_cost_micros, now_ms());
  report_failure(allowance, "reading the budget");
  if (allowance) room_ = allowance->room;
}

void SessionMeter::observe(const AgentUpdate& update) {
  if (update.usage) note_message(*update.usage);
  if (update.result) note_totals(update.result->session_id, update.model_totals);
}

void SessionMeter::note_message(const MessageUsage& usage) {
  if (usage.message_id.empty() || inherited_.count(usage.message_id) > 0) return;
  auto known = messages_.find(usage.message_id);
  if (known == messages_.end()) {
    if (messages_.size() >= kMostMessages) return;
    messages_.emplace(usage.message_id, usage);
    tokens_pending_ = true;
    return;
  }
  if (known->second.model.empty()) known->second.model = usage.model;
  if (raise_to_changes(known->second.tokens, usage.tokens)) tokens_pending_ = true;
}

void SessionMeter::note_totals(const std::string& conversation, const ModelTotals& totals) {
  const auto base = baselines_.find(conversation);
  for (const auto& [model, counts] : totals) {
    TokenCounts mine = counts;
    if (base != baselines_.end()) {
      if (auto before = base->second.find(model); before != base->second.end())
        mine = beyond(counts, before->second);
    }
    if (raise_to_changes(reported_totals_[model], mine)) tokens_pending_ = true;
  }
}

void SessionMeter::read_transcripts(bool whole) {
  if (!transcripts_) return;
  const TranscriptUsage added = transcripts_->read(whole);
  for (const auto& message : added.messages) note_message(message);
  for (const auto& state : added.cost_states) note_totals(state.session_id, state.model_totals);
}

Micros SessionMeter::compute_cost(std::int64_t seconds) const {
  Micros cost = 0;
  for (const auto& r : compute_) cost += cost_of(r.per_second_milli * seconds, r.price);
  return cost;
}

std::vector<Charge> SessionMeter::token_charges() const {
  // Per model: the sum of this run's messages, or Claude Code's totals where they say more
  // (side calls); both are cumulative, so the ledger charges only the increase.
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
  if (now - last_transcript_read_ >= kTranscriptReadEvery) {
    read_transcripts(false);
    last_transcript_read_ = now;
  }
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
  if (!started_) return;
  read_transcripts(true);  // what the agent wrote last, up to its end
  charge(now, true);
}

}  // namespace parhelia::core

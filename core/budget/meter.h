// The meter of one running session, kept by its supervisor: charges its compute by the second
// and its tokens as the agent reports them (every 15 s, at once when it nears a limit, and at
// the end), records threshold alerts, and says when the session must stop because its own cap
// or a hard budget limit is reached. Spend is therefore visible while the session runs.
//
// Tokens, per model (one name each: canonical_model), are the larger, per kind, of
// - the sum over this run's messages, each at the largest usage its stream lines and its
//   transcript lines gave (the transcript has the final output count, so a session stopped
//   mid-response is charged what the API billed for every message it completed), and
// - what Claude Code's totals (the result's modelUsage, a cost-state line) say beyond the
//   totals of the conversation it resumed: they count side calls no transcript holds.
// Messages the transcripts held before the agent began (the conversation a resume restores)
// were charged to the sessions that made them, and are not charged again.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/agent_stream.h"
#include "core/agent/agent_transcript.h"
#include "core/budget/budget.h"
#include "core/budget/ledger.h"
#include "core/budget/rates.h"
#include "core/session/session.h"

namespace parhelia::core {

class SessionMeter {
 public:
  using Clock = std::chrono::steady_clock;
  using AlertSink = std::function<void(const BudgetAlert&)>;

  SessionMeter(Ledger& ledger, Budget& budget, const Session& session, RateTable rates,
               std::vector<MeteredResource> compute, AlertSink on_alert);

  // Follows the agent's transcripts through `reader` (which outlives the meter). `restored` is
  // what the reader found before the agent began: its messages and cost-state lines are the
  // resumed conversation's, inherited and never charged.
  void follow_transcripts(TranscriptUsageReader& reader, const TranscriptUsage& restored);
  void start(Clock::time_point at);
  // Token usage from the agent's stream (cumulative; nothing is counted twice).
  void observe(const AgentUpdate& update);
  // Charges what is due now; returns why the session must stop once a limit is reached.
  std::optional<std::string> tick(Clock::time_point now);
  // The final charge: compute up to `now` (a started second counts), every token seen.
  void finish(Clock::time_point now);

 private:
  void charge(Clock::time_point now, bool final);
  void note_message(const MessageUsage& usage);
  void note_totals(const std::string& conversation, const ModelTotals& totals);
  void read_transcripts(bool whole);
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
  std::map<std::string, MessageUsage> messages_;  // this run's, by message id
  ModelTotals reported_totals_;      // Claude Code's totals, less those of the resumed conversation
  std::set<std::string> inherited_;  // message ids of the resumed conversation
  std::map<std::string, ModelTotals> baselines_;  // its last cost-state, by conversation id
  TranscriptUsageReader* transcripts_ = nullptr;
  Clock::time_point last_transcript_read_{};
  bool tokens_pending_ = false;
};

}  // namespace parhelia::core

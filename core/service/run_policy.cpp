#include "core/service/run_policy.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/budget/estimate.h"

namespace parhelia::core {
namespace {

using Clock = RunPolicy::Clock;
using namespace std::chrono_literals;

// How long the checkpoint before a stop may take before the stop goes on without it: a
// twentieth of the session's timeout, between 3 and 30 s. A stop is a limit being enforced; a
// session that makes its checkpoints slow must not stretch it.
std::chrono::seconds pre_stop_checkpoint_time(std::int64_t timeout_s) {
  return std::chrono::seconds(std::clamp<std::int64_t>(timeout_s / 20, 3, 30));
}
// A checkpoint still running when the work has ended, or the last one of a conversation, has
// this long before the session's outcome is recorded without it.
constexpr auto kLastCheckpointTime = 5min;

int read_grace(const SessionFiles& files) {
  int grace = 10;
  std::ifstream(files.stop_grace) >> grace;
  return std::clamp(grace, 0, 3600);
}

}  // namespace

// The work's output, as it arrives: to the log file, and line by line to the stream reader.
class RunPolicy::OutputSink {
 public:
  OutputSink(Store& store, const Session& session, const std::filesystem::path& log,
             SessionMeter& meter)
      : store_(store),
        session_(session),
        log_(log, std::ios::app | std::ios::binary),
        meter_(meter) {}

  void write(const char* data, std::size_t size, bool to_log = true) {
    if (to_log) {
      log_.write(data, static_cast<std::streamsize>(size));
      log_.flush();
    }
    // Lines are read as they complete; a line longer than any the reader takes is not kept
    // whole (the work may print forever without a newline): it is dropped up to its end.
    for (std::size_t at = 0; at < size;) {
      const char* newline = static_cast<const char*>(std::memchr(data + at, '\n', size - at));
      const std::size_t end = newline ? static_cast<std::size_t>(newline - data) : size;
      if (!overlong_) pending_line_.append(data + at, end - at);
      if (pending_line_.size() > kMaxAgentLineBytes) {
        pending_line_.clear();
        overlong_ = true;
      }
      if (newline) {
        if (!overlong_) read_line(pending_line_);
        pending_line_.clear();
        overlong_ = false;
      }
      at = end + 1;
    }
    flush_if_due(false);
  }

  void finish() {
    if (!pending_line_.empty()) read_line(pending_line_);
    pending_line_.clear();
    flush_if_due(true);
  }

  const std::optional<AgentResult>& result() const { return result_; }

 private:
  void read_line(const std::string& line) {
    if (session_.kind != SessionKind::task) {
      if (!line.empty()) update_.last_activity = shorten(line, 160);
      return;
    }
    auto agent = read_agent_line(line);
    if (!agent) return;
    meter_.observe(*agent);
    if (agent->claude_session_id) {
      update_.claude_session_id = agent->claude_session_id;
      urgent_ = true;
    }
    if (agent->activity) update_.last_activity = agent->activity;
    if (agent->result) {
      update_.result_text = agent->result->text;
      update_.result_json = agent->result->json;
      result_ = agent->result;
      urgent_ = true;
    }
  }

  // Activity is written at most every 250 ms; the session id and the result at once.
  void flush_if_due(bool force) {
    const bool has_news = update_.last_activity || update_.claude_session_id || update_.result_text;
    if (!has_news || (!force && !urgent_ && Clock::now() - last_flush_ < 250ms)) return;
    if (auto done = store_.update(session_.id, update_); !done)
      std::cerr << done.error().sentence() << "\n";
    update_ = {};
    urgent_ = false;
    last_flush_ = Clock::now();
  }

  Store& store_;
  const Session& session_;
  std::ofstream log_;
  std::string pending_line_;
  bool overlong_ = false;  // the line now arriving is past kMaxAgentLineBytes
  SessionUpdate update_;
  bool urgent_ = false;
  Clock::time_point last_flush_ = Clock::now();
  std::optional<AgentResult> result_;
  SessionMeter& meter_;
};

// What one run of the work keeps between turns.
struct RunPolicy::Run {
  Run(RunPolicy& policy, std::vector<MeteredResource> compute)
      : meter(policy.ledger_, policy.budget_, policy.session_, policy.rates_, std::move(compute),
              [&policy](const BudgetAlert& alert) {
                // To the session's events (the MCP server tells its client) and its pane.
                std::cerr << "parhelia: " << alert.sentence() << "\n";
                warn_on_error(policy.store_.note(policy.session_.id, alert.sentence()),
                              "noting a budget alert");
              }),
        sink(policy.store_, policy.session_, policy.files_.log, meter) {}

  SessionMeter meter;
  OutputSink sink;
  int stop_by = 0;  // the stop signal received, if any
  bool timed_out = false;
  std::optional<std::string> over_budget;  // why the watchdog stopped it
  Clock::time_point deadline;
  std::chrono::seconds every{0};
  Clock::time_point next_checkpoint = Clock::time_point::max();
  std::optional<CheckpointTrigger> stopping;          // why, once the work is to stop
  std::optional<Clock::time_point> checkpoint_until;  // the pre-stop checkpoint's time
  bool pre_stop_started = false;
  std::optional<Clock::time_point> kill_at;
  int grace_s = 0;  // what the work was given after it was asked to stop
  std::optional<Clock::time_point> budget_end;
  std::chrono::seconds least_pre_stop{0};
};

RunPolicy::RunPolicy(const std::filesystem::path& home, Store& store, const Session& session,
                     RateTable rates, std::string_view priced_as)
    : store_(store),
      ledger_(store.database()),
      budget_(store.database()),
      session_(session),
      files_(SessionFiles::of(home, session.id)),
      rates_(std::move(rates)),
      priced_as_(priced_as) {}

RunPolicy::~RunPolicy() = default;

void RunPolicy::started(Clock::time_point now, TranscriptUsageReader* transcripts,
                        const TranscriptUsage& restored) {
  auto compute = metered_resources(rates_, compute_request_of(session_, priced_as_));
  if (!compute) {
    std::cerr << "parhelia: " << compute.error().sentence() << "; compute is not charged\n";
  }
  run_ = std::make_unique<Run>(*this, compute ? compute.value() : std::vector<MeteredResource>{});
  if (transcripts) run_->meter.follow_transcripts(*transcripts, restored);
  run_->meter.start(now);
  run_->deadline = now + std::chrono::seconds(session_.timeout_s);
  run_->every = std::chrono::seconds(session_.checkpoint_every_s);
  if (session_.checkpoint_every_s > 0) run_->next_checkpoint = now + run_->every;
}

void RunPolicy::bound(std::optional<Clock::time_point> budget_end,
                      std::chrono::seconds pre_stop_checkpoint) {
  run_->budget_end = budget_end;
  run_->least_pre_stop = pre_stop_checkpoint;
}

std::chrono::seconds RunPolicy::pre_stop_time() const {
  return std::max(pre_stop_checkpoint_time(session_.timeout_s), run_->least_pre_stop);
}

void RunPolicy::output(const char* data, std::size_t size) {
  run_->sink.write(data, size);
}

void RunPolicy::replayed(const char* data, std::size_t size) {
  run_->sink.write(data, size, false);
}

// Starts a checkpoint off the loop (it notes its own outcome in the events); one that cannot
// start is noted, and the work goes on: losing a checkpoint must not lose the session.
void RunPolicy::start_checkpoint(RunningWork& work, CheckpointTrigger trigger,
                                 const std::string& token) {
  if (auto started = work.start_checkpoint(trigger, token); !started) {
    warn_on_error(store_.note(session_.id, std::string(to_string(trigger)) +
                                               " checkpoint failed: " + started.error().sentence()),
                  "noting a failed checkpoint");
  }
}

// Gives a running checkpoint until `deadline`, then ends it and says so.
void RunPolicy::finish_checkpoint(RunningWork& work, Clock::time_point deadline,
                                  const std::string& why) {
  if (work.wait_for_checkpoint(deadline)) return;
  work.abandon_checkpoint("The checkpoint was ended: " + why);
  warn_on_error(store_.note(session_.id, "checkpoint abandoned: " + why),
                "noting an abandoned checkpoint");
}

void RunPolicy::turn(Clock::time_point now, int stop_signal, RunningWork& work) {
  Run& r = *run_;
  // Checkpoints run beside the work, one at a time: while one runs, the next periodic one
  // and a request wait for it, and nothing else does.
  if (!r.stopping) {
    if (auto reason = r.meter.tick(now)) r.over_budget = reason;
    if (!r.over_budget && r.budget_end && now >= *r.budget_end)
      r.over_budget = "its sandbox's time, all that the budget's room pays for, is up";
  }
  if (!r.stopping && now >= r.next_checkpoint && !work.checkpoint_running()) {
    start_checkpoint(work, CheckpointTrigger::periodic);
    r.next_checkpoint = now + r.every;
  }
  if (!r.stopping && !work.checkpoint_running()) {
    if (auto token = work.take_checkpoint_request())
      start_checkpoint(work, CheckpointTrigger::manual, *token);
  }
  if (!r.stopping && (stop_signal != 0 || now >= r.deadline || r.over_budget)) {
    r.stop_by = stop_signal;
    r.timed_out = stop_signal == 0 && !r.over_budget;
    r.stopping = r.stop_by != 0 ? CheckpointTrigger::stop
                 : r.timed_out  ? CheckpointTrigger::timeout
                                : CheckpointTrigger::budget;
    r.checkpoint_until = now + pre_stop_time();
    const std::string why = r.stop_by != 0 ? "stop requested; stopping"
                            : r.timed_out  ? "timeout reached; stopping"
                                           : "budget watchdog: " + *r.over_budget;
    warn_on_error(store_.note(session_.id, why), "noting a stop");
  }
  // What the work has done so far is kept before it is asked to stop, for a bounded time:
  // after a checkpoint already running, one of the files as they are now.
  if (r.stopping && !r.kill_at) {
    if (!r.pre_stop_started && !work.checkpoint_running()) {
      start_checkpoint(work, *r.stopping);
      r.pre_stop_started = true;
    }
    const bool checkpointed = r.pre_stop_started && !work.checkpoint_running();
    if (checkpointed || now >= *r.checkpoint_until) {
      if (!checkpointed) {
        const auto allowed = pre_stop_time().count();
        work.abandon_checkpoint("the session was stopping and the checkpoint took longer than " +
                                std::to_string(allowed) + " s.");
        warn_on_error(
            store_.note(session_.id, "the checkpoint before the stop took longer than " +
                                         std::to_string(allowed) +
                                         " s and was abandoned; the work is stopped without "
                                         "it (earlier checkpoints stand)"),
            "noting an abandoned checkpoint");
      }
      // A stop asked for meanwhile (during a timeout's checkpoint) has its own grace.
      const int grace = stop_signal != 0 ? read_grace(files_) : 10;
      work.terminate();
      r.kill_at = now + std::chrono::seconds(grace);
      r.grace_s = grace;
      warn_on_error(store_.note(session_.id,
                                "asked the work to stop (SIGTERM); it is killed if "
                                "it has not ended in " +
                                    std::to_string(grace) + " s"),
                    "noting a stop");
    }
  }
  if (r.kill_at && now >= *r.kill_at) {
    work.kill();
    r.kill_at = now + 24h;  // once
    // Says where a stop's time went when the work outlives its grace.
    warn_on_error(store_.note(session_.id, "the work had not ended " + std::to_string(r.grace_s) +
                                               " s after it was asked to stop; killed (SIGKILL)"),
                  "noting a kill");
  }
}

void RunPolicy::output_ended() {
  run_->sink.finish();
}

void RunPolicy::work_exited(Clock::time_point now) {
  run_->meter.finish(now);
}

int RunPolicy::ended(int exit_code, RunningWork& work) {
  Run& r = *run_;
  // One still running had, when the work was stopping, only the time left before the stop.
  finish_checkpoint(work, r.stopping ? *r.checkpoint_until : Clock::now() + kLastCheckpointTime,
                    "the work had ended and it took longer than it may.");
  // A request that came while the work was stopping is answered from its last files.
  if (auto token = work.take_checkpoint_request()) {
    start_checkpoint(work, CheckpointTrigger::manual, *token);
    finish_checkpoint(work, Clock::now() + kLastCheckpointTime,
                      "it took longer than " + std::to_string(kLastCheckpointTime.count()) +
                          " minutes after the work had ended.");
  }
  // A conversation can always be taken up again from where it ended.
  if (session_.kind == SessionKind::task) {
    start_checkpoint(work, CheckpointTrigger::end);
    finish_checkpoint(work, Clock::now() + kLastCheckpointTime,
                      "the last checkpoint took longer than " +
                          std::to_string(kLastCheckpointTime.count()) + " minutes.");
  }
  return record_outcome(exit_code, work);
}

int RunPolicy::record_outcome(int exit_code, RunningWork& work) {
  const Run& r = *run_;
  const int stop_by = r.stop_by;
  const auto& result = r.sink.result();
  SessionUpdate outcome;
  outcome.finished_at = now_ms();
  outcome.exit_code = exit_code;
  if (auto changes = work.collect_changes()) {
    outcome.changed_files = changes->files;
  } else {
    warn_on_error(
        store_.note(session_.id, "could not collect the changes: " + changes.error().message),
        "noting a failure");
  }
  std::error_code ec;
  const bool stopped_by_parhelia = std::filesystem::exists(files_.stop_grace, ec);
  SessionState final_state = SessionState::succeeded;
  std::string detail = "exited with " + std::to_string(exit_code);
  if (r.over_budget && stop_by == 0) {
    final_state = SessionState::over_budget;
    outcome.error = "Stopped by the budget watchdog: " + *r.over_budget;
  } else if (r.timed_out) {
    final_state = SessionState::timed_out;
    outcome.error = "The session reached its timeout of " + std::to_string(session_.timeout_s) +
                    " s and was stopped.";
  } else if (stop_by != 0 && stopped_by_parhelia) {
    final_state = SessionState::cancelled;
    outcome.error = "Stopped on request.";
  } else if (stop_by != 0) {
    final_state = SessionState::failed;
    outcome.error = "Stopped by signal " + std::to_string(stop_by) + " from outside Parhelia.";
  } else if (auto ended_by = work.ended_by_backend()) {
    final_state = ended_by->state;
    outcome.error = ended_by->why;
  } else if (result && result->is_error) {
    final_state = SessionState::failed;
    outcome.error = "Claude Code reported an error: " + result->text;
  } else if (exit_code != 0) {
    final_state = SessionState::failed;
    outcome.error = "The work exited with status " + std::to_string(exit_code) + "; see its log.";
  }
  warn_on_error(store_.transition(session_.id, SessionState::running, final_state, outcome, detail),
                "recording the outcome");
  // A sandbox kept after the work holds its reservation until its backend ends it.
  if (session_.keep_alive_s == 0 || final_state == SessionState::over_budget)
    warn_on_error(budget_.release(session_.id, now_ms()), "releasing the reservation");
  return 0;
}

}  // namespace parhelia::core

// The rules of a running session, apart from what runs it: the meter (compute by the second,
// tokens as the agent reports them), the budget watchdog, the timeout, the checkpoint schedule
// (periodic, on request, before a stop and at the end), the stop sequence (a checkpoint first,
// SIGTERM, SIGKILL after the grace) and the outcome. A driver runs the work and calls it at
// every turn of its loop: the local supervisor drives it with a child process on this machine
// (core/local/supervisor.cpp), a follower of a container will drive it the same way.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/agent/agent_stream.h"
#include "core/agent/agent_transcript.h"
#include "core/base/result.h"
#include "core/budget/budget.h"
#include "core/budget/ledger.h"
#include "core/budget/meter.h"
#include "core/budget/rates.h"
#include "core/checkpoints/checkpoints.h"
#include "core/session/session.h"
#include "core/session/session_files.h"
#include "core/store/store.h"
#include "core/workspace/workspace.h"

namespace parhelia::core {

// The work as the policy sees it: what it may ask of whoever runs it.
class RunningWork {
 public:
  virtual ~RunningWork() = default;
  // A checkpoint of the work's files, taken beside it, one at a time; `token`, when given, is
  // the request it answers. A failure to start is returned (the work goes on).
  virtual Result<Done> start_checkpoint(CheckpointTrigger trigger, const std::string& token) = 0;
  virtual bool checkpoint_running() = 0;
  // Waits for the running checkpoint until `deadline`; true when none runs any more.
  virtual bool wait_for_checkpoint(std::chrono::steady_clock::time_point deadline) = 0;
  // Ends the running checkpoint now; a request it was answering is told why.
  virtual void abandon_checkpoint(const std::string& why) = 0;
  // The token of a checkpoint someone asked for, taken (so answered once) by reading it.
  virtual std::optional<std::string> take_checkpoint_request() = 0;
  // Asks the work to end (SIGTERM), and ends it (SIGKILL).
  virtual void terminate() = 0;
  virtual void kill() = 0;
  // What the work changed, with the patch written to the session's patch file.
  virtual Result<Changes> collect_changes() = 0;
  // How the work ended when what runs it ended it, not the work's own exit nor the policy (a
  // container's timeout or eviction, a terminate from elsewhere); nothing otherwise.
  struct EndedBy {
    SessionState state = SessionState::failed;
    std::string why;
  };
  virtual std::optional<EndedBy> ended_by_backend() const { return std::nullopt; }
};

class RunPolicy {
 public:
  using Clock = std::chrono::steady_clock;

  // `priced_as`: the rates the session's backend is priced at (backend.h).
  RunPolicy(const std::filesystem::path& home, Store& store, const Session& session,
            RateTable rates, std::string_view priced_as);
  ~RunPolicy();
  RunPolicy(const RunPolicy&) = delete;
  RunPolicy& operator=(const RunPolicy&) = delete;

  // The work has started. `transcripts` (a task's Claude Code transcripts) and what they held
  // before it began are followed for its final token usage.
  void started(Clock::time_point now, TranscriptUsageReader* transcripts,
               const TranscriptUsage& restored);
  // What a remote backend adds once the work has started. `budget_end`: the work is stopped
  // as over budget then (its sandbox's own timeout was cut to what the budget's room pays
  // for, and that stop must come first, with its checkpoint). `pre_stop_checkpoint`: the
  // least time a checkpoint before a stop is given (copying a sandbox takes the network).
  void bound(std::optional<Clock::time_point> budget_end, std::chrono::seconds pre_stop_checkpoint);
  // The work's output as it arrives: to the session's log, and line by line to the stream
  // reader (the agent's progress, its result, its tokens).
  void output(const char* data, std::size_t size);
  // Output the log already holds: a supervisor that took over from one that died reads the
  // work's output again from its start, for Claude Code's stream and tokens (the ledger's
  // cumulative charges make that no second charge), and does not log it twice.
  void replayed(const char* data, std::size_t size);
  // One turn of the driver's loop: the charges and the watchdog, the checkpoint schedule and
  // requests, the timeout, and the stop sequence. `stop_signal` is the signal of a stop that
  // reached the driver (0: none).
  void turn(Clock::time_point now, int stop_signal, RunningWork& work);
  // The work's output has ended: its last line is read, and what it said is recorded.
  void output_ended();
  // The work's processes have exited (at `now`): its last charge is made.
  void work_exited(Clock::time_point now);
  // Then, once the driver has cleaned up after it: its last checkpoints, and the outcome
  // recorded (with its changes). Returns the supervisor's exit status.
  int ended(int exit_code, RunningWork& work);

 private:
  class OutputSink;
  struct Run;
  void start_checkpoint(RunningWork& work, CheckpointTrigger trigger,
                        const std::string& token = "");
  void finish_checkpoint(RunningWork& work, Clock::time_point deadline, const std::string& why);
  int record_outcome(int exit_code, RunningWork& work);
  std::chrono::seconds pre_stop_time() const;

  Store& store_;
  Ledger ledger_;
  Budget budget_;
  Session session_;
  SessionFiles files_;
  RateTable rates_;
  std::string priced_as_;
  std::unique_ptr<Run> run_;  // from started() on
};

}  // namespace parhelia::core

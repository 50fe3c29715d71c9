#include "core/local/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/agent/agent_command.h"
#include "core/agent/agent_stream.h"
#include "core/agent/agent_transcript.h"
#include "core/checkpoints/checkpoint_job.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/checkpoints/checkpointer.h"
#include "core/base/environment.h"
#include "core/budget/estimate.h"
#include "core/budget/meter.h"
#include "core/base/process.h"
#include "core/local/process_tree.h"
#include "core/local/sandbox.h"
#include "core/store/store.h"
#include "core/workspace/workspace.h"

namespace parhelia::core {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

volatile sig_atomic_t stop_signal = 0;
void on_stop_signal(int signal_number) {
  stop_signal = signal_number;
}

// How long the checkpoint before a stop may take before the stop goes on without it: a
// twentieth of the session's timeout, between 3 and 30 s. A stop is a limit being enforced; a
// session that makes its checkpoints slow must not stretch it.
std::chrono::seconds pre_stop_checkpoint_time(std::int64_t timeout_s) {
  return std::chrono::seconds(std::clamp<std::int64_t>(timeout_s / 20, 3, 30));
}
// A checkpoint still running when the work has ended, or the last one of a conversation, has
// this long before the session's outcome is recorded without it.
constexpr auto kLastCheckpointTime = 5min;
// What a session left running (setsid, a double fork) gets this long after SIGTERM.
constexpr auto kLeftoverGrace = 2s;

int read_grace(const SessionFiles& files) {
  int grace = 10;
  std::ifstream(files.stop_grace) >> grace;
  return std::clamp(grace, 0, 3600);
}

// The work's output, as it arrives: to the log file, to the tmux pane, and line by line to
// the stream reader.
class OutputSink {
 public:
  OutputSink(Store& store, const Session& session, const std::filesystem::path& log,
             SessionMeter& meter)
      : store_(store),
        session_(session),
        log_(log, std::ios::app | std::ios::binary),
        meter_(meter) {}

  void write(const char* data, std::size_t size) {
    log_.write(data, static_cast<std::streamsize>(size));
    log_.flush();
    std::cout.write(data, static_cast<std::streamsize>(size));
    std::cout.flush();
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

// The outcome of the work as the supervisor saw it end.
struct WorkEnd {
  int exit_code = -1;
  bool timed_out = false;
  int stop_by = 0;                         // the stop signal received, if any
  std::optional<std::string> over_budget;  // why the watchdog stopped it
  std::optional<AgentResult> result;
};

class Supervisor {
 public:
  Supervisor(const std::filesystem::path& home, Store& store, Session session, RateTable rates)
      : home_(home),
        store_(store),
        ledger_(store.database()),
        budget_(store.database()),
        checkpointer_(home, store.database()),
        session_(std::move(session)),
        files_(SessionFiles::of(home, session_.id)),
        rates_(std::move(rates)) {}

  int run() {
    const pid_t self = ::getpid();
    SessionUpdate claimed;
    claimed.supervisor_pid = self;
    claimed.supervisor_start = process_start_time(self);
    auto moved = store_.transition(session_.id, SessionState::queued, SessionState::provisioning,
                                   claimed, "supervisor started");
    if (!moved || !moved.value()) {
      std::cerr << "parhelia: session " << session_.id << " is no longer queued; nothing to do\n";
      return 0;
    }
    session_.state = SessionState::provisioning;

    auto launch = prepare();
    if (!launch) return finish_early(SessionState::failed, launch.error().sentence());
    if (stop_signal != 0)
      return finish_early(SessionState::cancelled, "Stopped on request before the work started.");
    // What the agent's HOME holds before it begins is the conversation it resumes: read now,
    // so that the meter never charges it again.
    if (session_.kind == SessionKind::task) {
      transcripts_.emplace(files_.home);
      restored_ = transcripts_->read(true);
    }
    auto child = ChildProcess::start(launch.value());
    if (!child)
      return finish_early(SessionState::failed,
                          "The work could not be started: " + child.error().sentence());

    SessionUpdate started;
    started.started_at = now_ms();
    if (!store_
             .transition(session_.id, SessionState::provisioning, SessionState::running, started,
                         "work started")
             .value_or(false)) {
      // Stopped while provisioning: the stop was recorded by whoever stopped it.
      return 0;
    }
    session_.state = SessionState::running;
    return watch(child.value());
  }

 private:
  Result<ProcessSpec> prepare() {
    auto origin = resolve_workspace(session_.workspace);
    if (!origin) return origin.error();
    std::error_code ec;
    std::filesystem::create_directories(files_.home, ec);
    if (!session_.restore_from.empty()) {
      if (auto restored = checkpointer_.restore(session_); !restored) {
        return Error{ErrorCode::io_failure,
                     "Checkpoint " + session_.restore_from +
                         " could not be restored: " + restored.error().sentence(),
                     ""};
      }
      std::ofstream(files_.log, std::ios::app)
          << "parhelia: restored checkpoint " << session_.restore_from << " of "
          << session_.parent_id << "\n";
    } else if (!std::filesystem::exists(files_.git_dir, ec)) {
      if (auto copied = prepare_working_copy(origin.value(), files_.working_copy()); !copied)
        return copied.error();
    }

    auto settings = SandboxSettings::load(home_);
    if (!settings) return settings.error();
    auto command = work_command(session_, files_, home_, settings.value());
    if (!command) return command.error();
    if (session_.sandboxed) {
      if (auto handed = hand_files_to_sandbox(files_); !handed) return handed.error();
    }
    ProcessSpec spec;
    spec.argv = command->argv;
    spec.environment = command->environment;
    spec.working_directory = files_.workspace.string();
    spec.pipe_stdout = true;
    spec.merge_stderr = true;
    spec.new_session = true;  // its own process group, so a stop reaches everything it started
    // What a person types into the session's pane (attached, or `session send`) reaches the
    // work, as in any terminal. (Claude Code does not read a terminal stdin in -p mode.)
    spec.inherit_stdin = ::isatty(STDIN_FILENO) == 1;
    return spec;
  }

  int finish_early(SessionState final_state, const std::string& why) {
    warn_on_error(budget_.release(session_.id, now_ms()), "releasing the reservation");
    std::cerr << "parhelia: " << why << "\n";
    std::ofstream(files_.log, std::ios::app) << "parhelia: " << why << "\n";
    SessionUpdate outcome;
    outcome.finished_at = now_ms();
    outcome.error = why;
    warn_on_error(store_.transition(session_.id, session_.state, final_state, outcome, why),
                  "recording the outcome");
    return 0;
  }

  // Starts a checkpoint off the loop (it notes its own outcome in the events); one that cannot
  // start is noted, and the work goes on: losing a checkpoint must not lose the session.
  void start_checkpoint(CheckpointJob& job, CheckpointTrigger trigger,
                        const std::string& token = "") {
    if (auto started = job.start(trigger, token); !started) {
      warn_on_error(
          store_.note(session_.id, std::string(to_string(trigger)) +
                                       " checkpoint failed: " + started.error().sentence()),
          "noting a failed checkpoint");
    }
  }

  // Gives a running checkpoint until `deadline`, then ends it and says so.
  void finish_checkpoint(CheckpointJob& job, Clock::time_point deadline, const std::string& why) {
    if (job.wait_until(deadline)) return;
    job.abandon("The checkpoint was ended: " + why);
    warn_on_error(store_.note(session_.id, "checkpoint abandoned: " + why),
                  "noting an abandoned checkpoint");
  }

  // What the work left behind it (a process it detached with setsid or a double fork, which
  // the supervisor inherits as their subreaper) ends with it, and is reaped.
  void end_leftovers(CheckpointJob& job) {
    std::vector<pid_t> keep;
    if (auto pid = job.pid()) keep.push_back(*pid);
    const auto ended = end_descendants(kLeftoverGrace, kLeftoverGrace + 5s, keep);
    if (ended > 0) {
      warn_on_error(store_.note(session_.id, "ended " + std::to_string(ended) +
                                                 " processes the work left running"),
                    "noting leftover processes");
    }
  }

  // A budget alert goes to the session's events (the MCP server tells its client) and its pane.
  void on_alert(const BudgetAlert& alert) {
    std::cerr << "parhelia: " << alert.sentence() << "\n";
    warn_on_error(store_.note(session_.id, alert.sentence()), "noting a budget alert");
  }

  int watch(ChildProcess& child) {
    auto compute = metered_resources(rates_, compute_request_of(session_));
    if (!compute) {
      std::cerr << "parhelia: " << compute.error().sentence() << "; compute is not charged\n";
    }
    SessionMeter meter(ledger_, budget_, session_, rates_,
                       compute ? compute.value() : std::vector<MeteredResource>{},
                       [this](const BudgetAlert& alert) { on_alert(alert); });
    if (transcripts_) meter.follow_transcripts(*transcripts_, restored_);
    OutputSink sink(store_, session_, files_.log, meter);
    WorkEnd end;
    const auto started = Clock::now();
    meter.start(started);
    const auto deadline = started + std::chrono::seconds(session_.timeout_s);
    const auto every = std::chrono::seconds(session_.checkpoint_every_s);
    auto next_checkpoint =
        session_.checkpoint_every_s > 0 ? started + every : Clock::time_point::max();
    CheckpointJob job(home_, session_.id);
    std::optional<CheckpointTrigger> stopping;          // why, once the work is to stop
    std::optional<Clock::time_point> checkpoint_until;  // the pre-stop checkpoint's time
    bool pre_stop_started = false;
    std::optional<Clock::time_point> kill_at;
    std::optional<Clock::time_point> exited_at;
    auto next_reap = started + 1s;
    char buffer[65536];
    int fd = child.stdout_fd();
    while (fd >= 0) {
      pollfd poll_fd{fd, POLLIN, 0};
      const int ready = ::poll(&poll_fd, 1, 200);
      if (ready > 0) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) sink.write(buffer, static_cast<std::size_t>(n));
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) fd = -1;
      }
      const auto now = Clock::now();
      // Checkpoints run beside the loop, one at a time: while one runs, the next periodic one
      // and a request wait for it, and nothing else does.
      if (!stopping) {
        if (auto reason = meter.tick(now)) end.over_budget = reason;
      }
      if (!stopping && now >= next_checkpoint && !job.running()) {
        start_checkpoint(job, CheckpointTrigger::periodic);
        next_checkpoint = now + every;
      }
      if (!stopping && !job.running()) {
        if (auto token = take_checkpoint_request(files_))
          start_checkpoint(job, CheckpointTrigger::manual, *token);
      }
      if (!stopping && (stop_signal != 0 || now >= deadline || end.over_budget)) {
        end.stop_by = stop_signal;
        end.timed_out = stop_signal == 0 && !end.over_budget;
        stopping = end.stop_by != 0 ? CheckpointTrigger::stop
                   : end.timed_out  ? CheckpointTrigger::timeout
                                    : CheckpointTrigger::budget;
        checkpoint_until = now + pre_stop_checkpoint_time(session_.timeout_s);
        const std::string why = end.stop_by != 0 ? "stop requested; stopping"
                                : end.timed_out  ? "timeout reached; stopping"
                                                 : "budget watchdog: " + *end.over_budget;
        warn_on_error(store_.note(session_.id, why), "noting a stop");
      }
      // What the work has done so far is kept before it is asked to stop, for a bounded time:
      // after a checkpoint already running, one of the files as they are now.
      if (stopping && !kill_at) {
        if (!pre_stop_started && !job.running()) {
          start_checkpoint(job, *stopping);
          pre_stop_started = true;
        }
        const bool checkpointed = pre_stop_started && !job.running();
        if (checkpointed || now >= *checkpoint_until) {
          if (!checkpointed) {
            const auto allowed = pre_stop_checkpoint_time(session_.timeout_s).count();
            job.abandon("the session was stopping and the checkpoint took longer than " +
                        std::to_string(allowed) + " s.");
            warn_on_error(
                store_.note(session_.id, "the checkpoint before the stop took longer than " +
                                             std::to_string(allowed) +
                                             " s and was abandoned; the work is stopped without "
                                             "it (earlier checkpoints stand)"),
                "noting an abandoned checkpoint");
          }
          const int grace = stop_signal != 0 ? read_grace(files_) : 10;
          ::kill(-child.pid(), SIGTERM);
          kill_at = now + std::chrono::seconds(grace);
        }
      }
      if (now >= next_reap) {  // orphans the work left, once they exit
        std::vector<pid_t> keep = {child.pid()};
        if (auto pid = job.pid()) keep.push_back(*pid);
        reap_exited_children(keep);
        next_reap = now + 1s;
      }
      if (kill_at && now >= *kill_at) {
        ::kill(-child.pid(), SIGKILL);
        kill_at = now + 24h;  // once
      }
      // The work has ended but something it left in the background still holds the output
      // open (only possible unsandboxed: bwrap's PID namespace ends with the work). Take what
      // it wrote for a moment, then end the group: the session ends with its work.
      if (!exited_at && child.wait_for(std::chrono::milliseconds(0))) exited_at = now;
      if (exited_at && now - *exited_at > 2s) {
        ::kill(-child.pid(), SIGKILL);
        fd = -1;
      }
    }
    sink.finish();
    auto status = child.wait_for(5s);
    if (!status) {
      ::kill(-child.pid(), SIGKILL);
      status = child.wait_for(5s);
    }
    meter.finish(Clock::now());
    end_leftovers(job);
    end.exit_code = status.value_or(-1);
    end.result = sink.result();
    std::ofstream(files_.exit_code, std::ios::trunc) << end.exit_code << "\n";
    // One still running had, when the work was stopping, only the time left before the stop.
    finish_checkpoint(job, stopping ? *checkpoint_until : Clock::now() + kLastCheckpointTime,
                      "the work had ended and it took longer than it may.");
    // A request that came while the work was stopping is answered from its last files.
    if (auto token = take_checkpoint_request(files_)) {
      start_checkpoint(job, CheckpointTrigger::manual, *token);
      finish_checkpoint(job, Clock::now() + kLastCheckpointTime,
                        "it took longer than " + std::to_string(kLastCheckpointTime.count()) +
                            " minutes after the work had ended.");
    }
    // A conversation can always be taken up again from where it ended.
    if (session_.kind == SessionKind::task) {
      start_checkpoint(job, CheckpointTrigger::end);
      finish_checkpoint(job, Clock::now() + kLastCheckpointTime,
                        "the last checkpoint took longer than " +
                            std::to_string(kLastCheckpointTime.count()) + " minutes.");
    }
    return record_outcome(end);
  }

  int record_outcome(const WorkEnd& end) {
    const int exit_code = end.exit_code;
    const int stop_by = end.stop_by;
    const auto& result = end.result;
    SessionUpdate outcome;
    outcome.finished_at = now_ms();
    outcome.exit_code = exit_code;
    if (auto changes = collect_changes(files_.working_copy(), files_.patch)) {
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
    if (end.over_budget && stop_by == 0) {
      final_state = SessionState::over_budget;
      outcome.error = "Stopped by the budget watchdog: " + *end.over_budget;
    } else if (end.timed_out) {
      final_state = SessionState::timed_out;
      outcome.error = "The session reached its timeout of " + std::to_string(session_.timeout_s) +
                      " s and was stopped.";
    } else if (stop_by != 0 && stopped_by_parhelia) {
      final_state = SessionState::cancelled;
      outcome.error = "Stopped on request.";
    } else if (stop_by != 0) {
      final_state = SessionState::failed;
      outcome.error = "Stopped by signal " + std::to_string(stop_by) + " from outside Parhelia.";
    } else if (result && result->is_error) {
      final_state = SessionState::failed;
      outcome.error = "Claude Code reported an error: " + result->text;
    } else if (exit_code != 0) {
      final_state = SessionState::failed;
      outcome.error = "The work exited with status " + std::to_string(exit_code) + "; see its log.";
    }
    warn_on_error(
        store_.transition(session_.id, SessionState::running, final_state, outcome, detail),
        "recording the outcome");
    warn_on_error(budget_.release(session_.id, now_ms()), "releasing the reservation");
    return 0;
  }

  std::filesystem::path home_;
  Store& store_;
  Ledger ledger_;
  Budget budget_;
  Checkpointer checkpointer_;
  Session session_;
  SessionFiles files_;
  RateTable rates_;
  std::optional<TranscriptUsageReader> transcripts_;  // a task's: Claude Code's final usage
  TranscriptUsage restored_;                          // what they held before the agent began
};

}  // namespace

int supervise(const std::filesystem::path& home, const std::string& session_id) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP}) sigaction(signal_number, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Whatever the work detaches (setsid, a double fork) is reparented here, not to init, so
  // that the session's end can end it.
  if (!become_subreaper()) std::cerr << "parhelia: cannot become a subreaper\n";

  auto store = Store::open(home);
  if (!store) {
    std::cerr << "parhelia: " << store.error().sentence() << "\n";
    return 1;
  }
  auto session = store.value()->get(session_id);
  if (!session) {
    std::cerr << "parhelia: " << session.error().sentence() << "\n";
    return 1;
  }
  // The rates were checked at submit; should the config have broken since, the session is
  // still charged, at the list prices, and says so.
  auto rates = RateTable::load(home);
  if (!rates) std::cerr << "parhelia: " << rates.error().sentence() << " Using the list prices.\n";
  return Supervisor(home, *store.value(), session.value(),
                    rates ? rates.value() : RateTable::defaults())
      .run();
}

}  // namespace parhelia::core

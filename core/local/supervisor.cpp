#include "core/local/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>

#include "core/agent/agent_transcript.h"
#include "core/base/process.h"
#include "core/checkpoints/checkpoint_job.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/checkpoints/checkpointer.h"
#include "core/local/process_tree.h"
#include "core/local/sandbox.h"
#include "core/local/supervised_session.h"
#include "core/service/checkpointed_work.h"
#include "core/service/run_policy.h"
#include "core/service/supervision.h"
#include "core/store/store.h"
#include "core/workspace/workspace.h"

namespace parhelia::core {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// What a session left running (setsid, a double fork) gets this long after SIGTERM.
constexpr auto kLeftoverGrace = 2s;

// The work as a child process here, and its checkpoints in a process of their own.
class LocalWork final : public CheckpointedWork {
 public:
  LocalWork(const std::filesystem::path& home, const std::string& session_id,
            const SessionFiles& files, ChildProcess& child)
      : CheckpointedWork(home, session_id, files), files_(files), child_(child) {}

  // To its whole process group: everything it started.
  void terminate() override { ::kill(-child_.pid(), SIGTERM); }
  void kill() override { ::kill(-child_.pid(), SIGKILL); }
  Result<Changes> collect_changes() override {
    return core::collect_changes(files_.working_copy(), files_.patch);
  }

  // The processes that are not leftovers of the work: its own, and a checkpoint's.
  std::vector<pid_t> own_processes() const {
    std::vector<pid_t> keep = {child_.pid()};
    if (auto pid = checkpoint_pid()) keep.push_back(*pid);
    return keep;
  }
  using CheckpointedWork::checkpoint_pid;

 private:
  const SessionFiles& files_;
  ChildProcess& child_;
};

class Supervisor {
 public:
  Supervisor(const std::filesystem::path& home, Store& store, Session session, RateTable rates,
             const Backend& backend)
      : backend_(backend),
        home_(home),
        store_(store),
        budget_(store.database()),
        checkpointer_(home, store.database()),
        session_(std::move(session)),
        files_(SessionFiles::of(home, session_.id)),
        rates_(std::move(rates)) {}

  int run() {
    if (!claim_queued_session(store_, session_)) {
      std::cerr << "parhelia: session " << session_.id << " is no longer queued; nothing to do\n";
      return 0;
    }

    auto launch = prepare();
    if (!launch) return finish_early(SessionState::failed, launch.error().sentence());
    if (stop_signal_received() != 0)
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

    // What submit planned, worked out again here (its preconditions were checked then).
    auto command = local_work_command(home_, session_);
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
    return finish_unstarted(store_, session_, files_, final_state, why);
  }

  // What the work left behind it (a process it detached with setsid or a double fork, which
  // the supervisor inherits as their subreaper) ends with it, and is reaped.
  void end_leftovers(const LocalWork& work) {
    std::vector<pid_t> keep;
    if (auto pid = work.checkpoint_pid()) keep.push_back(*pid);
    const auto ended = end_descendants(kLeftoverGrace, kLeftoverGrace + 5s, keep);
    if (ended > 0) {
      warn_on_error(store_.note(session_.id, "ended " + std::to_string(ended) +
                                                 " processes the work left running"),
                    "noting leftover processes");
    }
  }

  // Runs the loop that drives the session's policy (run_policy.h): the work's output to the
  // pane and the policy, a turn of the policy at least every 200 ms, the orphans reaped.
  int watch(ChildProcess& child) {
    RunPolicy policy(home_, store_, session_, rates_, backend_.priced_as());
    LocalWork work(home_, session_.id, files_, child);
    policy.started(Clock::now(), transcripts_ ? &*transcripts_ : nullptr, restored_);
    std::optional<Clock::time_point> exited_at;
    auto next_reap = Clock::now() + 1s;
    char buffer[65536];
    int fd = child.stdout_fd();
    while (fd >= 0) {
      pollfd poll_fd{fd, POLLIN, 0};
      const int ready = ::poll(&poll_fd, 1, 200);
      if (ready > 0) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
          std::cout.write(buffer, n);  // the tmux pane
          std::cout.flush();
          policy.output(buffer, static_cast<std::size_t>(n));
        }
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) fd = -1;
      }
      const auto now = Clock::now();
      policy.turn(now, stop_signal_received(), work);
      if (now >= next_reap) {  // orphans the work left, once they exit
        reap_exited_children(work.own_processes());
        next_reap = now + 1s;
      }
      // The work has ended but something it left in the background still holds the output
      // open (only possible unsandboxed: bwrap's PID namespace ends with the work). Take what
      // it wrote for a moment, then end the group: the session ends with its work.
      if (!exited_at && child.wait_for(std::chrono::milliseconds(0))) exited_at = now;
      if (exited_at && now - *exited_at > 2s) {
        work.kill();
        fd = -1;
      }
    }
    policy.output_ended();
    auto status = child.wait_for(5s);
    if (!status) {
      work.kill();
      status = child.wait_for(5s);
    }
    policy.work_exited(Clock::now());
    end_leftovers(work);
    const int exit_code = status.value_or(-1);
    std::ofstream(files_.exit_code, std::ios::trunc) << exit_code << "\n";
    return policy.ended(exit_code, work);
  }

  const Backend& backend_;  // where the session runs: what its work is
  std::filesystem::path home_;
  Store& store_;
  Budget budget_;
  Checkpointer checkpointer_;
  Session session_;
  SessionFiles files_;
  RateTable rates_;
  std::optional<TranscriptUsageReader> transcripts_;  // a task's: Claude Code's final usage
  TranscriptUsage restored_;                          // what they held before the agent began
};

}  // namespace

int supervise_here(const std::filesystem::path& home, Store& store, const Session& session,
                   const RateTable& rates, const Backend& backend) {
  // Whatever the work detaches (setsid, a double fork) is reparented here, not to init, so
  // that the session's end can end it.
  if (!become_subreaper()) std::cerr << "parhelia: cannot become a subreaper\n";
  return Supervisor(home, store, session, rates, backend).run();
}

}  // namespace parhelia::core

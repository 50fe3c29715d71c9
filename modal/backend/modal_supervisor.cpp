#include "modal/backend/modal_supervisor.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/agent/agent_command.h"
#include "core/agent/agent_credential.h"
#include "core/base/environment.h"
#include "core/base/file_replace.h"
#include "core/base/process.h"
#include "core/base/sha256.h"
#include "core/budget/budget.h"
#include "core/budget/estimate.h"
#include "core/checkpoints/checkpoint_job.h"
#include "core/checkpoints/checkpointer.h"
#include "core/service/checkpointed_work.h"
#include "core/service/run_policy.h"
#include "core/service/supervision.h"
#include "core/session/gpu_request.h"
#include "core/session/sandbox_settings.h"
#include "core/session/session_files.h"
#include "core/terminal/ssh_endpoints.h"
#include "core/workspace/workspace.h"
#include "modal/api/modal_client.h"
#include "modal/api/modal_errors.h"
#include "modal/backend/install_id.h"
#include "modal/backend/modal_settings.h"
#include "modal/backend/sandbox_exec.h"
#include "modal/backend/sandbox_terminal.h"
#include "modal/backend/session_image.h"
#include "modal/backend/workspace_base.h"
#include "modal/backend/workspace_transfer.h"
#include "modal/credentials.h"

namespace parhelia::modal {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using core::Error;
using core::ErrorCode;
using core::Result;

constexpr std::int64_t kShortestSandbox_s = 10;
// The longest timeout longest_timeout_within looks at (a session's most, 24 h).
constexpr std::int64_t kLongestLookup_s = 24 * 3600;
// While Modal does not answer, the supervisor asks again this often at most.
constexpr std::int64_t kOutagePause_s = 8;
// The checkpoint before a stop pulls the files and snapshots the sandbox over the network: it
// is given at least this long (within kStopSlack_s).
constexpr auto kPreStopCheckpoint = std::chrono::seconds(20);
// How long a sandbox's outcome may trail the end of the exec its ending cut off.
constexpr auto kSandboxEndTrail = std::chrono::seconds(15);
// A sandbox whose timeout the budget cut is stopped this long before Modal would end it: its
// checkpoint, the work's grace and the changes' way back all fit before.
constexpr std::int64_t kBudgetStopMargin_s = 60;

void log_line(const core::SessionFiles& files, const std::string& line) {
  std::ofstream(files.log, std::ios::app) << "parhelia: " << line << "\n";
}

// The sandbox's timeout: the session's and its keep-alive with the slack, cut to what the room left
// under every hard limit and the session's cap, less what other live sessions hold, pays for at the
// sandbox's rates. Modal itself then stops the sandbox there, whatever becomes of this machine.
Result<unsigned> bounded_timeout(core::Store& store, const core::Session& session,
                                 const core::RateTable& rates, std::string* bound_by) {
  std::int64_t timeout = session.timeout_s + session.keep_alive_s + kStopSlack_s;
  core::Budget budget(store.database());
  auto allowance = budget.allowance(session.id, session.max_cost_micros, core::now_ms());
  if (!allowance) return allowance.error();
  if (allowance->room) {
    // What other live sessions hold is theirs: this sandbox may run on what is not promised.
    // (Its own reservation is all it holds yet: nothing of it is spent at its create.)
    auto held = budget.held();
    if (!held) return held.error();
    auto own = budget.reserved_for(session.id);
    if (!own) return own.error();
    const core::Micros room =
        std::max<core::Micros>(*allowance->room - (held.value() - own.value()), 0);
    // The compute alone, priced as a reservation is: what the sandbox costs by the second.
    core::CostQuestion compute;
    compute.compute = core::compute_request_of(session, "modal");
    const std::int64_t affordable =
        core::longest_timeout_within(rates, core::BudgetSettings{}, compute, room);
    // A day or more is what free compute gives: no bound.
    if (affordable < timeout && affordable < kLongestLookup_s) {
      timeout = affordable;
      *bound_by = "the budget's room";
    }
  }
  if (timeout < kShortestSandbox_s) {
    return Error{ErrorCode::conflict,
                 "The budget's room pays for less than " + std::to_string(kShortestSandbox_s) +
                     " s of this sandbox.",
                 "Raise the limit (`parhelia budget set`) or ask for less (a smaller GPU)."};
  }
  return static_cast<unsigned>(timeout);
}

// The Modal Secret holding Claude Code's credential: the user's own (modal.agent_secret), or
// one made from this process's environment, named after a digest of the value so that a new
// key gets a new secret.
Result<std::string> agent_secret(ModalClient& client, const ModalSettings& settings,
                                 const core::SessionFiles& files, core::Store& store,
                                 const std::string& session_id) {
  if (!settings.agent_secret.empty()) {
    auto found = client.secret_get_or_create(settings.agent_secret, {});
    if (!found) {
      return Error{found.error().code,
                   "The Modal Secret \"" + settings.agent_secret +
                       "\" (modal.agent_secret) could not be used: " + found.error().message,
                   "Create it with `modal secret create " + settings.agent_secret +
                       " ANTHROPIC_API_KEY=...`, or remove modal.agent_secret from config.json."};
    }
    return found;
  }
  auto variable = core::require_agent_credential();
  if (!variable) return variable.error();
  const std::string value = core::env_value(variable.value().c_str()).value_or("");
  const std::string name = "parhelia-agent-" + core::sha256_hex(value).substr(0, 12);
  auto made = client.secret_get_or_create(name, {{variable.value(), value}});
  if (!made) return made.error();
  const std::string said = "Claude Code's " + variable.value() +
                           " reaches the sandbox as the Modal Secret " + name +
                           " (made from this environment; set modal.agent_secret to use "
                           "a secret of your own)";
  log_line(files, said);
  core::warn_on_error(store.note(session_id, said), "noting the secret");
  return made;
}

// The work as an exec in the sandbox: signals reach its process group through another exec.
class ModalWork final : public core::CheckpointedWork {
 public:
  // Without a router the sandbox had ended before this supervisor could reach it. Its
  // checkpoints' processes bring the sandbox's files here (ModalBackend::bring_files_here).
  ModalWork(const std::filesystem::path& home, CommandRouter* router, const core::Session& session,
            const core::SessionFiles& files)
      : CheckpointedWork(home, session.id, files),
        router_(router),
        session_(session),
        files_(files),
        sandbox_alive_(router != nullptr) {}

  void terminate() override { signal_work("TERM"); }
  void kill() override { signal_work("KILL"); }
  Result<core::Changes> collect_changes() override {
    if (!sandbox_alive_) {
      return Error{ErrorCode::unavailable,
                   "the sandbox had ended before its files could be read back", ""};
    }
    if (auto pulled = download_changes(*router_, session_.id, "end", files_.workspace); !pulled)
      return pulled.error();
    return core::collect_changes(files_.working_copy(), files_.patch);
  }

  std::optional<EndedBy> ended_by_backend() const override { return ended_by_; }
  void sandbox_ended(EndedBy how) {
    sandbox_alive_ = false;
    ended_by_ = std::move(how);
  }

 private:
  void signal_work(const std::string& signal) {
    if (!sandbox_alive_) return;
    ExecSpec spec;
    spec.exec_id = exec_id_for(session_.id, "signal " + std::to_string(++signals_));
    spec.argv = {"sh", "-c", "kill -s " + signal + " -- -\"$(cat ../parhelia/work.pid)\""};
    spec.workdir = kSandboxWorkspace;
    auto run = run_in_sandbox(*router_, spec, "", 30s);
    if (!run || run->exit_code != 0) {
      std::cerr << "parhelia: SIG" << signal
                << " could not reach the work: " << (run ? run->out : run.error().sentence())
                << "\n";
    }
  }

  CommandRouter* router_;
  const core::Session& session_;
  const core::SessionFiles& files_;
  int signals_ = 0;
  bool sandbox_alive_;
  std::optional<EndedBy> ended_by_;
};

// The work's output as the exec's stdout delivers it (on the client's thread), taken by the
// policy's loop.
class OutputQueue {
 public:
  void push(std::string_view data) {
    std::lock_guard lock(mutex_);
    pending_.append(data);
  }
  std::string take() {
    std::lock_guard lock(mutex_);
    return std::exchange(pending_, {});
  }

 private:
  std::mutex mutex_;
  std::string pending_;
};

// How much of the work's output (the exec's stdout, read from its start) the session's log
// holds, kept beside it so that a supervisor taking over logs only what is new and reads the
// rest again for the policy alone.
class OutputLedger {
 public:
  OutputLedger(const core::SessionFiles& files, bool taken_over)
      : file_(files.dir / "modal-output-offset") {
    if (taken_over) std::ifstream(file_) >> logged_;
  }
  void feed(const std::string& data, core::RunPolicy& policy) {
    if (data.empty()) return;
    const std::uint64_t old =
        seen_ < logged_ ? std::min<std::uint64_t>(logged_ - seen_, data.size()) : 0;
    if (old > 0) policy.replayed(data.data(), old);
    seen_ += data.size();
    if (old == data.size()) return;
    policy.output(data.data() + old, data.size() - old);
    logged_ = seen_;
    core::warn_on_error(core::replace_file(file_, std::to_string(logged_) + "\n"),
                        "recording how much of the output is logged");
  }

 private:
  std::filesystem::path file_;
  std::uint64_t logged_ = 0;
  std::uint64_t seen_ = 0;
};

// flock(2) on the session's supervisor.lock, held while this process lives: of two supervisors
// started for one session (two looks at once found it unfollowed), one follows.
class FollowerLock {
 public:
  explicit FollowerLock(const core::SessionFiles& files)
      : fd_(::open((files.dir / "supervisor.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    held_ = fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
  }
  ~FollowerLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FollowerLock(const FollowerLock&) = delete;
  FollowerLock& operator=(const FollowerLock&) = delete;
  bool held() const { return held_; }

 private:
  int fd_;
  bool held_ = false;
};

class ModalSupervisor {
 public:
  ModalSupervisor(const std::filesystem::path& home, core::Store& store, core::Session session,
                  const core::RateTable& rates)
      : home_(home),
        store_(store),
        session_(std::move(session)),
        files_(core::SessionFiles::of(home, session_.id)),
        rates_(rates) {}

  int run() {
    // One supervisor per session at a time: the lock is held for this process's life.
    FollowerLock lock(files_);
    if (!lock.held()) {
      std::cerr << "parhelia: session " << session_.id << " has a supervisor already\n";
      return 0;
    }
    if (session_.state != core::SessionState::queued) return take_over();
    if (!core::claim_queued_session(store_, session_)) {
      std::cerr << "parhelia: session " << session_.id << " is no longer queued; nothing to do\n";
      return 0;
    }
    auto prepared = prepare();
    if (!prepared) {
      if (!sandbox_id_.empty()) terminate_sandbox();
      const bool stopped = core::stop_signal_received() != 0;
      return core::finish_unstarted(
          store_, session_, files_,
          stopped ? core::SessionState::cancelled : core::SessionState::failed,
          stopped ? "Stopped on request before the work started." : prepared.error().sentence());
    }
    core::SessionUpdate started;
    started.started_at = core::now_ms();
    if (!store_
             .transition(session_.id, core::SessionState::provisioning, core::SessionState::running,
                         started, "work started")
             .value_or(false)) {
      terminate_sandbox();  // stopped while provisioning: the stop was recorded by its caller
      return 0;
    }
    session_.state = core::SessionState::running;
    const int status = follow();
    keep_alive();
    terminate_sandbox();
    settle_with_modal();
    release_hold();
    return status;
  }

 private:
  // The session's supervisor died (killed, the laptop shut) while its sandbox ran on: this one
  // takes its place, catches the log, the spend and the end up, and finishes the session.
  int take_over() {
    std::ifstream(sandbox_id_file(home_, session_.id)) >> sandbox_id_;
    if (sandbox_id_.empty() || core::is_terminal(session_.state)) return 0;
    core::SessionUpdate claimed;
    claimed.supervisor_pid = ::getpid();
    claimed.supervisor_start = core::process_start_time(::getpid());
    core::warn_on_error(store_.update(session_.id, claimed), "recording the new supervisor");
    core::warn_on_error(
        store_.note(session_.id, "supervisor restarted; catching up with sandbox " + sandbox_id_),
        "noting the takeover");
    auto connected = connect();
    if (connected && session_.state == core::SessionState::running) {
      auto task_id = client_->sandbox_task_id(sandbox_id_, 30s);
      if (task_id && task_id.value()) {
        if (auto router = client_->command_router(*task_id.value()))
          router_ = std::move(router).value();
      }
    }
    if (!connected && connected.error().code == ErrorCode::unavailable) {
      // Modal out of reach: the sandbox runs on within its timeout, and the next look tries
      // again.
      std::cerr << "parhelia: Modal cannot be reached to follow session " << session_.id << ": "
                << connected.error().sentence() << "\n";
      return 1;
    }
    if (!connected) {  // no token here: nothing can follow it from this environment
      return core::finish_unstarted(
          store_, session_, files_, core::SessionState::failed,
          "Its supervisor died, and another could not reach Modal to follow it: " +
              connected.error().sentence() + " Its sandbox " + sandbox_id_ +
              " ends at its timeout.");
    }
    if (session_.state != core::SessionState::running) {
      // It died before the work started: what it made is ended, and the session with it.
      terminate_sandbox();
      return core::finish_unstarted(store_, session_, files_, core::SessionState::failed,
                                    "The session's supervisor ended before its work started.");
    }
    const int status = follow(/*taken_over=*/true);
    terminate_sandbox();
    settle_with_modal();
    release_hold();
    return status;
  }

  Result<core::Done> connect() {
    auto credentials = require_modal_credentials(home_);
    if (!credentials) return credentials.error();
    auto client = ModalClient::open(credentials.value());
    if (!client) return client.error();
    client_ = std::move(client).value();
    return core::Done{};
  }

  // Everything before the work: the files here, the client, the image, the sandbox, the files
  // there.
  Result<core::Done> prepare() {
    auto origin = core::resolve_workspace(session_.workspace);
    if (!origin) return origin.error();
    std::error_code ec;
    std::filesystem::create_directories(files_.home, ec);
    if (!session_.restore_from.empty()) {
      core::Checkpointer checkpointer(home_, store_.database());
      if (auto restored = checkpointer.restore(session_); !restored) return restored.error();
      log_line(files_,
               "restored checkpoint " + session_.restore_from + " of " + session_.parent_id);
    } else if (auto copied = core::prepare_working_copy(origin.value(), files_.working_copy());
               !copied) {
      return copied.error();
    }
    auto settings = ModalSettings::load(home_);
    if (!settings) return settings.error();
    if (auto connected = connect(); !connected) return connected.error();
    const ModalCredentials& credentials = client_->credentials();
    auto install = install_id(home_);
    if (!install) return install.error();

    auto app_id = client_->app_get_or_create(settings->app_name);
    if (!app_id) return app_id.error();
    auto gpu = core::parse_gpu_request(session_.gpu);
    if (!gpu) return gpu.error();
    SessionImages images(home_, credentials);
    const auto commands = session_image_commands(settings.value(), gpu->count > 0);
    log_line(files_, "preparing the image on Modal");
    auto image_id =
        images.image_for(*client_, app_id.value(), commands,
                         [this](const std::string& line) { log_line(files_, "image: " + line); });
    if (!image_id) return image_id.error();
    if (core::stop_signal_received() != 0)
      return Error{ErrorCode::conflict, "Stopped on request before the work started.", ""};

    if (session_.kind == core::SessionKind::task) {
      auto secret = agent_secret(*client_, settings.value(), files_, store_, session_.id);
      if (!secret) return secret.error();
      work_secrets_.push_back(secret.value());
    }
    const std::string unbounded = session_.keep_alive_s > 0 ? "the session's timeout and keep-alive"
                                                            : "the session's timeout";
    std::string bound_by = unbounded;
    auto timeout = bounded_timeout(store_, session_, rates_, &bound_by);
    if (!timeout) return timeout.error();
    timeout_bound_by_budget_ = bound_by != unbounded;

    // A workspace Modal has a snapshot of is sent as its difference from it (workspace_base.h).
    WorkspaceBases bases(home_, credentials, origin.value(), image_id.value());
    auto manifest = manifest_of(files_.working_copy());
    std::optional<WorkspaceBase> base;
    // Resumed from a checkpoint whose sandbox Modal still keeps: the sandbox starts from that
    // snapshot, which holds the checkpoint's files (the copy here was brought from it) and
    // whatever else the work installed or built there; only their difference is sent.
    const std::string snapshot = manifest ? checkpoint_snapshot(gpu->count > 0) : "";
    if (!snapshot.empty()) base = WorkspaceBase{snapshot, manifest.value()};
    if (!base && manifest) base = bases.find();

    SandboxSpec spec;
    spec.app_id = app_id.value();
    spec.app_name = settings->app_name;
    spec.name = session_.id;
    spec.image_id = base ? base->image_id : image_id.value();
    spec.workdir = kSandboxWorkspace;
    spec.timeout_secs = timeout.value();
    // Only keeps the sandbox up: the work is an exec (see modal_supervisor.h).
    spec.entrypoint = {"sleep", std::to_string(timeout.value() + 60)};
    spec.milli_cpu = static_cast<unsigned>(session_.cpu_milli);
    spec.memory_mib = static_cast<unsigned>(session_.memory_milli_gib * 1024 / 1000);
    if (gpu->count > 0) spec.gpu = GpuSpec{gpu->type, static_cast<unsigned>(gpu->count)};
    spec.tags = {{kSessionTag, session_.id}, {kInstallTag, install.value()}};
    // Its terminal: the sandbox's sshd behind a raw TCP tunnel (sandbox_terminal.h).
    spec.unencrypted_ports = {kSshPort};
    spec.readiness_tcp_port = kSshPort;
    auto created = client_->sandbox_create(spec);
    if (!created && created.error().code == ErrorCode::not_found && base) {
      // The snapshot is gone from Modal (expired, deleted): the files are sent whole.
      if (snapshot.empty()) {
        bases.forget();
      } else {
        log_line(files_, "the checkpoint's snapshot " + snapshot +
                             " is gone from Modal; starting from its copy here");
      }
      base.reset();
      spec.image_id = image_id.value();
      created = client_->sandbox_create(spec);
    }
    if (!created && created.error().code == ErrorCode::not_found) {
      // The remembered image is gone from Modal: built again, once.
      images.forget(commands);
      image_id =
          images.image_for(*client_, app_id.value(), commands,
                           [this](const std::string& line) { log_line(files_, "image: " + line); });
      if (!image_id) return image_id.error();
      spec.image_id = image_id.value();
      created = client_->sandbox_create(spec);
    }
    if (!created && gpu->count > 0 && is_quota_refusal(created.error())) {
      return Error{
          created.error().code,
          "Modal could not give this session " + session_.gpu + " now: " + created.error().message,
          "Try another GPU type (e.g. --gpu A100-80GB or L40S), fewer of them, or "
          "later; sandboxes still running count against the workspace's limit too."};
    }
    if (!created) return created.error();
    sandbox_id_ = created.value();
    sandbox_created_ = Clock::now();
    sandbox_timeout_s_ = timeout.value();
    core::warn_on_error(core::replace_file(sandbox_id_file(home_, session_.id), sandbox_id_ + "\n"),
                        "recording the sandbox");
    const std::string said = "sandbox " + sandbox_id_ + " created on Modal (timeout " +
                             std::to_string(timeout.value()) + " s, bounded by " + bound_by + ")";
    log_line(files_, said);
    core::warn_on_error(store_.note(session_.id, said), "noting the sandbox");

    auto task_id = client_->sandbox_task_id(sandbox_id_, 600s);
    if (!task_id) return task_id.error();
    if (!task_id.value()) {
      return Error{ErrorCode::unavailable, "The sandbox " + sandbox_id_ + " ended before it ran.",
                   "See `parhelia session logs " + session_.id + "`."};
    }
    auto router = client_->command_router(*task_id.value());
    if (!router) return router.error();
    router_ = std::move(router).value();
    if (base && base->image_id == snapshot) {
      // The snapshot was taken just after the checkpoint's files were copied here, while the
      // work ran on: what it holds is listed there, not assumed, so that the sandbox ends up
      // holding exactly the checkpoint's files.
      auto held = manifest_in_sandbox(*router_, session_.id);
      if (!held) {
        log_line(files_, "the snapshot's files could not be listed (" + held.error().sentence() +
                             "); every file is sent over it");
      }
      base->files = held ? std::move(held).value() : FileManifest{};
    }
    auto sent = base ? upload_difference(*router_, session_.id, files_.workspace, base->files,
                                         manifest.value())
                     : upload_working_copy(*router_, session_.id, files_.workspace);
    if (!sent) return sent.error();
    const bool from_snapshot = base && base->image_id == snapshot;
    if (!session_.restore_from.empty() && session_.kind == core::SessionKind::task) {
      // The conversation `claude --resume` takes up, where Claude Code looks for it there:
      // sent even onto a snapshot that holds it, as the checkpoint verified it and keyed to
      // this sandbox's working directory.
      if (auto sent_transcripts = upload_transcripts(
              *router_, session_.id,
              core::transcript_dir(files_.home,
                                   core::work_paths(files_, session_.sandboxed).workspace));
          !sent_transcripts)
        return sent_transcripts.error();
    }
    log_line(
        files_,
        std::string(from_snapshot ? "started from checkpoint " + session_.restore_from +
                                        "'s snapshot " + snapshot + "; its difference sent"
                    : base ? "workspace sent as its difference from the snapshot " + base->image_id
                           : "workspace sent") +
            " (" + std::to_string(sent.value()) + " bytes compressed)");
    if (!base && manifest) {
      // Before the work changes anything: the snapshot holds exactly what was sent.
      if (auto snapshot = client_->sandbox_snapshot_filesystem(sandbox_id_, 300s)) {
        bases.remember({snapshot.value(), manifest.value()});
        log_line(files_, "workspace snapshotted on Modal as " + snapshot.value() +
                             ": later sessions from it are sent only their difference");
      } else {
        log_line(files_, "the workspace could not be snapshotted on Modal (" +
                             snapshot.error().sentence() +
                             "); the next session sends it whole again");
      }
    }
    return core::Done{};
  }

  // The snapshot of the checkpoint this session resumes, while Modal keeps it and when it was
  // taken over the same kind of image (a resume that adds or drops the GPU needs the other
  // base); "" otherwise, and the checkpoint's copy here is sent.
  std::string checkpoint_snapshot(bool gpu) {
    if (session_.restore_from.empty()) return "";
    auto checkpoint = core::CheckpointStore(store_.database(), home_).get(session_.restore_from);
    if (!checkpoint || !checkpoint->sandbox_image_usable(core::now_ms())) return "";
    auto parent = store_.get(checkpoint->session_id);
    if (!parent || parent->backend != "modal") return "";
    auto parent_gpu = core::parse_gpu_request(parent->gpu);
    if (!parent_gpu || (parent_gpu->count > 0) != gpu) return "";
    return checkpoint->sandbox_image;
  }

  Result<core::WorkCommand> work_command() {
    auto settings = core::SandboxSettings::load(home_);
    if (!settings) return settings.error();
    core::WorkCommand command;
    auto modal_settings = ModalSettings::load(home_);
    if (!modal_settings) return modal_settings.error();
    command.argv = work_in_tmux_argv(core::work_argv(session_, {modal_settings->agent}));
    for (const std::string& name : settings->environment) {
      if (auto value = core::env_value(name.c_str());
          value && !core::is_agent_credential(name) && !name.starts_with("MODAL_"))
        command.environment.push_back(name + "=" + *value);
    }
    command.environment.push_back("PARHELIA_SESSION_ID=" + session_.id);
    command.environment.push_back("IS_SANDBOX=1");
    if (session_.kind == core::SessionKind::task)
      command.environment.push_back("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1");
    return command;
  }

  // Runs the work (or, taken over, follows it again) and drives the policy until it has
  // ended; returns the supervisor's status.
  int follow(bool taken_over = false) {
    core::RunPolicy policy(home_, store_, session_, rates_, "modal");
    ModalWork work(home_, router_.get(), session_, files_);
    // Taken over, the meter and the timeout count from the work's start, not this process's:
    // the ledger's totals are cumulative, so only what the dead supervisor had not charged is.
    const auto started =
        taken_over && session_.started_at
            ? Clock::now() - std::chrono::milliseconds(core::now_ms() - *session_.started_at)
            : Clock::now();
    policy.started(started, nullptr, {});
    std::optional<Clock::time_point> budget_end;
    if (timeout_bound_by_budget_ && sandbox_created_) {
      budget_end =
          *sandbox_created_ + std::chrono::seconds(std::max<std::int64_t>(
                                  sandbox_timeout_s_ - kBudgetStopMargin_s, kShortestSandbox_s));
    }
    policy.bound(budget_end, kPreStopCheckpoint);
    // What of the work's output the log already holds (a taken-over session's).
    OutputLedger logged(files_, taken_over);
    auto command = work_command();
    ExecSpec spec;
    spec.exec_id = exec_id_for(session_.id, "work");
    spec.workdir = kSandboxWorkspace;
    spec.stderr_to_stdout = true;
    spec.secret_ids = work_secrets_;
    std::optional<std::string> failed;
    if (!command) {
      failed = command.error().sentence();
    } else {
      spec.argv = command->argv;
      for (const std::string& entry : command->environment) {
        const auto equals = entry.find('=');
        spec.environment[entry.substr(0, equals)] = entry.substr(equals + 1);
      }
      if (!router_) {
        failed = "the sandbox had ended before its work could be followed again";
      } else if (!taken_over) {
        if (auto begun = router_->exec_start(spec); !begun) failed = begun.error().sentence();
      }
    }
    // The terminal comes up beside the work, not before it: the work's start does not wait on
    // sshd or the tunnel. (A supervisor taking over finds the endpoint pinned already.)
    // It is reckoned on a thread of its own (network only) and pinned by this loop (the
    // database is this thread's).
    std::future<Result<core::SshEndpoint>> terminal;
    if (!failed && !taken_over) {
      terminal = std::async(std::launch::async, [this]() -> Result<core::SshEndpoint> {
        auto identity = core::installation_identity(home_);
        if (!identity) return identity.error();
        return start_sandbox_sshd(*client_, *router_, sandbox_id_, session_.id,
                                  identity->public_key);
      });
    }
    const auto pin_terminal_when_known = [&] {
      if (terminal.valid() && terminal.wait_for(0s) == std::future_status::ready)
        record_terminal(terminal.get());
    };
    OutputQueue output;
    std::atomic<bool> read_done{false};
    std::thread reader;
    if (!failed) {
      // Modal out of reach (the network, an outage) does not end the session: the work runs
      // on in its sandbox, and its output is read on from where it stopped once Modal answers.
      // Only an answer that is not transient (the exec or the sandbox gone) ends the reading.
      reader = std::thread([&] {
        std::uint64_t offset = 0;
        for (auto pause = 1s;; pause = std::min(pause * 2, std::chrono::seconds(kOutagePause_s))) {
          auto read = router_->exec_read(spec.exec_id, false, offset,
                                         [&output, &offset](std::string_view data) {
                                           output.push(data);
                                           offset += data.size();
                                           return true;
                                         });
          if (read || read.error().code != ErrorCode::unavailable) break;
          std::cerr << "parhelia: " << read.error().sentence() << " Reading on in " << pause.count()
                    << " s.\n";
          std::this_thread::sleep_for(pause);
        }
        read_done = true;
      });
    } else {
      read_done = true;
    }
    while (!read_done) {
      std::this_thread::sleep_for(200ms);
      logged.feed(output.take(), policy);
      pin_terminal_when_known();
      policy.turn(Clock::now(), core::stop_signal_received(), work);
    }
    if (reader.joinable()) reader.join();
    if (terminal.valid()) terminal.wait();
    pin_terminal_when_known();
    logged.feed(output.take(), policy);
    policy.output_ended();

    int exit_code = -1;
    bool exec_cut_off = false;  // the work's exec gave no exit of the work's own
    if (!failed) {
      auto exit = router_->exec_wait(spec.exec_id, 30s);
      for (auto pause = 1s;
           !exit && exit.error().code == ErrorCode::unavailable &&
           Clock::now() < started + std::chrono::seconds(session_.timeout_s + kStopSlack_s);
           pause = std::min(pause * 2, std::chrono::seconds(kOutagePause_s))) {
        std::this_thread::sleep_for(pause);
        exit = router_->exec_wait(spec.exec_id, 30s);
      }
      if (exit && (exit->code || exit->signal)) {
        exit_code = exit_status(exit.value());
        // The pane's wrapper reports the work's own signals as an exit code: the relay killed
        // is the sandbox ending under it.
        exec_cut_off = exit->signal.has_value();
      } else {
        exec_cut_off = true;
        failed = exit ? "the work's exec reported no exit" : exit.error().sentence();
      }
    }
    policy.work_exited(Clock::now());
    // The sandbox may have ended under the work (Modal's timeout, an eviction, a terminate
    // from elsewhere): its outcome says why. It trails the end of the exec it cut off, so that
    // end waits a little for it.
    if (auto ended = client_->sandbox_wait(sandbox_id_, exec_cut_off ? kSandboxEndTrail : 0s);
        ended && ended.value()) {
      auto how = ended_by(*ended.value());
      failed = how.why;
      work.sandbox_ended(std::move(how));
    }
    if (failed) {
      log_line(files_, *failed);
      core::warn_on_error(store_.note(session_.id, *failed), "noting the sandbox's end");
    }
    std::ofstream(files_.exit_code, std::ios::trunc) << exit_code << "\n";
    return policy.ended(exit_code, work);
  }

  // Pins the endpoint of the sandbox's sshd, so that attach, screen and send reach the
  // work's tmux. A terminal that cannot be had is said, and the work goes on without one.
  void record_terminal(const Result<core::SshEndpoint>& endpoint) {
    Result<core::Done> pinned =
        endpoint ? core::EndpointStore(store_.database()).pin(session_.id, endpoint.value())
                 : Result<core::Done>(endpoint.error());
    if (!pinned) {
      const std::string said = "no terminal for this session: " + pinned.error().sentence();
      log_line(files_, said);
      core::warn_on_error(store_.note(session_.id, said), "noting the terminal");
      return;
    }
    log_line(files_, "terminal: ssh " + endpoint->user + "@" + endpoint->host + " -p " +
                         std::to_string(endpoint->port) + ", host key " +
                         endpoint->host_key.fingerprint() + " (pinned); `parhelia attach " +
                         session_.id + "`");
  }

  // The work has ended and its outcome is recorded: the sandbox and its terminal stay for the
  // session's keep-alive, and beyond it while a person is attached (never cut off), until
  // Modal's timeout draws near or a stop comes; then what they changed is checkpointed.
  void keep_alive() {
    if (session_.keep_alive_s <= 0 || !router_ || core::stop_signal_received() != 0) return;
    // Stopped at its budget: nothing more is spent on it.
    if (auto now = store_.get(session_.id); !now || now->state == core::SessionState::over_budget)
      return;
    if (auto ended = client_->sandbox_wait(sandbox_id_, 0s); !ended || ended.value()) return;
    const auto kept = kept_sandbox_file(home_, session_.id);
    if (auto marked = core::replace_file(kept, std::to_string(core::now_ms()) + "\n"); !marked)
      return;
    const std::string said = "sandbox kept " + std::to_string(session_.keep_alive_s) +
                             " s after the work (keep-alive): `parhelia attach " + session_.id +
                             "` to look around; `parhelia session stop " + session_.id +
                             "` ends it sooner";
    log_line(files_, said);
    core::warn_on_error(store_.note(session_.id, said), "noting the keep-alive");
    const auto now = Clock::now();
    const auto until = now + std::chrono::seconds(session_.keep_alive_s);
    // Modal ends it at its timeout: the checkpoint comes before.
    const auto last =
        sandbox_created_
            ? *sandbox_created_ + std::chrono::seconds(sandbox_timeout_s_ - kBudgetStopMargin_s)
            : until;
    int round = 0;
    std::string why = "its keep-alive is over";
    for (auto next_look = now; core::stop_signal_received() == 0;) {
      std::this_thread::sleep_for(200ms);
      const auto at = Clock::now();
      if (at >= last) {
        why = "Modal's timeout for it draws near";
        break;
      }
      if (at < next_look) continue;
      next_look = at + 5s;
      if (auto ended = client_->sandbox_wait(sandbox_id_, 0s); ended && ended.value()) {
        why = "it ended";
        break;
      }
      if (at < until) continue;
      // Someone attached is never cut off; a look Modal does not answer is tried again (the
      // sandbox's timeout still bounds it).
      auto attached = attached_terminals(*router_, session_.id, std::to_string(++round));
      if (attached ? attached.value() == 0 : attached.error().code != ErrorCode::unavailable) break;
    }
    if (core::stop_signal_received() != 0) why = "a stop was asked for";
    log_line(files_, "the kept sandbox ends: " + why);
    core::CheckpointJob checkpoint(home_, session_.id);
    if (checkpoint.start(core::CheckpointTrigger::end, ""))
      checkpoint.wait_until(Clock::now() + std::chrono::minutes(5));
    std::error_code ec;
    std::filesystem::remove(kept, ec);
  }

  // A sandbox that ended under the work, as the session's end.
  core::RunningWork::EndedBy ended_by(const Outcome& outcome) const {
    using core::SessionState;
    switch (outcome.status) {
      case EndStatus::timeout:
        if (timeout_bound_by_budget_) {
          return {SessionState::over_budget,
                  "Modal stopped the sandbox at its timeout, which was what the budget's room "
                  "paid for."};
        }
        return {SessionState::timed_out,
                "Modal stopped the sandbox at its timeout (the session's " +
                    std::to_string(session_.timeout_s) + " s and the time to stop)."};
      case EndStatus::evicted:
        return {SessionState::failed,
                "Modal evicted the sandbox for using more memory than it had; ask for more with "
                "--memory."};
      case EndStatus::terminated:
        return {SessionState::cancelled, "The sandbox was terminated from outside Parhelia."};
      default:
        return {SessionState::failed,
                "The sandbox ended (" + std::string(end_status_name(outcome.status)) + ")" +
                    (outcome.exception.empty() ? "" : ": " + outcome.exception) + "."};
    }
  }

  // The meter charged the sandbox by elapsed time; what Modal bills for it (its resource usage)
  // is the last word where it is more: charged as cumulative totals, so only the difference is
  // a new row, and a settlement repeated (a supervisor that took over) charges nothing twice.
  void settle_with_modal() {
    if (!client_ || sandbox_id_.empty()) return;
    auto usage = client_->sandbox_resource_usage(sandbox_id_);
    auto compute = core::metered_resources(rates_, core::compute_request_of(session_, "modal"));
    if (!usage || !compute) {
      std::cerr << "parhelia: the sandbox's usage could not be settled with Modal: "
                << (usage ? compute.error() : usage.error()).sentence() << "\n";
      return;
    }
    std::vector<core::Charge> charges;
    for (const core::MeteredResource& resource : compute.value()) {
      std::uint64_t nanoseconds = 0;  // of one unit: core-, GiB- or GPU-nanoseconds
      if (resource.resource == "cpu") nanoseconds = usage->cpu_core_nanoseconds;
      if (resource.resource == "memory") nanoseconds = usage->memory_gib_nanoseconds;
      if (resource.resource.starts_with("gpu:")) nanoseconds = usage->gpu_nanoseconds;
      charges.push_back({session_.id, core::ChargeKind::compute, resource.resource, resource.unit,
                         static_cast<std::int64_t>(nanoseconds / 1'000'000), resource.price});
    }
    core::Ledger ledger(store_.database());
    auto charged = ledger.charge(charges, core::now_ms());
    if (!charged) {
      std::cerr << "parhelia: settling with Modal: " << charged.error().sentence() << "\n";
      return;
    }
    if (!charged->empty()) {
      core::warn_on_error(
          store_.note(session_.id, "settled with Modal's resource usage: " +
                                       std::to_string(charged->size()) + " charges added"),
          "noting the settlement");
    }
  }

  // A session kept after its work held its reservation through the keep-alive (run_policy.h);
  // given back now that the sandbox is ended and settled. (Once given back, a no-op.)
  void release_hold() {
    core::warn_on_error(core::Budget(store_.database()).release(session_.id, core::now_ms()),
                        "releasing the reservation");
  }

  void terminate_sandbox() {
    if (!client_ || sandbox_id_.empty()) return;
    if (auto ended = client_->sandbox_terminate(sandbox_id_); !ended)
      std::cerr << "parhelia: the sandbox could not be terminated: " << ended.error().sentence()
                << "\n";
  }

  std::filesystem::path home_;
  core::Store& store_;
  core::Session session_;
  core::SessionFiles files_;
  const core::RateTable& rates_;
  std::unique_ptr<ModalClient> client_;
  std::unique_ptr<CommandRouter> router_;
  std::string sandbox_id_;
  std::vector<std::string> work_secrets_;
  bool timeout_bound_by_budget_ = false;
  std::optional<Clock::time_point> sandbox_created_;  // by this supervisor
  std::int64_t sandbox_timeout_s_ = 0;
};

}  // namespace

std::filesystem::path sandbox_id_file(const std::filesystem::path& home,
                                      const std::string& session_id) {
  return core::SessionFiles::of(home, session_id).dir / "modal-sandbox";
}

std::filesystem::path kept_sandbox_file(const std::filesystem::path& home,
                                        const std::string& session_id) {
  return core::SessionFiles::of(home, session_id).dir / "modal-kept";
}

int supervise_on_modal(const std::filesystem::path& home, core::Store& store, core::Session session,
                       const core::RateTable& rates) {
  return ModalSupervisor(home, store, std::move(session), rates).run();
}

}  // namespace parhelia::modal

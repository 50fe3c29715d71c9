// The session service: submit, look at, list, read the log of, stop, and take the results of
// sessions. One facade over the store and the backends, shared by the MCP tools and the CLI.
// Every read reconciles live sessions with their backend first, so nothing stays "running"
// after its processes died.
//
// DESIGN note: the service owns its parts (store, ledger, budget, checkpoint store, endpoint
// store) and hands none of them out. A face asks a question (facts(), budget_report(),
// history(), alerts_unseen(), store_stats(), fit()…) and gets values back, so that what a
// session, a budget or a fit means is decided here, once, and not by each caller that reached
// through to a table. Programs that need the raw parts (benchmarks, tests seeding rows) open
// their own Store, Ledger, Budget or EndpointStore on the same home: the database is shared
// safely between processes and connections.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/budget/budget.h"
#include "core/budget/budget_report.h"
#include "core/budget/estimate.h"
#include "core/budget/ledger.h"
#include "core/checkpoints/checkpointer.h"
#include "core/checkpoints/checkpoints.h"
#include "core/service/backends.h"
#include "core/session/session_files.h"
#include "core/session/session_log.h"
#include "core/store/store.h"
#include "core/terminal/ssh_endpoints.h"

namespace parhelia::core {

struct SubmitRequest {
  std::optional<std::string> task;     // a prompt for Claude Code
  std::optional<std::string> command;  // or a shell command
  std::string gpu;
  std::string backend;    // "": config.json's {"sessions": {"backend": ...}}, else local
  std::string workspace;  // defaults to the current directory
  std::string name;
  std::int64_t timeout_s = 3600;
  bool no_sandbox = false;
  std::optional<bool> network;           // the sandbox keeps the network; default: config, else yes
  std::int64_t cpu_milli = 2000;         // 2 cores
  std::int64_t memory_milli_gib = 4000;  // 4 GiB
  std::optional<Micros> max_cost;        // the session's own cap
  std::optional<std::int64_t> checkpoint_every_s;  // default: the config's (10 minutes)
  std::int64_t keep_alive_s = 0;  // its sandbox kept after the work (Session::keep_alive_s)
  // Set by resume: the session continued, the checkpoint it starts from, Claude Code's
  // conversation to take up.
  std::string parent_id;
  std::string restore_from;
  std::string resume_agent_session;
};

// A new session that carries on from a checkpoint of an ended one; what is not given is
// taken from that session.
struct ResumeRequest {
  std::string session_id;                    // may be empty when checkpoint_id is given
  std::optional<std::string> checkpoint_id;  // default: the session's latest
  std::optional<std::string> prompt;         // what Claude Code is told next
  std::optional<std::string> gpu;
  // Another backend to carry on in (local <-> modal: a checkpoint is kept here, so either way).
  std::optional<std::string> backend;
  std::optional<std::int64_t> timeout_s;
  std::optional<std::int64_t> cpu_milli;
  std::optional<std::int64_t> memory_milli_gib;
  std::optional<Micros> max_cost;
};

struct CheckpointCreated {
  Checkpoint checkpoint;
  bool unchanged = false;  // nothing had changed since this, the latest, checkpoint
};

// What differs between the files of two checkpoints of one line of sessions.
struct CheckpointDiff {
  Checkpoint from;
  Checkpoint to;
  struct File {
    std::string path;
    char change = 'M';       // A, M or D going from `from` to `to`
    std::uint64_t size = 0;  // in `to` (0 when deleted)
  };
  std::vector<File> files;
  std::int64_t transcript_bytes_from = 0;
  std::int64_t transcript_bytes_to = 0;
};

// What a submit would do, worked out before anything starts.
struct SubmitPlan {
  Session session;
  std::vector<std::string> argv;  // the work as it would run, sandbox included
  std::string cuda_visible_devices;
  CostEstimate estimate;
  std::string credential;  // for a task: the variable Claude Code signs in with (its name)
};

// How to reach a session's terminal, and whether it answers now.
struct AttachInfo {
  Session session;
  bool remote = false;  // behind SSH in its container; else tmux on this machine
  TmuxTarget tmux;
  std::optional<SshEndpoint> ssh;
  std::filesystem::path identity;     // ssh: the path of Parhelia's private key, never its bytes
  std::filesystem::path known_hosts;  // ssh: the pinned host key, as ssh reads it
  std::vector<std::string> attach;    // the command that attaches
  std::vector<std::string> watch;     // the same, read-only
  std::vector<std::string> screen;    // prints the screen and returns; needs no terminal
  bool reachable = false;
  bool host_key_mismatch = false;
  std::string reachability;  // what the check found, in a sentence
  std::int64_t checked_in_ms = 0;
};

// What the faces show of a session beyond its record (queries that fail are left out).
struct SessionFacts {
  std::optional<Micros> spent;                            // charged so far, from the ledger
  std::optional<Micros> reserved;                         // what the budget holds for it now
  std::optional<std::vector<ResourceSpend>> by_resource;  // what it was charged for
  std::vector<std::string> resumed_as;                    // sessions resumed from it
  std::optional<Checkpoint> latest_checkpoint;
  std::optional<std::string> sandbox_id;  // its backend's (backend.h)
};

// The store's own numbers, for status.
struct StoreStats {
  std::filesystem::path path;
  std::uintmax_t size_bytes = 0;
  std::map<SessionState, std::int64_t> by_state;  // empty when they could not be counted
};

// What a submit of a request would cost, whether the hard limits allow it now, and whether
// the user must agree first.
struct SubmitFit {
  CostEstimate estimate;
  std::optional<Headroom> tightest;  // none: no limits are set
  bool fits = true;
  std::optional<std::int64_t> longest_timeout_s;  // when it does not fit
  bool needs_confirmation = false;
};

struct SessionResults {
  Session session;
  bool finished = false;
  std::filesystem::path patch_file;
  std::uintmax_t patch_bytes = 0;
};

class SessionService {
 public:
  // `backends` are where sessions run, composed by the caller (cli/ names them); the service
  // dispatches every session to the one its `backend` names.
  static Result<std::unique_ptr<SessionService>> open(const std::filesystem::path& home,
                                                      Backends backends);
  // For a server: the database is opened by the first call that needs it (whose answer is
  // the error if it cannot be) and nothing is reconciled, so the first answers wait for
  // nothing; the caller reconciles once it has answered.
  static std::unique_ptr<SessionService> open_on_first_use(const std::filesystem::path& home,
                                                           Backends backends);

  // The worst case of a would-be session, from the rates and the budget settings.
  Result<CostEstimate> estimate(const SubmitRequest& request);
  // The longest timeout whose reservation would fit in `room`; 0 if none.
  Result<std::int64_t> longest_timeout(const SubmitRequest& request, Micros room);
  Result<SubmitPlan> plan(const SubmitRequest& request);
  // Plans, reserves the worst case against the hard limits (refusing with the numbers and
  // the longest timeout that would fit), records and launches the session.
  // What its backend must make first (an image) is made here, its lines told to `progress`.
  Result<Session> submit(const SubmitRequest& request, const Backend::ProgressLine& progress = {});

  Result<Session> get(const std::string& id);
  Result<std::vector<Session>> list(const SessionQuery& query);
  Result<LogChunk> log_from(const std::string& id, std::uint64_t offset, std::size_t max_bytes);
  Result<LogChunk> log_tail(const std::string& id, std::size_t lines, std::size_t max_bytes);
  // Polls the session every 200 ms until it has ended and returns it then. `on_live` sees it
  // at each poll while it is still live; returning false stops the wait early, with an error
  // saying the session keeps running.
  Result<Session> wait_for_end(const std::string& id,
                               const std::function<bool(const Session&)>& on_live);
  // Stops a live session (SIGTERM, SIGKILL after grace_s); returns it as it stands now.
  Result<Session> stop(const std::string& id, int grace_s);
  Result<SessionResults> results(const std::string& id);
  Result<Done> apply(const std::string& id);

  // Checkpoints (session_checkpoints.cpp).
  // What a resume would submit, worked out (for estimates and confirmations).
  Result<SubmitRequest> resume_request(const ResumeRequest& request);
  Result<Session> resume(const ResumeRequest& request);
  // Asks for a checkpoint of the session now and waits for it, calling `on_wait` every
  // 100 ms; returning false stops the wait (the checkpoint is still taken).
  Result<CheckpointCreated> create_checkpoint(const std::string& id,
                                              const std::function<bool()>& on_wait);
  Result<std::vector<Checkpoint>> checkpoints(const std::string& id);
  // Every checkpoint id from outside is checked here: one that is not ck-xxxxxxxx is invalid
  // input (exit 2 in the CLI), a well-formed one that is not recorded is not found.
  Result<Checkpoint> checkpoint(const std::string& checkpoint_id);
  Result<CheckpointDiff> diff_checkpoints(const std::string& from, const std::string& to);
  Result<Done> delete_checkpoint(const std::string& checkpoint_id);

  // Terminals (session_terminal.cpp): each reaches the session's tmux, here or over SSH, and
  // answers within 3 s.
  Result<AttachInfo> attach_info(const std::string& id);
  // The session's screen now, as text.
  Result<std::string> screen(const std::string& id);
  // Types into the session's terminal, as a person attached to it would.
  Result<Done> send_keys(const std::string& id, const Keystrokes& keys);

  // Checks every live session against its backend and records those that ended unseen.
  void reconcile();
  // What the backends run that the store does not know (a record lost, a database replaced):
  // each is named with its backend, for a person to decide on. Lists every backend's sessions.
  // What a backend still runs for a session the store has ended (its supervisor died before it
  // could stop it: a Modal sandbox it made but never recorded) is stopped, and the session
  // says so.
  // One its backend can follow (a Modal sandbox with this install's tag) is adopted: recorded
  // as a running session, with a note that says so, and followed from then on.
  struct Stray {
    std::string backend;
    std::string session_id;
    bool adopted = false;
  };
  Result<std::vector<Stray>> strays();
  // Each backend by name, and why a session could not start on it now (backend.h not_ready).
  std::vector<std::pair<std::string, std::optional<std::string>>> backend_readiness() const;

  // What the faces read (session_queries.cpp); see the DESIGN note at the top.
  // A session's spend (in all and by resource), hold, children and latest checkpoint.
  SessionFacts facts(const Session& session);
  Result<Micros> spent(const std::string& session_id);
  Result<std::map<std::string, Micros>> spent(const std::vector<std::string>& session_ids);
  Result<std::vector<SessionEvent>> events(const std::string& id);
  // Sessions as recorded, without reconciling them first (for completions and resource lists).
  Result<std::vector<Session>> recorded(const SessionQuery& query);
  Result<Session> recorded(const std::string& id);
  Result<std::vector<std::string>> ids_starting_with(const std::string& prefix, std::size_t limit);
  StoreStats store_stats();
  Result<BudgetReport> budget_report();
  Result<std::vector<BudgetChange>> set_budget(const BudgetUpdate& update,
                                               const std::string& origin);
  Result<std::vector<LedgerRow>> history(const HistoryQuery& query);
  Result<std::vector<BudgetAlert>> alerts_unseen(std::int64_t seen, std::int64_t since_ms,
                                                 std::size_t limit);
  Result<std::vector<BudgetAlert>> alerts_since(std::int64_t since_ms, std::size_t limit);
  // The worst case of the request against the limits and the confirmation amount.
  Result<SubmitFit> fit(const SubmitRequest& request);
  // The confirmation rule: a session whose worst case is above the confirmation amount waits
  // for the user's agreement. That amount when it must; nothing when it may start.
  Result<std::optional<Micros>> confirmation_above(const CostEstimate& estimate);
  const std::filesystem::path& home() const { return home_; }
  SessionFiles files(const std::string& id) const { return SessionFiles::of(home_, id); }

 private:
  SessionService(std::filesystem::path home, std::unique_ptr<Store> store, Backends backends);
  // The backend a recorded session runs on (one recorded by a build that had another is an
  // error that says so).
  Result<Backend*> backend_of(const Session& session);
  // The backend a submit asked for, or when it named none config.json's {"sessions":
  // {"backend": "modal"}}, else the first composed (local).
  Result<std::string> chosen_backend(const std::string& asked) const;

  void reconcile_one(Session& session);
  // Records the session `listing` offers for adoption, running, and hands it to its backend.
  Result<Done> adopt(Backend& backend, const BackendListing& listing);
  // Every session id from outside is checked here, as checkpoint() checks checkpoint ids.
  Result<Session> existing(const std::string& id);
  // A session whose terminal can be reached: live, and (remote) with its endpoint recorded.
  Result<AttachInfo> terminal_of(const std::string& id);
  Result<CapturedRun> run_in_terminal(const AttachInfo& where,
                                      const std::vector<std::string>& tmux);
  // What pricing a request takes: the question, the rates and the budget settings, as now.
  struct Pricing {
    CostQuestion question;
    RateTable rates;
    BudgetSettings settings;
  };
  Result<CostQuestion> cost_question(const SubmitRequest& request);
  Result<Pricing> pricing(const SubmitRequest& request);
  Error refusal(const SubmitRequest& request, const CostEstimate& estimate,
                const Headroom& tightest);

  std::filesystem::path home_;
  std::unique_ptr<Store> store_;
  Ledger ledger_;
  Budget budget_;
  Backends backends_;
  CheckpointStore checkpoints_;
  EndpointStore endpoints_;
};

}  // namespace parhelia::core

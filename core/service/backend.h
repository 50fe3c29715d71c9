// The backend port: everything the session service needs from where sessions run. The local
// backend (core/local: this machine, tmux) is built in; the Modal backend (modal/) implements
// the same port. Backends are handed to the service by name at the composition root (cli/),
// and the service dispatches on `session.backend`; nothing above core names a backend's type.
//
// What every backend guarantees, so that readers never care where the work runs:
// - the session's log is kept (or mirrored, for a remote one) at SessionFiles::log, growing
//   as the work writes, and the session's outcome is recorded in the store by its supervisor;
// - its results (the patch against its base) are at SessionFiles::patch once it has ended.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/budget/rates.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/session/session.h"
#include "core/store/store.h"
#include "core/terminal/terminal.h"

namespace parhelia::core {

struct BackendView {
  enum class Presence { alive, gone, starting } presence = Presence::starting;
  std::optional<int> exit_code;  // left behind by a session that ended
  bool files_missing = false;    // the backend holds nothing of the session any more
};

// What a session runs where its backend runs it: the one place this is decided, for the dry
// run, the submit's checks and the supervisor alike.
struct WorkCommand {
  std::vector<std::string> argv;
  std::vector<std::string> environment;  // the work's whole environment, "K=V"
  std::string cuda_visible_devices;
};

// Where a session's terminal is. `here`: a tmux server on this machine; `over_ssh`: the tmux
// in its container, behind the SSH endpoint its backend recorded at start (ssh_endpoints.h);
// `none`: the backend gives it no terminal, and `why_none` says so.
struct TerminalPlace {
  enum class Kind { here, over_ssh, none } kind = Kind::none;
  TmuxTarget tmux;  // here
  std::string why_none;
};

// A session as the backend holds it, for reconciliation: it may be one the store does not know.
struct BackendListing {
  std::string session_id;
  bool alive = false;
  // Set by a backend that can follow a session it holds that the store may not know (its
  // record lost, a database replaced): the session to record for it, which adopt() takes up.
  std::optional<Session> adoptable;
  std::string sandbox_id;  // where it runs, as sandbox_id() names it; "" when it has none
};

class Backend {
 public:
  // Told of a session whose launch failed after launch() returned (with the backend's words).
  using LaunchFailure = std::function<void(const std::string& session_id, const std::string& why)>;

  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // The rates its resources are priced at (rates.h: `local.*` or `modal.*`).
  virtual std::string_view priced_as() const { return name(); }
  // Checks what this backend needs for the session (its preconditions: a sandbox, the GPUs
  // asked for, the agent) and works out what would run. Starts nothing.
  virtual Result<WorkCommand> plan(const Session& session) = 0;
  // Makes what the session needs made once before any session like it can start (a Modal
  // image built), each line of the making told to `progress`: the one step of a submit that
  // may wait on the network, and only when there is something to make. Nothing otherwise.
  using ProgressLine = std::function<void(const std::string& line)>;
  virtual Result<Done> make_ready(const Session&, const ProgressLine&) { return Done{}; }
  // Starts the session's supervisor and returns at once; a launch that fails later is
  // reported through `on_failure`.
  virtual Result<Done> launch(const Session& session, LaunchFailure on_failure) = 0;
  // The supervisor that launch() started (`parhelia __supervise ID`, supervision.h), in its
  // own process: runs the queued session's work and drives its run policy until the outcome is
  // recorded. Returns the process's exit status.
  virtual int supervise(Store& store, const Session& session, const RateTable& rates) = 0;
  // What the backend knows of the session now. Cheap: no child process, no network.
  virtual BackendView inspect(const Session& session) = 0;
  // Asks the session to stop: SIGTERM to its work, SIGKILL after `grace_s`.
  virtual Result<Done> stop(const Session& session, int grace_s) = 0;
  // Asks for a checkpoint of the session's files now, answered under `token`. Returns at once;
  // checkpoint_answer() has the answer once it is there.
  virtual Result<Done> request_checkpoint(const Session& session, const std::string& token) = 0;
  virtual std::optional<CheckpointAnswer> checkpoint_answer(const Session& session,
                                                            const std::string& token) = 0;
  // Brings the session's files into its working copy here (SessionFiles::working_copy),
  // where a checkpoint reads them: nothing to do for a backend that runs the work here; a
  // remote one copies what the work changed. Run by the checkpoint's own process, never by a
  // supervisor's loop or a request.
  virtual Result<Done> bring_files_here(const Session&) { return Done{}; }
  // A copy of the session's whole sandbox that the backend keeps (a Modal filesystem
  // snapshot), taken for a checkpoint once its files are copied here: what a session resumed
  // on this backend starts from while it lasts (its files there as they were, and whatever
  // else the work installed or built). Nothing for a backend without one, or a sandbox that
  // has ended. Run by the checkpoint's own process, like bring_files_here.
  struct SandboxCopy {
    std::string image;
    std::int64_t expires_at = 0;  // ms since the epoch
  };
  virtual Result<std::optional<SandboxCopy>> copy_sandbox(const Session&) {
    return std::optional<SandboxCopy>{};
  }
  virtual TerminalPlace terminal(const Session& session) const = 0;
  // Whether a terminal that is `here` takes connections now. Cheap: no child process.
  virtual bool terminal_answers(const Session& session) const = 0;
  // Whether the terminal of a session whose work has ended is still kept (a Modal sandbox
  // kept after the work, Session::keep_alive_s): attach reaches it, a stop ends it. Cheap.
  virtual bool terminal_kept(const Session&) const { return false; }
  // Takes up a session recorded (running) from `listing`'s `adoptable`: its files here and a
  // supervisor that follows it from now on.
  virtual Result<Done> adopt(const Session& session, const BackendListing& /*listing*/) {
    return Error{ErrorCode::unavailable,
                 "The " + std::string(name()) + " backend cannot adopt session " + session.id + ".",
                 ""};
  }
  // The sandbox it runs the session in, as the backend's own tools name it (a Modal sandbox
  // id); nothing before it has one, or for a backend without sandboxes of its own. Cheap:
  // read from the session's files.
  virtual std::optional<std::string> sandbox_id(const Session&) const { return std::nullopt; }
  // Every session the backend holds now, including any the store does not know.
  virtual Result<std::vector<BackendListing>> list() = 0;
  // Why a session could not start on it now, in a sentence with the fix; nothing when one
  // could. Cheap (files only: no child process, no network), for the status tool.
  virtual std::optional<std::string> not_ready() const { return std::nullopt; }
};

}  // namespace parhelia::core

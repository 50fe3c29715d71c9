// How a session looks from outside, the same to the MCP tools, the resources and the CLI's
// --json: a typed struct, so its JSON Schema is the tools' output schema. Also its events, and
// the one-line renderings both faces print.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/typed_schema.h"
#include "core/service/sessions.h"
#include "core/session/session.h"

namespace parhelia::views {

using schema::field;

struct SessionView {
  std::string session_id;
  std::string name;
  std::string state;
  std::string kind;  // task or command
  std::string task;  // the prompt or command line (shortened)
  std::string backend;
  std::optional<std::string> gpu;
  std::string workspace;
  std::int64_t timeout_s = 0;
  bool sandboxed = true;
  bool network = true;
  std::string limits;  // what is enforced, and what is only priced
  std::string created_at;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
  std::optional<double> elapsed_s;
  std::optional<int> exit_code;
  std::optional<std::string> last_activity;
  std::optional<std::string> error;
  std::optional<std::string> final_answer;  // Claude Code's result (shortened)
  std::optional<std::string> claude_session_id;
  std::vector<std::string> changed_files;
  std::string log_uri;
  double reserved_usd = 0;
  std::optional<double> max_cost_usd;
  std::optional<double> spent_usd;
  std::optional<std::string> parent_id;
  std::optional<std::string> restored_from;
  std::optional<std::int64_t> checkpoint_every_s;
  std::optional<std::int64_t> keep_alive_s;
  std::optional<std::vector<std::string>> resumed_as;
  std::optional<std::string> latest_checkpoint;
  std::optional<std::string> resume_hint;
  std::optional<std::string> sandbox_id;

  static auto fields() {
    return std::tuple{
        field("session_id", &SessionView::session_id, "The session's id (task-xxxxxxxx)"),
        field("name", &SessionView::name, "The name given at submit"),
        field("state", &SessionView::state,
              "queued, provisioning, running, succeeded, failed, cancelled, timed_out, over_budget "
              "or "
              "lost"),
        field("kind", &SessionView::kind,
              "task (a prompt for Claude Code) or command (a shell command)"),
        field("task", &SessionView::task, "The prompt or command line"),
        field("backend", &SessionView::backend, "Where it runs"),
        field("gpu", &SessionView::gpu, "The GPU request, e.g. H100:2"),
        field("sandbox_id", &SessionView::sandbox_id,
              "The sandbox its backend runs it in (a Modal sandbox id, for `modal` tools)"),
        field("workspace", &SessionView::workspace, "The directory the session's files came from"),
        field("timeout_s", &SessionView::timeout_s, "Its time limit in seconds"),
        field("sandboxed", &SessionView::sandboxed, "Whether it runs in a bubblewrap sandbox"),
        field("network", &SessionView::network, "Whether its sandbox may reach the network"),
        field("limits", &SessionView::limits,
              "What its sandbox enforces (processes, memory) and what is only priced (cpu)"),
        field("created_at", &SessionView::created_at, "When it was submitted (UTC)"),
        field("started_at", &SessionView::started_at, "When its work started"),
        field("finished_at", &SessionView::finished_at, "When it ended"),
        field("elapsed_s", &SessionView::elapsed_s, "Seconds it has run"),
        field("exit_code", &SessionView::exit_code, "The work's exit status"),
        field("last_activity", &SessionView::last_activity, "What it did last, in a line"),
        field("error", &SessionView::error, "Why it failed or stopped"),
        field("final_answer", &SessionView::final_answer, "Claude Code's final answer"),
        field("claude_session_id", &SessionView::claude_session_id,
              "Claude Code's own session id (for resume)"),
        field("changed_files", &SessionView::changed_files,
              "Files changed, as 'M path', 'A path', 'D path'"),
        field("log_uri", &SessionView::log_uri, "The resource holding its log"),
        field("reserved_usd", &SessionView::reserved_usd,
              "What the budget holds for it now: its worst case while it is live, 0 once it "
              "has ended"),
        field("max_cost_usd", &SessionView::max_cost_usd,
              "Its own cap: the budget watchdog stops it there (state over_budget)"),
        field("spent_usd", &SessionView::spent_usd, "Charged so far; grows while it runs"),
        field("parent_id", &SessionView::parent_id, "The session this one resumed"),
        field("restored_from", &SessionView::restored_from, "The checkpoint it started from"),
        field("checkpoint_every_s", &SessionView::checkpoint_every_s,
              "How often it is checkpointed while it runs"),
        field("keep_alive_s", &SessionView::keep_alive_s,
              "How long its sandbox and terminal stay after the work ends"),
        field("resumed_as", &SessionView::resumed_as, "Sessions resumed from this one"),
        field("latest_checkpoint", &SessionView::latest_checkpoint,
              "Its newest checkpoint (ck-xxxxxxxx)"),
        field("resume_hint", &SessionView::resume_hint,
              "How to carry on its work from that checkpoint")};
  }
};

// A session in a list: enough to tell it apart and to choose the next call; status with its
// session_id has the rest.
struct SessionSummary {
  std::string session_id;
  std::optional<std::string> name;
  std::string state;
  std::string kind;
  std::string task;  // its first words, on one line
  std::string created_at;
  std::optional<std::int64_t> elapsed_s;
  std::optional<int> exit_code;
  double spent_usd = 0;
  std::optional<std::string> last_activity;
  std::optional<std::string> error;

  static auto fields() {
    return std::tuple{
        field("session_id", &SessionSummary::session_id, "The session's id (task-xxxxxxxx)"),
        field("name", &SessionSummary::name, "The name given at submit"),
        field("state", &SessionSummary::state, "Its state"),
        field("kind", &SessionSummary::kind, "task (Claude Code) or command"),
        field("task", &SessionSummary::task, "The prompt or command line, shortened"),
        field("created_at", &SessionSummary::created_at, "When it was submitted (UTC)"),
        field("elapsed_s", &SessionSummary::elapsed_s, "Seconds it has run"),
        field("exit_code", &SessionSummary::exit_code, "The work's exit status"),
        field("spent_usd", &SessionSummary::spent_usd, "Charged so far"),
        field("last_activity", &SessionSummary::last_activity, "What it did last, shortened"),
        field("error", &SessionSummary::error, "Why it failed or stopped, shortened")};
  }
};

// One row of a session's history, as status shows it and the session resource lists it.
struct EventView {
  std::string at;
  std::string kind;  // transition or note
  std::string from;
  std::string to;
  std::string detail;
  static auto fields() {
    return std::tuple{field("at", &EventView::at, "When (UTC)"),
                      field("kind", &EventView::kind, "transition or note"),
                      field("from", &EventView::from, "The state it left"),
                      field("to", &EventView::to, "The state it entered"),
                      field("detail", &EventView::detail, "Why, or the note")};
  }
};
EventView view_of(const core::SessionEvent& event);
// "running -> succeeded: exit 0", "note: …": what happened, after its time.
std::string what_happened(const EventView& event);

SessionSummary summary_of(const core::Session& session, core::Micros spent);
// Text on one line (breaks become spaces), at most `limit` bytes.
std::string short_line(const std::string& text, std::size_t limit);

SessionView view_of(const core::Session& session);
// The view with what the session has spent so far, from the ledger.
SessionView view_of(const core::Session& session, core::SessionService& service);
// The view with its spend, its lineage (parent, sessions resumed from it) and its latest
// checkpoint with how to resume from it: what status shows of one session.
SessionView detailed_view(const core::Session& session, const core::SessionFacts& facts);
SessionView detailed_view(core::SessionService& service, const core::Session& session);
std::string session_uri(const std::string& id);
std::string log_uri(const std::string& id);
std::string patch_uri(const std::string& id);
// One line: "task-0123abcd running 12s  uses Bash: pytest -x".
std::string one_line(const SessionView& view);
std::string one_line(const SessionSummary& summary);

}  // namespace parhelia::views

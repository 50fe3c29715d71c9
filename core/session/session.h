// A session: one unit of dispatched work (a Claude Code task or a plain command), its state
// machine, and the facts recorded about it as it runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parhelia::core {

enum class SessionState {
  queued,
  provisioning,
  running,
  succeeded,
  failed,
  cancelled,
  timed_out,
  over_budget,  // stopped by the watchdog at its cap or a hard budget limit
  lost
};

std::string_view to_string(SessionState state);
std::optional<SessionState> parse_session_state(std::string_view name);
const std::vector<SessionState>& all_session_states();
bool is_terminal(SessionState state);
// queued -> provisioning -> running -> a terminal state (succeeded, timed_out, over_budget);
// any live state may also end as
// failed, cancelled or lost. Nothing leaves a terminal state.
bool can_transition(SessionState from, SessionState to);

enum class SessionKind { task, command };  // a prompt for Claude Code, or a shell command

// "task-" + 8 lowercase hex characters, from the system's random source.
std::string new_session_id();
bool is_session_id(std::string_view text);

std::int64_t now_ms();
// At most `limit` bytes of text and an ellipsis, cut between UTF-8 characters, never inside one.
std::string shorten(const std::string& text, std::size_t limit);

// "2026-11-24T17:39:25Z"
std::string iso_time(std::int64_t ms);

struct Session {
  std::string id;
  std::string name;
  SessionKind kind = SessionKind::command;
  std::string task;  // the prompt or the command line
  std::string backend = "local";
  std::string gpu;        // "" or "TYPE[:N]" / "N"
  std::string workspace;  // where the user's files came from
  std::int64_t timeout_s = 3600;
  std::int64_t cpu_milli = 0;         // cores asked for, in thousandths (priced by the rates)
  std::int64_t memory_milli_gib = 0;  // memory asked for, GiB in thousandths
  std::optional<std::int64_t> max_cost_micros;  // its own cap; the watchdog stops it there
  std::int64_t estimate_micros = 0;             // the worst case reserved at submit
  bool sandboxed = true;
  bool network = true;  // a sandboxed session may reach the network (none: its own, empty one)
  SessionState state = SessionState::queued;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::optional<int> exit_code;
  std::optional<std::int64_t> supervisor_pid;
  std::string supervisor_start;  // the process's start time, so a reused pid is not mistaken for it
  std::string claude_session_id;
  std::string last_activity;
  std::optional<std::int64_t> last_activity_at;
  std::string result_text;                 // the agent's final answer
  std::string result_json;                 // the agent's result line (turns, cost, usage), as JSON
  std::string error;                       // why it failed, in a sentence
  std::vector<std::string> changed_files;  // "M path", "A path", "D path"
  std::int64_t updated_at = 0;
  std::string parent_id;                // the session this one resumes, if any
  std::string restore_from;             // the checkpoint it starts from, if any
  std::string resume_agent_session;     // Claude Code's session to continue (--resume)
  std::int64_t checkpoint_every_s = 0;  // periodic checkpoints while running; 0: none
  // How long its sandbox (and its terminal) is kept after the work ends, for a person to look
  // around, before it is checkpointed and ended; 0: it ends with the work.
  std::int64_t keep_alive_s = 0;
};

struct SessionEvent {
  std::int64_t at = 0;
  std::string kind;  // "transition", "note"
  std::string from_state;
  std::string to_state;
  std::string detail;
};

}  // namespace parhelia::core

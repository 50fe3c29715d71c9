#include "core/views/session_view.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/base/money.h"
#include "core/local/sandbox.h"

namespace parhelia::views {
namespace {

template <class T>
std::optional<T> unless_empty(const T& value) {
  return value.empty() ? std::nullopt : std::optional<T>(value);
}

}  // namespace

std::string short_line(const std::string& text, std::size_t limit) {
  std::string line;
  line.reserve(std::min(text.size(), limit + 8));
  for (const char c : text) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : c;
    if (line.size() > limit + 4) break;  // enough to know it is cut
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return core::shorten(line, limit);
}

SessionSummary summary_of(const core::Session& s, core::Micros spent) {
  SessionSummary v;
  v.session_id = s.id;
  v.name = unless_empty(s.name);
  v.state = std::string(core::to_string(s.state));
  v.kind = s.kind == core::SessionKind::task ? "task" : "command";
  v.task = short_line(s.task, 72);
  v.created_at = core::iso_time(s.created_at);
  if (s.started_at) v.elapsed_s = (s.finished_at.value_or(core::now_ms()) - *s.started_at) / 1000;
  v.exit_code = s.exit_code;
  v.spent_usd = core::dollars(spent);
  if (!s.last_activity.empty()) v.last_activity = short_line(s.last_activity, 72);
  if (!s.error.empty()) v.error = short_line(s.error, 100);
  return v;
}

std::string session_uri(const std::string& id) {
  return "parhelia://sessions/" + id;
}
std::string log_uri(const std::string& id) {
  return session_uri(id) + "/log";
}
std::string patch_uri(const std::string& id) {
  return session_uri(id) + "/patch";
}

namespace {

// A Modal sandbox is given what the session asked for: Modal reserves the cores and ends the
// sandbox beyond its memory.
std::string modal_limits(const core::Session& s) {
  const auto amount = [](std::int64_t milli) { return fmt::format("{:g}", core::units_of(milli)); };
  std::string text = "the Modal sandbox's: " + amount(s.cpu_milli) + " cores, " +
                     amount(s.memory_milli_gib) + " GiB of memory";
  if (!s.gpu.empty()) text += ", GPU " + s.gpu;
  return text;
}

}  // namespace

SessionView view_of(const core::Session& s) {
  SessionView v;
  v.session_id = s.id;
  v.name = s.name;
  v.state = std::string(core::to_string(s.state));
  v.kind = s.kind == core::SessionKind::task ? "task" : "command";
  v.task = core::shorten(s.task, 500);
  v.backend = s.backend;
  v.gpu = unless_empty(s.gpu);
  v.workspace = s.workspace;
  v.timeout_s = s.timeout_s;
  v.sandboxed = s.sandboxed;
  v.network = s.network;
  v.limits = s.backend == "modal"
                 ? modal_limits(s)
                 : (s.sandboxed ? core::sandbox_limits(s).summary()
                                : "none enforced: not sandboxed (cpu and memory are priced only)");
  v.created_at = core::iso_time(s.created_at);
  if (s.started_at) {
    v.started_at = core::iso_time(*s.started_at);
    v.elapsed_s =
        static_cast<double>(s.finished_at.value_or(core::now_ms()) - *s.started_at) / 1000.0;
  }
  if (s.finished_at) v.finished_at = core::iso_time(*s.finished_at);
  v.exit_code = s.exit_code;
  v.last_activity = unless_empty(s.last_activity);
  v.error = unless_empty(s.error);
  if (!s.result_text.empty()) v.final_answer = core::shorten(s.result_text, 4000);
  v.claude_session_id = unless_empty(s.claude_session_id);
  v.changed_files = s.changed_files;
  if (v.changed_files.size() > 200) v.changed_files.resize(200);
  v.log_uri = log_uri(s.id);
  // The budget holds a session's worst case from submit until it ends, then gives it back.
  v.reserved_usd = core::is_terminal(s.state) ? 0 : core::dollars(s.estimate_micros);
  if (s.max_cost_micros) v.max_cost_usd = core::dollars(*s.max_cost_micros);
  v.parent_id = unless_empty(s.parent_id);
  v.restored_from = unless_empty(s.restore_from);
  if (s.checkpoint_every_s > 0) v.checkpoint_every_s = s.checkpoint_every_s;
  if (s.keep_alive_s > 0) v.keep_alive_s = s.keep_alive_s;
  return v;
}

SessionView view_of(const core::Session& session, core::SessionService& service) {
  SessionView v = view_of(session);
  if (auto spent = service.spent(session.id)) v.spent_usd = core::dollars(spent.value());
  return v;
}

SessionView detailed_view(const core::Session& session, const core::SessionFacts& facts) {
  SessionView v = view_of(session);
  if (facts.spent) v.spent_usd = core::dollars(*facts.spent);
  // What the budget holds for it, as budget show counts it (a hold outlives its session only
  // until the next reconcile gives it back).
  if (facts.reserved) v.reserved_usd = core::dollars(*facts.reserved);
  if (!facts.resumed_as.empty()) v.resumed_as = facts.resumed_as;
  v.sandbox_id = facts.sandbox_id;
  if (facts.latest_checkpoint) {
    const auto& c = *facts.latest_checkpoint;
    v.latest_checkpoint = c.id;
    if (core::is_terminal(session.state)) {
      const bool carry_on = session.state != core::SessionState::succeeded;
      v.resume_hint = std::string(carry_on ? "Carry on its work" : "Continue it") + " from " +
                      c.id + " (" + std::string(core::to_string(c.trigger)) + ", " +
                      core::iso_time(c.created_at) + "): `parhelia session resume " + session.id +
                      (carry_on ? "" : " --prompt \"...\"") +
                      "` or the checkpoint tool (action restore, session_id " + session.id + ").";
    }
  }
  return v;
}

SessionView detailed_view(core::SessionService& service, const core::Session& session) {
  return detailed_view(session, service.facts(session));
}

EventView view_of(const core::SessionEvent& e) {
  return {core::iso_time(e.at), e.kind, e.from_state, e.to_state, e.detail};
}

std::string what_happened(const EventView& e) {
  std::string what =
      e.kind == "transition" ? (e.from.empty() ? "" : e.from + " -> ") + e.to : "note";
  if (!e.detail.empty()) what += ": " + e.detail;
  return what;
}

std::string one_line(const SessionView& v) {
  std::string line = v.session_id + "  " + v.state;
  if (v.elapsed_s) {
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "  %.0fs", *v.elapsed_s);
    line += elapsed;
  }
  if (!v.name.empty()) line += "  [" + v.name + "]";
  line += "  " + core::shorten(v.task, 60);
  if (v.last_activity) line += "  — " + core::shorten(*v.last_activity, 80);
  return line;
}

}  // namespace parhelia::views

namespace parhelia::views {

std::string one_line(const SessionSummary& s) {
  std::string line = s.session_id + "  " + s.state;
  if (s.elapsed_s) line += "  " + std::to_string(*s.elapsed_s) + "s";
  if (s.name) line += "  [" + *s.name + "]";
  line += "  " + s.task;
  if (s.last_activity) line += "  — " + *s.last_activity;
  return line;
}

}  // namespace parhelia::views

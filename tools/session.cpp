// tools/session.cpp: the session tool: list sessions, read a log, type into a running one,
// stop one, take its results.
#include <sstream>

#include "core/base/keyset_cursor.h"
#include "core/service/sessions.h"
#include "core/views/session_view.h"
#include "tools/log_view.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

// Patches up to this size come inline; larger ones as a resource link.
constexpr std::size_t kInlinePatchBytes = 16 * 1024;

struct SessionArgs {
  std::string action;
  std::optional<std::string> session_id;
  std::optional<std::string> state;
  std::optional<int> limit;
  std::optional<std::string> cursor;
  std::optional<std::int64_t> offset;
  std::optional<int> tail;
  std::optional<int> max_bytes;
  std::optional<std::string> format;
  std::optional<int> grace_s;
  std::optional<std::string> text;
  std::optional<std::vector<std::string>> keys;
  std::optional<bool> enter;
  static auto fields() {
    return std::tuple{
        field("action", &SessionArgs::action,
              "list: sessions, newest first; logs: a piece of a session's log; send: type into "
              "a running session's terminal; stop: stop a session; results: its final answer, "
              "exit code, changed files and patch",
              {{"enum", {"list", "logs", "send", "stop", "results"}}}),
        field("session_id", &SessionArgs::session_id,
              "The session (for logs, send, stop and results)",
              {{"pattern", "^task-[0-9a-f]{8}$"}}),
        field("state", &SessionArgs::state, "list: only sessions in this state",
              {{"enum",
                {"queued", "provisioning", "running", "succeeded", "failed", "cancelled",
                 "timed_out", "over_budget", "lost"}}}),
        field("limit", &SessionArgs::limit, "list: how many (default 20)",
              {{"minimum", 1}, {"maximum", 100}}),
        field("cursor", &SessionArgs::cursor, "list: next_cursor from the previous page"),
        field("offset", &SessionArgs::offset,
              "logs: read from this byte (next_offset of the previous read)", {{"minimum", 0}}),
        field("tail", &SessionArgs::tail,
              "logs: the last N lines instead (default 50 when no offset is given)",
              {{"minimum", 1}, {"maximum", 2000}}),
        field("max_bytes", &SessionArgs::max_bytes,
              "logs: at most this many bytes of text (default 16384)",
              {{"minimum", 1}, {"maximum", 32768}}),
        field("format", &SessionArgs::format,
              "logs: activity (default for a Claude Code task: one line per tool call, text, "
              "tool result, retry) or raw (the log's bytes; Claude Code's stream-json)",
              {{"enum", {"activity", "raw"}}}),
        field("grace_s", &SessionArgs::grace_s,
              "stop: seconds between SIGTERM and SIGKILL (default 10)",
              {{"minimum", 0}, {"maximum", 3600}}),
        field("text", &SessionArgs::text, "send: text to type, as it is",
              {{"maxLength", core::kMaxKeystrokeText}}),
        field("keys", &SessionArgs::keys,
              "send: keys to press after the text, by tmux's names (C-c, Escape, Up, Tab, y ...)",
              {{"maxItems", core::kMaxKeys}}),
        field("enter", &SessionArgs::enter,
              "send: press Enter after the text and keys (default: when there is text)")};
  }
};

struct ResultsView {
  bool finished = false;
  std::int64_t patch_bytes = 0;
  std::optional<std::string> patch;
  std::optional<std::string> patch_uri;
  static auto fields() {
    return std::tuple{
        field("finished", &ResultsView::finished, "Whether the session has ended"),
        field("patch_bytes", &ResultsView::patch_bytes, "The patch's size"),
        field("patch", &ResultsView::patch, "The patch (git diff) when it is small"),
        field("patch_uri", &ResultsView::patch_uri, "The resource holding a larger patch")};
  }
};

struct SessionResult {
  std::string action;
  std::optional<std::vector<SessionSummary>> sessions;
  std::optional<std::string> next_cursor;
  std::optional<LogView> log;
  std::optional<SessionView> session;
  std::optional<ResultsView> results;
  std::optional<bool> sent;
  std::string next;
  // Not in the schema: list: the cursor that goes on after each session, so that a page cut
  // short still says where the rest is.
  std::vector<std::string> cursor_after;
  static auto fields() {
    return std::tuple{
        field("action", &SessionResult::action, "The action done"),
        field("sessions", &SessionResult::sessions,
              "list: the sessions, newest first, in short (status has each one whole)"),
        field("next_cursor", &SessionResult::next_cursor, "list: pass as cursor for the next page"),
        field("log", &SessionResult::log, "logs: the piece read"),
        field("session", &SessionResult::session, "stop, results: the session"),
        field("results", &SessionResult::results, "results: the patch"),
        field("sent", &SessionResult::sent, "send: the keys reached the terminal"),
        field("next", &SessionResult::next, "What to call next, in a sentence")};
  }
};

// The next step after each action, named as the call to make.
std::string next_step(const SessionResult& r) {
  if (r.sessions) {
    if (r.next_cursor)
      return "Call session (action list, cursor " + *r.next_cursor +
             ") for older sessions; status with a session_id shows one whole.";
    return "Call status with a session_id for one session's details, or session (action logs) "
           "for its activity.";
  }
  if (r.log) {
    const std::string id = r.log->session_id;
    const std::string more = "Call session (action logs, session_id " + id + ", offset " +
                             std::to_string(r.log->next_offset) + ")";
    if (r.log->next_offset < r.log->size) return more + " to read on.";
    if (r.log->session_ended)
      return "The session has ended: session (action results, session_id " + id +
             ") gives its answer and patch.";
    return more + " in a while to see what it does next.";
  }
  if (r.sent) return "Call status (session_id, screen: true) to see what the session did with it.";
  if (r.results) {
    const SessionView& s = *r.session;
    if (!r.results->finished)
      return "It is still " + s.state + "; call status (session_id " + s.session_id +
             ") until it ends, then results again.";
    if (r.results->patch_uri)
      return "Read the patch from " + *r.results->patch_uri +
             "; the user applies it with `parhelia session apply " + s.session_id + "`.";
    if (r.results->patch_bytes > 0)
      return "Show the user the patch; they apply it with `parhelia session apply " + s.session_id +
             "` in a terminal.";
    return "It changed no files.";
  }
  if (r.session)
    return "Call status (session_id " + r.session->session_id + ") to see when it has ended.";
  return "";
}

bool shrink(SessionResult& r, double keep) {
  if (r.log) {
    const bool shrunk = shrink(*r.log, keep);
    r.next = next_step(r);
    return shrunk;
  }
  if (!r.sessions || r.sessions->size() <= 1) return false;
  const std::size_t count = r.sessions->size();
  const auto kept = std::clamp<std::size_t>(
      static_cast<std::size_t>(static_cast<double>(count) * keep), 1, count - 1);
  r.sessions->resize(kept);
  r.next_cursor = r.cursor_after[kept - 1];
  r.next = next_step(r);
  return true;
}

std::string to_text(const SessionResult& r) {
  std::ostringstream text;
  if (r.sessions) {
    if (r.sessions->empty()) text << "No sessions.";
    for (const auto& s : *r.sessions) text << one_line(s) << "\n";
    if (r.next_cursor) text << "More: pass cursor " << *r.next_cursor;
  } else if (r.log) {
    text << r.log->text;
    if (!r.log->text.empty() && r.log->text.back() != '\n') text << "\n";
    text << "[bytes " << r.log->offset << "-" << r.log->next_offset << " of " << r.log->size
         << (r.log->session_ended
                 ? "; the session has ended]"
                 : "; read on from offset " + std::to_string(r.log->next_offset) + "]");
  } else if (r.results) {
    const SessionView& s = *r.session;
    text << one_line(s) << "\n";
    if (s.exit_code) text << "exit code " << *s.exit_code << "\n";
    if (s.error) text << *s.error << "\n";
    if (s.final_answer) text << "final answer: " << *s.final_answer << "\n";
    text << s.changed_files.size() << " files changed";
    for (const auto& f : s.changed_files) text << "\n  " << f;
    if (r.results->patch) text << "\n\n" << *r.results->patch;
    if (r.results->patch_uri)
      text << "\npatch (" << r.results->patch_bytes << " bytes): " << *r.results->patch_uri;
  } else if (r.sent) {
    text << "Sent; status with screen=true shows what the session did with it.";
  } else if (r.session) {
    text << "Stopping " << r.session->session_id << " (now " << r.session->state
         << "); the status tool shows when it has ended.";
  }
  return text.str();
}

std::vector<server::ResourceLink> resource_links(const SessionResult& r) {
  std::vector<server::ResourceLink> links;
  if (r.results && r.results->patch_uri) {
    links.push_back({*r.results->patch_uri, r.session->session_id + " patch",
                     "The session's changes (git diff)", "text/x-diff"});
  }
  if (r.log) links.push_back(log_link(r.log->session_id));
  return links;
}

// Sessions page newest first, by created_at and then id.
constexpr std::string_view kSessionCursor = "c";

server::ToolOutcome<SessionResult> run(core::SessionService& service, const SessionArgs& a) {
  SessionResult result;
  result.action = a.action;
  if (a.action == "list") {
    core::SessionQuery query;
    if (a.state) query.state = core::parse_session_state(*a.state);
    query.limit = static_cast<std::size_t>(a.limit.value_or(20));
    if (a.cursor) {
      auto after = core::parse_cursor(*a.cursor, kSessionCursor, true);
      if (!after) return server::ToolError{"Unknown cursor; list again without one."};
      query.before = std::make_pair(after->key, *after->tie);
    }
    auto sessions = service.list(query);
    if (!sessions) return tool_error(sessions.error());
    result.sessions.emplace();
    std::vector<std::string> ids;
    for (const auto& s : sessions.value()) ids.push_back(s.id);
    const auto spend = service.spent(ids).value_or({});
    for (const auto& s : sessions.value()) {
      const auto found = spend.find(s.id);
      result.sessions->push_back(summary_of(s, found == spend.end() ? 0 : found->second));
      result.cursor_after.push_back(core::to_cursor(kSessionCursor, {s.created_at, s.id}));
    }
    if (sessions->size() == query.limit) result.next_cursor = result.cursor_after.back();
    result.next = next_step(result);
    return result;
  }
  if (!a.session_id)
    return server::ToolError{"The " + a.action + " action needs session_id (task-xxxxxxxx)."};
  const std::string& id = *a.session_id;
  if (a.action == "logs") {
    auto session = service.get(id);
    if (!session) return tool_error(session.error());
    LogRequest request;
    // A task's log is Claude Code's stream, which a model reads best as activity; a command's
    // log is its own output.
    const std::string format =
        a.format.value_or(session->kind == core::SessionKind::task ? "activity" : "raw");
    request.format = format == "raw" ? LogFormat::raw : LogFormat::activity;
    if (a.offset) request.offset = static_cast<std::uint64_t>(*a.offset);
    request.tail = static_cast<std::size_t>(a.tail.value_or(50));
    request.max_bytes = static_cast<std::size_t>(a.max_bytes.value_or(16384));
    auto log = read_log_view(service, id, request);
    if (!log) return tool_error(log.error());
    result.log = std::move(log).value();
    result.next = next_step(result);
    return result;
  }
  if (a.action == "send") {
    const core::Keystrokes keys{a.text.value_or(""), a.keys.value_or(std::vector<std::string>{}),
                                a.enter.value_or(a.text.has_value())};
    if (auto sent = service.send_keys(id, keys); !sent) return tool_error(sent.error());
    result.sent = true;
    result.next = next_step(result);
    return result;
  }
  if (a.action == "stop") {
    auto session = service.stop(id, a.grace_s.value_or(10));
    if (!session) return tool_error(session.error());
    result.session = view_of(session.value(), service);
    result.next = next_step(result);
    return result;
  }
  auto results = service.results(id);
  if (!results) return tool_error(results.error());
  result.session = view_of(results->session, service);
  ResultsView view;
  view.finished = results->finished;
  view.patch_bytes = static_cast<std::int64_t>(results->patch_bytes);
  if (results->patch_bytes > kInlinePatchBytes) {
    view.patch_uri = patch_uri(id);
  } else if (results->patch_bytes > 0) {
    view.patch = core::read_log_from(results->patch_file, 0, kInlinePatchBytes).text;
  }
  result.results = std::move(view);
  result.next = next_step(result);
  return result;
}

}  // namespace

void register_session_tool(server::Toolset& toolset, core::SessionService& service) {
  toolset.tools().add<SessionArgs, SessionResult>(
      {.name = "session",
       .title = "Sessions",
       .description =
           "Works with sessions. action list: sessions newest first (filter by state; page with "
           "cursor). action "
           "logs: a bounded piece of a session's log, the last lines by default or from an offset "
           "to follow it "
           "(pass next_offset back). action stop: stops a running session (SIGTERM, then SIGKILL "
           "after grace_s). action send: types text and keys into a running session's terminal "
           "(answer a prompt it waits at; C-c to interrupt), as a person attached to it would. "
           "action results: final answer, exit code, changed files and the patch (inline when "
           "small, else a "
           "resource link). Apply a patch with `parhelia session apply ID` in a terminal.",
       .destructive = true},
      [&service](const SessionArgs& a, server::CallContext&) { return run(service, a); });
}

}  // namespace parhelia::tools

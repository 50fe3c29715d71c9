// tools/status.cpp: the status tool: one session, or the health of the whole installation.
#include <sstream>

#include "core/local/host_probe.h"
#include "core/service/health.h"
#include "core/service/sessions.h"
#include "core/views/cost_view.h"
#include "core/views/session_view.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

struct StatusArgs {
  std::optional<std::string> session_id;
  std::optional<bool> screen;
  static auto fields() {
    return std::tuple{
        field("session_id", &StatusArgs::session_id,
              "A session (task-xxxxxxxx) to report on; omit for the health of the installation",
              {{"pattern", "^task-[0-9a-f]{8}$"}}),
        field("screen", &StatusArgs::screen,
              "With session_id: also read what the running session's terminal shows now (a "
              "prompt it waits at, an error on screen); takes up to 3 s")};
  }
};

struct Dependency {
  std::string program;
  std::string needed_for;
  bool found = false;
  bool required = false;
  std::optional<std::string> path;
  std::optional<std::string> install_hint;
  static auto fields() {
    return std::tuple{
        field("program", &Dependency::program, "Program looked up on PATH"),
        field("needed_for", &Dependency::needed_for, "What Parhelia uses it for"),
        field("found", &Dependency::found, "Whether it is installed"),
        field("required", &Dependency::required, "Whether local sessions need it"),
        field("path", &Dependency::path, "Where it was found"),
        field("install_hint", &Dependency::install_hint, "How to install it when missing")};
  }
};

struct BackendStatus {
  std::string name;
  bool usable = false;
  std::optional<std::string> problem;
  static auto fields() {
    return std::tuple{field("name", &BackendStatus::name, "The backend"),
                      field("usable", &BackendStatus::usable, "Whether sessions can run there now"),
                      field("problem", &BackendStatus::problem, "Why not, and what to do")};
  }
};

struct SystemStatus {
  std::string version;
  std::string protocol_version;
  std::string parhelia_home;
  std::string store_path;
  std::int64_t store_bytes = 0;
  std::map<std::string, std::int64_t> sessions_by_state;
  std::vector<BackendStatus> backends;
  std::vector<Dependency> dependencies;
  std::optional<std::string> agent_credential;
  bool modal_credentials_found = false;
  std::vector<std::string> missing;
  std::optional<BudgetView> budget;
  static auto fields() {
    return std::tuple{
        field("version", &SystemStatus::version, "Parhelia's version"),
        field("protocol_version", &SystemStatus::protocol_version,
              "The MCP version negotiated with this client"),
        field("parhelia_home", &SystemStatus::parhelia_home,
              "Where Parhelia keeps its state ($PARHELIA_HOME)"),
        field("store_path", &SystemStatus::store_path, "The session database"),
        field("store_bytes", &SystemStatus::store_bytes, "Its size"),
        field("sessions_by_state", &SystemStatus::sessions_by_state,
              "How many sessions are in each state"),
        field("backends", &SystemStatus::backends, "Where sessions can run"),
        field("dependencies", &SystemStatus::dependencies, "Programs Parhelia relies on"),
        field("agent_credential", &SystemStatus::agent_credential,
              "The variable Claude Code tasks sign in with, ANTHROPIC_API_KEY or "
              "CLAUDE_CODE_OAUTH_TOKEN (never its value); absent when neither is set"),
        field("modal_credentials_found", &SystemStatus::modal_credentials_found,
              "Whether Modal credentials are configured (environment or ~/.modal.toml)"),
        field("missing", &SystemStatus::missing,
              "Programs not found, each with what it is needed for"),
        field("budget", &SystemStatus::budget,
              "Spend, limits and this month's budget alerts (the budget tool has more)")};
  }
};

struct SessionEventView {
  std::string at;
  std::string what;
  static auto fields() {
    return std::tuple{field("at", &SessionEventView::at, "When (UTC)"),
                      field("what", &SessionEventView::what, "What happened")};
  }
};

struct StatusResult {
  std::optional<SessionView> session;
  std::optional<SessionCostView> cost;
  std::optional<std::vector<SessionEventView>> events;
  std::optional<SystemStatus> system;
  std::optional<std::string> screen;
  std::optional<std::string> screen_error;
  std::string next;
  static auto fields() {
    return std::tuple{
        field("session", &StatusResult::session, "The session asked about"),
        field("cost", &StatusResult::cost,
              "What it has cost so far, by resource, and what was reserved"),
        field("events", &StatusResult::events, "Its history, oldest first (last 20)"),
        field("system", &StatusResult::system,
              "The installation's health (when no session was named)"),
        field("screen", &StatusResult::screen,
              "What its terminal shows now (when asked with screen)"),
        field("screen_error", &StatusResult::screen_error, "Why the screen could not be read"),
        field("next", &StatusResult::next, "What to call next, in a sentence")};
  }
};

std::string next_step(const StatusResult& r) {
  if (r.session) {
    const SessionView& s = *r.session;
    const std::string id = "session_id " + s.session_id;
    if (s.state == "queued" || s.state == "provisioning" || s.state == "running")
      return "It is " + s.state + ": call status (" + id +
             ") again in a while, or session (action logs, " + id + ") to see what it does.";
    if (s.state == "succeeded")
      return "Call session (action results, " + id + ") for its answer and patch.";
    std::string step = "Call session (action logs, " + id + ") to see why it ended " + s.state;
    if (s.latest_checkpoint)
      step += "; checkpoint (action restore, " + id + ") carries on from " + *s.latest_checkpoint;
    return step + ".";
  }
  const bool usable = !r.system->backends.empty() && r.system->backends.front().usable;
  if (!usable)
    return "Local sessions cannot run yet: install what backends[0].problem names, then call "
           "status again.";
  return "Call submit to run work (a task for Claude Code, or a command); budget (action "
         "show) has spend and limits.";
}

std::string to_text(const StatusResult& r) {
  std::ostringstream text;
  if (r.session) {
    const SessionView& s = *r.session;
    text << one_line(s) << "\n";
    if (s.exit_code) text << "exit code " << *s.exit_code << "\n";
    if (s.error) text << *s.error << "\n";
    if (s.final_answer) text << "final answer: " << *s.final_answer << "\n";
    if (!s.changed_files.empty()) text << s.changed_files.size() << " files changed\n";
    if (s.parent_id)
      text << "resumes " << *s.parent_id << " from checkpoint " << s.restored_from.value_or("?")
           << "\n";
    if (s.resumed_as) {
      text << "resumed as";
      for (const auto& id : *s.resumed_as) text << " " << id;
      text << "\n";
    }
    if (s.resume_hint)
      text << *s.resume_hint << "\n";
    else if (s.latest_checkpoint)
      text << "latest checkpoint " << *s.latest_checkpoint << "\n";
    if (r.cost) {
      text << "cost: " << usd(r.cost->spent_usd) << " spent";
      if (r.cost->reserved_usd > 0)
        text << ", " << usd(r.cost->reserved_usd) << " reserved until it ends";
      if (r.cost->cap_usd) text << ", capped at " << usd(*r.cost->cap_usd);
      text << "\n";
    }
    text << "log: " << s.log_uri;
    if (r.screen) text << "\nscreen:\n" << *r.screen;
    if (r.screen_error) text << "\nscreen: " << *r.screen_error;
    return text.str();
  }
  const SystemStatus& s = *r.system;
  text << "Parhelia " << s.version << " (MCP " << s.protocol_version << "), state in "
       << s.parhelia_home << ".\n";
  text << "Sessions:";
  if (s.sessions_by_state.empty()) text << " none yet";
  for (const auto& [state, count] : s.sessions_by_state) text << " " << state << " " << count;
  text << "\n";
  for (const auto& backend : s.backends) {
    text << "Backend " << backend.name << ": "
         << (backend.usable ? "usable" : "not usable: " + backend.problem.value_or("")) << "\n";
  }
  for (const auto& d : s.dependencies) {
    text << (d.found      ? "  ok       "
             : d.required ? "  MISSING  "
                          : "  missing  ")
         << d.program << ": " << d.needed_for;
    if (!d.found && d.install_hint) text << " (install: " << *d.install_hint << ")";
    text << "\n";
  }
  text << "Claude Code signs in with "
       << s.agent_credential.value_or("nothing (set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN)")
       << "; Modal credentials " << (s.modal_credentials_found ? "found" : "not found") << ".";
  if (s.budget) text << "\n" << to_text(*s.budget);
  return text.str();
}

std::vector<server::ResourceLink> resource_links(const StatusResult& r) {
  if (!r.session) return {};
  return {log_link(r.session->session_id)};
}

SystemStatus system_status(core::SessionService& service, const server::ClientSession& client) {
  service.reconcile();
  const core::SystemHealth health = core::check_health();
  SystemStatus s;
  s.version = health.version;
  s.protocol_version = client.version().name();
  s.parhelia_home = health.home;
  const core::StoreStats stats = service.store_stats();
  s.store_path = stats.path.string();
  s.store_bytes = static_cast<std::int64_t>(stats.size_bytes);
  for (const auto& [state, count] : stats.by_state)
    s.sessions_by_state[std::string(core::to_string(state))] = count;
  bool local_ready = true;
  std::string local_problem;
  for (const auto& check : health.dependencies) {
    Dependency d{check.program,  check.needed_for, check.path.has_value(),
                 check.required, check.path,       std::nullopt};
    if (!d.found) {
      d.install_hint = check.install_hint;
      s.missing.push_back(check.program + " (" + check.needed_for + ")");
      if (check.required) {
        local_ready = false;
        local_problem += (local_problem.empty() ? "" : "; ") + check.program + " is missing (" +
                         check.install_hint + ")";
      }
    }
    s.dependencies.push_back(std::move(d));
  }
  // This machine's readiness is its programs (above); another backend says its own.
  for (auto& [name, problem] : service.backend_readiness()) {
    if (name == "local") {
      BackendStatus local{"local", local_ready, std::nullopt};
      if (!local_ready) local.problem = local_problem;
      s.backends.push_back(local);
    } else {
      s.backends.push_back({name, !problem, std::move(problem)});
    }
  }
  s.agent_credential = health.agent_credential;
  s.modal_credentials_found = health.modal_credentials_found;
  if (auto report = service.budget_report()) s.budget = budget_view(report.value());
  return s;
}

}  // namespace

void register_status_tool(server::Toolset& toolset, core::SessionService& service) {
  toolset.tools().add<StatusArgs, StatusResult>(
      {.name = "status",
       .title = "Parhelia status",
       .description = "With session_id: that session's state, times, exit code, last activity, "
                      "error, final answer and "
                      "history (screen=true adds what its terminal shows now); poll it after "
                      "submit until the state is succeeded, failed, "
                      "cancelled, timed_out, over_budget or lost. "
                      "Without: the health of this installation: sessions by state, whether the "
                      "local backend is usable, "
                      "which programs are installed (tmux, bubblewrap, git, claude, ssh, "
                      "nvidia-smi) with install commands, and "
                      "which credential Claude Code uses and whether Modal's are set (never their "
                      "values), and spend against the budget limits with this month's alerts. "
                      "Read-only.",
       .read_only = true,
       .idempotent = true},
      [&service](const StatusArgs& a,
                 server::CallContext& context) -> server::ToolOutcome<StatusResult> {
        StatusResult result;
        if (!a.session_id) {
          result.system = system_status(service, context.client());
          result.next = next_step(result);
          return result;
        }
        auto session = service.get(*a.session_id);
        if (!session) return tool_error(session.error());
        const core::SessionFacts facts = service.facts(session.value());
        result.session = detailed_view(session.value(), facts);
        result.cost = session_cost(session.value(), facts);
        if (auto events = service.events(*a.session_id)) {
          std::vector<SessionEventView> views;
          const auto& all = events.value();
          for (std::size_t i = all.size() > 20 ? all.size() - 20 : 0; i < all.size(); ++i) {
            const EventView e = view_of(all[i]);
            views.push_back({e.at, what_happened(e)});
          }
          result.events = std::move(views);
        }
        if (a.screen.value_or(false)) {
          auto screen = service.screen(*a.session_id);
          if (screen)
            result.screen = std::move(screen).value();
          else
            result.screen_error = screen.error().sentence();
        }
        result.next = next_step(result);
        return result;
      });
}

}  // namespace parhelia::tools

// tools/submit.cpp: the submit tool, which dispatches a task or a command as a session.
#include "core/service/sessions.h"
#include "core/views/cost_view.h"
#include "core/views/session_view.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

struct SubmitArgs {
  std::optional<std::string> task;
  std::optional<std::string> command;
  ResourceArgs resources;
  std::optional<std::string> backend;
  std::optional<std::string> workspace;
  std::optional<std::string> name;
  std::optional<bool> sync;
  std::optional<bool> dry_run;
  std::optional<bool> no_sandbox;
  std::optional<std::string> network;
  std::optional<std::int64_t> keep_alive_s;
  std::optional<bool> confirm;
  static auto fields() {
    return std::tuple{
        field("task", &SubmitArgs::task,
              "A prompt for Claude Code to carry out in the session (give task or command)",
              {{"minLength", 1}}),
        field("command", &SubmitArgs::command,
              "A shell command to run instead, e.g. 'pytest -x' or 'make bench'",
              {{"minLength", 1}}),
        schema::flat(
            &SubmitArgs::resources,
            ResourceArgs::fields_with(
                {.gpu = "GPU as TYPE, TYPE:COUNT or COUNT, e.g. A10G, H100:2, 1",
                 .timeout_s = "Time limit in seconds (default 3600)",
                 .cpu = "Cores to price and ask for (default 2)",
                 .memory_gib = "Memory in GiB (default 4)",
                 .max_cost_usd =
                     "The session's own budget cap in dollars; the watchdog stops it there"})),
        field("backend", &SubmitArgs::backend,
              "Where it runs: local (this machine) or modal (a Modal sandbox, e.g. for a GPU; "
              "needs the user's Modal token); default: the configured one, else local"),
        field("workspace", &SubmitArgs::workspace,
              "The project directory to copy into the session (default: the client's root, else "
              "the server's cwd)"),
        field("name", &SubmitArgs::name, "A short name to tell sessions apart",
              {{"maxLength", 64}}),
        field("sync", &SubmitArgs::sync,
              "Wait for the session to end, reporting progress; cancelling the wait does not stop "
              "the session"),
        field("dry_run", &SubmitArgs::dry_run,
              "Validate and show what would run, starting nothing"),
        field("no_sandbox", &SubmitArgs::no_sandbox,
              "Run without the bubblewrap sandbox (only where it cannot run)"),
        field("network", &SubmitArgs::network,
              "open (default; Claude Code needs its API) or none: the sandbox gets no network",
              {{"enum", {"open", "none"}}}),
        field("keep_alive_s", &SubmitArgs::keep_alive_s,
              "On Modal: keep the sandbox and its terminal this many seconds after the work "
              "ends, for a person to look around (attach_info), then checkpoint and end it; "
              "charged like the rest (default 0)",
              {{"minimum", 0}, {"maximum", 86400}}),
        field("confirm", &SubmitArgs::confirm,
              "The user agreed to the estimated cost (needed above the confirmation amount, "
              "default $5, when the client cannot ask the user itself)")};
  }
};

struct SubmitResult {
  SessionView session;
  bool dry_run = false;
  std::optional<std::vector<std::string>> would_run;
  std::optional<std::string> cuda_visible_devices;
  bool waited = false;
  std::optional<EstimateView> estimate;
  std::optional<std::string> credential;
  std::string next;
  static auto fields() {
    return std::tuple{
        field("session", &SubmitResult::session, "The session as it stands"),
        field("dry_run", &SubmitResult::dry_run, "True when nothing was started"),
        field("would_run", &SubmitResult::would_run, "For a dry run: the argv that would run"),
        field("cuda_visible_devices", &SubmitResult::cuda_visible_devices,
              "GPUs given to the session"),
        field("waited", &SubmitResult::waited, "True when the call waited for the end (sync)"),
        field("estimate", &SubmitResult::estimate,
              "The worst-case cost reserved against the budget"),
        field("credential", &SubmitResult::credential,
              "For a task: the variable Claude Code signs in with, ANTHROPIC_API_KEY or "
              "CLAUDE_CODE_OAUTH_TOKEN (never its value)"),
        field("next", &SubmitResult::next, "What to call next, in a sentence")};
  }
};

std::string next_step(const SubmitResult& r) {
  const std::string id = "session_id " + r.session.session_id;
  if (r.dry_run) return "Nothing started; call submit again without dry_run to start it.";
  if (r.waited) {
    if (r.session.state == "succeeded" || !r.session.changed_files.empty())
      return "Call session (action results, " + id + ") for its answer and patch.";
    return "Call session (action logs, " + id + ") to see why it ended " + r.session.state + ".";
  }
  return "It runs on its own: call status (" + id +
         ") until its state is succeeded, failed, cancelled, timed_out, over_budget or lost; "
         "session (action logs, " +
         id + ") shows what it does.";
}

std::string to_text(const SubmitResult& r) {
  const SessionView& s = r.session;
  if (r.dry_run) {
    std::string argv;
    for (const auto& arg : r.would_run.value_or(std::vector<std::string>{}))
      argv += (argv.empty() ? "" : " ") + arg;
    return "Dry run, nothing started. It would run in a copy of " + s.workspace + " (" +
           (s.sandboxed ? "sandboxed" : "not sandboxed") + ", timeout " +
           std::to_string(s.timeout_s) + " s). " + (r.estimate ? r.estimate->summary : "") + "\n" +
           argv;
  }
  if (r.waited) {
    std::string text = "Session " + s.session_id + " ended: " + s.state + ".";
    if (s.error) text += " " + *s.error;
    if (s.final_answer) text += "\nFinal answer: " + *s.final_answer;
    text += "\nChanged files: " + std::to_string(s.changed_files.size()) +
            "; the session tool's results action gives the patch. Log: " + s.log_uri;
    return text;
  }
  const std::string cost = r.estimate ? " Cost: " + r.estimate->summary : "";
  return "Submitted " + s.session_id + " (" + s.state + ") on " + s.backend + "." + cost +
         " It runs on its own: check it with the status tool (session_id " + s.session_id +
         "), read its log with "
         "the session tool (action logs) or " +
         s.log_uri + ".";
}

std::vector<server::ResourceLink> resource_links(const SubmitResult& r) {
  if (r.dry_run) return {};
  return {log_link(r.session.session_id)};
}

// Waits for the end, sending progress at least every 5 s (a heartbeat that also keeps the
// client's request alive) and on every change of state or activity.
core::Result<core::Session> wait_for_end(core::SessionService& service, const std::string& id,
                                         server::CallContext& context) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last_sent = Clock::time_point{};
  std::string last_said;
  auto session = service.wait_for_end(id, [&](const core::Session& live) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    // The end is the result's to tell: a progress notification just before it only costs the
    // result its quiet gap (see server::Dispatcher).
    if (core::is_terminal(live.state)) return !context.cancelled();
    const std::string said = std::string(core::to_string(live.state)) +
                             (live.last_activity.empty() ? "" : ": " + live.last_activity);
    if (said != last_said || Clock::now() - last_sent >= std::chrono::seconds(5)) {
      context.progress(elapsed, std::nullopt,
                       said + " (" + std::to_string(static_cast<int>(elapsed)) + " s)");
      last_said = said;
      last_sent = Clock::now();
    }
    return !context.cancelled();
  });
  if (!session && context.cancelled()) {
    context.log(server::LogLevel::info,
                "Stopped waiting for " + id + "; the session keeps running.");
  }
  return session;
}

}  // namespace

void register_submit_tool(server::Toolset& toolset, core::SessionService& service) {
  toolset.tools().add<SubmitArgs, SubmitResult>(
      {.name = "submit",
       .title = "Submit a session",
       .description = "Dispatches work as a session: a task (a prompt that Claude Code carries out "
                      "headless) or a command "
                      "(a shell command such as a test suite), run on a copy of the workspace in a "
                      "sandbox, optionally with a "
                      "GPU. Returns the session id at once; then poll the status tool with that "
                      "id, or read the log with the "
                      "session tool. With sync it waits for the end (progress is reported; "
                      "cancelling the call does not stop "
                      "the session). Use dry_run to check a submit without starting anything. "
                      "Results come back as a patch "
                      "(session tool, action results).",
       .destructive = false,
       .open_world = false},
      [&service](const SubmitArgs& a,
                 server::CallContext& context) -> server::ToolOutcome<SubmitResult> {
        core::SubmitRequest request;
        request.task = a.task;
        request.command = a.command;
        request.backend = a.backend.value_or(request.backend);
        request.workspace = a.workspace.value_or(default_workspace(context.client()));
        request.name = a.name.value_or("");
        request.no_sandbox = a.no_sandbox.value_or(false);
        if (a.network) request.network = *a.network == "open";
        request.keep_alive_s = a.keep_alive_s.value_or(0);
        a.resources.apply(request);

        SubmitResult result;
        if (a.dry_run.value_or(false)) {
          auto plan = service.plan(request);
          if (!plan) return tool_error(plan.error());
          result.session = view_of(plan->session);
          result.dry_run = true;
          result.would_run = plan->argv;
          result.estimate = estimate_view(plan->estimate);
          if (!plan->credential.empty()) result.credential = plan->credential;
          if (!plan->cuda_visible_devices.empty())
            result.cuda_visible_devices = plan->cuda_visible_devices;
          result.next = next_step(result);
          return result;
        }
        // Checked whole first: the user is asked about the cost only of a submit that can run.
        // submit() plans again on purpose: the answer may take minutes, and the session's
        // times, rates and room must be those of its start, not of the question.
        auto plan = service.plan(request);
        if (!plan) return tool_error(plan.error());
        if (auto refused = confirmation_refused(service, plan->estimate, a.confirm.value_or(false),
                                                context, "submit"))
          return *refused;
        // The image's build log, when there is one to build, as progress.
        double lines = 0;
        auto session = service.submit(request, [&](const std::string& line) {
          if (context.wants_progress()) context.progress(++lines, std::nullopt, line);
        });
        if (!session) return tool_error(session.error());
        result.estimate = estimate_view(plan->estimate);
        if (!plan->credential.empty()) result.credential = plan->credential;
        if (a.sync.value_or(false)) {
          session = wait_for_end(service, session->id, context);
          if (!session) return tool_error(session.error());
          result.waited = true;
        }
        result.session = view_of(session.value(), service);
        result.next = next_step(result);
        return result;
      });
}

}  // namespace parhelia::tools

// tools/checkpoint.cpp: the checkpoint tool: take a checkpoint of a session, list, compare and
// delete them, and restore one into a new session that carries on the work.
#include "core/service/sessions.h"
#include "core/views/checkpoint_view.h"
#include "core/views/cost_view.h"
#include "core/views/session_view.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

struct CheckpointArgs {
  std::string action;
  std::optional<std::string> session_id;
  std::optional<std::string> checkpoint_id;
  std::optional<std::string> to_checkpoint_id;
  std::optional<std::string> prompt;
  ResourceArgs resources;
  std::optional<std::string> backend;
  std::optional<bool> confirm;
  static auto fields() {
    return std::tuple{
        field("action", &CheckpointArgs::action,
              "create: take one of a session now; list: a session's checkpoints, newest first; "
              "restore: start a new session from a checkpoint (files and Claude Code's "
              "conversation restored); diff: the files that differ between two checkpoints; "
              "delete: remove one",
              {{"enum", {"create", "list", "restore", "diff", "delete"}}}),
        field("session_id", &CheckpointArgs::session_id,
              "create, list: the session; restore: the session to resume from its latest "
              "checkpoint (when no checkpoint_id)",
              {{"pattern", "^task-[0-9a-f]{8}$"}}),
        field("checkpoint_id", &CheckpointArgs::checkpoint_id,
              "restore, delete: the checkpoint; diff: the earlier one",
              {{"pattern", "^ck-[0-9a-f]{8}$"}}),
        field("to_checkpoint_id", &CheckpointArgs::to_checkpoint_id, "diff: the later checkpoint",
              {{"pattern", "^ck-[0-9a-f]{8}$"}}),
        field("prompt", &CheckpointArgs::prompt,
              "restore: what Claude Code is told next (default: carry on where it stopped); not "
              "for command sessions, which re-run their command"),
        schema::flat(
            &CheckpointArgs::resources,
            ResourceArgs::fields_with(
                {.gpu = "restore: another GPU (default: the session's)",
                 .timeout_s = "restore: another time limit in seconds (default: the session's)",
                 .cpu = "restore: cores (default: the session's)",
                 .memory_gib = "restore: memory in GiB",
                 .max_cost_usd = "restore: the new session's own cap in dollars"})),
        field("backend", &CheckpointArgs::backend,
              "restore: carry on in another backend, local or modal (default: the session's)"),
        field("confirm", &CheckpointArgs::confirm,
              "restore: the user has agreed to the estimated cost (needed above the "
              "confirmation amount when the client cannot ask)")};
  }
};

struct CheckpointResult {
  std::string action;
  std::optional<CheckpointView> checkpoint;
  std::optional<bool> unchanged;
  std::optional<std::vector<CheckpointView>> checkpoints;
  std::optional<CheckpointDiffView> diff;
  std::optional<SessionView> session;
  std::optional<std::string> deleted;
  std::string next;
  static auto fields() {
    return std::tuple{
        field("action", &CheckpointResult::action, "The action done"),
        field("checkpoint", &CheckpointResult::checkpoint,
              "create: the checkpoint; restore: the one restored"),
        field("unchanged", &CheckpointResult::unchanged,
              "create: nothing had changed, so the latest checkpoint stands"),
        field("checkpoints", &CheckpointResult::checkpoints, "list: newest first"),
        field("diff", &CheckpointResult::diff, "diff: what differs"),
        field("session", &CheckpointResult::session, "restore: the new session"),
        field("deleted", &CheckpointResult::deleted, "delete: the checkpoint removed"),
        field("next", &CheckpointResult::next, "What to call next, in a sentence")};
  }
};

std::string next_step(const CheckpointResult& r) {
  if (r.session)
    return "Call status (session_id " + r.session->session_id + ") until the new session ends.";
  if (r.checkpoint)
    return "checkpoint (action restore, checkpoint_id " + r.checkpoint->checkpoint_id +
           ") starts a new session from it.";
  if (r.checkpoints) {
    if (r.checkpoints->empty()) return "None yet: checkpoint (action create) takes one.";
    return "checkpoint (action restore, checkpoint_id " + r.checkpoints->front().checkpoint_id +
           ") starts a new session from the newest; action diff compares two.";
  }
  if (r.diff) return "checkpoint (action restore) with the checkpoint you want carries on from it.";
  return "checkpoint (action list, session_id) shows the ones left.";
}

std::string to_text(const CheckpointResult& r) {
  if (r.checkpoints)
    return to_text(*r.checkpoints, r.checkpoints->empty() ? "" : r.checkpoints->front().session_id);
  if (r.diff) return to_text(*r.diff);
  if (r.deleted) return "Deleted checkpoint " + *r.deleted + ".";
  if (r.session && r.checkpoint) {
    return "Resumed " + r.checkpoint->session_id + " from " + r.checkpoint->checkpoint_id + " as " +
           r.session->session_id + " (" + r.session->state +
           "); check it with the status tool or read its log: " + r.session->log_uri;
  }
  if (r.checkpoint) {
    if (r.unchanged.value_or(false))
      return "Nothing changed since " + to_line(*r.checkpoint) + "; that checkpoint stands.";
    return "Took " + to_line(*r.checkpoint);
  }
  return "";
}

std::optional<std::string> needs(const std::optional<std::string>& value, const std::string& name,
                                 const std::string& action) {
  if (value) return std::nullopt;
  return "The " + action + " action needs " + name + ".";
}

server::ToolOutcome<CheckpointResult> restore(core::SessionService& service,
                                              const CheckpointArgs& a,
                                              server::CallContext& context) {
  if (!a.checkpoint_id && !a.session_id) {
    return server::ToolError{
        "The restore action needs checkpoint_id, or session_id to resume from its latest."};
  }
  core::ResumeRequest resume;
  resume.session_id = a.session_id.value_or("");
  resume.checkpoint_id = a.checkpoint_id;
  resume.prompt = a.prompt;
  resume.backend = a.backend;
  a.resources.apply(resume);
  auto request = service.resume_request(resume);
  if (!request) return tool_error(request.error());
  auto plan = service.plan(request.value());
  if (!plan) return tool_error(plan.error());
  if (auto refused = confirmation_refused(service, plan->estimate, a.confirm.value_or(false),
                                          context, "checkpoint (action restore)"))
    return *refused;
  auto session = service.submit(request.value());
  if (!session) return tool_error(session.error());
  auto checkpoint = service.checkpoint(request->restore_from);
  if (!checkpoint) return tool_error(checkpoint.error());
  CheckpointResult result;
  result.action = a.action;
  result.checkpoint = view_of(checkpoint.value());
  result.session = view_of(session.value(), service);
  return result;
}

server::ToolOutcome<CheckpointResult> act(core::SessionService& service, const CheckpointArgs& a,
                                          server::CallContext& context);

server::ToolOutcome<CheckpointResult> run(core::SessionService& service, const CheckpointArgs& a,
                                          server::CallContext& context) {
  auto outcome = act(service, a, context);
  if (auto* result = std::get_if<CheckpointResult>(&outcome)) result->next = next_step(*result);
  return outcome;
}

server::ToolOutcome<CheckpointResult> act(core::SessionService& service, const CheckpointArgs& a,
                                          server::CallContext& context) {
  CheckpointResult result;
  result.action = a.action;
  if (a.action == "restore") return restore(service, a, context);
  if (a.action == "create" || a.action == "list") {
    if (auto missing = needs(a.session_id, "session_id (task-xxxxxxxx)", a.action))
      return server::ToolError{*missing};
  } else if (auto missing = needs(a.checkpoint_id, "checkpoint_id (ck-xxxxxxxx)", a.action)) {
    return server::ToolError{*missing};
  }
  if (a.action == "create") {
    const auto start = std::chrono::steady_clock::now();
    auto created = service.create_checkpoint(*a.session_id, [&] {
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      context.progress(waited, std::nullopt, "taking the checkpoint");
      return !context.cancelled();
    });
    if (!created) return tool_error(created.error());
    result.checkpoint = view_of(created->checkpoint);
    result.unchanged = created->unchanged;
    return result;
  }
  if (a.action == "list") {
    auto list = service.checkpoints(*a.session_id);
    if (!list) return tool_error(list.error());
    result.checkpoints.emplace();
    for (const auto& c : list.value()) result.checkpoints->push_back(view_of(c));
    return result;
  }
  if (a.action == "diff") {
    if (auto missing = needs(a.to_checkpoint_id, "to_checkpoint_id (the later checkpoint)", "diff"))
      return server::ToolError{*missing};
    auto diff = service.diff_checkpoints(*a.checkpoint_id, *a.to_checkpoint_id);
    if (!diff) return tool_error(diff.error());
    result.diff = view_of(diff.value());
    return result;
  }
  if (auto deleted = service.delete_checkpoint(*a.checkpoint_id); !deleted)
    return tool_error(deleted.error());
  result.deleted = *a.checkpoint_id;
  return result;
}

}  // namespace

void register_checkpoint_tool(server::Toolset& toolset, core::SessionService& service) {
  toolset.tools().add<CheckpointArgs, CheckpointResult>(
      {.name = "checkpoint",
       .title = "Checkpoints",
       .description =
           "Checkpoints keep a session's files and Claude Code's conversation so the work can go "
           "on in a new session. They are taken by themselves (every 10 minutes of running, and "
           "before a timeout, budget or user stop; a task also at its end). action create: take "
           "one now. action list: a session's checkpoints with sizes. action restore: start a "
           "new session from a checkpoint (or a session's latest); Claude Code continues its "
           "conversation (--resume) with an optional follow-up prompt, a command runs again. "
           "action diff: files that differ between two checkpoints. action delete: remove one. "
           "Sessions that failed or were lost show their latest checkpoint in the status tool.",
       .destructive = true},
      [&service](const CheckpointArgs& a, server::CallContext& context) {
        return run(service, a, context);
      });
}

}  // namespace parhelia::tools

// tools/prompts.cpp: the prompts, which Claude Code shows as /mcp__parhelia__<name>. Each asks
// the model to use tools that exist in this build.
//
// Claude Code splits what is typed after a prompt's command on whitespace and hands one word to
// each argument in order, dropping the rest (2.1.197: `/mcp__parhelia__parhelia-submit fix the
// flaky test` arrives as {"work":"fix","gpu":"the"}; quotes do not group), while the model is
// shown the whole typed text as the command's arguments. So a prompt's arguments are single
// words in the order a user types them (an action, an id, a GPU), and free text, if any, is
// its last; the message tells the model to read the whole of what was typed where an argument
// may hold only the first word of it.
#include "core/session/gpu_request.h"
#include "skills/catalog.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

server::json user_text(const std::string& text) {
  return {{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}};
}

// What the user asked for: the argument as given, said so that a client that passed only its
// first word (Claude Code) leads the model to the whole of what was typed.
std::string what_was_typed(const server::PromptRegistry::Arguments& arguments,
                           const std::string& name) {
  const auto given = arguments.find(name);
  if (given == arguments.end() || given->second.empty()) return "";
  return "\"" + given->second +
         "\" (if I typed more words after this command, all of them are meant: the "
         "client may pass on only the first)";
}

// The word typed for an argument, or a placeholder that asks the model to find it.
std::string given_or(const server::PromptRegistry::Arguments& arguments, const std::string& name,
                     const std::string& otherwise) {
  const auto given = arguments.find(name);
  return given == arguments.end() || given->second.empty() ? otherwise : given->second;
}

// Checkpoint ids (a prefix "ck…", or none) of the 20 latest sessions, and session ids (any
// prefix but "ck…").
server::Completer checkpoint_or_session_ids(core::SessionService& service) {
  return [&service](const std::string& prefix, const server::CompletionContext&) {
    std::vector<std::string> ids;
    if (prefix.rfind("ck", 0) == 0 || prefix.empty()) {
      core::SessionQuery query;
      query.limit = 20;
      for (const auto& session : service.recorded(query).value_or({})) {
        for (const auto& checkpoint : service.checkpoints(session.id).value_or({})) {
          if (checkpoint.id.rfind(prefix, 0) == 0) ids.push_back(checkpoint.id);
        }
      }
    }
    if (prefix.rfind("ck", 0) != 0) {
      for (auto& id : service.ids_starting_with(prefix, 100).value_or({})) ids.push_back(id);
    }
    return ids;
  };
}

server::Completer one_of(std::vector<std::string> values) {
  return [values = std::move(values)](const std::string& prefix, const server::CompletionContext&) {
    return server::starting_with(values, prefix);
  };
}

}  // namespace

void register_prompts(server::Toolset& toolset, core::SessionService& service) {
  toolset.prompts().add(
      {.name = "parhelia-status",
       .title = "Parhelia status",
       .description = "Check that Parhelia is ready: call the status tool and explain what is "
                      "missing and how to fix it.",
       .arguments = {}},
      [](const server::PromptRegistry::Arguments&)
          -> std::variant<server::PromptMessages, std::string> {
        return server::PromptMessages{
            "Check Parhelia's health",
            server::json::array({user_text("Call the Parhelia `status` tool. Summarise in a few "
                                           "lines whether this machine is ready to run "
                                           "Parhelia sessions; for each missing program, say what "
                                           "it is needed for and give its install "
                                           "command. Say which credential Claude Code signs in "
                                           "with (ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN) "
                                           "and whether Modal credentials are configured, and "
                                           "never ask me to paste a secret into the chat.")})};
      });

  toolset.prompts().add(
      {.name = "parhelia-budget",
       .title = "Parhelia budget",
       .description = "Show what Parhelia has cost and the limits; estimate a job if one is "
                      "named.",
       .arguments = {{.name = "job",
                      .description = "A job to price, in words, e.g. two H100s for 2 hours "
                                     "(optional; free text, the only argument)"}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const std::string job = what_was_typed(arguments, "job");
        std::string text =
            "Call the Parhelia `budget` tool with action show and tell me in a few lines what I "
            "have spent today, this month and in all, each limit and the room it leaves, what "
            "running sessions hold, and any alerts; draw the last 30 days as a small text "
            "chart if anything was spent.";
        if (!job.empty()) {
          text +=
              " Then price the job I named with the `budget` tool's estimate action (gpu, "
              "backend, timeout_s as it implies) and say whether it fits: " +
              job + ".";
        }
        text += " Do not change any limit unless I ask.";
        return server::PromptMessages{"Parhelia budget", server::json::array({user_text(text)})};
      });

  toolset.prompts().add(
      {.name = "parhelia-submit",
       .title = "Run work with Parhelia",
       .description = "Dispatch a task or a command as a Parhelia session and see it through to "
                      "its results.",
       .arguments = {{.name = "work",
                      .description = "What to run, in words: a task for Claude Code or a shell "
                                     "command, with a GPU if it needs one (e.g. on an H100); "
                                     "free text, the only argument"}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const std::string work = what_was_typed(arguments, "work");
        const std::string what =
            work.empty() ? "Run the work I describe with Parhelia (what I typed after this "
                           "command; if nothing, ask me what to run)."
                         : "Run this with Parhelia: " + work + ".";
        return server::PromptMessages{
            "Dispatch work with Parhelia",
            server::json::array({user_text(
                what +
                "\n\nIf it is a shell command, pass it as `command` to the Parhelia `submit` tool; "
                "otherwise pass it as `task`. If I named a GPU, pass it as `gpu` (e.g. H100 or "
                "A10G:2) and leave it out of the task. Use this project as the workspace. Then "
                "poll the "
                "`status` tool with the session id until the session has ended, telling me its "
                "progress, and finally use the `session` tool (action results) to show me the "
                "outcome, the changed files and the patch. Do not apply the patch unless I "
                "ask.")})};
      });

  toolset.prompts().add(
      {.name = "parhelia-guide",
       .title = "Parhelia guide",
       .description = "Load one of Parhelia's usage guides (skills) into the conversation.",
       .arguments = {{.name = "name",
                      .description =
                          "The guide, e.g. discover-parhelia, gpu-configuration, troubleshooting",
                      .required = true,
                      .complete =
                          [](const std::string& prefix, const server::CompletionContext&) {
                            return server::starting_with(skills::skill_names(), prefix);
                          }}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const std::string& name = arguments.at("name");
        const auto* skill = skills::find_skill(name);
        if (skill == nullptr) {
          std::string known;
          for (const auto& n : skills::skill_names()) known += (known.empty() ? "" : ", ") + n;
          return "there is no Parhelia guide named '" + name + "'; the guides are: " + known;
        }
        server::json resource = {{"type", "resource"},
                                 {"resource",
                                  {{"uri", "parhelia://skills/" + skill->name},
                                   {"mimeType", "text/markdown"},
                                   {"text", std::string(skill->markdown)}}}};
        return server::PromptMessages{
            "Parhelia guide: " + skill->name,
            server::json::array(
                {{{"role", "user"}, {"content", resource}},
                 user_text("Use the Parhelia guide above (" + skill->name +
                           ") for what follows. Only call tools and commands that it lists "
                           "as available now.")})};
      });

  // Arguments below are single words, in the order a user types them after the command.
  toolset.prompts().add(
      {.name = "parhelia-attach",
       .title = "Attach to a Parhelia session",
       .description = "Step into a running session's terminal: the command for your terminal, "
                      "its screen now, and an offer to type into it.",
       .arguments = {{.name = "session_id",
                      .description = "The running session (optional: the only running one)",
                      .complete = session_ids(service)}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const std::string id = given_or(arguments, "session_id", "");
        const std::string which =
            id.empty() ? "the running session (call the `session` tool with action list and "
                         "state running; if there are several, ask me which)"
                       : "session " + id;
        return server::PromptMessages{
            "Attach to a Parhelia session",
            server::json::array({user_text(
                "I want to step into the terminal of " + which +
                ". You cannot attach a terminal from here, so call the Parhelia `attach_info` "
                "tool with its session_id and give me the command to run in my own terminal "
                "exactly as returned, its read-only variant and how to detach without stopping "
                "it (Ctrl-b d). Then call the `status` tool with that session_id and screen "
                "true and show me the screen. Offer to type into the session for me: when I "
                "say what, use the `session` tool with action send (text, and keys such as "
                "Enter or C-c) and show the screen again.")})};
      });

  toolset.prompts().add(
      {.name = "parhelia-session",
       .title = "Parhelia sessions",
       .description = "List sessions, or read one's log or results, or stop it.",
       .arguments = {{.name = "action",
                      .description = "list, logs, results, stop or send (default list)",
                      .complete = one_of({"list", "logs", "results", "send", "stop"})},
                     {.name = "session_id",
                      .description = "The session, for logs, results, stop and send",
                      .complete = session_ids(service)}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const std::string action = given_or(arguments, "action", "list");
        const std::string id = given_or(arguments, "session_id", "");
        std::string text = "Call the Parhelia `session` tool with action " + action +
                           (id.empty() ? "" : " and session_id " + id) + ".";
        if (action != "list" && id.empty()) {
          text += " It needs a session id: list the sessions first and ask me which.";
        }
        text +=
            " For logs show the last lines and offer to follow on from next_offset; for "
            "results show the outcome, the changed files and the patch, without applying it "
            "(`parhelia session apply ID` in a terminal does); for send, the text to type is "
            "what I typed after the session id. Stop a session only when I said stop.";
        return server::PromptMessages{"Parhelia sessions", server::json::array({user_text(text)})};
      });

  toolset.prompts().add(
      {.name = "parhelia-checkpoint",
       .title = "Parhelia checkpoints",
       .description = "Take, list, compare or restore a session's checkpoints; a restore carries "
                      "the work on in a new session.",
       .arguments = {{.name = "action",
                      .description = "create, list, restore, diff or delete",
                      .required = true,
                      .complete = one_of({"create", "delete", "diff", "list", "restore"})},
                     {.name = "id",
                      .description = "A session id (s-…) or a checkpoint id (ck-…)",
                      .complete = checkpoint_or_session_ids(service)},
                     {.name = "gpu",
                      .description = "restore only: the GPU to carry on with, e.g. H100",
                      .complete = one_of(core::gpu_type_names())}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const std::string action = given_or(arguments, "action", "list");
        const std::string id = given_or(arguments, "id", "");
        const std::string gpu = given_or(arguments, "gpu", "");
        std::string text = "Call the Parhelia `checkpoint` tool with action " + action;
        if (!id.empty()) {
          text += id.rfind("ck-", 0) == 0 ? " and checkpoint_id " + id : " and session_id " + id;
        }
        text += ".";
        if (id.empty()) text += " It needs a session or checkpoint id: ask me which.";
        if (action == "restore") {
          if (!gpu.empty()) text += " Pass gpu " + gpu + ".";
          text +=
              " Any words I typed after the ids are the follow-up prompt for the resumed Claude "
              "Code. Then poll the `status` tool with the new session id and tell me how it "
              "goes.";
        }
        if (action == "diff") text += " The second checkpoint id I typed is to_checkpoint_id.";
        text += " Delete a checkpoint only when I said delete.";
        return server::PromptMessages{"Parhelia checkpoints",
                                      server::json::array({user_text(text)})};
      });
}

}  // namespace parhelia::tools

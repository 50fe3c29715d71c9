// tools/prompts.cpp: the prompts, which Claude Code shows as /mcp__parhelia__<name>. Each asks
// the model to use tools that exist in this build.
#include "skills/catalog.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

server::json user_text(const std::string& text) {
  return {{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}};
}

}  // namespace

void register_prompts(server::McpServer& server) {
  server.prompts().add(
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
                                           "command. Say whether ANTHROPIC_API_KEY and Modal "
                                           "credentials are configured, and never ask me "
                                           "to paste a secret into the chat.")})};
      });

  server.prompts().add(
      {.name = "parhelia-budget",
       .title = "Parhelia budget",
       .description = "Show what Parhelia has cost and the limits; estimate a job if one is "
                      "named.",
       .arguments = {{.name = "job",
                      .description = "A job to price, e.g. 'H100:2 for 2 hours on modal' "
                                     "(optional)"}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const auto job = arguments.find("job");
        std::string text =
            "Call the Parhelia `budget` tool with action show and tell me in a few lines what I "
            "have spent today, this month and in all, each limit and the room it leaves, what "
            "running sessions hold, and any alerts; draw the last 30 days as a small text "
            "chart if anything was spent.";
        if (job != arguments.end() && !job->second.empty()) {
          text +=
              " Then price this job with the `budget` tool's estimate action (gpu, backend, "
              "timeout_s as it implies) and say whether it fits: " +
              job->second;
        }
        text += " Do not change any limit unless I ask.";
        return server::PromptMessages{"Parhelia budget", server::json::array({user_text(text)})};
      });

  server.prompts().add(
      {.name = "parhelia-submit",
       .title = "Run work with Parhelia",
       .description = "Dispatch a task or a command as a Parhelia session and see it through to "
                      "its results.",
       .arguments = {{.name = "work",
                      .description = "What to run: a task for Claude Code, or a shell command",
                      .required = true},
                     {.name = "gpu", .description = "A GPU, e.g. A10G or H100:2 (optional)"}}},
      [](const server::PromptRegistry::Arguments& arguments)
          -> std::variant<server::PromptMessages, std::string> {
        const auto gpu = arguments.find("gpu");
        const std::string with_gpu = gpu == arguments.end() || gpu->second.empty()
                                         ? ""
                                         : " with gpu \"" + gpu->second + "\"";
        return server::PromptMessages{
            "Dispatch work with Parhelia",
            server::json::array({user_text(
                "Run this with Parhelia" + with_gpu + ": " + arguments.at("work") +
                "\n\nIf it is a shell command, pass it as `command` to the Parhelia `submit` tool; "
                "otherwise pass it as `task`. Use this project as the workspace. Then poll the "
                "`status` tool with the session id until the session has ended, telling me its "
                "progress, and finally use the `session` tool (action results) to show me the "
                "outcome, the changed files and the patch. Do not apply the patch unless I "
                "ask.")})};
      });

  server.prompts().add(
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
}

}  // namespace parhelia::tools

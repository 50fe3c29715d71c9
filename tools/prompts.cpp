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

#include "tools/toolset.h"

#include "core/version.h"
#include "tools/alert_feed.h"

namespace parhelia::tools {

server::ServerIdentity parhelia_identity() {
  return {
      .name = "parhelia",
      .title = "Parhelia",
      .version = core::kVersion,
      .description =
          "The MCP server of Parhelia, which runs Claude Code work in remote containers "
          "or sandboxed on this machine. It lists the tools this build has.",
      .instructions =
          "Parhelia runs work in containers on Modal (with GPUs) or sandboxed on this machine, "
          "as sessions.\n"
          "- submit: start a task (for Claude Code) or a shell command; returns a session id at "
          "once. Call budget action estimate first for costly GPU work.\n"
          "- status: with session_id, poll a session until it ends (screen=true shows its "
          "terminal); without, check the installation and credentials.\n"
          "- session: list, logs (follow with next_offset), results (patch), send (type into "
          "it), stop.\n"
          "- attach_info: the command a person runs to attach to a session's terminal; you "
          "cannot attach yourself.\n"
          "- checkpoint: create, list, diff, restore (carry the work on in a new session, also "
          "on another GPU), delete.\n"
          "- budget: show spend and limits, estimate, history, rates; set limits only when "
          "asked.\n"
          "Guides: resources parhelia://skills/{name}, starting with discover-parhelia. Never "
          "pass secrets as tool arguments.",
  };
}

std::unique_ptr<SessionWatcher> register_toolset(server::Toolset& toolset,
                                                 core::SessionService& service,
                                                 const ToolsetOptions& options) {
  toolset.set_alert_sources([&service]() -> server::AlertSource {
    return [feed = std::make_shared<BudgetAlertFeed>(service)](const std::string& tool,
                                                               const server::json& arguments) {
      return feed->for_call(tool, arguments);
    };
  });
  // Claude Code may defer MCP tools behind a tool search; a model that must search for
  // submit first is slower to use it, so Parhelia's few tools stay loaded.
  toolset.tools().set_listing_meta({{"anthropic/alwaysLoad", true}});
  register_submit_tool(toolset, service);
  register_status_tool(toolset, service);
  register_session_tool(toolset, service);
  register_budget_tool(toolset, service);
  register_checkpoint_tool(toolset, service);
  register_attach_info_tool(toolset, service);
  if (options.debug_tools) register_debug_wait_tool(toolset);
  register_skill_resources(toolset);
  register_session_resources(toolset, service);
  register_prompts(toolset, service);
  return std::make_unique<SessionWatcher>(toolset, service);
}

}  // namespace parhelia::tools

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
          "Parhelia runs work in remote containers (Modal) or sandboxed on this machine. Call the "
          "status "
          "tool to check the installation (programs found, credentials configured). Usage guides "
          "are "
          "resources parhelia://skills/{name}; start with parhelia://skills/discover-parhelia, "
          "which lists "
          "what this build can do and what is planned. Never pass secrets as tool arguments.",
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
  register_submit_tool(toolset, service);
  register_status_tool(toolset, service);
  register_session_tool(toolset, service);
  register_budget_tool(toolset, service);
  register_checkpoint_tool(toolset, service);
  register_attach_info_tool(toolset, service);
  if (options.debug_tools) register_debug_wait_tool(toolset);
  register_skill_resources(toolset);
  register_session_resources(toolset, service);
  register_prompts(toolset);
  return std::make_unique<SessionWatcher>(toolset, service);
}

}  // namespace parhelia::tools

#include "tools/toolset.h"

#include "core/version.h"

namespace parhelia::tools {

server::ServerIdentity parhelia_identity() {
  return {
      .name = "parhelia",
      .title = "Parhelia",
      .version = core::kVersion,
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

void register_toolset(server::McpServer& server, const ToolsetOptions& options) {
  register_status_tool(server);
  if (options.debug_tools) register_debug_wait_tool(server);
  register_skill_resources(server);
  register_prompts(server);
}

}  // namespace parhelia::tools

// Parhelia's MCP surface: every tool, resource and prompt, registered onto an MCP server.
// Each tool lives in its own file here and adapts MCP calls to core/.
#pragma once

#include "server/mcp_server.h"

namespace parhelia::tools {

struct ToolsetOptions {
  // Adds debug_wait, a tool for exercising progress and cancellation; off unless asked for
  // (PARHELIA_ENABLE_DEBUG_TOOLS=1), and never listed in the manifest.
  bool debug_tools = false;
};

server::ServerIdentity parhelia_identity();
void register_toolset(server::McpServer& server, const ToolsetOptions& options);

// One per file.
void register_status_tool(server::McpServer& server);
void register_debug_wait_tool(server::McpServer& server);
void register_skill_resources(server::McpServer& server);
void register_prompts(server::McpServer& server);

}  // namespace parhelia::tools

// Parhelia's MCP surface: every tool, resource and prompt, registered into the toolset that the
// process's MCP client sessions share.
// Each tool lives in its own file here and adapts MCP calls to core/.
#pragma once

#include <memory>
#include <stop_token>
#include <thread>

#include "core/service/sessions.h"
#include "server/mcp_server.h"
#include "server/toolset.h"

namespace parhelia::tools {

struct ToolsetOptions {
  // Adds debug_wait, a tool for exercising progress and cancellation; off unless asked for
  // (PARHELIA_ENABLE_DEBUG_TOOLS=1), and never listed in the manifest.
  bool debug_tools = false;
};

// Notices changes to subscribed session resources (a log that grew, a session that moved
// on) and tells each client subscribed to it; a quarter-second poll of file sizes and the
// store. One for the toolset, whatever the number of clients.
class SessionWatcher {
 public:
  SessionWatcher(server::Toolset& toolset, core::SessionService& service);

 private:
  void watch(server::Toolset& toolset, core::SessionService& service, std::stop_token stop);
  std::jthread thread_;
};

server::ServerIdentity parhelia_identity();
// Registers everything; the returned watcher must outlive the serving of every session.
std::unique_ptr<SessionWatcher> register_toolset(server::Toolset& toolset,
                                                 core::SessionService& service,
                                                 const ToolsetOptions& options);

// One per file.
void register_status_tool(server::Toolset& toolset, core::SessionService& service);
void register_submit_tool(server::Toolset& toolset, core::SessionService& service);
void register_session_tool(server::Toolset& toolset, core::SessionService& service);
void register_budget_tool(server::Toolset& toolset, core::SessionService& service);
void register_checkpoint_tool(server::Toolset& toolset, core::SessionService& service);
void register_attach_info_tool(server::Toolset& toolset, core::SessionService& service);
void register_debug_wait_tool(server::Toolset& toolset);
void register_skill_resources(server::Toolset& toolset);
void register_session_resources(server::Toolset& toolset, core::SessionService& service);
void register_prompts(server::Toolset& toolset, core::SessionService& service);

}  // namespace parhelia::tools

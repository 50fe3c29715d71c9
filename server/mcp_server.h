// An MCP server: the lifecycle (initialize, version negotiation, capabilities), ping, logging,
// and the tools, resources, prompts and completion methods over the registries. It knows
// nothing of what the tools do. Fill the registries, then hand the server to a transport.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/call_context.h"
#include "server/client_session.h"
#include "server/dispatcher.h"
#include "server/prompt_registry.h"
#include "server/resource_registry.h"
#include "server/tool_registry.h"
#include "transport/transport.h"

namespace parhelia::server {

struct ServerIdentity {
  std::string name;
  std::string title;
  std::string version;
  std::string instructions;  // shown to the model; Claude Code keeps the first 2 KB
};

struct McpServerOptions {
  ServerIdentity identity;
  std::size_t page_size = 50;    // items per page of every list method
  std::size_t max_workers = 16;  // requests running at once; more wait their turn
  // The least time between a request's last progress notification and its answer.
  std::chrono::milliseconds quiet_after_progress{300};
  // Runs once, on the reader thread, when the client says it has its initialize answer
  // (notifications/initialized): the moment for work that must not hold up that answer.
  std::function<void()> on_initialized;
};

class McpServer final : public transport::MessageHandler, public ClientChannel {
 public:
  McpServer(transport::Transport& transport, McpServerOptions options);

  ToolRegistry& tools() { return tools_; }
  ResourceRegistry& resources() { return resources_; }
  PromptRegistry& prompts() { return prompts_; }
  const ClientSession& client() const { return client_; }

  // transport::MessageHandler
  void on_message(json message) override;
  void on_unreadable(transport::ReadFailure failure, const std::string& detail) override;

  // ClientChannel
  void notify(const std::string& method, json params) override;
  void request(const std::string& method, json params,
               std::function<void(const RpcResult&)> on_reply) override;

  // Tells a subscribed client that the resource changed.
  void resource_updated(const std::string& uri);
  // A server-level log line for the client (when its level lets it through).
  void log(LogLevel level, const std::string& logger, const std::string& message);

  // Lets requests in flight finish for `grace`, then cancels the rest (their answers are not
  // sent) and waits up to `after_cancel` for them. False if a handler was still running.
  bool shutdown(std::chrono::milliseconds grace, std::chrono::milliseconds after_cancel);

 private:
  enum class Phase { any, after_initialize };
  void bind(const std::string& method, Dispatcher::Execution execution, Phase phase,
            Dispatcher::RequestHandler handler);
  // Whether a list's items can change while serving (resources come and go; the tools are
  // registered before the server serves and never change).
  enum class Listed { changing, fixed };
  // A list method: paginated over whatever `items` produces for the negotiated version; the
  // pages of a fixed list are written once and sent as text.
  void bind_list(const std::string& method, const char* key,
                 std::function<std::shared_ptr<const json>(const ProtocolVersion&)> items,
                 Listed listed = Listed::changing);

  void bind_lifecycle();
  void bind_tools();
  void bind_resources();
  void bind_prompts_and_completion();
  RpcResult initialize(const json& params);
  json capabilities(const ProtocolVersion& version) const;
  void refresh_roots();

  McpServerOptions options_;
  std::once_flag initialized_once_;
  struct FixedList {
    std::optional<std::size_t> size;
    std::map<std::size_t, std::shared_ptr<const std::string>> pages;  // by first item
  };
  std::mutex fixed_lists_mutex_;
  std::map<std::string, FixedList> fixed_lists_;  // by method and protocol version
  Dispatcher dispatcher_;
  ClientSession client_;
  ToolRegistry tools_;
  ResourceRegistry resources_;
  PromptRegistry prompts_;
};

}  // namespace parhelia::server
